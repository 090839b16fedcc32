using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// Timers of every service, cyclic or not, on virtual time: one-shot, periodic, cancelled, revoked
/// with their instance, faulting like a handler, allocation-free when re-armed; and the heartbeat of
/// services without a cyclic task.
/// </summary>
public sealed class ServiceTimerTests
{
    private const long Ms = 1_000_000;

    /// <summary>Records each firing's time; optionally runs an action on each.</summary>
    private sealed class Recorder(Action<long>? onFire = null) : ITimerCallback
    {
        public List<long> Fired { get; } = [];

        public long Count { get; private set; }

        public bool Record { get; set; } = true;

        public void OnTimer(long nowNs)
        {
            Count++;
            if (Record)
            {
                Fired.Add(nowNs);
            }

            onFire?.Invoke(nowNs);
        }
    }

    /// <summary>A system of one service without a timing section whose start runs <paramref name="start"/>.</summary>
    private static (SystemKernel Kernel, SimulationPlatform Platform) Boot(Action<IServiceContext> start)
    {
        var system = new TestSystem();
        system.Add("gateway", "test.gateway", periodUs: 0).Kind = "gateway";
        system.Catalog.Program("test.gateway", () => new DelegateService(start));
        return system.Boot();
    }

    [Fact]
    public void CreateTimer_ServiceWithoutTiming_HasAClockAndAOneShotThatFiresOnce()
    {
        var recorder = new Recorder();
        IServiceTimer? timer = null;
        var (kernel, platform) = Boot(c =>
        {
            timer = c.CreateTimer(recorder);
            timer.ArmAt(c.Clock.NowNs + (5 * Ms));
        });

        platform.RunUntil(50 * Ms);

        Assert.Equal([5 * Ms], recorder.Fired);
        Assert.False(timer!.IsArmed);
        Assert.Equal(0, timer.PeriodNs);
        Assert.Equal(ServiceState.Running, kernel.Service("gateway").State);
    }

    [Fact]
    public void ArmPeriodic_FiresOnItsGrid_UntilCancelled()
    {
        var recorder = new Recorder();
        IServiceTimer? timer = null;
        var (_, platform) = Boot(c =>
        {
            timer = c.CreateTimer(recorder);
            timer.ArmPeriodic(10 * Ms, 3 * Ms);
        });

        platform.RunUntil(40 * Ms);
        timer!.Cancel();
        platform.RunUntil(100 * Ms);

        Assert.Equal([3 * Ms, 13 * Ms, 23 * Ms, 33 * Ms], recorder.Fired);
        Assert.False(timer.IsArmed);
    }

    [Fact]
    public void ArmAfter_ReArmedBeforeDue_ReplacesTheEarlierDueTime()
    {
        var recorder = new Recorder();
        IServiceTimer? timer = null;
        var (_, platform) = Boot(c =>
        {
            timer = c.CreateTimer(recorder);
            timer.ArmAfter(10 * Ms);
        });

        platform.RunUntil(5 * Ms);
        timer!.ArmAfter(20 * Ms);
        platform.RunUntil(100 * Ms);

        Assert.Equal([25 * Ms], recorder.Fired);
    }

    [Fact]
    public void Timer_OfATornDownInstance_NeverFiresAndCannotBeReArmed()
    {
        var recorder = new Recorder();
        var timers = new List<IServiceTimer>();
        IServiceContext? first = null;
        var (kernel, platform) = Boot(c =>
        {
            first ??= c;
            var timer = c.CreateTimer(recorder);
            timers.Add(timer);
            if (timers.Count == 1)
            {
                timer.ArmPeriodic(1 * Ms, 1 * Ms);
            }
        });

        platform.RunUntil(10 * Ms + 1);
        first!.ReportFault("test");
        var firedBeforeFault = recorder.Count;
        platform.RunUntil(2_000 * Ms);

        Assert.Equal(10, firedBeforeFault);
        Assert.Equal(firedBeforeFault, recorder.Count);
        Assert.False(timers[0].IsArmed);
        Assert.Equal(2, kernel.Service("gateway").Incarnation);
        Assert.Throws<CapabilityDeniedException>(() => timers[0].ArmAfter(Ms));
    }

