using Neokernel.Kernel.Trace;

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
        line.RejectUnknown();
        if (system is null)
        {
            return 1;
        }

        var session = SimulationSession.Boot(system, catalog, seed);
        var outcome = session.Run(durationNs, failOnFault, cancellation);
        session.WriteSummary(output, outcome, seed);
        session.Kernel.Shutdown();
        WriteTraces(session.Kernel.Trace, jsonl, chrome, output);
        if (outcome.Violation is null)
        {
            return 0;
        }

        error.WriteLine($"invariant violated at {Format.Seconds(outcome.ViolationAtNs)}: {outcome.Violation}");
        error.WriteLine($"reproduce: neokernel sim {path} --seed {seed} --duration {Format.Duration(durationNs)}{(failOnFault ? " --fail-on-fault" : "")}");
        return 1;
    }

    internal static string SinglePath(CommandLine line, string command)
    {
        if (line.Positional.Count != 1)
        {
            throw new UsageException($"{command} takes one system manifest, e.g. neokernel {command} manifests/systems/tank-demo.yaml");
        }

        return line.Positional[0];
    }

    /// <summary>The trace exports both sim and run offer.</summary>
    internal static void WriteTraces(KernelTrace trace, string? jsonl, string? chrome, TextWriter output)
    {
        if (jsonl is not null)
        {
            using var writer = new StreamWriter(jsonl);
            trace.WriteJsonLines(writer);
            output.WriteLine($"trace written as JSON lines to {jsonl}");
        }

        if (chrome is not null)
        {
            using var stream = File.Create(chrome);
            trace.WriteChromeTrace(stream);
            output.WriteLine($"trace written as Chrome/Perfetto JSON to {chrome} (open in ui.perfetto.dev or chrome://tracing)");
        }
    }
}
