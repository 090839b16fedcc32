using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Neokernel.Rt.Linux;

namespace Neokernel.Benchmarks;

/// <summary>What the restart-time benchmark runs: the demo under the NativeAOT binary, and how often it kills its level sensor.</summary>
internal sealed record RestartSettings(string? NeokernelBinary, string SystemPath, int Kills, double SpacingSeconds)
{
    public const int KillsDefault = 30;
    public const int KillsMin = 3;

    /// <summary>
    /// Longer than half the level sensor's restart window (withinMs 10 s), so at each kill exactly one
    /// earlier restart is inside the window: every backoff after the first is the same (2 × 50 ms).
    /// </summary>
    public const double SpacingSecondsDefault = 5.5;

    /// <summary>Whether the spacing keeps the driver inside its restart intensity (5 restarts within 10 s).</summary>
    public const double SpacingSecondsMin = 2.5;

    public const string ServiceId = "level-sensor";
    public const string Point = "tank.inputs.level";

    public static RestartSettings Default(string? neokernelBinary) =>
        new(neokernelBinary, Path.Combine("manifests", "systems", "tank-demo.yaml"), KillsDefault, SpacingSecondsDefault);
}

/// <summary>
/// Restart time of an isolated driver: runs <c>neokernel run manifests/systems/tank-demo.yaml</c>
/// (NativeAOT) with <c>--quality-log</c> and <c>--trace-jsonl</c>, kills the level sensor's process
/// with SIGKILL <see cref="RestartSettings.Kills"/> times, and takes each kill's time on
/// CLOCK_MONOTONIC right before the kill(2) call. The run's files, written when it ends, say when
/// the kernel saw the exit (fault), when the supervisor restarted the driver (restart), when the
/// new process was started (Running), and when the level point turned Good again with a source
/// timestamp after the kill: the driver's first good sample, stamped by the driver itself on the
/// same clock. Halfway between kills the anchors run: the same binary started as a process to a
/// trivial end, so they meet the same machine and the same running system.
/// </summary>
internal static class RestartBenchmark
{
    private const int SignalKill = 9;

    /// <summary>The run boots and its drivers settle before the first kill.</summary>
    internal static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(4);

    /// <summary>The run goes on this long after the last kill's anchors, well after the last restart completed.</summary>
    private static readonly TimeSpan Tail = TimeSpan.FromSeconds(2);

    public static RestartResult Run(RestartSettings settings)
    {
        var missing = Missing(settings);
        if (missing is not null)
        {
            Console.WriteLine($"  restart time: not measured: {missing}");
            return RestartResult.NotMeasuredBecause(settings, missing);
        }

        var directory = Directory.CreateTempSubdirectory("neokernel-restart-");
        try
        {
            return Measure(settings, directory.FullName);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string? Missing(RestartSettings settings)
    {
        if (settings.NeokernelBinary is null)
        {
            return "no --neokernel-binary given; `./build.sh --target=Bench` publishes neokernel with NativeAOT and passes it";
        }

        if (!File.Exists(settings.NeokernelBinary))
        {
            return $"{settings.NeokernelBinary} does not exist";
        }

        return File.Exists(settings.SystemPath) ? null : $"{Path.GetFullPath(settings.SystemPath)} does not exist; run the harness from the repository root";
    }

    private static RestartResult Measure(RestartSettings settings, string directory)
    {
        var qualityLog = Path.Combine(directory, "quality.log");
        var trace = Path.Combine(directory, "trace.jsonl");
        var duration = WarmUp + ((settings.Kills - 0.5) * TimeSpan.FromSeconds(settings.SpacingSeconds)) + Tail;
        var info = new ProcessStartInfo(settings.NeokernelBinary!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "run", settings.SystemPath, "--plain", "--duration", Inv($"{duration.TotalSeconds:0.###}s"), "--quality-log", qualityLog, "--trace-jsonl", trace })
        {
            info.ArgumentList.Add(argument);
        }

        using var run = Process.Start(info) ?? throw new InvalidOperationException($"could not start {settings.NeokernelBinary}");
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        var kills = new List<long>();
        var anchors = new AnchorStarts(settings);
        string? error = null;
        try
        {
            Thread.Sleep(WarmUp);
            error = Kill(settings, run, kills, anchors);
        }
        finally
        {
            if (!run.WaitForExit(duration + TimeSpan.FromSeconds(60)))
            {
                run.Kill(entireProcessTree: true);
                error ??= "the run did not end on its --duration";
            }

            run.WaitForExit();
        }

        var output = stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
        if (run.ExitCode != 0 || !File.Exists(qualityLog) || !File.Exists(trace))
        {
            error ??= Inv($"neokernel run exited with {run.ExitCode}: {LastCharacters(output)}");
            return RestartResult.NotMeasuredBecause(settings, error) with { Anchors = anchors.Results() };
        }

        var quality = QualityLogFile.Read(qualityLog);
        var events = TraceFile.Read(trace);
        var samples = RestartTimeline.Match(kills, quality, events, RestartSettings.ServiceId, RestartSettings.Point);
        var recovered = output.Split('\n').FirstOrDefault(l => l.StartsWith($"{RestartSettings.ServiceId}: recovered", StringComparison.Ordinal))?.Trim();
        return new RestartResult(settings, samples, anchors.Results(), recovered, error)
        {
            OtherFaults = RestartTimeline.OtherFaults(samples, quality, events, RestartSettings.ServiceId),
            TraceComplete = events.Count > 0 && events[0].Sequence == 0,
        };
    }

    /// <summary>The kills, each followed halfway to the next by one start of each anchor.</summary>
    private static string? Kill(RestartSettings settings, Process run, List<long> kills, AnchorStarts anchors)
    {
        var spacingNs = (long)(settings.SpacingSeconds * 1e9);
        var killed = new HashSet<int>();
        for (var k = 1; k <= settings.Kills; k++)
        {
            if (run.HasExited)
            {
                return Inv($"the run ended after {k - 1} kills");
            }

            var pid = ServiceHostProcess.Find(run.Id, RestartSettings.ServiceId, killed, TimeSpan.FromSeconds(settings.SpacingSeconds));
            if (pid is null)
            {
                return Inv($"no {RestartSettings.ServiceId} process appeared after kill {k - 1}");
            }

            var killNs = LinuxTime.MonotonicNs();
            if (Native.kill(pid.Value, SignalKill) != 0)
            {
                return Inv($"kill({pid}, SIGKILL) failed with errno {Marshal.GetLastPInvokeError()}");
            }

            kills.Add(killNs);
            killed.Add(pid.Value);
            SleepUntil(killNs + (spacingNs / 2));
            anchors.StartEachOnce();
            Console.WriteLine(Inv($"  restart time: kill {k}/{settings.Kills} of {RestartSettings.ServiceId} (pid {pid})"));
            if (k < settings.Kills)
            {
                SleepUntil(killNs + spacingNs);
            }
        }

        return null;
    }

    private static void SleepUntil(long monotonicNs)
    {
        var remaining = monotonicNs - LinuxTime.MonotonicNs();
        if (remaining > 0)
        {
            Thread.Sleep(TimeSpan.FromTicks(remaining / 100));
        }
    }

    private static string LastCharacters(string text) => text.Length <= 600 ? text.Trim() : "…" + text[^600..].Trim();

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int kill(int pid, int signal);
    }
}

