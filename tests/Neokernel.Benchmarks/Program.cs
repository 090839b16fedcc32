using System.Globalization;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>
/// Measures Neokernel's in-process primitives next to an anchor, in the same run on the same
/// machine, and writes the table to stdout and (with --report PATH) to a Markdown report.
/// Each benchmark is repeated; the report quotes medians over the repetitions because the
/// machines we run on (shared CI VMs) are noisy. The loop latency runs the NativeAOT
/// neokernel-latency binary (--latency-binary) next to cyclictest in separate processes.
/// </summary>
internal static class Program
{
    private const int RepetitionsDefault = 7;
    private const int RepetitionsMin = 5;
    private const double QueueSecondsPerRepetition = 0.2;
    private const int RoundTripsPerRepetition = 10_000;

    private static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == CrossProcessPingPong.PeerFlag)
        {
            return CrossProcessPingPong.RunPeer(args[1], args[2] == "-" ? null : int.Parse(args[2], CultureInfo.InvariantCulture));
        }

        if (args.Length == 2 && args[0] == CommandDelivery.PeerFlag)
        {
            return CommandDelivery.RunPeer(args[1]);
        }

        if (args.Length is 2 or 3 && args[0] == AllocatingLoad.Flag)
        {
            return AllocatingLoad.Run(int.Parse(args[1], CultureInfo.InvariantCulture), tcp: args.Length == 3 && args[2] == AllocatingLoad.TcpFlag);
        }

#if DEBUG
        Console.Error.WriteLine("benchmarks: build in Release (dotnet run -c Release); Debug numbers mean nothing");
        return 2;
