using System.Diagnostics;
using System.Globalization;
using Neokernel.Cli.Campaigns;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Cli.Commands;

/// <summary><c>neokernel campaign run|merge</c>: fault campaigns on virtual time.</summary>
internal static class CampaignCommand
{
    /// <summary>Failing runs printed in full; the rest are in result.json.</summary>
    private const int FailuresShown = 20;

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var rest = args.Skip(1).ToArray();
        return args.Count == 0
            ? throw new UsageException("campaign takes run or merge, e.g. neokernel campaign run campaigns/tank-faults.yaml")
            : args[0] switch
            {
                "run" => Run(rest, output, error, cancellation),
                "merge" => Merge(rest, output, cancellation),
                "shrink" => Shrink(rest, output, error, cancellation),
                _ => throw new UsageException($"unknown campaign command '{args[0]}'; known: run, merge, shrink"),
            };
    }

    private static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var line = CommandLine.Parse(args, "progress");
        var path = line.Positional.Count == 1 ? line.Positional[0] : throw new UsageException("campaign run takes one campaign file, e.g. neokernel campaign run campaigns/tank-faults.yaml");
        var outDirectory = line.Option("out");
        var jobs = Jobs(line.Option("jobs"));
        var (shard, shards) = Shard(line.Option("shard"));
        var progress = line.Flag("progress") || (ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected);
        line.RejectUnknown();

        var catalog = Composition.Catalog();
        var (campaign, system, diagnostics) = CampaignReader.Load(path, catalog);
        if (campaign is null || system is null)
        {
            error.WriteLine(ManifestReport.Format(diagnostics).TrimEnd());
            return 1;
        }

        var runner = new CampaignRunner(campaign, system, catalog);
        var indexes = runner.Shard(shard, shards);
        var shardText = shards == 1 ? "all" : $"{shard}/{shards}";
        output.WriteLine($"campaign {campaign.Name}: {runner.Cells.Count} cells x {campaign.Seeds.Count} seeds = {runner.RunCount} runs of system {system.Spec.Name}, {Format.Duration(campaign.DurationNs)} each{(shards == 1 ? "" : $"; shard {shardText}: {indexes.Count} runs")}, on {jobs} threads");
        var wall = Stopwatch.StartNew();
        using var meter = progress ? new ProgressLine(error, indexes.Count) : null;
        var results = runner.Run(indexes, jobs, meter is null ? null : meter.Done, cancellation);
        meter?.Finish();
        if (cancellation.IsCancellationRequested)
        {
            error.WriteLine("neokernel: campaign stopped before its end; no result written");
            return 1;
        }

        var records = results.Select(r => CampaignReport.Record(r, runner)).ToList();
        var totals = CampaignTotals.Of(records);
        output.Write(totals.Table());
        WriteFailures(output, records);
        var simulated = results.Count * (campaign.DurationNs / 1e9);
        var seconds = wall.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall {seconds:0.0} s: {simulated / seconds:0} simulated s per wall s, {totals.FaultsInjected / seconds:0} faults per wall s ({totals.FaultsInjected / seconds * 3600:0} per hour)"));
        output.WriteLine($"result digest: {totals.ResultDigest}");
        if (outDirectory is not null)
        {
            CampaignReport.Write(outDirectory, campaign, shardText, runner.RunCount, records);
            output.WriteLine($"result written to {Path.Combine(outDirectory, CampaignReport.ResultFile)}");
            CampaignHtmlReport.Write(outDirectory, campaign, system, catalog, runner.RunCount, records, jobs, cancellation);
            output.WriteLine($"report written to {Path.Combine(outDirectory, CampaignHtmlReport.ReportFile)}");
        }

        return totals.Passed == totals.Runs ? 0 : 1;
    }

    private static int Merge(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellation)
    {
        var line = CommandLine.Parse(args);
        var outDirectory = line.Option("out") ?? throw new UsageException("campaign merge needs --out DIR, e.g. neokernel campaign merge shard-0 shard-1 --out merged");
        line.RejectUnknown();
        if (line.Positional.Count == 0)
        {
            throw new UsageException("campaign merge takes the directories of the shards' results, e.g. neokernel campaign merge shard-0 shard-1 --out merged");
        }

        var shards = line.Positional.Select(d => (Directory: d, Result: CampaignReport.Read(Path.Combine(d, CampaignReport.ResultFile)))).ToList();
        var first = shards[0].Result;
        foreach (var (directory, result) in shards.Skip(1))
        {
            if (result.Campaign != first.Campaign || result.File != first.File || result.RunsInMatrix != first.RunsInMatrix || result.DurationNs != first.DurationNs)
            {
                throw new UsageException($"{directory}: a shard of campaign '{result.Campaign}' ({result.RunsInMatrix} runs), not of '{first.Campaign}' ({first.RunsInMatrix} runs) as {shards[0].Directory} is");
            }
        }

        var runs = shards.SelectMany(s => s.Result.Runs).ToList();
        var duplicate = runs.GroupBy(r => r.Index).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new UsageException($"run {duplicate.Key} is in more than one shard; merge each shard once");
        }

        if (runs.Count != first.RunsInMatrix)
        {
            var missing = Enumerable.Range(0, first.RunsInMatrix).Except(runs.Select(r => r.Index)).Take(5);
            throw new UsageException($"the shards hold {runs.Count} of the {first.RunsInMatrix} runs (missing runs {string.Join(", ", missing)}…); merge every shard");
        }

        var catalog = Composition.Catalog();
        var (campaign, system, diagnostics) = CampaignReader.Load(first.File, catalog);
        if (campaign is null || system is null)
        {
            throw new UsageException($"the shards' campaign file {first.File} no longer reads: {(diagnostics.Count > 0 ? diagnostics[0] : "")}");
        }

        var totals = CampaignTotals.Of(runs);
        output.WriteLine($"campaign {first.Campaign}: {shards.Count} shards merged, {runs.Count} runs");
        output.Write(totals.Table());
        WriteFailures(output, runs);
        output.WriteLine($"result digest: {totals.ResultDigest}");
        CampaignReport.Write(outDirectory, campaign, "all", first.RunsInMatrix, runs);
        output.WriteLine($"result written to {Path.Combine(outDirectory, CampaignReport.ResultFile)}");
        CampaignHtmlReport.Write(outDirectory, campaign, system, catalog, first.RunsInMatrix, runs, Environment.ProcessorCount, cancellation);
        output.WriteLine($"report written to {Path.Combine(outDirectory, CampaignHtmlReport.ReportFile)}");
        return totals.Passed == totals.Runs ? 0 : 1;
    }

    /// <summary>
    /// <c>campaign shrink FILE --run N</c> (a run of the matrix) or <c>--seed S --faults LIST</c> (a
    /// replay's): the smallest schedule that still fails the same invariant, and its replay command.
    /// </summary>
    private static int Shrink(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var line = CommandLine.Parse(args);
        var path = line.Positional.Count == 1 ? line.Positional[0] : throw new UsageException("campaign shrink takes one campaign file and --run N, or --seed S --faults LIST");
        var runText = line.Option("run");
        var seedText = line.Option("seed");
        var faultsText = line.Option("faults");
        line.RejectUnknown();
        if (runText is null ? seedText is null || faultsText is null : seedText is not null || faultsText is not null)
        {
            throw new UsageException("campaign shrink needs --run N (a run of the campaign's matrix), or --seed S and --faults LIST (as a replay command gives them), not both");
        }

        var catalog = Composition.Catalog();
        var (campaign, system, diagnostics) = CampaignReader.Load(path, catalog);
        if (campaign is null || system is null)
        {
            error.WriteLine(ManifestReport.Format(diagnostics).TrimEnd());
            return 1;
        }

        var runner = new CampaignRunner(campaign, system, catalog);
        ulong seed;
        Rt.Faults.FaultSchedule schedule;
        if (runText is not null)
        {
            if (!int.TryParse(runText, NumberStyles.None, CultureInfo.InvariantCulture, out var run) || run >= runner.RunCount)
            {
                throw new UsageException($"--run {runText}: the campaign's runs are 0 to {runner.RunCount - 1}");
            }

            (_, seed, schedule) = runner.RunAt(run);
        }
        else
        {
            seed = ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : throw new UsageException($"--seed {seedText}: not a seed");
            schedule = SimCommand.ParseFaults(faultsText) ?? Rt.Faults.FaultSchedule.Empty;
            SimCommand.CheckFaults(schedule, system);
        }

        var shrinker = new Shrinker(campaign, system, catalog, seed);
        if (shrinker.Failure(schedule, cancellation) is not { } failure)
        {
            output.WriteLine($"the run passes every invariant of {campaign.Name} on seed {seed}: nothing to shrink");
            return 0;
        }

        output.WriteLine($"the run fails '{failure.Invariant.Name}' at {Format.Seconds(failure.AtNs)}: {failure.Text}");
        var minimal = shrinker.Shrink(schedule, failure.Invariant.Name, cancellation);
        output.WriteLine($"shrunk from {schedule.Count} injections to {minimal.Count} in {shrinker.Runs} runs{(shrinker.Exhausted ? $" (stopped at {Shrinker.RunsMax} runs: smaller may exist)" : "")}: {minimal}");
        output.WriteLine($"replay: {SimCommand.ReplayCommand(campaign.SystemPath, seed, campaign.DurationNs, minimal, failOnFault: false)} --invariants {campaign.SourceFile}");
        return 1;
    }

    private static void WriteFailures(TextWriter output, List<RunRecord> records)
    {
        var failing = records.Where(r => !r.Passed).OrderBy(r => r.Index).ToList();
        if (failing.Count == 0)
        {
            return;
        }

        output.WriteLine($"failing runs: {failing.Count}{(failing.Count > FailuresShown ? $" (the first {FailuresShown}; all in result.json)" : "")}");
        foreach (var run in failing.Take(FailuresShown))
        {
            output.WriteLine($"  run {run.Index} ({run.CellName}, seed {run.Seed}): {run.Invariant} at {Format.Seconds(run.ViolationAtNs)}: {run.Violation}");
            output.WriteLine($"    replay: {run.Replay}");
        }
    }

    private static int Jobs(string? text)
    {
        if (text is null)
        {
            return Environment.ProcessorCount;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var jobs) && jobs is >= 1 and <= 1024
            ? jobs
            : throw new UsageException($"--jobs {text}: not a thread count; give 1 to 1024 (default: the cores, {Environment.ProcessorCount})");
    }

    /// <summary>--shard i/n: i from 0.</summary>
    internal static (int Shard, int Shards) Shard(string? text)
    {
        if (text is null)
        {
            return (0, 1);
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0
            && int.TryParse(text[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var shard)
            && int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var shards)
            && shards is >= 1 and <= 100_000 && shard < shards)
        {
            return (shard, shards);
        }

        throw new UsageException($"--shard {text}: write i/n with i from 0 to n-1, e.g. --shard 0/4 (a Slurm array task: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
    }

    /// <summary>A one-line progress bar with an ETA on standard error, redrawn at most twice a second.</summary>
    private sealed class ProgressLine(TextWriter error, int total) : IDisposable
    {
        private readonly Stopwatch wall = Stopwatch.StartNew();
        private readonly Lock gate = new();
        private int done;
        private long faults;
        private long lastDrawMs = -1000;

        public void Done(RunResult result)
        {
            lock (gate)
            {
                done++;
                faults += result.FaultsInjected;
                if (wall.ElapsedMilliseconds - lastDrawMs >= 500 || done == total)
                {
                    lastDrawMs = wall.ElapsedMilliseconds;
                    Draw();
                }
            }
        }

        private void Draw()
        {
            const int width = 30;
            var filled = total == 0 ? width : done * width / total;
            var elapsed = wall.Elapsed.TotalSeconds;
            var eta = done == 0 ? "?" : $"{elapsed / done * (total - done):0} s";
            error.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} runs, {faults} faults, {elapsed:0} s, ETA {eta}  "));
        }

        public void Finish()
        {
            lock (gate)
            {
                error.WriteLine();
            }
        }

        public void Dispose()
        {
        }
    }
}
