using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Neokernel.Cli.Campaigns;

/// <summary>One run as the report keeps it: enough to recompute every total and to replay it.</summary>
internal sealed record RunRecord(
    int Index,
    int Cell,
    string CellName,
    ulong Seed,
    long FaultsInjected,
    bool Passed,
    bool KernelFailed,
    bool SafetyFailed,
    int ResponsesInTime,
    int ResponsesLate,
    long RecoveryNs,
    string TraceDigest,
    string Outcome,
    string? Invariant,
    long ViolationAtNs,
    string? Violation,
    string? Replay);

/// <summary>The totals of a campaign's runs: the headline table, and the digest over every outcome.</summary>
internal sealed record CampaignTotals(
    int Runs,
    int Passed,
    long FaultsInjected,
    int KernelSurvived,
    int SafetyHeld,
    int ResponsesInTime,
    int Responses,
    int Recoveries,
    long RecoveryP50Ns,
    long RecoveryP99Ns,
    long RecoveryMaxNs,
    string ResultDigest)
{
    public static CampaignTotals Of(IReadOnlyList<RunRecord> runs)
    {
        var ordered = runs.OrderBy(r => r.Index).ToList();
        var recoveries = ordered.Where(r => r.RecoveryNs >= 0).Select(r => r.RecoveryNs).Order().ToList();
        return new CampaignTotals(
            ordered.Count,
            ordered.Count(r => r.Passed),
            ordered.Sum(r => r.FaultsInjected),
            ordered.Count(r => !r.KernelFailed),
            ordered.Count(r => !r.SafetyFailed),
            ordered.Sum(r => r.ResponsesInTime),
            ordered.Sum(r => r.ResponsesInTime + r.ResponsesLate),
            recoveries.Count,
            Percentile(recoveries, 0.50),
            Percentile(recoveries, 0.99),
            recoveries.Count == 0 ? -1 : recoveries[^1],
            CampaignRunner.ResultDigest(ordered.Select(r => r.Outcome)));
    }

    /// <summary>Nearest rank; -1 for none.</summary>
    private static long Percentile(List<long> sorted, double q) =>
        sorted.Count == 0 ? -1 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>The headline table, as Markdown (the README shows it).</summary>
    public string Table()
    {
        static string Ms(long ns) => ns < 0 ? "-" : (ns / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        var text = new StringBuilder();
        text.Append("| faults injected | runs | runs passed | kernel survived | safety invariants held | safe state reached in time | recovery p50 | recovery p99 | recovery max |\n");
        text.Append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        var responses = Responses == 0 ? "-" : $"{ResponsesInTime} of {Responses}";
        text.Append(CultureInfo.InvariantCulture, $"| {FaultsInjected} | {Runs} | {Passed} | {KernelSurvived} of {Runs} | {SafetyHeld} of {Runs} | {responses} | {Ms(RecoveryP50Ns)} | {Ms(RecoveryP99Ns)} | {Ms(RecoveryMaxNs)} |\n");
        return text.ToString();
    }
}

/// <summary>The machine-readable result (result.json) of a campaign or of one shard of it, and its reading back for merge.</summary>
internal static class CampaignReport
{
    public const string ResultFile = "result.json";
    public const int FormatVersion = 1;

    public static RunRecord Record(RunResult result, CampaignRunner runner) => new(
        result.Index,
        result.Cell,
        runner.Cells[result.Cell].Name,
        result.Seed,
        result.FaultsInjected,
        result.Passed,
        result.KernelFailed,
        result.SafetyFailed,
        result.ResponsesInTime,
        result.ResponsesLate,
        result.RecoveryNs,
        result.TraceDigest,
        result.Outcome,
        result.Violation?.Invariant.Name,
        result.Violation?.AtNs ?? -1,
        result.Violation?.Text,
        result.Passed ? null : runner.ReplayCommand(result));

    /// <summary>Writes result.json into <paramref name="directory"/>: the totals, and every run (shards are merged from these).</summary>
    public static void Write(string directory, CampaignSpec campaign, string shard, int runsInMatrix, IReadOnlyList<RunRecord> runs)
    {
        Directory.CreateDirectory(directory);
        var totals = CampaignTotals.Of(runs);
        using var stream = File.Create(Path.Combine(directory, ResultFile));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("format", FormatVersion);
        json.WriteString("campaign", campaign.Name);
        json.WriteString("file", campaign.SourceFile);
        json.WriteString("system", campaign.SystemPath);
        json.WriteNumber("durationNs", campaign.DurationNs);
        json.WriteNumber("seeds", campaign.Seeds.Count);
        json.WriteNumber("runsInMatrix", runsInMatrix);
        json.WriteString("shard", shard);
        json.WriteNumber("runs", totals.Runs);
        json.WriteNumber("runsPassed", totals.Passed);
        json.WriteNumber("faultsInjected", totals.FaultsInjected);
        json.WriteNumber("kernelSurvived", totals.KernelSurvived);
        json.WriteNumber("safetyHeld", totals.SafetyHeld);
        json.WriteNumber("safeStateInTime", totals.ResponsesInTime);
        json.WriteNumber("safeStateResponses", totals.Responses);
        json.WriteStartObject("recoveryNs");
        json.WriteNumber("count", totals.Recoveries);
        json.WriteNumber("p50", totals.RecoveryP50Ns);
        json.WriteNumber("p99", totals.RecoveryP99Ns);
        json.WriteNumber("max", totals.RecoveryMaxNs);
        json.WriteEndObject();
        json.WriteString("resultDigest", totals.ResultDigest);
        json.WriteStartArray("runList");
        foreach (var run in runs.OrderBy(r => r.Index))
        {
            json.WriteStartObject();
            json.WriteNumber("index", run.Index);
            json.WriteNumber("cell", run.Cell);
            json.WriteString("cellName", run.CellName);
            json.WriteNumber("seed", run.Seed);
            json.WriteNumber("faultsInjected", run.FaultsInjected);
            json.WriteBoolean("passed", run.Passed);
            json.WriteBoolean("kernelFailed", run.KernelFailed);
            json.WriteBoolean("safetyFailed", run.SafetyFailed);
            json.WriteNumber("safeStateInTime", run.ResponsesInTime);
            json.WriteNumber("safeStateLate", run.ResponsesLate);
            json.WriteNumber("recoveryNs", run.RecoveryNs);
            json.WriteString("traceDigest", run.TraceDigest);
            json.WriteString("outcome", run.Outcome);
            if (!run.Passed)
            {
                json.WriteString("invariant", run.Invariant);
                json.WriteNumber("violationAtNs", run.ViolationAtNs);
                json.WriteString("violation", run.Violation);
                json.WriteString("replay", run.Replay);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The header fields and runs of a result.json, for merge; throws <see cref="UsageException"/> naming the file when it is not one.</summary>
    public static (string Campaign, string File, string System, long DurationNs, int Seeds, int RunsInMatrix, IReadOnlyList<RunRecord> Runs) Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.GetProperty("format").GetInt32() != FormatVersion)
            {
                throw new UsageException($"{path}: result format {root.GetProperty("format").GetInt32()}, this neokernel reads {FormatVersion}");
            }

            var runs = new List<RunRecord>();
            foreach (var run in root.GetProperty("runList").EnumerateArray())
            {
                var passed = run.GetProperty("passed").GetBoolean();
                runs.Add(new RunRecord(
                    run.GetProperty("index").GetInt32(),
                    run.GetProperty("cell").GetInt32(),
                    run.GetProperty("cellName").GetString()!,
                    run.GetProperty("seed").GetUInt64(),
                    run.GetProperty("faultsInjected").GetInt64(),
                    passed,
                    run.GetProperty("kernelFailed").GetBoolean(),
                    run.GetProperty("safetyFailed").GetBoolean(),
                    run.GetProperty("safeStateInTime").GetInt32(),
                    run.GetProperty("safeStateLate").GetInt32(),
                    run.GetProperty("recoveryNs").GetInt64(),
                    run.GetProperty("traceDigest").GetString()!,
                    run.GetProperty("outcome").GetString()!,
                    passed ? null : run.GetProperty("invariant").GetString(),
                    passed ? -1 : run.GetProperty("violationAtNs").GetInt64(),
                    passed ? null : run.GetProperty("violation").GetString(),
                    passed ? null : run.GetProperty("replay").GetString()));
            }

            return (root.GetProperty("campaign").GetString()!, root.GetProperty("file").GetString()!, root.GetProperty("system").GetString()!,
                root.GetProperty("durationNs").GetInt64(), root.GetProperty("seeds").GetInt32(), root.GetProperty("runsInMatrix").GetInt32(), runs);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: not a campaign result ({exception.Message}); give the directories campaign run --out wrote");
        }
    }
}
