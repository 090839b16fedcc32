using System.Globalization;
using System.Text;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Benchmarks;

/// <summary>The OPC UA section of docs/PERFORMANCE.md: the servers side by side, then our gateway's growth.</summary>
internal static partial class OpcUaBenchmark
{
    /// <summary>Rows of the servers' table: the figure, what it says, its format, and the issue's target (empty: none).</summary>
    private static readonly (OpcUaFigure Figure, string Label, string Format, string Target)[] Rows =
    [
        (OpcUaFigure.ReadsPerSecond1, "**Reads**: reads/s, 100 nodes a request, 1 outstanding", "F0", "≥ 3× anchor (goal 10×)"),
        (OpcUaFigure.ReadP50Ms1, "read latency p50, ms", "F2", ""),
        (OpcUaFigure.ReadP99Ms1, "read latency p99, ms", "F2", ""),
        (OpcUaFigure.ServerCpuPercent1, "server CPU, % of one core", "F0", ""),
        (OpcUaFigure.ReadsPerSecond4, "reads/s, 100 nodes a request, 4 outstanding", "F0", "≥ 3× anchor (goal 10×)"),
        (OpcUaFigure.ReadP50Ms4, "read latency p50, ms", "F2", ""),
        (OpcUaFigure.ReadP99Ms4, "read latency p99, ms", "F2", ""),
        (OpcUaFigure.ServerCpuPercent4, "server CPU, % of one core", "F0", ""),
        (OpcUaFigure.NotificationsPerSecond, "**Notifications**: data-change notifications/s, 1000 items at 100 ms", "F0", "every one delivered"),
        (OpcUaFigure.DeliveredPercent, "notifications, % of the nominal 1000 items × 10 changes/s", "F1", "100"),
        (OpcUaFigure.MissedMessages, "notification messages missed (sequence-number gaps)", "F0", "0"),
        (OpcUaFigure.Overflows, "values dropped from a full item queue (overflow bit)", "F0", "0"),
        (OpcUaFigure.ServerCpuPercentNotifications, "server CPU, % of one core", "F0", ""),
        (OpcUaFigure.ScaleNotificationsPerSecond, "**Scale**: 50 sessions × 1000 items at 1 s, notifications/s received, all sessions", "F0", ""),
        (OpcUaFigure.ScalePerSessionMin, "notifications/s of the slowest session", "F0", ""),
        (OpcUaFigure.ScaleMissedMessages, "notification messages missed, all sessions", "F0", "0"),
        (OpcUaFigure.ScaleOverflows, "values dropped from a full item queue, all sessions", "F0", "0"),
        (OpcUaFigure.ScaleReadP50Ms, "a read of 100 nodes meanwhile, p50, ms", "F2", "responsive"),
        (OpcUaFigure.ScaleReadP99Ms, "a read of 100 nodes meanwhile, p99, ms", "F2", "responsive"),
        (OpcUaFigure.ScaleServerCpuPercent, "server CPU while reading, % of one core", "F0", ""),
        (OpcUaFigure.CyclictestIdleP99Us, "cyclictest p99 on CPU 1, server idle, µs", "F0", ""),
        (OpcUaFigure.CyclictestLoadedP99Us, "cyclictest p99 on CPU 1, with the 50 sessions, µs", "F0", "= idle"),
        (OpcUaFigure.CyclictestLoadedMaxUs, "cyclictest max on CPU 1, with the 50 sessions, µs", "F0", ""),
        (OpcUaFigure.ResidentMbIdle, "**Memory**: resident with 10,000 points, after start (VmRSS), MB", "F1", "< 30 MB"),
        (OpcUaFigure.ResidentMbPeak, "resident peak over reads and notifications (VmHWM), MB", "F1", "< 30 MB"),
        (OpcUaFigure.ResidentMbPeakScale, "resident peak with the 50 sessions (VmHWM), MB", "F1", ""),
    ];

