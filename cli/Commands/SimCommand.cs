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
        var invariantsPath = line.Option("invariants");
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

        if (invariantsPath is not null)
        {
            if (failOnFault)
            {
                throw new UsageException("--invariants judges the run by a campaign's invariants, --fail-on-fault by its first fault: give one");
            }

            return WithInvariants(invariantsPath, system, catalog, seed, durationNs, faults, files, output, error, cancellation);
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

    /// <summary>
    /// A run judged by a campaign's invariants, as the campaign's run of this seed and schedule
    /// was (the same procedure, sample by sample, to the end): what a campaign's replay command runs.
    /// </summary>
    private static int WithInvariants(string campaignPath, SystemDefinition system, Kernel.Services.ProgramCatalog catalog, ulong seed, long durationNs, FaultSchedule? faults, OutputFiles files, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var (campaign, _, diagnostics) = Campaigns.CampaignReader.Load(campaignPath, catalog);
        if (campaign is null)
        {
            error.WriteLine(ManifestReport.Format(diagnostics).TrimEnd());
            return 1;
        }

        var wall = System.Diagnostics.Stopwatch.StartNew();
        var schedule = faults ?? FaultSchedule.Empty;
        var (checker, session, recovery, _) = Campaigns.CampaignRunner.Check(system, catalog, campaign, seed, schedule, cancellation, durationNs);
        session.WriteSummary(output, new SimulationOutcome(session.Platform.NowNs, wall.Elapsed.TotalSeconds, null, 0), seed);
        session.Kernel.Shutdown();
        if (!WriteTraces(session.Kernel.Trace, files, output, error))
        {
            return FaultWatch.ExitViolation;
        }

        if (checker.First is { } violation)
        {
            error.WriteLine($"campaign invariant violated at {Format.Seconds(violation.AtNs)}: {violation.Invariant.Name}: {violation.Text}");
            return FaultWatch.ExitViolation;
        }

        output.WriteLine($"campaign invariants held: {campaign.Invariants.Count} of {campaign.Name}{(recovery >= 0 ? $"; recovery {Format.Millis(recovery)}" : "")}");
        return FaultWatch.ExitSound;
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