#else
        string? reportPath = null;
        var skip = new HashSet<string>(StringComparer.Ordinal);
        var repetitions = RepetitionsDefault;
        var latency = LatencySettings.Default(loopBinary: null);
        var restart = RestartSettings.Default(neokernelBinary: null);
        var demoLoop = DemoLoopSettings.Default(neokernelBinary: null);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--report" when i + 1 < args.Length:
                    reportPath = args[++i];
                    break;
                case "--repetitions" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n >= RepetitionsMin:
                    repetitions = n;
                    i++;
                    break;
                case "--latency-binary" when i + 1 < args.Length:
                    latency = latency with { LoopBinary = Path.GetFullPath(args[++i]) };
                    break;
                case "--latency-seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    latency = latency with { Seconds = seconds };
                    i++;
                    break;
                case "--latency-pairs" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var pairs) && pairs >= LatencySettings.PairsMin:
                    latency = latency with { Pairs = pairs };
                    i++;
                    break;
                case "--neokernel-binary" when i + 1 < args.Length:
                    restart = restart with { NeokernelBinary = Path.GetFullPath(args[++i]) };
                    demoLoop = demoLoop with { NeokernelBinary = restart.NeokernelBinary };
                    break;
                case "--demo-loop-seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var demoSeconds) && demoSeconds >= 1:
                    demoLoop = demoLoop with { Seconds = demoSeconds };
                    i++;
                    break;
                case "--demo-loop-pairs" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var demoPairs) && demoPairs >= 1:
                    demoLoop = demoLoop with { Pairs = demoPairs };
                    i++;
                    break;
                case "--restart-kills" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var kills) && kills >= RestartSettings.KillsMin:
                    restart = restart with { Kills = kills };
                    i++;
                    break;
                case "--restart-spacing" when i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var spacing) && spacing >= RestartSettings.SpacingSecondsMin:
                    restart = restart with { SpacingSeconds = spacing };
                    i++;
                    break;
                case "--restart-instances" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var instances) && instances >= 1:
                    restart = restart with { Instances = instances };
                    i++;
                    break;
                case "--no-sandbox":
                    restart = restart with { NoSandbox = true };
                    break;
                case "--skip" when i + 1 < args.Length:
                    skip.UnionWith(args[++i].Split(','));
                    break;
                default:
                    Console.Error.WriteLine($"usage: Neokernel.Benchmarks [--report PATH] [--repetitions N (>= {RepetitionsMin}, default {RepetitionsDefault})]");
                    Console.Error.WriteLine($"         [--latency-binary PATH (published neokernel-latency)] [--latency-seconds S (default {LatencySettings.SecondsDefault})] [--latency-pairs N (>= {LatencySettings.PairsMin}, default {LatencySettings.PairsDefault})]");
                    Console.Error.WriteLine($"         [--neokernel-binary PATH (published neokernel)] [--restart-kills N (>= {RestartSettings.KillsMin}, default {RestartSettings.KillsDefault})] [--restart-spacing S (between kills, >= {RestartSettings.SpacingSecondsMin}, default {RestartSettings.SpacingSecondsDefault})]");
                    Console.Error.WriteLine($"         [--restart-instances N (demos side by side, killed in turn, default {RestartSettings.InstancesDefault})] [--no-sandbox (the demos run without the OS sandbox)]");
                    Console.Error.WriteLine($"         [--demo-loop-seconds S (the demo's run beside the allocating TCP service, default {DemoLoopSettings.SecondsDefault})] [--demo-loop-pairs N (with cyclictest, default {DemoLoopSettings.PairsDefault})]");
                    Console.Error.WriteLine("         [--skip ipc,delivery,restart,sandbox-cost,memory,latency,demo-loop,modbus-slave,modbus-master,opcua,campaigns,blocks (while developing: no report is written, except that skipping only modbus or opcua parts still writes it)]");
                    return 2;
            }
        }

        (QueueResult Queue, SocketResult Sockets, CrossProcessResult CrossProcess)? ipc = null;
        var machine = Machine.Describe();
        var started = DateTime.UtcNow;
        Console.WriteLine($"benchmarks: {repetitions} repetitions each on {machine.Cores} cores, {machine.CpuModel}");

        if (!skip.Contains("ipc"))
        {
            var (queue, sockets) = Run(repetitions);
            var crossProcess = CrossProcessBenchmark.Run(repetitions);
            Console.WriteLine();
            Console.WriteLine(Report.Tables(queue, sockets));
            Console.WriteLine(CrossProcessReport.Section(crossProcess));
            ipc = (queue, sockets, crossProcess);
        }

        var delivery = skip.Contains("delivery") ? null : RunDelivery();
        if (delivery is not null)
        {
            Console.WriteLine(delivery.Section());
        }

        var restarts = skip.Contains("restart") ? null : RestartBenchmark.Run(restart);
        if (restarts is not null)
        {
            Console.WriteLine(RestartReport.Section(restarts));
        }

        // The same restarts without the OS sandbox, right after: what the sandbox costs a restart.
        var unsandboxed = skip.Contains("restart") || skip.Contains("sandbox-cost") || restart.NoSandbox ? null : RestartBenchmark.Run(restart with { NoSandbox = true });
        if (unsandboxed is not null && restarts is not null)
        {
            Console.WriteLine(IssueTable.SandboxCost(restarts, unsandboxed));
        }

        var memory = skip.Contains("memory") ? null : MemoryBenchmark.Run(restart.NeokernelBinary, restart.SystemPath);
        if (memory is not null)
        {
            Console.WriteLine(MemoryBenchmark.Section(memory));
        }

        var loop = skip.Contains("latency") ? null : LatencyBenchmark.Run(latency);
        if (loop is not null)
        {
            Console.WriteLine(Report.LatencyTables(loop));
        }

        var demo = skip.Contains("demo-loop") ? null : DemoLoopBenchmark.Run(demoLoop);
        if (demo is not null)
        {
            Console.WriteLine(DemoLoopBenchmark.Section(demo));
        }

        var modbusSlave = skip.Contains("modbus-slave") ? null : SlaveThroughputBenchmark.Run(SlaveThroughputSettings.Default(restart.NeokernelBinary));
        if (modbusSlave is not null)
        {
            Console.WriteLine(IssueTable.ModbusSlaveSection(modbusSlave));
            Console.WriteLine(SlaveThroughputBenchmark.Section(modbusSlave));
        }

        var modbusMaster = skip.Contains("modbus-master") ? null : ModbusMasterBenchmark.Run(repetitions);
        if (modbusMaster is not null)
        {
            Console.WriteLine(IssueTable.ModbusMasterSection(modbusMaster));
            Console.WriteLine(ModbusMasterBenchmark.Section(modbusMaster));
        }

        // OPC UA (issue 9): node-opcua's server as the anchor, next to our gateway serving gateway-bench.yaml under the NativeAOT neokernel.
        var opcua = skip.Contains("opcua") ? null : OpcUaBenchmark.Run(repetitions, restart.NeokernelBinary);
        if (opcua is not null)
        {
            Console.WriteLine(OpcUaBenchmark.Section(opcua));
        }

        var campaigns = skip.Contains("campaigns") ? null : CampaignBenchmark.Run(restart.NeokernelBinary, repetitions);
        if (campaigns is not null)
        {
            Console.WriteLine(CampaignBenchmark.Section(campaigns));
        }

        var blocks = skip.Contains("blocks") ? null : BlockNetworkBenchmark.Run(repetitions);
        if (blocks is not null)
        {
            Console.WriteLine(BlockNetworkBenchmark.Section(blocks));
        }

        if (ipc is not { } measured || restarts is null || unsandboxed is null || memory is null || loop is null || demo is null || delivery is null)
        {
            Console.WriteLine("benchmarks: parts skipped (--skip), so no report is written");
            return 0;
        }

        var report = Report.Render(machine, started, repetitions, measured.Queue, measured.Sockets, measured.CrossProcess, delivery, restarts, unsandboxed, memory, loop, demo, modbusMaster);
        if (modbusSlave is not null)
        {
            report += "\n" + IssueTable.ModbusSlaveSection(modbusSlave) + SlaveThroughputBenchmark.Section(modbusSlave);
        }

        if (opcua is not null)
        {
            report += "\n" + OpcUaBenchmark.Section(opcua);
        }

        if (campaigns is not null)
        {
            report += "\n" + CampaignBenchmark.Section(campaigns);
        }

        if (blocks is not null)
        {
            report += "\n" + BlockNetworkBenchmark.Section(blocks);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"benchmarks: took {(DateTime.UtcNow - started).TotalMinutes:F1} minutes"));
        if (reportPath is not null)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(reportPath));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            if (File.Exists(reportPath) && Report.HandWritten(File.ReadAllText(reportPath)) is { Length: > 0 } handWritten)
            {
                report = report.TrimEnd('\n') + "\n\n" + handWritten;
            }

            File.WriteAllText(reportPath, report, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            Console.WriteLine($"benchmarks: report written to {reportPath}");
        }

        return 0;