    /// <summary>Rows of the growth table; the compared ones are those the target is about (a request's size differs with the folders' sizes, a rate does not).</summary>
    private static readonly (OpcUaFigure Figure, string Label, string Format, bool Compared)[] GrowthRows =
    [
        (OpcUaFigure.ReadsPerSecond1, "reads/s, 100 nodes a request, 1 outstanding", "F0", true),
        (OpcUaFigure.BrowseReferencesPerSecond, "browse: references/s over whole walks of the Regions tree", "F0", true),
        (OpcUaFigure.ServerCpuUsPerRead, "server CPU per read request of 100 nodes, µs", "F0", true),
        (OpcUaFigure.ServerCpuUsPerThousandReferences, "server CPU per 1000 browse references, µs", "F0", true),
        (OpcUaFigure.BrowseRequestP50Ms, "browse: a Browse or BrowseNext request, p50, ms (up to 1000 references)", "F2", false),
        (OpcUaFigure.ReadP50Ms1, "read latency p50, ms", "F2", false),
        (OpcUaFigure.ReadP99Ms1, "read latency p99, ms", "F2", false),
        (OpcUaFigure.ServerCpuPercent1, "server CPU while reading, % of one core", "F0", false),
        (OpcUaFigure.BrowseWalkMs, "browse: the whole Regions tree once, ms", "F0", false),
        (OpcUaFigure.BrowseVariables, "browse: points found", "F0", false),
        (OpcUaFigure.ResidentMbIdle, "resident memory after start (VmRSS), MB", "F1", false),
    ];

    public static string Section(OpcUaResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("<a id=\"opcua\"></a>");
        text.AppendLine("## OPC UA server: reads, notifications, scale, memory and growth (issue 9)");
        text.AppendLine();
        text.AppendLine(Inv($"The same client, node-opcua {NodeOpcua.Version}'s (`tests/interop/node-opcua/bench.mjs`, Node {NodeVersion()}), against each server in turn, on loopback, SecurityPolicy None, anonymous; {result.Points:N0} Double points, all changed every {IntervalMs} ms. Median over {result.Repetitions} repetitions; the repetitions rotate through the servers."));
        text.AppendLine();
        if (result.NotMeasured is not null)
        {
            text.AppendLine($"Not measured: {result.NotMeasured}");
            text.AppendLine();
            return text.ToString();
        }

        ServersTable(text, result.Servers);
        foreach (var note in result.Notes)
        {
            text.AppendLine($"- not measured: {note}");
        }

        foreach (var failure in result.Servers.SelectMany(s => s.Failures.Select(f => $"{s.Server.Name}: {f}")))
        {
            text.AppendLine($"- failed: {failure}");
        }

        Explain(text);
        GrowthTable(text, result.Growth);
        return text.ToString();
    }

