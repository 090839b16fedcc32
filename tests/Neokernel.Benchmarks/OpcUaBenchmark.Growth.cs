namespace Neokernel.Benchmarks;

/// <summary>A gateway-bench system of the growth table: how many points its gateway serves, and its file.</summary>
internal sealed record GrowthSystem(int Points, string Path);

/// <summary>
/// The growth row of issue 9: our gateway alone (the anchor's script serves one size), serving
/// 1,000, 10,000 and 100,000 points in turn, each measured the same way: its memory after start,
/// reads of <see cref="ReadBatch"/> nodes walking round all of its points with one request
/// outstanding, and a client browsing the whole Regions tree again and again. A server whose
/// reads or browses slow down as its node count grows shows it here; the target is within 10 %.
/// </summary>
internal static partial class OpcUaBenchmark
{
    public const double BrowseSeconds = 3;
    public const double GrowthTolerancePercent = 10;

    /// <summary>The systems from smallest to largest; the middle one is the one the other rows measure, started again for this table.</summary>
    public static readonly GrowthSystem[] GrowthSystems =
    [
        new(1_000, Path.Combine("manifests", "systems", "gateway-bench-1k.yaml")),
        new(10_000, Path.Combine("manifests", "systems", "gateway-bench.yaml")),
        new(100_000, Path.Combine("manifests", "systems", "gateway-bench-100k.yaml")),
    ];

    /// <summary>Starts our gateway on <paramref name="system"/>, measures its growth figures, and stops it.</summary>
    private static OpcUaServerRuns StartAndMeasureGrowth(string neokernelBinary, GrowthSystem system, int repetitions, List<string> notes)
    {
        using var ours = StartOurs(neokernelBinary, system.Path, notes);
        if (ours is null)
        {
            var missing = GrowthRuns(system, 0);
            missing.Failures.Add("did not start (see above)");
            return missing;
        }

        return MeasureGrowth(system, ours, repetitions);
    }

    /// <summary>Memory after start, <paramref name="repetitions"/> read runs, one browse run; figures into a column named by the point count.</summary>
    private static OpcUaServerRuns MeasureGrowth(GrowthSystem system, GatewayRun ours, int repetitions)
    {
        var run = GrowthRuns(system, ours.GatewayProcessId);
        AddResident(run, OpcUaFigure.ResidentMbIdle, "VmRSS");
        for (var repetition = 0; repetition < repetitions; repetition++)
        {
            MeasureReads(run, 1, (OpcUaFigure.ReadsPerSecond1, OpcUaFigure.ReadP50Ms1, OpcUaFigure.ReadP99Ms1, OpcUaFigure.ServerCpuPercent1));
            AddCost(run, OpcUaFigure.ServerCpuUsPerRead, OpcUaFigure.ServerCpuPercent1, OpcUaFigure.ReadsPerSecond1, 1);
        }

        Attempt(run, OpcUaFigure.BrowseServerCpuPercent, "browse", ["--root", "/Objects/Regions", "--seconds", Inv($"{BrowseSeconds}")], browse =>
        {
            run.Add(OpcUaFigure.BrowseRequestP50Ms, browse.GetProperty("requestP50Ms").GetDouble());
            run.Add(OpcUaFigure.BrowseReferencesPerSecond, browse.GetProperty("referencesPerSecond").GetDouble());
            run.Add(OpcUaFigure.BrowseWalkMs, browse.GetProperty("walkMsMedian").GetDouble());
            run.Add(OpcUaFigure.BrowseVariables, browse.GetProperty("variables").GetDouble());
            AddCost(run, OpcUaFigure.ServerCpuUsPerThousandReferences, OpcUaFigure.BrowseServerCpuPercent, OpcUaFigure.BrowseReferencesPerSecond, 1000);
            return Inv($"browse of {browse.GetProperty("variables").GetInt32():N0} points: {browse.GetProperty("walks").GetInt32()} walks of {browse.GetProperty("walkMsMedian").GetDouble():F0} ms, {browse.GetProperty("referencesPerSecond").GetDouble():F0} references/s, a request p50 {browse.GetProperty("requestP50Ms").GetDouble():F2} ms");
        });
        return run;
    }

    /// <summary>
    /// The server's CPU time per <paramref name="per"/> operations, in µs, from the last samples of
    /// its CPU share and the rate: what the server itself spends, whoever bounds the rate (here the
    /// client, node-opcua on Node.js, which takes most of both cores' time in every run).
    /// </summary>
    private static void AddCost(OpcUaServerRuns run, OpcUaFigure cost, OpcUaFigure cpuPercent, OpcUaFigure rate, int per)
    {
        if (run.Samples.TryGetValue(cpuPercent, out var cpu) && run.Samples.TryGetValue(rate, out var rates) && cpu.Count == rates.Count && rates[^1] > 0)
        {
            run.Add(cost, cpu[^1] / 100 * 1e6 * per / rates[^1]);
        }
    }

    private static OpcUaServerRuns GrowthRuns(GrowthSystem system, int processId) =>
        new(new OpcUaServer(Inv($"{system.Points:N0} points"), GatewayRun.Endpoint, OurNodes, processId));
}
