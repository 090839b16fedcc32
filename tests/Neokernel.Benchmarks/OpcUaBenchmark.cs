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

internal sealed record OpcUaResult(int Points, int Repetitions, IReadOnlyList<OpcUaServerRuns> Servers, string? NotMeasured);

/// <summary>
/// The OPC UA figures of issue 9, measured with one client (tests/interop/node-opcua/bench.mjs,
/// node-opcua's) against each server in the same run: the anchor, node-opcua's own server with
/// 10,000 points changed every 100 ms (anchor-server.mjs), always first; then every other server
/// passed in (our gateway serving gateway-bench.yaml). Repetitions rotate through the servers so
/// that load from other jobs lands on each; the report quotes medians over the repetitions.
/// </summary>
internal static class OpcUaBenchmark
{
    public const int Points = 10_000;
    public const int ReadBatch = 100;
    public const int Items = 1000;
    public const int IntervalMs = 100;
    public const double ReadSeconds = 3;
    public const double ReadWarmupSeconds = 1;
    public const double NotificationSeconds = 4;
    public const double NotificationWarmupSeconds = 2;

    /// <summary>Where anchor-server.mjs puts its points (and where our gateway puts a region's).</summary>
    public const string AnchorNodes = "/Objects/Regions/bench/*";

    private const string AnchorName = "node-opcua " + NodeOpcua.Version + " (anchor)";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Rows of the table: the figure, what it says, its format, and the issue's target (empty: none).</summary>
    private static readonly (OpcUaFigure Figure, string Label, string Format, string Target)[] Rows =
    [
        (OpcUaFigure.ReadsPerSecond1, "reads/s, 100 nodes a request, 1 outstanding", "F0", "≥ 3× anchor (goal 10×)"),
        (OpcUaFigure.ReadP50Ms1, "read latency p50, ms", "F2", ""),
        (OpcUaFigure.ReadP99Ms1, "read latency p99, ms", "F2", ""),
        (OpcUaFigure.ServerCpuPercent1, "server CPU, % of one core", "F0", ""),
        (OpcUaFigure.ReadsPerSecond4, "reads/s, 100 nodes a request, 4 outstanding", "F0", "≥ 3× anchor (goal 10×)"),
        (OpcUaFigure.ReadP50Ms4, "read latency p50, ms", "F2", ""),
        (OpcUaFigure.ReadP99Ms4, "read latency p99, ms", "F2", ""),
        (OpcUaFigure.ServerCpuPercent4, "server CPU, % of one core", "F0", ""),
        (OpcUaFigure.NotificationsPerSecond, "data-change notifications/s, 1000 items at 100 ms", "F0", "every one delivered"),
        (OpcUaFigure.DeliveredPercent, "notifications, % of the nominal 1000 items × 10 changes/s", "F1", "100"),
        (OpcUaFigure.MissedMessages, "notification messages missed (sequence-number gaps)", "F0", "0"),
        (OpcUaFigure.Overflows, "values dropped from a full item queue (overflow bit)", "F0", "0"),
        (OpcUaFigure.ServerCpuPercentNotifications, "server CPU, % of one core", "F0", ""),
        (OpcUaFigure.ResidentMbIdle, "resident memory with 10,000 points, after start (VmRSS), MB", "F1", "< 30 MB"),
        (OpcUaFigure.ResidentMbPeak, "resident memory peak over the run (VmHWM), MB", "F1", "< 30 MB"),
    ];

