using System.Globalization;
using System.Text;
using System.Text.Json;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Benchmarks;

/// <summary>
/// One OPC UA server the benchmark measures: its column's name, its endpoint, the browse path of
/// its 10,000 points (what bench.mjs reads and subscribes to), and its process (for CPU and memory).
/// </summary>
internal sealed record OpcUaServer(string Name, string Endpoint, string NodesPattern, int ProcessId);

/// <summary>What the OPC UA benchmark reports for each server, one sample per repetition.</summary>
internal enum OpcUaFigure
{
    ReadsPerSecond1,
    ReadP50Ms1,
    ReadP99Ms1,
    ServerCpuPercent1,
    ReadsPerSecond4,
    ReadP50Ms4,
    ReadP99Ms4,
    ServerCpuPercent4,
    NotificationsPerSecond,
    MissedMessages,
    Overflows,
    DeliveredPercent,
    ServerCpuPercentNotifications,
    ResidentMbIdle,
    ResidentMbPeak,
    ScaleNotificationsPerSecond,
    ScalePerSessionMin,
    ScaleMissedMessages,
    ScaleOverflows,
    ScaleReadP50Ms,
    ScaleReadP99Ms,
    ScaleServerCpuPercent,
    CyclictestIdleP99Us,
    CyclictestLoadedP99Us,
    CyclictestLoadedMaxUs,
    ResidentMbPeakScale,
    BrowseRequestP50Ms,
    BrowseReferencesPerSecond,
    BrowseWalkMs,
    BrowseVariables,
    BrowseServerCpuPercent,
    ServerCpuUsPerRead,
    ServerCpuUsPerThousandReferences,
}

/// <summary>One server's samples of every figure, and what failed along the way.</summary>
internal sealed class OpcUaServerRuns(OpcUaServer server)
{
    public OpcUaServer Server { get; } = server;

    public Dictionary<OpcUaFigure, List<double>> Samples { get; } = [];

    public List<string> Failures { get; } = [];

    public double? Median(OpcUaFigure figure) => Samples.TryGetValue(figure, out var values) && values.Count > 0 ? Stats.Median(values) : null;

    public void Add(OpcUaFigure figure, double value)
    {
        if (!Samples.TryGetValue(figure, out var values))
        {
            Samples[figure] = values = [];
        }

        values.Add(value);
    }
}

/// <summary>
/// The section's measurements: one column per server (the anchor first), our gateway at each node
/// count of the growth table, and what kept a part from being measured; <see cref="NotMeasured"/>
/// says why there is nothing at all.
/// </summary>
internal sealed record OpcUaResult(int Points, int Repetitions, IReadOnlyList<OpcUaServerRuns> Servers, IReadOnlyList<OpcUaServerRuns> Growth, IReadOnlyList<string> Notes, string? NotMeasured);

/// <summary>
/// The OPC UA figures of issue 9, measured with one client (tests/interop/node-opcua/bench.mjs,
/// node-opcua's) against each server in the same run: the anchor, node-opcua's own server with
/// 10,000 points changed every 100 ms (anchor-server.mjs), always first; then our gateway serving
/// gateway-bench.yaml under the NativeAOT neokernel. Repetitions rotate through the servers so that
/// load from other jobs lands on each; the report quotes medians over the repetitions. Then each
/// server carries 50 sessions with cyclictest beside it (OpcUaBenchmark.Scale.cs), and our gateway
/// alone serves 1,000, 10,000 and 100,000 points (OpcUaBenchmark.Growth.cs).
/// </summary>
internal static partial class OpcUaBenchmark
{
    public const int Points = 10_000;
    public const int ReadBatch = 100;
    public const int Items = 1000;
    public const int IntervalMs = 100;
    public const double ReadSeconds = 3;
    public const double ReadWarmupSeconds = 1;
    public const double NotificationSeconds = 4;
    public const double NotificationWarmupSeconds = 2;

    /// <summary>The section's repetitions at most, whatever the harness's: it must stay within about six minutes.</summary>
    public const int RepetitionsMax = 3;

    /// <summary>Where anchor-server.mjs puts its points.</summary>
    public const string AnchorNodes = "/Objects/Regions/bench/*";

    /// <summary>Where our gateway puts them: the points of every bench.* region, region after region.</summary>
    public const string OurNodes = "/Objects/Regions/bench.*/*";

    private const string AnchorName = "node-opcua " + NodeOpcua.Version + " (anchor)";
    private const string OursName = "Neokernel gateway";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    /// <summary>50 sessions connect and subscribe one after the other: node-opcua's server takes minutes for that on a loaded machine.</summary>
    private static readonly TimeSpan SessionsTimeout = TimeSpan.FromMinutes(4);
    private const int ReasonCharsMax = 400;
    private static readonly int[] Outstanding = [1, 4];