    private static void ServersTable(StringBuilder text, IReadOnlyList<OpcUaServerRuns> servers)
    {
        var anchor = servers[0];
        var others = servers.Skip(1).ToList();
        text.AppendLine("| Figure | " + string.Join(" | ", servers.Select(s => s.Server.Name)) + string.Concat(others.Select(o => $" | {o.Server.Name} ÷ anchor")) + " | target |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", servers.Count + others.Count)) + "---|");
        foreach (var (figure, label, format, target) in Rows)
        {
            var cells = servers.Select(s => Cell(s.Median(figure), format));
            var ratios = others.Select(o => Ratio(o.Median(figure), anchor.Median(figure)));
            text.AppendLine($"| {label} | " + string.Join(" | ", cells.Concat(ratios)) + $" | {target} |");
        }

        text.AppendLine();
    }

    private static void Explain(StringBuilder text)
    {
        text.AppendLine(Inv($"- **Reads**: `bench.mjs reads` sends Read requests of {ReadBatch} Value attributes, walking round the points, each as soon as the last is answered (1 or 4 loops), for {ReadSeconds:0.#} s after a {ReadWarmupSeconds:0.#} s warm-up; latency is request to response in the client."));
        text.AppendLine(Inv($"- **Notifications**: `bench.mjs notifications`, one subscription publishing every {IntervalMs} ms with {Items} Value items sampled every {IntervalMs} ms (queue 10, discard oldest), counted for {NotificationSeconds:0.#} s after a {NotificationWarmupSeconds:0.#} s warm-up. Missed messages are gaps in the NotificationMessage sequence numbers; the nominal rate is {Items} items × one change per {IntervalMs} ms: a server whose generator misses ticks under load falls short of it without losing a notification, which the sequence numbers and the overflow bit would show."));
        text.AppendLine(Inv($"- **Scale**: `bench.mjs sessions`: {ScaleSessions} sessions, each on its own connection with one subscription of {ScaleItems} items at {ScaleIntervalMs} ms (session k takes the points from k × {ScaleItems}), all in one Node.js process, so the client bounds the notifications received; after a {ScaleWarmupSeconds:0.#} s warm-up the first session also reads {ReadBatch} nodes at a time for {ScaleSeconds:0.#} s, its latency being how responsive the server stays. cyclictest (`-m -p {CyclictestPriority} -a {CyclictestCpu} -t 1 -i {CyclictestPeriodUs}`) runs {IdleSeconds:0} s with the servers idle, then over the whole sessions run (connecting, subscribing, reading), stopped with SIGINT; a real-time loop's p99 beside the server is judged by it."));
        text.AppendLine("- **Server CPU**: the server process's user + system time (/proc/PID/stat) over the measured window, as a share of one core. The client runs beside it on the same cores and is node-opcua's in every column, so it limits every server alike.");
        text.AppendLine("- **Memory**: the server process's /proc/PID/status; ours is the gateway's service host process (NativeAOT) under `neokernel run manifests/systems/gateway-bench.yaml`, the anchor's includes the Node.js runtime.");
        text.AppendLine("- **Anchor**: `tests/interop/node-opcua/anchor-server.mjs`, node-opcua's server with the standard namespace plus the points under Objects/Regions/bench, on Node.js. Ours serves the same number of points in three regions (Objects/Regions/bench.sine, bench.ramp, bench.noise), read by the pattern `" + OurNodes + "`.");
        text.AppendLine();
    }

    private static void GrowthTable(StringBuilder text, IReadOnlyList<OpcUaServerRuns> growth)
    {
        if (growth.Count == 0)
        {
            return;
        }

        text.AppendLine("### Growth: our gateway at 1,000, 10,000 and 100,000 points");
        text.AppendLine();
        text.AppendLine(Inv($"Our gateway only (anchor-server.mjs serves one size; the anchor's column is left out): `neokernel run` of {string.Join(", ", GrowthSystems.Select(g => "`" + g.Path + "`"))}, one after the other, each point changed every {IntervalMs} ms. Reads walk round all of a system's points; `bench.mjs browse` walks the whole Objects/Regions tree (its region folders and every point's reference, up to 1000 references a request, BrowseNext on every continuation point, 8 folders a Browse) again and again for {BrowseSeconds:0.#} s. Target: within {GrowthTolerancePercent:0} % from the smallest to the largest. The rates are the client's and the server's together: node-opcua's client, on Node.js beside the server, takes most of a core in every run and bounds them, and its own work grows with the points it walks. The server's CPU per request (its user + system time over the window, divided by the requests) is the gateway's own cost."));
        text.AppendLine();
        text.AppendLine("| Figure | " + string.Join(" | ", growth.Select(g => g.Server.Name)) + " | largest ÷ smallest | target |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", growth.Count + 1)) + "---|");
        foreach (var (figure, label, format, compared) in GrowthRows)
        {
            var cells = growth.Select(g => Cell(g.Median(figure), format));
            var ratio = compared ? Ratio(growth[^1].Median(figure), growth[0].Median(figure)) : "";
            var target = compared ? Inv($"{1 - (GrowthTolerancePercent / 100):F2} to {1 + (GrowthTolerancePercent / 100):F2}") : "";
            text.AppendLine($"| {label} | " + string.Join(" | ", cells) + $" | {ratio} | {target} |");
        }

        text.AppendLine();
        foreach (var failure in growth.SelectMany(g => g.Failures.Select(f => $"{g.Server.Name}: {f}")))
        {
            text.AppendLine($"- failed: {failure}");
        }

        text.AppendLine();
    }

    private static string Ratio(double? value, double? reference) => value is { } v && reference is { } r && r != 0 ? Inv($"{v / r:F2}") : "-";

    private static string Cell(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string NodeVersion()
    {
        var (exitCode, output) = Tool.Run(NodeOpcua.Node, "--version", TimeSpan.FromSeconds(10));
        return exitCode == 0 ? output.Trim().TrimStart('v') : "?";
    }
}