#endif
    }

    private const int DeliveryTicks = 6_000;

    /// <summary>The one-way command delivery; a failure is reported in its section, not thrown.</summary>
    private static CommandDeliveryResult RunDelivery()
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  command delivery: {DeliveryTicks:N0} sends about 1 ms apart"));
        try
        {
            return CommandDelivery.Run(DeliveryTicks);
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return CommandDeliveryResult.Failed(exception.Message);
        }
    }

    /// <summary>
    /// Warms both up, then alternates their repetitions, so a burst of load from a neighbour
    /// lands on both sides of the ratio rather than on one benchmark's whole run.
    /// </summary>
    private static (QueueResult Queue, SocketResult Sockets) Run(int repetitions)
    {
        var queue = new QueueBenchmark();
        using var sockets = new UnixSocketPingPong();
        queue.WarmUp(seconds: 0.5);
        sockets.WarmUp(roundTrips: 2_000);
        var operations = queue.Calibrate(QueueSecondsPerRepetition);

        var nsPerOp = new List<double>();
        var p50 = new List<double>();
        var p99 = new List<double>();
        for (var r = 0; r < repetitions; r++)
        {
            nsPerOp.Add(queue.Measure(operations));
            var sorted = sockets.Measure(RoundTripsPerRepetition);
            p50.Add(Stats.Nanoseconds(Stats.Percentile(sorted, 50)));
            p99.Add(Stats.Nanoseconds(Stats.Percentile(sorted, 99)));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  repetition {r + 1}/{repetitions}: queue {nsPerOp[^1]:F1} ns/op ({operations:N0} ops); unix socket round trip p50 {p50[^1] / 1000:F1} µs, p99 {p99[^1] / 1000:F1} µs ({RoundTripsPerRepetition:N0} round trips)"));
        }

        GC.KeepAlive(queue.Checksum);
        return (new QueueResult(operations, nsPerOp), new SocketResult(RoundTripsPerRepetition, p50, p99));
    }
}

internal sealed record QueueResult(int OperationsPerRepetition, IReadOnlyList<double> NsPerOp)
{
    public double Median => Stats.Median(NsPerOp);
}

internal sealed record SocketResult(int RoundTripsPerRepetition, IReadOnlyList<double> P50Ns, IReadOnlyList<double> P99Ns)
{
    public double MedianP50Ns => Stats.Median(P50Ns);

    public double MedianP99Ns => Stats.Median(P99Ns);

    /// <summary>Half the median round trip: one message's share of a ping-pong.</summary>
    public double PerMessageNs => MedianP50Ns / 2;
}