    [Fact]
    public void Timer_CallbackThrows_FaultsTheServiceLikeAHandler()
    {
        var recorder = new Recorder(_ => throw new InvalidOperationException("boom"));
        var (kernel, platform) = Boot(c => c.CreateTimer(recorder).ArmAfter(Ms));

        platform.RunUntil(2 * Ms);

        var gateway = kernel.Service("gateway");
        Assert.Equal(1, gateway.Faults);
        Assert.Contains("timer callback threw InvalidOperationException: boom", gateway.LastFault, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateTimer_BeyondTheBound_IsRefused()
    {
        var recorder = new Recorder();
        var (kernel, platform) = Boot(c =>
        {
            for (var i = 0; i <= 64; i++)
            {
                c.CreateTimer(recorder);
            }
        });

        platform.RunUntil(Ms);

        Assert.Contains("64 timers", kernel.Service("gateway").LastFault, StringComparison.Ordinal);
    }

    [Fact]
    public void Rearming_InCallbacks_AllocatesNothing()
    {
        IServiceTimer? oneShot = null;
        var periodic = new Recorder { Record = false };
        var timeout = new Recorder(_ => oneShot!.ArmAfter(3 * Ms)) { Record = false };
        var (_, platform) = Boot(c =>
        {
            c.CreateTimer(periodic).ArmPeriodic(Ms, Ms);
            oneShot = c.CreateTimer(timeout);
            oneShot.ArmAfter(3 * Ms);
        });
        platform.RunUntil(100 * Ms);
        var endNs = 100 * Ms;

        AllocationAssert.NoAllocations(200, _ =>
        {
            endNs += 10 * Ms;
            platform.RunUntil(endNs);
        });

        Assert.True(periodic.Count > 2_000);
        Assert.True(timeout.Count > 600);
    }

    [Fact]
    public void Timers_TwoRunsWithTheSameSeed_HaveTheSameDigest()
    {
        string Run()
        {
            var recorder = new Recorder();
            var (kernel, platform) = Boot(c =>
            {
                var random = c.Random;
                c.CreateTimer(recorder).ArmPeriodic(7 * Ms, Ms);
                IServiceTimer? jitter = null;
                jitter = c.CreateTimer(new Recorder(_ => jitter!.ArmAfter((long)(random.NextDouble() * 5 * Ms) + 1)));
                jitter.ArmAfter(Ms);
            });
            platform.RunUntil(500 * Ms);
            return $"{kernel.Trace.DigestHex} {string.Join(',', recorder.Fired)} {platform.EventsRun}";
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Heartbeat_ServiceWithoutCyclicTask_InProcess_IsKeptAliveByItsLoop()
    {
        var (kernel, platform) = Boot(_ => { });

        platform.RunUntil(10_000 * Ms);

        var gateway = kernel.Service("gateway");
        Assert.Equal(ServiceState.Running, gateway.State);
        Assert.Equal(0, gateway.Faults);
        Assert.Equal(ServiceRuntime.HeartbeatTimeoutNsWithoutPeriod, gateway.HeartbeatTimeoutNs);
    }

    [Fact]
    public void Heartbeat_HungServiceWithoutCyclicTask_IsFaultedAfterItsTimeout()
    {
        var system = new TestSystem();
        var gateway = system.Add("gateway", "test.none", periodUs: 0);
        gateway.Kind = "gateway";
        gateway.Restart.HeartbeatTimeoutMs = 200;
        var platform = new SimulationPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform, hostSelector: _ => new HungHost());
        kernel.Boot();

        platform.RunUntil(199 * Ms);
        Assert.Equal(0, kernel.Service("gateway").Faults);
        platform.RunUntil(201 * Ms);

        var runtime = kernel.Service("gateway");
        Assert.Equal(1, runtime.Faults);
        Assert.Contains("missed heartbeat: its event loop gave no sign of life for 200 ms (timeout 200 ms)", runtime.LastFault, StringComparison.Ordinal);
        Assert.Contains(kernel.Trace.Events(TraceEventKind.Heartbeat), e => e.Subject == runtime.TraceId && e.Object == -1);
    }

    private sealed class NoDevices : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException($"no device '{uri}' in this test");
    }

    /// <summary>A host whose instances start and then never show a sign of life: a child whose event loop hangs in a handler.</summary>
    private sealed class HungHost : IServiceHost
    {
        public IServiceInstance Create(ServiceLaunch launch) => new Instance();

        private sealed class Instance : IServiceInstance
        {
            public CyclicStatistics? Statistics => null;

            public long StartupGraceNs => 0;

            public void Start()
            {
            }

            public void Stop()
            {
            }

            public void Teardown()
            {
            }
        }
    }
}
