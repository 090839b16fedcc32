using System.Globalization;

namespace Neokernel.Rt.Faults;

/// <summary>A fault schedule's text that does not parse: the text, and what is wrong with it and how to write it.</summary>
public sealed class FaultSyntaxException(string text, string problem)
    : FormatException($"'{text}': {problem}")
{
    public string Text { get; } = text;

    public string Problem { get; } = problem;
}

/// <summary>
/// One injection: a fault of the library, its target (a service id or a device URI), when it
/// strikes on virtual time, how long it lasts and its value (NaN: none given). Its text is
/// <c>KIND:TARGET@AT[+DURATION][=VALUE]</c>, and <see cref="ToString"/> writes what
/// <see cref="Parse"/> reads back, so a replay command reproduces the schedule exactly.
/// </summary>
public readonly record struct FaultInjection(FaultKind Kind, string Target, long AtNs, long DurationNs, double Value)
{
    public const string Syntax = "KIND:TARGET@AT[+DURATION][=VALUE], e.g. crash:level-sensor@5s or sensor-stuck:sim://tank/level@20s+10s=0.2";

    public FaultDescriptor Descriptor => FaultCatalog.Of(Kind);

    public bool HasValue => !double.IsNaN(Value);

    public long EndNs => AtNs + DurationNs;

    /// <summary>True when the fault is in effect at <paramref name="nowNs"/>: from its time to its end (an instant fault: never afterwards).</summary>
    public bool ActiveAt(long nowNs) => nowNs >= AtNs && nowNs < EndNs;

    /// <summary>An injection with the kind's default duration and no value.</summary>
    public static FaultInjection At(FaultKind kind, string target, long atNs) =>
        new(kind, target, atNs, FaultCatalog.Of(kind).DurationDefaultNs, double.NaN);

    public static FaultInjection Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new FaultSyntaxException(text, $"no fault kind before ':'; write {Syntax}");
        }

        var word = trimmed[..colon];
        var descriptor = FaultCatalog.Find(word)
            ?? throw new FaultSyntaxException(text, $"no fault '{word}'; the faults are {FaultCatalog.Words}");
        var rest = trimmed[(colon + 1)..];
        var at = rest.LastIndexOf('@');
        if (at < 0)
        {
            throw new FaultSyntaxException(text, $"no time: say when it strikes after '@'; write {Syntax}");
        }

        var target = rest[..at];
        if (target.Length == 0)
        {
            var what = descriptor.Target switch
            {
                FaultTargetKind.Service => "service",
                FaultTargetKind.Endpoint => "endpoint",
                FaultTargetKind.Region => "region",
                _ => "device URI",
            };
            throw new FaultSyntaxException(text, $"no target: name the {what} after '{word}:'");
        }

        var when = rest[(at + 1)..];
        var value = double.NaN;
        var equals = when.IndexOf('=', StringComparison.Ordinal);
        if (equals >= 0)
        {
            if (descriptor.ValueMeaning is null)
            {
                throw new FaultSyntaxException(text, $"{word} takes no value");
            }

            var valueText = when[(equals + 1)..];
            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || !double.IsFinite(value))
            {
                throw new FaultSyntaxException(text, $"value '{valueText}' is not a finite number; {word}'s value is {descriptor.ValueMeaning}");
            }

            if (FaultCatalog.ValueProblem(descriptor.Kind, value) is { } problem)
            {
                throw new FaultSyntaxException(text, $"value {valueText} {problem}: {word}'s value is {descriptor.ValueMeaning}");
            }

            when = when[..equals];
        }
        else if (descriptor.ValueRequired)
        {
            throw new FaultSyntaxException(text, $"{word} needs a value after '=': {descriptor.ValueMeaning}");
        }

        var durationNs = descriptor.DurationDefaultNs;
        var plus = when.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            if (!descriptor.Lasts)
            {
                throw new FaultSyntaxException(text, $"{word} strikes at once and takes no duration");
            }

            durationNs = FaultText.ParseDuration(when[(plus + 1)..], text, "duration");
            if (durationNs <= 0)
            {
                throw new FaultSyntaxException(text, "the duration must be longer than zero");
            }

            when = when[..plus];
        }

        var atNs = FaultText.ParseDuration(when, text, "time");
        return new FaultInjection(descriptor.Kind, target, atNs, durationNs, value);
    }

    public override string ToString()
    {
        var descriptor = Descriptor;
        var text = $"{descriptor.Word}:{Target}@{FaultText.Duration(AtNs)}";
        if (descriptor.Lasts)
        {
            text += $"+{FaultText.Duration(DurationNs)}";
        }

        return HasValue ? $"{text}={Value.ToString("R", CultureInfo.InvariantCulture)}" : text;
    }
}

/// <summary>Times in fault schedules: an integer with a unit (ns, us, ms, s, m, h), or a decimal that is a whole number of ns.</summary>
public static class FaultText
{
    private static readonly (string Unit, long Ns)[] Units =
    [
        ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
    ];

    /// <summary>The shortest exact text of <paramref name="ns"/>: 5s, 1500ms, 250us.</summary>
    public static string Duration(long ns)
    {
        if (ns == 0)
        {
            return "0s";
        }

        foreach (var (unit, size) in Units)
        {
            if (ns % size == 0)
            {
                return $"{(ns / size).ToString(CultureInfo.InvariantCulture)}{unit}";
            }
        }

        return $"{ns.ToString(CultureInfo.InvariantCulture)}ns";
    }

    /// <summary>Reads a time of <paramref name="text"/> (for the message: the whole injection, and which part this is).</summary>
    public static long ParseDuration(string part, string text, string what)
    {
        ArgumentNullException.ThrowIfNull(part);
        var unitStart = part.Length;
        while (unitStart > 0 && char.IsAsciiLetter(part[unitStart - 1]))
        {
            unitStart--;
        }

        var unit = part[unitStart..];
        var number = part[..unitStart];
        long size = 0;
        foreach (var (name, ns) in Units)
        {
            if (string.Equals(name, unit, StringComparison.Ordinal))
            {
                size = ns;
            }
        }

        if (size == 0)
        {
            throw new FaultSyntaxException(text, $"{what} '{part}' needs a unit: ns, us, ms, s, m or h (e.g. 5s, 250ms)");
        }

        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            throw new FaultSyntaxException(text, $"{what} '{part}' is not a number of {unit} at or after zero");
        }

        // Checked before multiplying: 30 digits of seconds would overflow even a decimal.
        var ns2 = amount > (long.MaxValue / 2) / size ? decimal.MaxValue : amount * size;
        if (ns2 > long.MaxValue / 2 || ns2 != decimal.Truncate(ns2))
        {
            throw new FaultSyntaxException(text, $"{what} '{part}' is not a whole number of ns below {long.MaxValue / 2 / 1_000_000_000} s");
        }

        return (long)ns2;
    }
}