    /// <summary>
    /// Starts the anchor and our gateway (gateway-bench.yaml under <paramref name="neokernelBinary"/>),
    /// measures both, then our gateway alone at each node count of the growth table. Without the
    /// binary, or when our gateway does not start, the anchor is measured alone and the reason noted.
    /// </summary>
    public static OpcUaResult Run(int repetitions, string? neokernelBinary)
    {
        var measured = Math.Min(repetitions, RepetitionsMax);
        Console.WriteLine(Inv($"  opcua: node-opcua's client against the anchor and our gateway, {Points:N0} points, {measured} repetitions"));
        NodeOpcuaAnchor anchor;
        try
        {
            NodeOpcua.RequireInstalled();
            anchor = NodeOpcua.StartAnchor(Points, IntervalMs, TimeSpan.FromMinutes(3));
        }
        catch (Exception exception) when (exception is InvalidOperationException or NodeOpcuaException or IOException)
        {
            return new OpcUaResult(Points, measured, [], [], [], exception.Message);
        }

        using (anchor)
        {
            var notes = new List<string>();
            var runs = new List<OpcUaServerRuns> { new(new OpcUaServer(AnchorName, anchor.Endpoint, AnchorNodes, anchor.ProcessId)) };
            using (var ours = StartOurs(neokernelBinary, GrowthSystems[1].Path, notes))
            {
                if (ours is not null)
                {
                    runs.Add(new OpcUaServerRuns(new OpcUaServer(OursName, GatewayRun.Endpoint, OurNodes, ours.GatewayProcessId)));
                }

                MeasureServers(runs, measured);
            }

            // Each size on a gateway started for it: the scale run above may have left ours restarted or failed.
            var growth = runs.Count > 1 ? GrowthSystems.Select(system => StartAndMeasureGrowth(neokernelBinary!, system, measured, notes)).ToList() : [];
            return new OpcUaResult(Points, measured, runs, growth, notes, null);
        }
    }

    /// <summary>Memory after start, the rotating repetitions, the peak; then each server's scale run and the peak after it.</summary>
    private static void MeasureServers(List<OpcUaServerRuns> runs, int repetitions)
    {
        foreach (var run in runs)
        {
            AddResident(run, OpcUaFigure.ResidentMbIdle, "VmRSS");
        }

        for (var repetition = 0; repetition < repetitions; repetition++)
        {
            for (var i = 0; i < runs.Count; i++)
            {
                Measure(runs[(repetition + i) % runs.Count], repetition, repetitions);
            }
        }

        foreach (var run in runs)
        {
            AddResident(run, OpcUaFigure.ResidentMbPeak, "VmHWM");
            MeasureScale(run);
            AddResident(run, OpcUaFigure.ResidentMbPeakScale, "VmHWM");
        }
    }

    /// <summary>A /proc/PID/status figure of the server, in MB; a server process that is gone (it crashed, or was restarted as another) is a failure.</summary>
    private static void AddResident(OpcUaServerRuns run, OpcUaFigure figure, string field)
    {
        try
        {
            run.Add(figure, NodeOpcua.StatusKilobytes(run.Server.ProcessId, field) / 1024.0);
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException)
        {
            run.Failures.Add(Inv($"{field}: the server's process {run.Server.ProcessId} is gone (it crashed, or was restarted as another process)"));
        }
    }

    /// <summary>Our gateway serving <paramref name="systemPath"/>; null, with the reason in <paramref name="notes"/>, when it cannot run.</summary>
    private static GatewayRun? StartOurs(string? neokernelBinary, string systemPath, List<string> notes)
    {
        if (neokernelBinary is null || !File.Exists(neokernelBinary))
        {
            notes.Add($"{OursName} not measured: {(neokernelBinary is null ? "no --neokernel-binary given; `./build.sh --target=Bench` publishes neokernel with NativeAOT and passes it" : neokernelBinary + " does not exist")}");
            return null;
        }

        try
        {
            var ours = GatewayRun.Start(neokernelBinary, systemPath);
            Console.WriteLine(Inv($"    {OursName}: {systemPath} serving, gateway process {ours.GatewayProcessId}"));
            return ours;
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            notes.Add($"{OursName} on {systemPath} not measured: {Reason(exception.Message)}");
            Console.WriteLine($"    {OursName}: {exception.Message}");
            return null;
        }
    }

