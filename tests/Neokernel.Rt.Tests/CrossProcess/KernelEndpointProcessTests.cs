using Neokernel.Contracts;
using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Linux.Limits;
using Neokernel.Rt.Linux.Sandbox;
using Neokernel.Rt.TestPeer;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>
/// The kernel's endpoints across processes: a gateway in its own service host process reads
/// kernel.status over shared-memory rings, sees the isolated sensor's cyclic statistics (from the
/// sensor's status page), and restarts the sensor through kernel.control; a client whose route
/// grants no restart is denied, and the kernel traces the denial; a gateway whose loop hangs in a
/// callback is faulted by its heartbeat, with no cyclic task.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class KernelEndpointProcessTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void Gateway_InItsProcess_ReadsIsolatedStatistics_RestartsTheSensor_AndAnIntruderIsDenied()
    {
        using var run = new IsolatedRun("system.yaml");
        var probe = run.Kernel.FindRegion("probe")!;
        var intrusion = run.Kernel.FindRegion("intrusion")!;
        var probeSnapshot = new RegionSnapshot(probe.PointCount);
        var intrusionSnapshot = new RegionSnapshot(intrusion.PointCount);

        run.RunUntil(TimeSpan.FromSeconds(60), () =>
            run.Kernel.TryInspect(probe, probeSnapshot) && probeSnapshot.Value(4) >= 2
            && run.Kernel.TryInspect(intrusion, intrusionSnapshot) && intrusionSnapshot.Quality(0) == Quality.Good);

        var sensor = run.Kernel.Service("sensor");
        Assert.True(probeSnapshot.Value(0) >= 20, $"the gateway saw {probeSnapshot.Value(0)} sensor cycles through kernel.status");
        Assert.True(probeSnapshot.Value(1) > 0 && probeSnapshot.Value(2) > 0, "wake-up and execution p99 of the isolated sensor");
        Assert.Equal((double)KernelReplyStatus.Ok, probeSnapshot.Value(3));
        Assert.Equal(2, probeSnapshot.Value(4));
        Assert.Equal((2, 0), (sensor.Incarnation, sensor.Faults));
        Assert.Equal((double)KernelReplyStatus.Denied, intrusionSnapshot.Value(0));
        var intruder = run.Kernel.Service("intruder");
        Assert.Contains(run.Kernel.Trace.Events(TraceEventKind.CapabilityDeny), e => e.Subject == intruder.TraceId && e.Arg0 == (long)KernelOperation.Restart);

        // The first incarnation's statistics, read from its status page when it was torn down, count in the kernel's totals.
        Assert.True(sensor.CyclesEver >= 20, $"the kernel counted {sensor.CyclesEver} cycles of the isolated sensor");
    }

    [Fact]
    public void Gateway_WhoseLoopHangs_InItsProcess_IsFaultedByItsHeartbeat()
    {
        using var run = new IsolatedRun("hung-system.yaml");
        var hung = run.Kernel.Service("hung");

        run.RunUntil(TimeSpan.FromSeconds(60), () => hung.LastFault is not null);

        Assert.Contains("missed heartbeat: its event loop gave no sign of life", hung.LastFault, StringComparison.Ordinal);
        Assert.Equal(ServiceState.Failed, hung.State);
    }

    /// <summary>
    /// The startup grace of a child process ends at its first cycle: a service host stopped by
    /// SIGSTOP right after it is faulted within its heartbeat timeout (300 ms, plus the 10 ms status
    /// poll and a margin for a loaded machine), not at the end of the 15 s grace, and the fault
    /// names a stall after beats, not silence since start.
    /// </summary>
    [Fact]
    public void CyclicService_StoppedRightAfterItsFirstCycle_IsFaultedWithinItsHeartbeatTimeout()
    {
        const long marginNs = 400 * Ms;
        using var run = new IsolatedRun("stall-system.yaml");
        var stall = run.Kernel.Service("stall");
        run.RunUntil(TimeSpan.FromSeconds(60), () => stall.Statistics?.Cycles >= 1, pollNs: Ms);
        Assert.True(run.Host.Pids.TryGetValue("stall", out var pid), "the stalling service's process is running");
        var stoppedAtNs = run.Platform.NowNs;
        Assert.Equal(0, Kill(pid, SignalStop));

        run.RunUntil(TimeSpan.FromSeconds(30), () => stall.LastFault is not null, pollNs: Ms);

        var faultNs = run.Kernel.Trace.Events(TraceEventKind.Fault).First(e => e.Subject == stall.TraceId).TimeNs;
        Assert.InRange(faultNs - stoppedAtNs, 0, stall.HeartbeatTimeoutNs + marginNs);
        Assert.Contains("missed heartbeat: no cycle completed for", stall.LastFault, StringComparison.Ordinal);
        Assert.EndsWith("since its last beat", stall.LastFault, StringComparison.Ordinal);
    }

    private const int SignalStop = 19;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>
    /// A kernel whose every service runs in a test peer service host process, endpoints on shared
    /// rings; each process in the OS sandbox of <c>neokernel run</c> unless <c>sandboxed</c> is false.
    /// </summary>
    internal sealed class IsolatedRun : IDisposable
    {
        private readonly SharedMessageQueueProvider queues;

        public IsolatedRun(string systemFile, bool sandboxed = true, string? stateDirectory = null)
        {
            var catalog = KernelClientRole.Catalog();
            var loaded = ManifestLoader.LoadSystem(systemFile, KernelClientRole.Manifests(), catalog);
            Assert.True(loaded.Succeeded, ManifestReport.Format(loaded.Diagnostics));
            var regions = new MemfdRegionMemoryProvider();
            queues = new SharedMessageQueueProvider(_ => true);
            var command = PeerCommand() with { RealTime = false };
            Sandbox = sandboxed ? SandboxSettings.Create(SandboxUser.Resolve(SandboxUser.DefaultName), SandboxFeatures.Probe(), command.FileName, command.PrefixArguments, []) : null;
            Platform = new PacedPlatform(1, new NoDevices(), regions, LinuxTime.MonotonicNs())
            {
                MessageQueues = queues,
                RetainStorage = stateDirectory is null ? null : new Rt.Linux.Retain.LinuxRetainStorage(stateDirectory, Sandbox is { Features.Root: true } ? Sandbox.User : null),
            };
            Host = new ProcessServiceHost(Platform, command with { Sandbox = Sandbox }, new ProcessLimiter(TextWriter.Null));
            Kernel = new SystemKernel(loaded.System!, catalog, Platform, hostSelector: _ => Host);
            Kernel.Boot();
        }

        public SystemKernel Kernel { get; }

        public PacedPlatform Platform { get; }

        public ProcessServiceHost Host { get; }

        public SandboxSettings? Sandbox { get; }

        /// <summary>Runs the kernel's loop until <paramref name="done"/> holds (checked every <paramref name="pollNs"/>, 50 ms unless told) or the time is up.</summary>
        public void RunUntil(TimeSpan limit, Func<bool> done, long pollNs = 50 * Ms)
        {
            using var stop = new CancellationTokenSource(limit);
            var check = new Check(done, stop, pollNs);
            check.Timer = Platform.CreateTimer(check);
            check.Timer.ArmAt(Platform.NowNs + pollNs);
            Platform.RunUntil(long.MaxValue, stop.Token);
        }

        public void Dispose()
        {
            Kernel.Shutdown();
            Host.Dispose();
            queues.Dispose();
        }

        private static ServiceHostCommand PeerCommand()
        {
            var apphost = Path.Combine(AppContext.BaseDirectory, "Neokernel.Rt.TestPeer");
            return File.Exists(apphost)
                ? new ServiceHostCommand(apphost, ["kernel-host"])
                : new ServiceHostCommand("dotnet", [Path.Combine(AppContext.BaseDirectory, "Neokernel.Rt.TestPeer.dll"), "kernel-host"]);
        }
    }

    private sealed class Check(Func<bool> done, CancellationTokenSource stop, long pollNs) : ITimerCallback
    {
        public IPlatformTimer? Timer { get; set; }

        public void OnTimer(long nowNs)
        {
            if (done())
            {
                stop.Cancel();
                return;
            }

            Timer!.ArmAt(nowNs + pollNs);
        }
    }

    private sealed class NoDevices : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException(uri);
    }
}