    /// <summary>Starts the anchor, then measures it and every server in <paramref name="others"/>.</summary>
    public static OpcUaResult Run(int repetitions, IReadOnlyList<OpcUaServer> others)
    {
        Console.WriteLine(Inv($"  opcua: node-opcua's client against {1 + others.Count} server(s), {Points:N0} points, {repetitions} repetitions"));
        NodeOpcuaAnchor anchor;
        try
        {
            NodeOpcua.RequireInstalled();
            anchor = NodeOpcua.StartAnchor(Points, IntervalMs, TimeSpan.FromMinutes(3));
        }
        catch (Exception exception) when (exception is InvalidOperationException or NodeOpcuaException or IOException)
        {
            return new OpcUaResult(Points, repetitions, [], exception.Message);
        }

        using (anchor)
        {
            var servers = new List<OpcUaServer> { new(AnchorName, anchor.Endpoint, AnchorNodes, anchor.ProcessId) };
            servers.AddRange(others);
            var runs = servers.Select(s => new OpcUaServerRuns(s)).ToList();
            foreach (var run in runs)
            {
                run.Add(OpcUaFigure.ResidentMbIdle, NodeOpcua.StatusKilobytes(run.Server.ProcessId, "VmRSS") / 1024.0);
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
                run.Add(OpcUaFigure.ResidentMbPeak, NodeOpcua.StatusKilobytes(run.Server.ProcessId, "VmHWM") / 1024.0);
            }

            return new OpcUaResult(Points, repetitions, runs, null);
        }
    }