    /// <summary>One repetition of reads (1 and 4 outstanding) and notifications against one server.</summary>
    private static void Measure(OpcUaServerRuns run, int repetition, int repetitions)
    {
        foreach (var outstanding in Outstanding)
        {
            var (rate, p50, p99, cpu) = outstanding == 1
                ? (OpcUaFigure.ReadsPerSecond1, OpcUaFigure.ReadP50Ms1, OpcUaFigure.ReadP99Ms1, OpcUaFigure.ServerCpuPercent1)
                : (OpcUaFigure.ReadsPerSecond4, OpcUaFigure.ReadP50Ms4, OpcUaFigure.ReadP99Ms4, OpcUaFigure.ServerCpuPercent4);
            MeasureReads(run, outstanding, (rate, p50, p99, cpu));
        }

        Attempt(run, OpcUaFigure.ServerCpuPercentNotifications, "notifications", ["--nodes", run.Server.NodesPattern, "--items", Inv($"{Items}"), "--interval-ms", Inv($"{IntervalMs}"), "--seconds", Inv($"{NotificationSeconds}"), "--warmup-seconds", Inv($"{NotificationWarmupSeconds}")], notes =>
        {
            run.Add(OpcUaFigure.NotificationsPerSecond, notes.GetProperty("notificationsPerSecond").GetDouble());
            run.Add(OpcUaFigure.DeliveredPercent, notes.GetProperty("deliveredRatio").GetDouble() * 100);
            run.Add(OpcUaFigure.MissedMessages, notes.GetProperty("missedMessages").GetDouble());
            run.Add(OpcUaFigure.Overflows, notes.GetProperty("overflows").GetDouble());
            return Inv($"{notes.GetProperty("notificationsPerSecond").GetDouble():F0} notifications/s, {notes.GetProperty("missedMessages").GetInt32()} missed messages, {notes.GetProperty("overflows").GetInt32()} overflows");
        });
        Console.WriteLine(Inv($"    repetition {repetition + 1}/{repetitions}: {run.Server.Name} done"));
    }

    /// <summary>One `bench.mjs reads` run of <see cref="ReadBatch"/> nodes a request, its rate, latencies and the server's CPU into the four figures given.</summary>
    private static void MeasureReads(OpcUaServerRuns run, int outstanding, (OpcUaFigure Rate, OpcUaFigure P50, OpcUaFigure P99, OpcUaFigure Cpu) figures)
    {
        Attempt(run, figures.Cpu, "reads", ["--nodes", run.Server.NodesPattern, "--batch", Inv($"{ReadBatch}"), "--outstanding", Inv($"{outstanding}"), "--seconds", Inv($"{ReadSeconds}"), "--warmup-seconds", Inv($"{ReadWarmupSeconds}")], reads =>
        {
            run.Add(figures.Rate, reads.GetProperty("requestsPerSecond").GetDouble());
            run.Add(figures.P50, reads.GetProperty("p50Ms").GetDouble());
            run.Add(figures.P99, reads.GetProperty("p99Ms").GetDouble());
            return Inv($"{outstanding} outstanding over {reads.GetProperty("nodes").GetInt32():N0} nodes: {reads.GetProperty("requestsPerSecond").GetDouble():F0} reads/s, p50 {reads.GetProperty("p50Ms").GetDouble():F2} ms, p99 {reads.GetProperty("p99Ms").GetDouble():F2} ms");
        });
    }

    /// <summary>Runs one bench.mjs command, recording the server's CPU over its measured window; a failure is noted, not thrown.</summary>
    private static void Attempt(OpcUaServerRuns run, OpcUaFigure cpuFigure, string command, string[] options, Func<JsonElement, string> record)
    {
        try
        {
            using var result = NodeOpcua.Run("bench.mjs", command == "sessions" ? SessionsTimeout : RunTimeout, [command, run.Server.Endpoint, .. options, "--server-pid", Inv($"{run.Server.ProcessId}")]);
            run.Add(cpuFigure, result.RootElement.GetProperty("serverCpuPercent").GetDouble());
            Console.WriteLine($"    {run.Server.Name}: {record(result.RootElement)}");
        }
        catch (Exception exception) when (exception is NodeOpcuaException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            run.Failures.Add($"{command}: {Reason(exception.Message)}");
            Console.WriteLine($"    {run.Server.Name}: {command} failed: {exception.Message}");
        }
    }

    /// <summary>A failure's message in one line: NodeOpcua's "command failed:" and the script's own first line of stderr after it.</summary>
    private static string Reason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reason = lines.Length > 1 && lines[0].EndsWith(':') ? lines[0] + " " + lines[1] : lines.FirstOrDefault() ?? "";
        return reason.Length <= ReasonCharsMax ? reason : reason[..ReasonCharsMax] + "…";
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