/// <summary>The process of a service that a <c>neokernel run</c> started: found by the socket path in its command line.</summary>
internal static class ServiceHostProcess
{
    public static int? Find(int kernelPid, string serviceId, IReadOnlySet<int> excluded, TimeSpan timeout)
    {
        // ProcessServiceHost names each incarnation's socket neokernel-<kernel pid>-<service>-<incarnation>.sock.
        var marker = $"neokernel-{kernelPid}-{serviceId}-";
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        do
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !excluded.Contains(pid) && CommandLineHas(directory, marker))
                {
                    return pid;
                }
            }

            Thread.Sleep(20);
        }
        while (Stopwatch.GetTimestamp() < deadline);
        return null;
    }

    private static bool CommandLineHas(string procDirectory, string marker)
    {
        try
        {
            var commandLine = File.ReadAllText(Path.Combine(procDirectory, "cmdline"));
            return commandLine.Contains("service-host", StringComparison.Ordinal) && commandLine.Contains(marker, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // It ended while we looked.
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>
/// The anchors of the restart time: the same NativeAOT binary started as a process to a trivial
/// end, timed like a restart's spawn (Process.Start, here from before it to the reaped exit). No
/// restart can be faster than <c>--version</c> (fork/exec, runtime start, exit); <c>validate</c>
/// adds loading the system's manifests, which a service host does before it can connect.
/// </summary>
internal sealed class AnchorStarts(RestartSettings settings)
{
    private readonly List<long> version = [];
    private readonly List<long> validate = [];
    private readonly List<string> failures = [];

    public void StartEachOnce()
    {
        Time(version, "--version");
        Time(validate, "validate", settings.SystemPath);
    }

    public IReadOnlyList<AnchorResult> Results() =>
    [
        new("`neokernel --version`", "fork/exec of the binary, runtime start, print, exit", version, failures),
        new($"`neokernel validate {settings.SystemPath}`", "the same, plus loading and validating the system's manifests", validate, failures),
    ];

    private void Time(List<long> into, params string[] arguments)
    {
        var info = new ProcessStartInfo(settings.NeokernelBinary!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var startNs = LinuxTime.MonotonicNs();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {settings.NeokernelBinary}");
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        var endNs = LinuxTime.MonotonicNs();
        if (process.ExitCode != 0)
        {
            failures.Add($"neokernel {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Trim()}");
            return;
        }

        into.Add(endNs - startNs);
    }
}

internal sealed record AnchorResult(string Name, string What, IReadOnlyList<long> Ns, IReadOnlyList<string> Failures);

internal sealed record RestartResult(RestartSettings Settings, IReadOnlyList<RestartSample> Samples, IReadOnlyList<AnchorResult> Anchors, string? KernelRecoveries, string? Error)
{
    public static RestartResult NotMeasuredBecause(RestartSettings settings, string reason) => new(settings, [], [], null, reason);

    public IReadOnlyList<RestartSample> Complete => [.. Samples.Where(s => s.Complete)];

    /// <summary>Faults of the driver that no kill caused.</summary>
    public IReadOnlyList<string> OtherFaults { get; init; } = [];

    /// <summary>Whether the trace still held the run's first event (its ring had not wrapped).</summary>
    public bool TraceComplete { get; init; } = true;
}