    public static string Section(OpcUaResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("<a id=\"opcua\"></a>");
        text.AppendLine("## OPC UA server: reads, notifications and memory (issue 9)");
        text.AppendLine();
        text.AppendLine(Inv($"The same client, node-opcua {NodeOpcua.Version}'s (`tests/interop/node-opcua/bench.mjs`, Node {NodeVersion()}), against each server in turn, on loopback, SecurityPolicy None, anonymous; {result.Points:N0} Double points, all changed every {IntervalMs} ms. Median over {result.Repetitions} repetitions; the repetitions rotate through the servers."));
        text.AppendLine();
        if (result.NotMeasured is not null)
        {
            text.AppendLine($"Not measured: {result.NotMeasured}");
            text.AppendLine();
            return text.ToString();
        }

        var anchor = result.Servers[0];
        var others = result.Servers.Skip(1).ToList();
        text.AppendLine("| Figure | " + string.Join(" | ", result.Servers.Select(s => s.Server.Name)) + string.Concat(others.Select(o => $" | {o.Server.Name} ÷ anchor")) + " | target |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", result.Servers.Count + others.Count)) + "---|");
        foreach (var (figure, label, format, target) in Rows)
        {
            var cells = result.Servers.Select(s => Cell(s.Median(figure), format));
            var ratios = others.Select(o => o.Median(figure) is { } ours && anchor.Median(figure) is { } theirs && theirs != 0 ? Inv($"{ours / theirs:F2}") : "-");
            text.AppendLine($"| {label} | " + string.Join(" | ", cells.Concat(ratios)) + $" | {target} |");
        }

        text.AppendLine();
        foreach (var failure in result.Servers.SelectMany(s => s.Failures.Select(f => $"{s.Server.Name}: {f}")))
        {
            text.AppendLine($"- failed: {failure}");
        }

        text.AppendLine(Inv($"- **Reads**: `bench.mjs reads` sends Read requests of {ReadBatch} Value attributes, walking round the points, each as soon as the last is answered (1 or 4 loops), for {ReadSeconds:0.#} s after a {ReadWarmupSeconds:0.#} s warm-up; latency is request to response in the client."));
        text.AppendLine(Inv($"- **Notifications**: `bench.mjs notifications`, one subscription publishing every {IntervalMs} ms with {Items} Value items sampled every {IntervalMs} ms (queue 10, discard oldest), counted for {NotificationSeconds:0.#} s after a {NotificationWarmupSeconds:0.#} s warm-up. Missed messages are gaps in the NotificationMessage sequence numbers; the nominal rate is {Items} items × one change per {IntervalMs} ms: a server whose generator misses ticks under load falls short of it without losing a notification, which the sequence numbers and the overflow bit would show."));
        text.AppendLine("- **Server CPU**: the server process's user + system time (/proc/PID/stat) over the measured window, as a share of one core. The client runs beside it on the same cores and is node-opcua's in every column, so it limits every server alike.");
        text.AppendLine("- **Anchor**: `tests/interop/node-opcua/anchor-server.mjs`, node-opcua's server with the standard namespace plus the points under Objects/Regions/bench, on Node.js; its memory includes the Node.js runtime.");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>One repetition of reads (1 and 4 outstanding) and notifications against one server.</summary>
    private static void Measure(OpcUaServerRuns run, int repetition, int repetitions)
    {
        var server = run.Server;
        foreach (var outstanding in new[] { 1, 4 })
        {
            var (rate, p50, p99, cpu) = outstanding == 1
                ? (OpcUaFigure.ReadsPerSecond1, OpcUaFigure.ReadP50Ms1, OpcUaFigure.ReadP99Ms1, OpcUaFigure.ServerCpuPercent1)
                : (OpcUaFigure.ReadsPerSecond4, OpcUaFigure.ReadP50Ms4, OpcUaFigure.ReadP99Ms4, OpcUaFigure.ServerCpuPercent4);
            Attempt(run, cpu, "reads", ["--nodes", server.NodesPattern, "--batch", Inv($"{ReadBatch}"), "--outstanding", Inv($"{outstanding}"), "--seconds", Inv($"{ReadSeconds}"), "--warmup-seconds", Inv($"{ReadWarmupSeconds}")], reads =>
            {
                run.Add(rate, reads.GetProperty("requestsPerSecond").GetDouble());
                run.Add(p50, reads.GetProperty("p50Ms").GetDouble());
                run.Add(p99, reads.GetProperty("p99Ms").GetDouble());
                return Inv($"{outstanding} outstanding {reads.GetProperty("requestsPerSecond").GetDouble():F0} reads/s, p50 {reads.GetProperty("p50Ms").GetDouble():F2} ms, p99 {reads.GetProperty("p99Ms").GetDouble():F2} ms");
            });
        }

        Attempt(run, OpcUaFigure.ServerCpuPercentNotifications, "notifications", ["--nodes", server.NodesPattern, "--items", Inv($"{Items}"), "--interval-ms", Inv($"{IntervalMs}"), "--seconds", Inv($"{NotificationSeconds}"), "--warmup-seconds", Inv($"{NotificationWarmupSeconds}")], notes =>
        {
            run.Add(OpcUaFigure.NotificationsPerSecond, notes.GetProperty("notificationsPerSecond").GetDouble());
            run.Add(OpcUaFigure.DeliveredPercent, notes.GetProperty("deliveredRatio").GetDouble() * 100);
            run.Add(OpcUaFigure.MissedMessages, notes.GetProperty("missedMessages").GetDouble());
            run.Add(OpcUaFigure.Overflows, notes.GetProperty("overflows").GetDouble());
            return Inv($"{notes.GetProperty("notificationsPerSecond").GetDouble():F0} notifications/s, {notes.GetProperty("missedMessages").GetInt32()} missed messages, {notes.GetProperty("overflows").GetInt32()} overflows");
        });
        Console.WriteLine(Inv($"    repetition {repetition + 1}/{repetitions}: {server.Name} done"));
    }

    /// <summary>Runs one bench.mjs command, recording the server's CPU over its measured window; a failure is noted, not thrown.</summary>
    private static void Attempt(OpcUaServerRuns run, OpcUaFigure cpuFigure, string command, string[] options, Func<JsonElement, string> record)
    {
        try
        {
            using var result = NodeOpcua.Run("bench.mjs", RunTimeout, [command, run.Server.Endpoint, .. options, "--server-pid", Inv($"{run.Server.ProcessId}")]);
            run.Add(cpuFigure, result.RootElement.GetProperty("serverCpuPercent").GetDouble());
            Console.WriteLine($"    {run.Server.Name}: {record(result.RootElement)}");
        }
        catch (Exception exception) when (exception is NodeOpcuaException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            run.Failures.Add($"{command}: {exception.Message.Split('\n')[0]}");
            Console.WriteLine($"    {run.Server.Name}: {command} failed: {exception.Message}");
        }
    }

    private static string Cell(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string NodeVersion()
    {
        var (exitCode, output) = Tool.Run(NodeOpcua.Node, "--version", TimeSpan.FromSeconds(10));
        return exitCode == 0 ? output.Trim().TrimStart('v') : "?";
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
