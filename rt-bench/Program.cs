using System.Globalization;
using System.Text;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;

namespace Neokernel.Latency;

/// <summary>
/// Runs one cyclic task with an empty body on <see cref="RealtimeCyclicExecutor"/> (SCHED_FIFO,
/// pinned, 1 kHz by default) and writes its wake-up latencies as a histogram in microseconds,
/// in the format of cyclictest's --histfile, so one parser reads both. While the loop runs the
/// main thread only sleeps: nothing in this process allocates, so no collection can stop the loop.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (!LatencyOptions.TryParse(args, out var options, out var error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(LatencyOptions.Usage);
            return 2;
        }

        using var dmaLatency = CpuDmaLatency.TryHoldZero();
        var body = new LatencyBody(options.Cycles);
        var spec = new CyclicTaskSpec(
            "latency", TimingClass.RtFifo, options.Priority, options.Cpu, options.PeriodNs, 0, options.PeriodNs, options.PeriodNs, OverrunPolicy.Skip, 1);
        ICyclicTaskHandle handle;
        try
        {
            handle = new RealtimeCyclicExecutor().Start(spec, body, new NullObserver());
        }
        catch (SchedulingDeniedException denied)
        {
            Console.Error.WriteLine($"neokernel-latency: {denied.Message}");
            return 3;
        }

        // Sleep through the run in one piece, then poll: the main thread should wake as seldom as possible.
        Thread.Sleep(TimeSpan.FromSeconds(options.Seconds));
        while (!body.Done)
        {
            Thread.Sleep(50);
        }

        handle.Stop();
        var collections = Enumerable.Range(0, GC.MaxGeneration + 1).Select(GC.CollectionCount).ToArray();
        var text = Histogram.Render(body.LatenciesNs, options.HistogramUs, handle.Statistics, collections, dmaLatency is not null);
        File.WriteAllText(options.HistFile, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"neokernel-latency: {body.LatenciesNs.Length} cycles, p99 {handle.Statistics.LatencyNsP99 / 1000.0:F1} us, max {handle.Statistics.LatencyNsMax / 1000.0:F1} us, collections [{string.Join(", ", collections)}]"));
        return 0;
    }

    private sealed class NullObserver : ICyclicTaskObserver
    {
        public void OnBodyFault(Exception exception) => Console.Error.WriteLine($"neokernel-latency: body fault: {exception.Message}");

        public void OnOverrun(long lateNs)
        {
        }

        public void OnWatchdog(long consecutiveOverruns)
        {
        }

        public void OnCycleCompleted(long nowNs)
        {
        }
    }
}

/// <summary>The "empty" body: it only stores each cycle's wake-up latency into a preallocated array.</summary>
internal sealed class LatencyBody(long cycles) : ICyclicBody
{
    private volatile bool done;

    public long[] LatenciesNs { get; } = new long[cycles];

    public bool Done => done;

    public void Execute(in CycleInfo cycle)
    {
        if (cycle.CycleIndex < LatenciesNs.Length)
        {
            LatenciesNs[cycle.CycleIndex] = cycle.StartNs - cycle.ReleaseNs;
        }
        else
        {
            done = true;
        }
    }
}

/// <summary>
/// Holds /dev/cpu_dma_latency at 0 µs while open, keeping idle CPUs out of deep sleep states,
/// as cyclictest does by default: both sides of the comparison run under the same request.
/// </summary>
internal static class CpuDmaLatency
{
    public static FileStream? TryHoldZero()
    {
        try
        {
            var stream = new FileStream("/dev/cpu_dma_latency", FileMode.Open, FileAccess.Write);
            stream.Write([0, 0, 0, 0]);
            stream.Flush();
            return stream;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Writes latencies the way cyclictest's --histfile does: one line per microsecond, then a summary.</summary>
internal static class Histogram
{
    public static string Render(long[] latenciesNs, int histogramUs, CyclicStatistics statistics, int[] collections, bool dmaLatencyHeld)
    {
        var counts = new long[histogramUs];
        long overflows = 0;
        long minUs = long.MaxValue;
        long maxUs = 0;
        long sumUs = 0;
        foreach (var ns in latenciesNs)
        {
            // Truncated to whole microseconds, as cyclictest computes its differences.
            var us = Math.Max(ns, 0) / 1000;
            minUs = Math.Min(minUs, us);
            maxUs = Math.Max(maxUs, us);
            sumUs += us;
            if (us < histogramUs)
            {
                counts[us]++;
            }
            else
            {
                overflows++;
            }
        }

        var text = new StringBuilder();
        text.AppendLine(dmaLatencyHeld ? "# /dev/cpu_dma_latency set to 0us" : "# /dev/cpu_dma_latency not set");
        text.AppendLine("# Histogram");
        for (var us = 0; us < counts.Length; us++)
        {
            text.AppendLine(Inv($"{us:D6} {counts[us]:D6}"));
        }

        text.AppendLine(Inv($"# Total: {latenciesNs.Length - overflows:D9}"));
        text.AppendLine(Inv($"# Min Latencies: {(latenciesNs.Length == 0 ? 0 : minUs):D5}"));
        text.AppendLine(Inv($"# Avg Latencies: {(latenciesNs.Length == 0 ? 0 : sumUs / latenciesNs.Length):D5}"));
        text.AppendLine(Inv($"# Max Latencies: {maxUs:D5}"));
        text.AppendLine(Inv($"# Histogram Overflows: {overflows:D5}"));
        text.AppendLine(Inv($"# Neokernel GC collections: {string.Join(' ', collections)}"));
        text.AppendLine(Inv($"# Neokernel executor latency ns p99 {statistics.LatencyNsP99} p99.9 {statistics.LatencyNsP999} max {statistics.LatencyNsMax} overruns {statistics.Overruns}"));
        return text.ToString();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

internal sealed record LatencyOptions(double Seconds, int Priority, int Cpu, long PeriodNs, int HistogramUs, string HistFile)
{
    public const string Usage = "usage: neokernel-latency --histfile PATH [--seconds 10] [--priority 80] [--cpu 1] [--period-us 1000] [--histogram-us 20000]";

    public long Cycles => (long)(Seconds * 1e9 / PeriodNs);

    public static bool TryParse(string[] args, out LatencyOptions options, out string error)
    {
        options = new LatencyOptions(10, 80, 1, 1_000_000, 20_000, "");
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            if (value is null)
            {
                error = $"neokernel-latency: {args[i]} needs a value";
                return false;
            }

            i++;
            switch (args[i - 1])
            {
                case "--histfile":
                    options = options with { HistFile = value };
                    break;
                case "--seconds" when double.TryParse(value, CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    options = options with { Seconds = seconds };
                    break;
                case "--priority" when int.TryParse(value, CultureInfo.InvariantCulture, out var priority):
                    options = options with { Priority = priority };
                    break;
                case "--cpu" when int.TryParse(value, CultureInfo.InvariantCulture, out var cpu):
                    options = options with { Cpu = cpu };
                    break;
                case "--period-us" when long.TryParse(value, CultureInfo.InvariantCulture, out var periodUs) && periodUs > 0:
                    options = options with { PeriodNs = periodUs * 1000 };
                    break;
                case "--histogram-us" when int.TryParse(value, CultureInfo.InvariantCulture, out var histogramUs) && histogramUs > 0:
                    options = options with { HistogramUs = histogramUs };
                    break;
                default:
                    error = $"neokernel-latency: unknown option or bad value: {args[i - 1]} {value}";
                    return false;
            }
        }

        if (options.HistFile.Length == 0)
        {
            error = "neokernel-latency: --histfile is required";
            return false;
        }

        return true;
    }
}
