using System.Diagnostics;
using System.Globalization;

namespace Neokernel.Benchmarks;

/// <summary>What the loop-latency comparison runs: one task, one priority, one CPU for both tools.</summary>
internal sealed record LatencySettings(string? LoopBinary, double Seconds, int Pairs, int Priority, int Cpu, int PeriodUs, int HistogramUs)
{
    /// <summary>The garbage the allocating process beside the loaded scenario makes.</summary>
    public int AllocatingMegabytesPerSecond { get; init; } = AllocatingLoad.MegabytesPerSecondDefault;

    /// <summary>
    /// Eight pairs of 5 s rather than four of 10 s, in the same time: on this shared VM one pair's
    /// p99 ratio ranges from 0.5 to 6 as other work comes and goes on the scale of seconds, and the
    /// median of more, shorter pairs is the steadier estimate of the same comparison (5,000 cycles
    /// still put 50 samples above each run's p99).
    /// </summary>
    public const double SecondsDefault = 5;
    public const int PairsDefault = 8;
    public const int PairsMin = 3;

    public long Cycles => (long)(Seconds * 1_000_000 / PeriodUs);

    public static LatencySettings Default(string? loopBinary) =>
        new(loopBinary, SecondsDefault, PairsDefault, Priority: 80, Cpu: Math.Min(1, Environment.ProcessorCount - 1), PeriodUs: 1000, HistogramUs: 20_000);
}

