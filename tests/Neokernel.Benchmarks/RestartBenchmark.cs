using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Benchmarks;

/// <summary>What the restart-time benchmark runs: demos under the NativeAOT binary, and how often it kills their level sensors.</summary>
internal sealed record RestartSettings(string? NeokernelBinary, string SystemPath, int Kills, double SpacingSeconds, int Instances)
{
    public const int KillsDefault = 30;
    public const int KillsMin = 3;

    /// <summary>
    /// Demos side by side, killed in turn: each one's level sensor is killed every
    /// <see cref="SpacingSecondsDefault"/> × Instances = 10.65 s, longer than its restart window
    /// (withinMs 10 s), so every restart waits the manifest's initial backoff, as after a lone crash,
    /// while the harness still kills every few seconds and stays inside its time budget.
    /// </summary>
    public const int InstancesDefault = 3;

    /// <summary>Between two kills, of any instance.</summary>
    public const double SpacingSecondsDefault = 3.55;

    public const double SpacingSecondsMin = 0.5;

    /// <summary>One driver killed more often than this would exhaust its restart intensity (5 restarts within 10 s).</summary>
    public const double InstanceSpacingSecondsMin = 2.5;

    /// <summary>The level sensor's restart window (its manifest's withinMs), in which each restart doubles the next backoff.</summary>
    public const double RestartWindowSeconds = 10;

    /// <summary>A restart comes about a backoff after its kill: kills this much more than a window apart always find the previous restart out of it.</summary>
    public const double RestartWindowMarginSeconds = 0.2;

    public const string ServiceId = "level-sensor";
    public const string Point = "tank.inputs.level";

    /// <summary>Without the OS sandbox (<c>run --no-sandbox</c>), to measure what the sandbox costs a restart.</summary>
    public bool NoSandbox { get; init; }

    /// <summary>How long one instance's level sensor lives between its kills.</summary>
    public double InstanceSpacingSeconds => SpacingSeconds * Instances;

    /// <summary>Whether every restart waits only the initial backoff, as after a lone crash.</summary>
    public bool RestartsAlone => InstanceSpacingSeconds > RestartWindowSeconds + RestartWindowMarginSeconds;

    public static RestartSettings Default(string? neokernelBinary) =>
        new(neokernelBinary, Path.Combine("manifests", "systems", "tank-demo.yaml"), KillsDefault, SpacingSecondsDefault, InstancesDefault);
}

/// <summary>
/// Restart time of an isolated driver: runs <see cref="RestartSettings.Instances"/> instances of
/// <c>neokernel run manifests/systems/tank-demo.yaml</c> (NativeAOT) with <c>--quality-log</c> and
/// <c>--trace-jsonl</c>, kills their level sensors' processes with SIGKILL in turn,
/// <see cref="RestartSettings.Kills"/> times in all, and takes each kill's time on CLOCK_MONOTONIC
/// right before the kill(2) call. Each run's files, written when it ends, say when its kernel saw
/// the exit (fault), when the supervisor restarted the driver (restart), when the new process was
/// started (Running), and when the level point turned Good again with a source timestamp after the
/// kill: the driver's first good sample, stamped by the driver itself on the same clock. Halfway
/// between kills the anchors run: the same binary started as a process to a trivial end, so they
/// meet the same machine and the same running systems.
/// </summary>
internal static class RestartBenchmark
{
    private const int SignalKill = 9;
    private const short PollIn = 1;
    private const int PidfdWaitMsMax = 1_000;

    /// <summary>The runs boot and their drivers settle before the first kill.</summary>
    internal static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(4);

    /// <summary>The runs go on this long after the last kill's anchors, well after the last restart completed.</summary>
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

        if (settings.InstanceSpacingSeconds < RestartSettings.InstanceSpacingSecondsMin)
        {
            return Inv($"each level sensor would be killed every {settings.InstanceSpacingSeconds:0.##} s, under {RestartSettings.InstanceSpacingSecondsMin} s: its restart intensity would run out; raise --restart-spacing or --restart-instances");
        }

