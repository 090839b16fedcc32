using System.Diagnostics;
using System.Text.Json;

namespace Neokernel.Benchmarks;

/// <summary>
/// The scale row of issue 9: 50 sessions of 1000 monitored items each on one server, and one more
/// session reading 100 nodes at a time (`bench.mjs sessions`): does the server stay responsive, and
/// does a real-time loop beside it keep its latency? The loop is cyclictest (SCHED_FIFO
/// <see cref="CyclictestPriority"/> on CPU <see cref="CyclictestCpu"/>, 1 ms period), first for
/// <see cref="IdleSeconds"/> with the servers idle, then over the whole sessions run; p99 judges.
/// </summary>
internal static partial class OpcUaBenchmark
{
    public const int ScaleSessions = 50;
    public const int ScaleItems = 1000;
    /// <summary>
    /// A SCADA client's usual rate: 50 × 1000 items at 100 ms would be 500,000 notifications/s,
    /// more than the one Node.js client process holding the sessions can decode on the machines we
    /// run on, so the client, not the server, would set the figures.
    /// </summary>
    public const int ScaleIntervalMs = 1000;
    public const double ScaleSeconds = 8;
    public const double ScaleWarmupSeconds = 3;
    public const double IdleSeconds = 10;
    public const int CyclictestPriority = 80;
    public const int CyclictestCpu = 1;
    public const int CyclictestPeriodUs = 1000;
    private const int HistogramUs = 10_000;

    /// <summary>cyclictest idle, then the sessions run with cyclictest beside it; every figure of the scale rows into <paramref name="run"/>.</summary>
    private static void MeasureScale(OpcUaServerRuns run)
    {
        var directory = Directory.CreateTempSubdirectory("neokernel-opcua-scale-");
        try
        {
            var idle = Cyclictest.Run(Path.Combine(directory.FullName, "idle.hist"), IdleSeconds);
            Record(run, OpcUaFigure.CyclictestIdleP99Us, null, idle);
            using var loaded = Cyclictest.Start(Path.Combine(directory.FullName, "loaded.hist"));
            MeasureSessions(run);
            Record(run, OpcUaFigure.CyclictestLoadedP99Us, OpcUaFigure.CyclictestLoadedMaxUs, loaded?.Stop() ?? Cyclictest.Missing);
            Console.WriteLine(Inv($"    {run.Server.Name}: cyclictest p99 idle {Show(idle.P99Us)} µs, with {ScaleSessions} sessions {Show(run.Median(OpcUaFigure.CyclictestLoadedP99Us))} µs"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void MeasureSessions(OpcUaServerRuns run)
    {
        string[] options = ["--nodes", run.Server.NodesPattern, "--sessions", Inv($"{ScaleSessions}"), "--items", Inv($"{ScaleItems}"), "--interval-ms", Inv($"{ScaleIntervalMs}"), "--seconds", Inv($"{ScaleSeconds}"), "--warmup-seconds", Inv($"{ScaleWarmupSeconds}")];
        Attempt(run, OpcUaFigure.ScaleServerCpuPercent, "sessions", options, sessions =>
        {
            var reads = sessions.GetProperty("readWhileLoaded");
            run.Add(OpcUaFigure.ScaleNotificationsPerSecond, sessions.GetProperty("totalNotificationsPerSecond").GetDouble());
            run.Add(OpcUaFigure.ScalePerSessionMin, sessions.GetProperty("perSessionMin").GetDouble());
            run.Add(OpcUaFigure.ScaleMissedMessages, sessions.GetProperty("missedMessages").GetDouble());
            run.Add(OpcUaFigure.ScaleOverflows, sessions.GetProperty("overflows").GetDouble());
            run.Add(OpcUaFigure.ScaleReadP50Ms, reads.GetProperty("p50Ms").GetDouble());
            run.Add(OpcUaFigure.ScaleReadP99Ms, reads.GetProperty("p99Ms").GetDouble());
            return Inv($"{ScaleSessions} sessions × {ScaleItems} items: {sessions.GetProperty("totalNotificationsPerSecond").GetDouble():F0} notifications/s (per session min {sessions.GetProperty("perSessionMin").GetDouble():F0}), {sessions.GetProperty("missedMessages").GetInt32()} missed messages, {sessions.GetProperty("overflows").GetInt32()} overflows; a read meanwhile p50 {reads.GetProperty("p50Ms").GetDouble():F2} ms, p99 {reads.GetProperty("p99Ms").GetDouble():F2} ms");
        });
    }

    /// <summary>A cyclictest run's p99 (and max) into the figures; a failed one is noted.</summary>
    private static void Record(OpcUaServerRuns run, OpcUaFigure p99, OpcUaFigure? max, LatencyRun latency)
    {
        if (latency.Error is not null)
        {
            run.Failures.Add($"cyclictest: {latency.Error}");
            return;
        }

        run.Add(p99, latency.P99Us);
        if (max is { } figure)
        {
            run.Add(figure, latency.MaxUs);
        }
    }

    private static string Show(double? value) => value is { } v && v >= 0 ? Inv($"{v:F0}") : "-";

    /// <summary>
    /// cyclictest as the scale row runs it: <c>-m -p 80 -a 1 -t 1 -i 1000</c> with a µs histogram,
    /// for a fixed time or until stopped with SIGINT (it then writes its histogram as at the end).
    /// </summary>
    private sealed class Cyclictest : IDisposable
    {
        private readonly Process process;
        private readonly string histfile;

        private Cyclictest(Process process, string histfile)
        {
            this.process = process;
            this.histfile = histfile;
        }

        public static LatencyRun Run(string histfile, double seconds)
        {
            if (!Tool.Exists("cyclictest"))
            {
                return Missing;
            }

            var (exitCode, output) = Tool.Run("cyclictest", Arguments(histfile) + Inv($" -D {seconds:0}"), TimeSpan.FromSeconds(seconds + 30));
            return Parse(exitCode, output, histfile);
        }

        public static LatencyRun Missing { get; } = LatencyRun.Failed("cyclictest", "not installed (package rt-tests; scripts/install-deps.sh installs it)");

        /// <summary>Starts it until <see cref="Stop"/>; null when it is not installed.</summary>
        public static Cyclictest? Start(string histfile)
        {
            if (!Tool.Exists("cyclictest"))
            {
                return null;
            }

            var info = new ProcessStartInfo("cyclictest", Arguments(histfile)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start cyclictest");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Cyclictest(process, histfile);
        }

        /// <summary>SIGINT, as Ctrl-C: cyclictest stops its thread and writes the histogram of the samples so far.</summary>
        public LatencyRun Stop()
        {
            if (process.HasExited)
            {
                return Parse(process.ExitCode, "cyclictest ended before it was stopped", histfile);
            }

            _ = Tool.Run("kill", Inv($"-INT {process.Id}"), TimeSpan.FromSeconds(5));
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill();
                return LatencyRun.Failed("cyclictest", "did not stop within 10 s of SIGINT");
            }

            return Parse(0, "", histfile);
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5000);
            }

            process.Dispose();
        }

        private static string Arguments(string histfile) =>
            Inv($"-m -p {CyclictestPriority} -a {CyclictestCpu} -t 1 -i {CyclictestPeriodUs} -q -h {HistogramUs} --histfile={histfile}");

        private static LatencyRun Parse(int exitCode, string output, string histfile) =>
            exitCode != 0 || !File.Exists(histfile)
                ? LatencyRun.Failed("cyclictest", Inv($"cyclictest exited with {exitCode}: {output.Trim()}"))
                : HistFile.Parse("cyclictest", histfile);
    }
}