/// <summary>
/// The Neokernel real-time loop (neokernel-latency, NativeAOT, RealtimeCyclicExecutor) next to
/// cyclictest: same period, SCHED_FIFO priority and CPU, run back to back in pairs (alternating
/// which goes first), idle and under stress-ng load. Both write a microsecond histogram in
/// cyclictest's --histfile format; one parser and one percentile rule read both.
/// </summary>
internal static class LatencyBenchmark
{
    private const string StressArguments = "--cpu 2 --vm 1 --vm-bytes 256M";
    /// <summary>Pause before a scenario: lets the previous work (the IPC benchmark, stress-ng's start) settle.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    public static LatencyResult Run(LatencySettings settings)
    {
        var missing = Missing(settings);
        if (missing is not null)
        {
            Console.WriteLine($"  loop latency: not measured: {missing}");
            return new LatencyResult(settings, [], missing);
        }

        var directory = Directory.CreateTempSubdirectory("neokernel-latency-");
        try
        {
            var scenarios = new List<LatencyScenario> { RunScenario(settings, directory.FullName, "idle", load: null) };
            scenarios.Add(Tool.Exists("stress-ng")
                ? RunScenario(settings, directory.FullName, "loaded", StressArguments)
                : new LatencyScenario("loaded", $"stress-ng {StressArguments}", [], "stress-ng is not installed (scripts/install-deps.sh installs it)"));
            return new LatencyResult(settings, scenarios, null);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string? Missing(LatencySettings settings)
    {
        if (settings.LoopBinary is null)
        {
            return "no --latency-binary given; `./build.sh --target=Bench` publishes neokernel-latency with NativeAOT and passes it";
        }

        if (!File.Exists(settings.LoopBinary))
        {
            return $"{settings.LoopBinary} does not exist";
        }

        return Tool.Exists("cyclictest") ? null : "cyclictest is not installed (package rt-tests; scripts/install-deps.sh installs it)";
    }

    private static LatencyScenario RunScenario(LatencySettings settings, string directory, string name, string? load)
    {
        using var stress = load is null ? null : Tool.StartBackground("stress-ng", $"{load} --timeout {(int)(settings.Pairs * settings.Seconds * 3) + 60}s --quiet");
        using var allocating = load is null ? null : AllocatingLoad.Start(settings.AllocatingMegabytesPerSecond);
        Thread.Sleep(Settle);

        var loadBefore = LoadAverage();
        var pairs = new List<LatencyPair>();
        for (var pair = 1; pair <= settings.Pairs; pair++)
        {
            // Alternate which runs first, so a trend in the background load does not always favour one side.
            LatencyRun ours, anchor;
            if (pair % 2 == 1)
            {
                ours = RunLoop(settings, directory, name, pair);
                anchor = RunCyclictest(settings, directory, name, pair);
            }
            else
            {
                anchor = RunCyclictest(settings, directory, name, pair);
                ours = RunLoop(settings, directory, name, pair);
            }

            var result = new LatencyPair(pair, ours, anchor);
            pairs.Add(result);
            var failure = (ours.Error ?? anchor.Error) is { } error ? $" ({error})" : "";
            Console.WriteLine(Inv($"  loop latency {name} pair {pair}/{settings.Pairs}: neokernel p99 {Show(ours.P99Us)} µs, cyclictest p99 {Show(anchor.P99Us)} µs, ratio {result.P99Ratio:F2}{failure}"));
        }

        var loadAfter = LoadAverage();
        var allocated = allocating is null ? null : AllocatingLoad.Stop(allocating);
        stress?.Stop();
        var described = load is null ? "none" : $"stress-ng {load} and an allocating .NET process ({settings.AllocatingMegabytesPerSecond} MB/s of short-lived garbage)";
        return new LatencyScenario(name, described, pairs, null) { LoadAverageBefore = loadBefore, LoadAverageAfter = loadAfter, AllocatingLoad = allocated };
    }

    /// <summary>The 1-minute load average: how busy the neighbours were (others compile on these cores).</summary>
    private static string LoadAverage()
    {
        var line = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg") : "";
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "?";
    }

    private static LatencyRun RunLoop(LatencySettings settings, string directory, string scenario, int pair)
    {
        var histfile = Path.Combine(directory, $"neokernel-{scenario}-{pair}.hist");
        var arguments = Inv($"--seconds {settings.Seconds} --priority {settings.Priority} --cpu {settings.Cpu} --period-us {settings.PeriodUs} --histogram-us {settings.HistogramUs} --histfile {histfile}");
        return RunTool("neokernel", settings.LoopBinary!, arguments, histfile, settings);
    }

    private static LatencyRun RunCyclictest(LatencySettings settings, string directory, string scenario, int pair)
    {
        var histfile = Path.Combine(directory, $"cyclictest-{scenario}-{pair}.hist");
        var arguments = Inv($"-m -p {settings.Priority} -a {settings.Cpu} -t 1 -i {settings.PeriodUs} -l {settings.Cycles} -q -h {settings.HistogramUs} --histfile={histfile}");
        return RunTool("cyclictest", "cyclictest", arguments, histfile, settings);
    }

    private static LatencyRun RunTool(string name, string fileName, string arguments, string histfile, LatencySettings settings)
    {
        var timeout = TimeSpan.FromSeconds((settings.Seconds * 2) + 30);
        var (exitCode, output) = Tool.Run(fileName, arguments, timeout);
        if (exitCode != 0 || !File.Exists(histfile))
        {
            return LatencyRun.Failed(name, Inv($"{name} exited with {exitCode}: {output.Trim()}"));
        }

        return HistFile.Parse(name, histfile);
    }

    private static string Show(long us) => us < 0 ? "-" : us.ToString(CultureInfo.InvariantCulture);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

internal sealed record LatencyResult(LatencySettings Settings, IReadOnlyList<LatencyScenario> Scenarios, string? NotMeasured)
{
    public IEnumerable<LatencyPair> AllPairs => Scenarios.SelectMany(s => s.Pairs);
}

internal sealed record LatencyScenario(string Name, string Load, IReadOnlyList<LatencyPair> Pairs, string? NotMeasured)
{
    public string LoadAverageBefore { get; init; } = "?";

    public string LoadAverageAfter { get; init; } = "?";

    /// <summary>What the allocating process beside the loop says it did; null when none ran.</summary>
    public string? AllocatingLoad { get; init; }

    public double MedianP99Ratio => Pairs.Count == 0 ? double.NaN : Stats.Median(Pairs.Select(p => p.P99Ratio).ToList());
}

internal sealed record LatencyPair(int Index, LatencyRun Neokernel, LatencyRun Cyclictest)
{
    /// <summary>Ours over cyclictest's: below 1 we woke up sooner at the 99th percentile.</summary>
    public double P99Ratio => Neokernel.Error is null && Cyclictest.Error is null
        ? (double)Neokernel.P99Us / Math.Max(1, Cyclictest.P99Us)
        : double.NaN;
}

/// <summary>One run's wake-up latency in whole microseconds, from its histogram; -1 when it failed.</summary>
internal sealed record LatencyRun(string Tool, long Samples, long P50Us, long P99Us, long P999Us, long MaxUs, long Overflows, IReadOnlyList<int>? Collections, string? Error)
{
    public static LatencyRun Failed(string tool, string error) => new(tool, 0, -1, -1, -1, -1, 0, null, error);
}

/// <summary>Reads cyclictest's --histfile format (which neokernel-latency writes too).</summary>
internal static class HistFile
{
    public static LatencyRun Parse(string tool, string path)
    {
        var counts = new List<(long Us, long Count)>();
        long maxUs = 0, overflows = 0;
        IReadOnlyList<int>? collections = null;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith('#'))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var us) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var count) && count > 0)
                {
                    counts.Add((us, count));
                }
            }
            else if (Value(line, "# Max Latencies:") is { } max)
            {
                maxUs = long.Parse(max.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            }
            else if (Value(line, "# Histogram Overflows:") is { } overflow)
            {
                overflows = long.Parse(overflow.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            }
            else if (Value(line, "# Neokernel GC collections:") is { } gc)
            {
                collections = gc.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList();
            }
        }

        var samples = counts.Sum(c => c.Count) + overflows;
        if (samples == 0)
        {
            return LatencyRun.Failed(tool, $"{path} holds no samples");
        }

        long At(double percent) => Percentile(counts, samples, maxUs, percent);
        return new LatencyRun(tool, samples, At(50), At(99), At(99.9), maxUs, overflows, collections, null);
    }

    /// <summary>Nearest rank over the histogram; a rank among the overflows reads as the maximum.</summary>
    private static long Percentile(List<(long Us, long Count)> counts, long samples, long maxUs, double percent)
    {
        var rank = (long)Math.Ceiling(percent / 100.0 * samples);
        long seen = 0;
        foreach (var (us, count) in counts)
        {
            seen += count;
            if (seen >= rank)
            {
                return us;
            }
        }

        return maxUs;
    }

    private static string? Value(string line, string prefix) =>
        line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..].Trim() : null;
}

/// <summary>Runs the external tools: cyclictest, stress-ng and the published loop binary.</summary>
internal static class Tool
{
    public static bool Exists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, name)));

    /// <summary>Runs to the end; returns the exit code and what it printed (stdout then stderr).</summary>
    public static (int ExitCode, string Output) Run(string fileName, string arguments, TimeSpan timeout)
    {
        using var process = Process.Start(Redirected(fileName, arguments))
            ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"killed after {timeout.TotalSeconds:F0} s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }

    public static BackgroundProcess StartBackground(string fileName, string arguments) =>
        new(Process.Start(Redirected(fileName, arguments)) ?? throw new InvalidOperationException($"could not start {fileName}"));

    private static ProcessStartInfo Redirected(string fileName, string arguments) => new(fileName, arguments)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
}

/// <summary>A load generator that lives for one scenario: stopped (with its workers) at the end.</summary>
internal sealed class BackgroundProcess(Process process) : IDisposable
{
    public void Stop()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Stop();
        process.Dispose();
    }
}
