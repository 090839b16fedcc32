using System.Diagnostics;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Campaigns;

/// <summary>The outcome of one run of a campaign: a cell on a seed.</summary>
internal sealed record RunResult(
    int Index,
    int Cell,
    ulong Seed,
    FaultSchedule Schedule,
    long FaultsInjected,
    Violation? Violation,
    bool KernelFailed,
    bool SafetyFailed,
    int ResponsesInTime,
    int ResponsesLate,
    long RecoveryNs,
    string TraceDigest,
    double WallSeconds)
{
    public bool Passed => Violation is null;

    /// <summary>What the result digest covers of this run: its place, seed, outcome and trace digest.</summary>
    public string Outcome => $"{Index}|{Cell}|{Seed}|{FaultsInjected}|{(Passed ? "pass" : $"fail|{Violation!.Invariant.Name}|{Violation.AtNs}|{Violation.Text}")}|{RecoveryNs}|{TraceDigest}";
}

/// <summary>A run of the matrix: which runs (all, or one shard's), in one process on all cores.</summary>
internal sealed class CampaignRunner(CampaignSpec campaign, SystemDefinition system, ProgramCatalog catalog)
{
    public IReadOnlyList<CampaignCell> Cells { get; } = campaign.Cells();

    /// <summary>Runs in the matrix: cells × seeds, numbered cell-major (run = cell × seeds + seed's place).</summary>
    public int RunCount => Cells.Count * campaign.Seeds.Count;

    /// <summary>The indexes of shard <paramref name="shard"/> of <paramref name="shards"/>: every n-th run from i, so each shard gets a like mix of cells.</summary>
    public IReadOnlyList<int> Shard(int shard, int shards) =>
        [.. Enumerable.Range(0, RunCount).Where(i => i % shards == shard)];

    /// <summary>Runs <paramref name="indexes"/> on <paramref name="jobs"/> threads; each run is deterministic, and the results come back in index order.</summary>
    public IReadOnlyList<RunResult> Run(IReadOnlyList<int> indexes, int jobs, Action<RunResult>? onDone, CancellationToken cancellation)
    {
        var results = new RunResult?[indexes.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs), CancellationToken = cancellation };
        Parallel.For(0, indexes.Count, options, i =>
        {
            var result = RunOne(indexes[i], cancellation);
            results[i] = result;
            onDone?.Invoke(result);
        });
        return [.. results.Select(r => r!)];
    }

    /// <summary>Run <paramref name="index"/> of the matrix: its cell, its seed and the schedule the cell has on that seed.</summary>
    public (CampaignCell Cell, ulong Seed, FaultSchedule Schedule) RunAt(int index)
    {
        var cell = Cells[index / campaign.Seeds.Count];
        var seed = campaign.Seeds[index % campaign.Seeds.Count];
        return (cell, seed, cell.Schedule(seed));
    }

    public RunResult RunOne(int index, CancellationToken cancellation = default)
    {
        var (cell, seed, schedule) = RunAt(index);
        var wall = Stopwatch.StartNew();
        var (checker, session, recovery, digest) = Check(system, catalog, campaign, seed, schedule, cancellation);
        session.Kernel.Shutdown();
        return new RunResult(
            index, cell.Index, seed, schedule, session.Faults?.Injected ?? 0, checker.First, checker.KernelFailed, checker.SafetyFailed,
            checker.ResponsesInTime, checker.ResponsesLate, recovery, digest, wall.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Runs <paramref name="system"/> on <paramref name="seed"/> with <paramref name="schedule"/> for
    /// the campaign's duration, checking its invariants at each sample, to the end: the one
    /// procedure both a campaign's run and <c>sim --invariants</c> use, so a replay sees what the campaign saw.
    /// <paramref name="onSample"/>, when given, looks at the session after each sample's check (the
    /// report's recorder); it must only read, so the run stays the one the campaign saw.
    /// </summary>
    public static (RunChecker Checker, SimulationSession Session, long RecoveryNs, string TraceDigest) Check(
        SystemDefinition system, ProgramCatalog catalog, CampaignSpec campaign, ulong seed, FaultSchedule schedule, CancellationToken cancellation, long? durationNs = null,
        Action<SimulationSession, long>? onSample = null)
    {
        var session = SimulationSession.Boot(system, catalog, seed, null, schedule);
        var checker = new RunChecker(session.Kernel, session.TrueDevices, campaign.Invariants, RunChecker.LastEnd(schedule));
        var endNs = durationNs ?? campaign.DurationNs;
        var kernelAlive = true;
        for (var t = campaign.SampleNs; t <= endNs && !cancellation.IsCancellationRequested; t += campaign.SampleNs)
        {
            if (kernelAlive)
            {
                try
                {
                    session.Platform.RunUntil(t, cancellation);
                }
                catch (Exception exception)
                {
                    checker.KernelThrew(session.Platform.NowNs, exception);
                    kernelAlive = false;
                    break;
                }
            }

            checker.Sample(t);
            onSample?.Invoke(session, t);
        }

        var recovery = checker.Finish(endNs);

        // The digest of the run as sim prints it: before the shutdown's events (the caller shuts down).
        return (checker, session, recovery, session.Kernel.Trace.DigestHex);
    }

    /// <summary>The command that replays run <paramref name="result"/>: its seed and schedule, and the campaign's invariants to judge it.</summary>
    public string ReplayCommand(RunResult result) =>
        $"{Commands.SimCommand.ReplayCommand(campaign.SystemPath, result.Seed, campaign.DurationNs, result.Schedule, failOnFault: false)} --invariants {campaign.SourceFile}";

    /// <summary>The digest over every run's outcome, in run order: equal for equal campaigns, however they were spread.</summary>
    public static string ResultDigest(IEnumerable<string> outcomes)
    {
        var h = StableHash.FnvOffset;
        foreach (var outcome in outcomes)
        {
            h = StableHash.Mix(h, StableHash.Fnv1a64(outcome));
        }

        return h.ToString("x16");
    }
}
