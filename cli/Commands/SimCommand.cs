using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Commands;

/// <summary><c>neokernel sim</c>: a system on virtual time from one seed.</summary>
internal static class SimCommand
{
    public const long DurationDefaultNs = 60_000_000_000;

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var line = CommandLine.Parse(args, "fail-on-fault");
        var path = SinglePath(line, "sim");
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(path, catalog, error);
        var seed = line.Seed(system?.Spec.Seed ?? 1);
        var durationNs = line.DurationNs() ?? DurationDefaultNs;
        var failOnFault = line.Flag("fail-on-fault");
        var jsonl = line.Option("trace-jsonl");
        var chrome = line.Option("trace-chrome");
        var faultsText = line.Option("faults");
        line.RejectUnknown();
        var faults = ParseFaults(faultsText);
        if (system is null)
        {
            return 1;
        }

        CheckFaults(faults, system);

        using var files = OutputFiles.Open(jsonl, chrome, null, error);
        if (files is null)
        {
            return FaultWatch.ExitViolation;
        }

        var session = SimulationSession.Boot(system, catalog, seed, error, faults);
        var outcome = session.Run(durationNs, failOnFault, cancellation);
        session.WriteSummary(output, outcome, seed);
        session.Kernel.Shutdown();
        if (!WriteTraces(session.Kernel.Trace, files, output, error))
        {
            return FaultWatch.ExitViolation;
        }

        if (outcome.Violation is null)
        {
            return new FaultWatch(session.Kernel, failOnFault).EndCode(error);
        }

        error.WriteLine($"invariant violated at {Format.Seconds(outcome.ViolationAtNs)}: {outcome.Violation}");
        error.WriteLine($"reproduce: {ReplayCommand(path, seed, durationNs, faults, failOnFault)}");
        return FaultWatch.ExitViolation;
    }

    /// <summary>The one command that replays a run bit for bit: the system, the seed, the duration and the fault schedule.</summary>
    public static string ReplayCommand(string path, ulong seed, long durationNs, FaultSchedule? faults, bool failOnFault)
    {
        var schedule = faults is { Count: > 0 } ? $" --faults '{faults}'" : "";
        return $"neokernel sim {path} --seed {seed} --duration {Format.Duration(durationNs)}{schedule}{(failOnFault ? " --fail-on-fault" : "")}";
    }

    /// <summary>The --faults option's schedule, or null when not given; a usage error names the injection that is wrong.</summary>
    internal static FaultSchedule? ParseFaults(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return FaultSchedule.Parse(text);
        }
        catch (FaultSyntaxException exception)
        {
            throw new UsageException($"--faults: {exception.Message}; see docs/FAULTS.md");
        }
    }

    internal static void CheckFaults(FaultSchedule? faults, SystemDefinition system)
    {
        if (faults is not null && faults.Check(system) is { Count: > 0 } problems)
        {
            throw new UsageException($"--faults: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? $" (and {problems.Count - 5} more)" : "")}");
        }
    }

    internal static string SinglePath(CommandLine line, string command)
    {
        if (line.Positional.Count != 1)
        {
            throw new UsageException($"{command} takes one system manifest, e.g. neokernel {command} manifests/systems/tank-demo.yaml");
        }

        return line.Positional[0];
    }

    /// <summary>The trace exports both sim and run offer, into the files opened before the run; false when a write failed (said on <paramref name="error"/>).</summary>
    internal static bool WriteTraces(KernelTrace trace, OutputFiles files, TextWriter output, TextWriter error)
    {
        var written = OutputFiles.TryWrite(files.TraceJsonl, stream => WriteJsonLines(trace, stream), error);
        if (written && files.TraceJsonl is { } jsonl)
        {
            output.WriteLine($"trace written as JSON lines to {jsonl.Path}");
        }

        var chromeWritten = OutputFiles.TryWrite(files.TraceChrome, trace.WriteChromeTrace, error);
        if (chromeWritten && files.TraceChrome is { } chrome)
        {
            output.WriteLine($"trace written as Chrome/Perfetto JSON to {chrome.Path} (open in ui.perfetto.dev or chrome://tracing)");
        }

        return written && chromeWritten;
    }

    private static void WriteJsonLines(KernelTrace trace, Stream stream)
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        trace.WriteJsonLines(writer);
    }
}
