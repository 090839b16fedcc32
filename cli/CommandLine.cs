using System.Globalization;

namespace Neokernel.Cli;

/// <summary>
/// The command line after the command word: positional arguments and <c>--name value</c> or
/// <c>--flag</c> options. Every option a command reads is declared, so a misspelt one is an
/// error that lists the known ones instead of being ignored.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> options = new(StringComparer.Ordinal);
    private readonly HashSet<string> read = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags;

    private CommandLine(List<string> positional, Dictionary<string, string?> options, HashSet<string> flags)
    {
        Positional = positional;
        this.options = options;
        this.flags = flags;
    }

    public IReadOnlyList<string> Positional { get; }

    /// <summary>
    /// Splits arguments; <paramref name="flags"/> are the options that take no value. Any other
    /// option takes the next argument as its value, unless that is an option itself: then it was
    /// given without one, which is an error once the command reads it (<c>--trace-jsonl --duration 1s</c>
    /// must not quietly write no trace, nor <c>--seed --duration 1s</c> quietly use the default seed).
    /// </summary>
    public static CommandLine Parse(IReadOnlyList<string> args, params string[] flags)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                positional.Add(arg);
                continue;
            }

            var name = arg[2..];
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                options[name[..equals]] = name[(equals + 1)..];
            }
            else if (flags.Contains(name) || i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                options[name] = null;
            }
            else
            {
                options[name] = args[++i];
            }
        }

        return new CommandLine(positional, options, [.. flags]);
    }

    public bool Flag(string name)
    {
        read.Add(name);
        if (options.TryGetValue(name, out var value) && value is not null)
        {
            throw new UsageException($"--{name} takes no value (given '{value}'); write --{name} alone");
        }

        return options.ContainsKey(name);
    }

    /// <summary>The value of <c>--name VALUE</c> or <c>--name=VALUE</c>; null when the option is absent, an error when it has no value.</summary>
    public string? Option(string name)
    {
        read.Add(name);
        if (!options.TryGetValue(name, out var value))
        {
            return null;
        }

        return value is { Length: > 0 } ? value : throw new UsageException($"--{name} needs a value: --{name} VALUE or --{name}=VALUE");
    }

    /// <summary>For commands that take no positional arguments: any given is an error, not silently ignored.</summary>
    public void RejectPositional(string command)
    {
        if (Positional.Count > 0)
        {
            throw new UsageException($"{command} takes no arguments besides its options; '{Positional[0]}' is one too many");
        }
    }

    public ulong Seed(ulong defaultSeed)
    {
        var text = Option("seed");
        if (text is null)
        {
            return defaultSeed;
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : throw new UsageException($"--seed {text}: not a non-negative integer (e.g. --seed 42)");
    }

    public long? DurationNs(string name = "duration")
    {
        var text = Option(name);
        return text is null ? null : ParseDurationNs(text, name);
    }

    /// <summary>Options given but never read by the command: misspellings.</summary>
    public void RejectUnknown()
    {
        var unknown = options.Keys.Where(k => !read.Contains(k) && !flags.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option --{unknown[0]}; this command knows: {string.Join(", ", read.Order(StringComparer.Ordinal).Select(k => "--" + k))}");
        }
    }

    /// <summary>Parses <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>2h</c> (or a bare number of seconds).</summary>
    public static long ParseDurationNs(string text, string what = "duration")
    {
        var units = new (string Suffix, long Ns)[] { ("ms", 1_000_000), ("us", 1_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000) };
        foreach (var (suffix, ns) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) &&
                double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value * ns < long.MaxValue / 2)
            {
                return (long)(value * ns);
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds * 1_000_000_000 < long.MaxValue / 2)
        {
            return (long)(seconds * 1_000_000_000);
        }

        throw new UsageException($"--{what} {text}: not a duration; write e.g. 500ms, 30s, 10m or 2h");
    }
}

/// <summary>The command line is wrong: exit code 2 and a message that says how to fix it.</summary>
internal sealed class UsageException(string message) : Exception(message);
