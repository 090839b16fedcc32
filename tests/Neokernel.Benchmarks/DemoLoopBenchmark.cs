using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Neokernel.Benchmarks;

/// <summary>What the demo-loop comparison runs: the tank demo under the NativeAOT binary, for how long, how many pairs with cyclictest.</summary>
internal sealed record DemoLoopSettings(string? NeokernelBinary, string SystemPath, double Seconds, int Pairs)
{
    public const double SecondsDefault = 30;
    public const int PairsDefault = 2;

    /// <summary>The loop measured, and its timing from manifests/services/tank-controller.yaml, which cyclictest copies.</summary>
    public const string ServiceId = "tank-controller";
    public const int Priority = 80;
    public const int Cpu = 1;
    public const int PeriodUs = 10_000;
    public const int HistogramUs = 20_000;

    public int AllocatingMegabytesPerSecond { get; init; } = AllocatingLoad.MegabytesPerSecondDefault;

    public long Cycles => (long)(Seconds * 1_000_000 / PeriodUs);

    public static DemoLoopSettings Default(string? neokernelBinary) =>
        new(neokernelBinary, Path.Combine("manifests", "systems", "tank-demo.yaml"), SecondsDefault, PairsDefault);
}

/// <summary>
/// Loop latency of the demo's own controller: <c>neokernel run tank-demo --plain --duration S</c>
/// (NativeAOT), its tank-controller isolated in its own process on a SCHED_FIFO thread, with an
/// allocating TCP service beside it (<see cref="AllocatingLoad"/> with <see cref="TcpAllocatingService"/>).
/// The controller's wake-up latency over the whole run comes from its status page, which
/// <c>run</c> prints at its end (<c>tank-controller: loop statistics: …</c>). cyclictest runs with the
/// controller's period, priority and CPU under the same load, in pairs, alternating which goes first.
/// </summary>
internal static class DemoLoopBenchmark
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    private static readonly Regex StatisticsLine = new(
        @"^" + DemoLoopSettings.ServiceId + @": loop statistics: (?<cycles>\d+) cycles, (?<overruns>\d+) overruns; wake-up µs mean (?<mean>[\d.]+), p99 (?<p99>[\d.]+), p99\.9 (?<p999>[\d.]+), max (?<max>[\d.]+); execution µs p99 (?<exec>[\d.]+)",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    public static DemoLoopResult Run(DemoLoopSettings settings)
    {
        var missing = Missing(settings);
        if (missing is not null)
        {
            Console.WriteLine($"  demo loop latency: not measured: {missing}");
            return new DemoLoopResult(settings, [], null, missing);
        }

        var directory = Directory.CreateTempSubdirectory("neokernel-demo-loop-");
        try
        {
            using var load = AllocatingLoad.Start(settings.AllocatingMegabytesPerSecond, tcp: true);
            Thread.Sleep(Settle);
            var pairs = new List<DemoLoopPair>();
            for (var pair = 1; pair <= settings.Pairs; pair++)
            {
                DemoLoopRun demo;
                LatencyRun anchor;
                if (pair % 2 == 1)
                {
                    demo = RunDemo(settings);
                    anchor = RunCyclictest(settings, directory.FullName, pair);
                }
                else
                {
                    anchor = RunCyclictest(settings, directory.FullName, pair);
                    demo = RunDemo(settings);
                }

                var result = new DemoLoopPair(pair, demo, anchor);
                pairs.Add(result);
                var failure = (demo.Error ?? anchor.Error) is { } error ? $" ({error})" : "";
                Console.WriteLine(Inv($"  demo loop latency pair {pair}/{settings.Pairs}: {DemoLoopSettings.ServiceId} p99 {demo.WakeP99Us:F0} µs ({demo.Cycles} cycles, {demo.Overruns} overruns), cyclictest p99 {anchor.P99Us} µs, ratio {result.P99Ratio:F2}{failure}"));
            }

            return new DemoLoopResult(settings, pairs, AllocatingLoad.Stop(load), null);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    public static string Section(DemoLoopResult result)
    {
        var s = result.Settings;
        var text = new StringBuilder();
        text.AppendLine("<a id=\"demo-loop-latency\"></a>");
        text.AppendLine("## Loop latency of the demo's controller, in its process, beside an allocating TCP service");
        text.AppendLine();
        if (result.NotMeasured is { } reason)
        {
            text.AppendLine($"Not measured in this run: {reason}.");
            return text.ToString();
        }

        text.AppendLine(Inv($"Wake-up latency in µs of `{DemoLoopSettings.ServiceId}` (SCHED_FIFO {DemoLoopSettings.Priority} on CPU {DemoLoopSettings.Cpu}, period {DemoLoopSettings.PeriodUs / 1000} ms) over {s.Seconds:0} s of `neokernel run {s.SystemPath}`, next to cyclictest with the same period, priority and CPU for the same time, under the same load."));
        text.AppendLine();
        text.AppendLine("| Pair | controller cycles | overruns | controller p99 | p99.9 | max | execution p99 | cyclictest p99 | p99.9 | max | p99 ratio (ours / cyclictest) |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in result.Pairs)
        {
            var (d, c) = (p.Demo, p.Cyclictest);
            text.AppendLine(Inv($"| {p.Index} | {d.Cycles} | {d.Overruns} | {d.WakeP99Us:F0} | {d.WakeP999Us:F0} | {d.WakeMaxUs:F0} | {d.ExecutionP99Us:F0} | {c.P99Us} | {c.P999Us} | {c.MaxUs} | {p.P99Ratio:F2} |"));
        }

        text.AppendLine();
        text.AppendLine(Inv($"Median p99 ratio: **{result.MedianP99Ratio:F2}**. The allocating service said: {result.Load}."));
        text.AppendLine();
        foreach (var error in result.Pairs.Select(p => p.Demo.Error ?? p.Cyclictest.Error).OfType<string>())
        {
            text.AppendLine($"- failed: {error}");
        }

        text.AppendLine("### How the demo's loop latency is measured");
        text.AppendLine();
        text.AppendLine(Inv($"- The harness starts the allocating service first and keeps it for every pair: another .NET process (JIT, workstation concurrent GC) that makes {s.AllocatingMegabytesPerSecond} MB/s of short-lived garbage and serves a 64-byte request every millisecond over loopback TCP, formatting each reply as a string (a gateway's session on the control plane). It is not pinned, so it runs on CPU {DemoLoopSettings.Cpu} too."));
        text.AppendLine(Inv($"- Ours: `neokernel run {s.SystemPath} --plain --duration {s.Seconds:0}s` (NativeAOT). At its end `run` prints each cyclic service's statistics as its status page held them just before the shutdown: for the isolated controller, the HdrHistogram of every cycle's wake-up latency (release time to the body's start, on CLOCK_MONOTONIC) that its process keeps; boot and the first cycles count too. Its CPU also runs the level sensor (SCHED_FIFO 70, released 1 ms earlier), as in production."));
        text.AppendLine(Inv($"- Anchor: `cyclictest -m -p {DemoLoopSettings.Priority} -a {DemoLoopSettings.Cpu} -t 1 -i {DemoLoopSettings.PeriodUs} -l {s.Cycles}` with a µs histogram, run before or after ours (alternating). cyclictest reports whole µs, the controller ns shown here in µs; the ratio divides by at least 1 µs."));
        return text.ToString();
    }

    private static string? Missing(DemoLoopSettings settings)
    {
        if (settings.NeokernelBinary is null)
        {
            return "no --neokernel-binary given; `./build.sh --target=Bench` publishes neokernel with NativeAOT and passes it";
        }

        if (!File.Exists(settings.NeokernelBinary))
        {
            return $"{settings.NeokernelBinary} does not exist";
        }

        if (!File.Exists(settings.SystemPath))
        {
            return $"{Path.GetFullPath(settings.SystemPath)} does not exist; run the harness from the repository root";
        }

        return Tool.Exists("cyclictest") ? null : "cyclictest is not installed (package rt-tests; scripts/install-deps.sh installs it)";
    }

    private static DemoLoopRun RunDemo(DemoLoopSettings settings)
    {
        var (exitCode, output) = Tool.Run(settings.NeokernelBinary!, Inv($"run {settings.SystemPath} --plain --duration {settings.Seconds:0.###}s"), TimeSpan.FromSeconds((settings.Seconds * 2) + 60));
        var match = StatisticsLine.Match(output);
        if (exitCode != 0 || !match.Success)
        {
            var tail = output.Length <= 600 ? output.Trim() : "…" + output[^600..].Trim();
            return DemoLoopRun.Failed(Inv($"neokernel run exited with {exitCode} and printed no '{DemoLoopSettings.ServiceId}: loop statistics' line: {tail}"));
        }

        double Us(string group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        return new DemoLoopRun(long.Parse(match.Groups["cycles"].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups["overruns"].Value, CultureInfo.InvariantCulture), Us("p99"), Us("p999"), Us("max"), Us("exec"), null);
    }

    private static LatencyRun RunCyclictest(DemoLoopSettings settings, string directory, int pair)
    {
        var histfile = Path.Combine(directory, Inv($"cyclictest-demo-{pair}.hist"));
        var arguments = Inv($"-m -p {DemoLoopSettings.Priority} -a {DemoLoopSettings.Cpu} -t 1 -i {DemoLoopSettings.PeriodUs} -l {settings.Cycles} -q -h {DemoLoopSettings.HistogramUs} --histfile={histfile}");
        var (exitCode, output) = Tool.Run("cyclictest", arguments, TimeSpan.FromSeconds((settings.Seconds * 2) + 30));
        return exitCode != 0 || !File.Exists(histfile)
            ? LatencyRun.Failed("cyclictest", Inv($"cyclictest exited with {exitCode}: {output.Trim()}"))
            : HistFile.Parse("cyclictest", histfile);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The controller's loop over one run, in µs; <see cref="Error"/> says why not.</summary>
internal sealed record DemoLoopRun(long Cycles, long Overruns, double WakeP99Us, double WakeP999Us, double WakeMaxUs, double ExecutionP99Us, string? Error)
{
    public static DemoLoopRun Failed(string error) => new(0, 0, double.NaN, double.NaN, double.NaN, double.NaN, error);
}

internal sealed record DemoLoopPair(int Index, DemoLoopRun Demo, LatencyRun Cyclictest)
{
    public double P99Ratio => Demo.Error is null && Cyclictest.Error is null ? Demo.WakeP99Us / Math.Max(1, Cyclictest.P99Us) : double.NaN;
}

internal sealed record DemoLoopResult(DemoLoopSettings Settings, IReadOnlyList<DemoLoopPair> Pairs, string? Load, string? NotMeasured)
{
    public double MedianP99Ratio => Pairs.Count == 0 ? double.NaN : Stats.Median([.. Pairs.Select(p => p.P99Ratio)]);
}