        return File.Exists(settings.SystemPath) ? null : $"{Path.GetFullPath(settings.SystemPath)} does not exist; run the harness from the repository root";
    }

    private static RestartResult Measure(RestartSettings settings, string directory)
    {
        var duration = WarmUp + ((settings.Kills - 0.5) * TimeSpan.FromSeconds(settings.SpacingSeconds)) + Tail;
        var runs = Enumerable.Range(0, settings.Instances).Select(i => DemoRun.Start(settings, directory, i + 1, duration)).ToList();
        var anchors = new AnchorStarts(settings);
        string? error = null;
        try
        {
            Thread.Sleep(WarmUp);
            error = Kill(settings, runs, anchors);
        }
        finally
        {
            foreach (var run in runs)
            {
                // Every run must end before its files are read, whatever went wrong before.
                var ended = run.WaitForEnd(duration + TimeSpan.FromSeconds(60));
                error ??= ended;
            }
        }

        var samples = new List<RestartSample>();
        var recoveries = new List<string>();
        var otherFaults = new List<string>();
        var traceComplete = true;
        foreach (var run in runs)
        {
            if (run.Failure() is { } failure)
            {
                foreach (var other in runs)
                {
                    other.Dispose();
                }

                return RestartResult.NotMeasuredBecause(settings, error ?? failure) with { Anchors = anchors.Results() };
            }

            var quality = QualityLogFile.Read(run.QualityLog);
            var events = TraceFile.Read(run.Trace);
            var matched = RestartTimeline.Match(run.Kills, quality, events, RestartSettings.ServiceId, RestartSettings.Point);
            samples.AddRange(matched.Select((m, k) => m with { Instance = run.Index, PidfdReadableNs = run.PidfdReadable[k] }));
            recoveries.AddRange(run.RecoveryLines().Select(line => Inv($"instance {run.Index}: {line}")));
            otherFaults.AddRange(RestartTimeline.OtherFaults(matched, quality, events, RestartSettings.ServiceId).Select(f => Inv($"instance {run.Index} {f}")));
            traceComplete &= events.Count > 0 && events[0].Sequence == 0;
            run.Dispose();
        }

        return new RestartResult(settings, [.. samples.OrderBy(m => m.KillNs)], anchors.Results(), recoveries, error)
        {
            OtherFaults = otherFaults,
            TraceComplete = traceComplete,
        };
    }

    /// <summary>The kills, of each instance in turn, each followed halfway to the next by one start of each anchor.</summary>
    private static string? Kill(RestartSettings settings, List<DemoRun> runs, AnchorStarts anchors)
    {
        var spacingNs = (long)(settings.SpacingSeconds * 1e9);
        for (var k = 1; k <= settings.Kills; k++)
        {
            var run = runs[(k - 1) % runs.Count];
            if (run.HasExited)
            {
                return Inv($"instance {run.Index} ended after {k - 1} kills");
            }

            var pid = ServiceHostProcess.Find(run.Pid, RestartSettings.ServiceId, run.Killed, TimeSpan.FromSeconds(settings.InstanceSpacingSeconds));
            if (pid is null)
            {
                return Inv($"no {RestartSettings.ServiceId} process of instance {run.Index} appeared before kill {k}");
            }

            // The harness watches the same process's pidfd as the kernel's control thread does: when it
            // turns readable, the OS has done its part, and what is left of the detection is ours.
            using var pidfd = Pidfd.Open(pid.Value);
            var killNs = LinuxTime.MonotonicNs();
            if (Native.kill(pid.Value, SignalKill) != 0)
            {
                return Inv($"kill({pid}, SIGKILL) failed with errno {Marshal.GetLastPInvokeError()}");
            }

            run.Kills.Add(killNs);
            run.PidfdReadable.Add(pidfd is null ? null : WaitReadable(pidfd));
            run.Killed.Add(pid.Value);
            SleepUntil(killNs + (spacingNs / 2));
            anchors.StartEachOnce();
            Console.WriteLine(Inv($"  restart time: kill {k}/{settings.Kills}: {RestartSettings.ServiceId} of instance {run.Index} (pid {pid})"));
            if (k < settings.Kills)
            {
                SleepUntil(killNs + spacingNs);
            }
        }

        return null;
    }

    /// <summary>
    /// CLOCK_MONOTONIC when <paramref name="pidfd"/> turned readable (the process exited); null when it
    /// did not within <see cref="PidfdWaitMsMax"/>. It spins on poll(2) with no timeout rather than
    /// sleeping in it, so the harness's own wake-up (milliseconds on a loaded machine) does not count
    /// as the OS's: the OS's part ends when the exit is visible, not when a sleeper is scheduled.
    /// </summary>
    private static unsafe long? WaitReadable(SafeFileHandle pidfd)
    {
        var poll = new PollFd { Fd = (int)pidfd.DangerousGetHandle(), Events = PollIn };
        var deadlineNs = LinuxTime.MonotonicNs() + (PidfdWaitMsMax * 1_000_000L);
        while (LinuxTime.MonotonicNs() < deadlineNs)
        {
            if (Native.poll(&poll, 1, 0) == 1)
            {
                return LinuxTime.MonotonicNs();
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

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int kill(int pid, int signal);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern unsafe int poll(PollFd* fds, nuint count, int timeoutMs);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}

/// <summary>One <c>neokernel run</c> of the demo: its process, its files, and the kills it took.</summary>
internal sealed class DemoRun : IDisposable
{
    private readonly Process process;
    private readonly Task<string> stdout;
    private readonly Task<string> stderr;

    private DemoRun(int index, Process process, string qualityLog, string trace)
    {
        Index = index;
        this.process = process;
        QualityLog = qualityLog;
        Trace = trace;
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
    }

    public int Index { get; }

    public string QualityLog { get; }

    public string Trace { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public List<long> Kills { get; } = [];

    /// <summary>Per kill: when the killed process's pidfd turned readable for the harness; null when it did not.</summary>
    public List<long?> PidfdReadable { get; } = [];

    public HashSet<int> Killed { get; } = [];

    public static DemoRun Start(RestartSettings settings, string directory, int index, TimeSpan duration)
    {
        var qualityLog = Path.Combine(directory, Inv($"quality-{index}.log"));
        var trace = Path.Combine(directory, Inv($"trace-{index}.jsonl"));
        // Each instance in a network namespace of its own, with its own loopback: the demo's gateway
        // listens on 127.0.0.1:4840, and side by side only the first instance could bind it (the
        // others' gateways failed for good, and their runs exited). The shell execs the kernel, so
        // the process started is the kernel whose children the kills look for.
        var info = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] sandbox = settings.NoSandbox ? ["--no-sandbox"] : [];
        foreach (var argument in (string[])["--net", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"", settings.NeokernelBinary!, "run", settings.SystemPath, "--plain", "--duration", Inv($"{duration.TotalSeconds:0.###}s"), "--quality-log", qualityLog, "--trace-jsonl", trace, .. sandbox])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {settings.NeokernelBinary}");
        return new DemoRun(index, process, qualityLog, trace);
    }

    /// <summary>Waits for the run's own end (its --duration); null when it ended, else why not.</summary>
    public string? WaitForEnd(TimeSpan timeout)
    {
        if (process.WaitForExit(timeout))
        {
            process.WaitForExit();
            return null;
        }

        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return Inv($"instance {Index} did not end on its --duration");
    }

    /// <summary>Why its files cannot be read; null when they can.</summary>
    public string? Failure() =>
        process.ExitCode != 0 || !File.Exists(QualityLog) || !File.Exists(Trace)
            ? Inv($"instance {Index}: neokernel run exited with {process.ExitCode}: {LastCharacters(Output())}")
            : null;

    /// <summary>The run's summary lines about the driver's recoveries.</summary>
    public IEnumerable<string> RecoveryLines() =>
        Output().Split('\n').Where(l => l.StartsWith($"{RestartSettings.ServiceId}: recovered", StringComparison.Ordinal)).Select(l => l.Trim());

    public void Dispose() => process.Dispose();

    private string Output() => stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();

    private static string LastCharacters(string text) => text.Length <= 600 ? text.Trim() : "…" + text[^600..].Trim();

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The process of a service that a <c>neokernel run</c> started: its child with <c>--service ID</c> (<see cref="KernelChildren"/>).</summary>
internal static class ServiceHostProcess
{
    public static int? Find(int kernelPid, string serviceId, IReadOnlySet<int> excluded, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        do
        {
            foreach (var pid in KernelChildren.ServiceHosts(kernelPid, serviceId))
            {
                if (!excluded.Contains(pid))
                {
                    return pid;
                }
            }

            Thread.Sleep(20);
        }
        while (Stopwatch.GetTimestamp() < deadline);
        return null;
    }
}

/// <summary>
/// The anchors of the restart time: the same NativeAOT binary started as a process to a trivial
/// end, timed like a restart's spawn (Process.Start, here from before it to the reaped exit). No
/// restart can be faster than <c>--version</c> (fork/exec, runtime start, exit); <c>validate</c>
/// adds loading the system's manifests, which the kernel does and a service host no longer does.
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

internal sealed record RestartResult(RestartSettings Settings, IReadOnlyList<RestartSample> Samples, IReadOnlyList<AnchorResult> Anchors, IReadOnlyList<string> KernelRecoveries, string? Error)
{
    public static RestartResult NotMeasuredBecause(RestartSettings settings, string reason) => new(settings, [], [], [], reason);

    public IReadOnlyList<RestartSample> Complete => [.. Samples.Where(s => s.Complete)];

    /// <summary>Faults of the driver that no kill caused.</summary>
    public IReadOnlyList<string> OtherFaults { get; init; } = [];

    /// <summary>Whether the trace still held the run's first event (its ring had not wrapped).</summary>
    public bool TraceComplete { get; init; } = true;
}
