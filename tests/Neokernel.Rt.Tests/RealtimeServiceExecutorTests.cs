using Neokernel.Kernel;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

/// <summary>
/// A real-time task that borrows its service's event loop: loop events (deliveries, timers) and
/// the body run on the task's SCHED_FIFO thread, one after the other, never concurrently and
/// without allocating; while the control thread holds the loop the body does not run.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class RealtimeServiceExecutorTests
{
    private const long Ms = 1_000_000;
    private const int SchedFifo = 1;
    private const int SamplesMax = 400;
    private static readonly TimeSpan WaitMax = TimeSpan.FromSeconds(30);

    /// <summary>What ran on which thread, whether two callbacks overlapped, and what the task's thread allocated, in preallocated arrays.</summary>
    private sealed class ThreadProbe
    {
        private readonly ThreadAllocationSampler allocation = new(SamplesMax);
        private int inside;

        public int Overlaps { get; private set; }

        public int OtherThreads { get; private set; }

        public int TaskThreadId { get; private set; } = -1;

        public int Policy { get; private set; } = -1;

        public int Priority { get; private set; } = -1;

        public int Samples => allocation.Count;

        /// <summary>Called at the top of every callback of the service.</summary>
        public void Enter()
        {
            if (Interlocked.Exchange(ref inside, 1) != 0)
            {
                Overlaps++;
            }

            var id = Environment.CurrentManagedThreadId;
            if (TaskThreadId < 0)
            {
                TaskThreadId = id;
                Policy = LinuxScheduling.CurrentThreadPolicy();
                Priority = LinuxScheduling.CurrentThreadRealtimePriority();
            }
            else if (id != TaskThreadId)
            {
                OtherThreads++;
            }
        }

        public void Leave() => Volatile.Write(ref inside, 0);

        /// <summary>Once per cycle, from the body.</summary>
        public void Sample() => allocation.Sample();

        public long AllocatedAfter(int warmUp) => allocation.AllocatedAfter(warmUp);
    }

    /// <summary>A body and a self-re-arming loop timer that both report to one probe.</summary>
    private sealed class LoopAndBody(ThreadProbe probe) : ICyclicBody, ITimerCallback
    {
        public long BodyRuns;
        public long TimerRuns;
        public IPlatformTimer? Timer;

        public void Execute(in CycleInfo cycle)
        {
            probe.Enter();
            probe.Sample();
            BodyRuns++;
            probe.Leave();
        }

        public void OnTimer(long nowNs)
        {
            probe.Enter();
            TimerRuns++;
            Timer!.ArmAt(nowNs + (2 * Ms));
            probe.Leave();
        }
    }

    private sealed class CountingObserver : ICyclicTaskObserver
    {
        public long Completed;
        public Exception? Fault;
        public int FaultThreadId = -1;

        public void OnBodyFault(Exception exception)
        {
            Fault = exception;
            FaultThreadId = Environment.CurrentManagedThreadId;
        }

        public void OnOverrun(long lateNs)
        {
        }

        public void OnWatchdog(long consecutiveOverruns)
        {
        }

        public void OnCycleCompleted(long nowNs) => Interlocked.Increment(ref Completed);
    }

    private static CyclicTaskSpec Fifo(string id, long periodNs = 2 * Ms) =>
        new(id, TimingClass.RtFifo, 10, null, periodNs, 0, periodNs, periodNs, OverrunPolicy.Skip, 3);

    private static RealtimeServiceExecutor ExecutorFor(PacedPlatform platform) =>
        new(platform, platform.CyclicExecutor, new RealtimeCyclicOptions { OriginNs = platform.OriginNs });

    [Fact]
    public void LentLoop_EventsAndBodyRunOnTheFifoThread_OneAtATime_WithoutAllocating()
    {
        var platform = new PacedPlatform(1, new NoDevices());
        var executor = ExecutorFor(platform);
        var probe = new ThreadProbe();
        var work = new LoopAndBody(probe);
        work.Timer = platform.CreateTimer(work);
        work.Timer.ArmAt(platform.NowNs + Ms);
        var observer = new CountingObserver();
        var handle = executor.Start(Fifo("probe"), work, observer);
        try
        {
            Thread.Sleep(50);
            Assert.Equal(0, Volatile.Read(ref work.BodyRuns));
            Assert.True(executor.CyclesSkipped > 0, "cycles released before the loop is lent are skipped");
            Assert.Equal(0, Interlocked.Read(ref observer.Completed));

            executor.Lend();
            WaitUntil(() => probe.Samples >= SamplesMax && Volatile.Read(ref work.TimerRuns) >= 100);
            Assert.True(executor.Reclaim(WaitMax));
            var bodyRunsAtReclaim = Volatile.Read(ref work.BodyRuns);
            Thread.Sleep(30);
            Assert.Equal(bodyRunsAtReclaim, Volatile.Read(ref work.BodyRuns));

            Assert.Equal(0, probe.Overlaps);
            Assert.Equal(0, probe.OtherThreads);
            Assert.NotEqual(Environment.CurrentManagedThreadId, probe.TaskThreadId);
            Assert.Equal(SchedFifo, probe.Policy);
            Assert.Equal(10, probe.Priority);
            Assert.Equal(0, probe.AllocatedAfter(warmUp: 100));
            Assert.True(Interlocked.Read(ref observer.Completed) >= SamplesMax);
        }
        finally
        {
            handle.Stop();
        }
    }

    /// <summary>
    /// Guards the promise that a flood of loop events cannot stretch a real-time cycle without
    /// bound: at most 32 due events run before the body of one cycle, and the rest wait for the
    /// next cycles. The bound is written out (32), so a larger or a removed cap fails here.
    /// </summary>
    [Fact]
    public void LentLoop_FloodOfDueEvents_AtMost32RunBeforeOneBody_TheRestInLaterCycles()
    {
        const int events = 100;
        var platform = new PacedPlatform(1, new NoDevices());
        var executor = ExecutorFor(platform);
        var flood = new Flood();
        for (var i = 0; i < events; i++)
        {
            platform.CreateTimer(flood).ArmAt(platform.NowNs);
        }

        var handle = executor.Start(Fifo("flooded"), flood, new CountingObserver());
        try
        {
            executor.Lend();
            WaitUntil(() => Volatile.Read(ref flood.EventRuns) == events && Volatile.Read(ref flood.BodyRuns) > 5);
            Assert.True(executor.Reclaim(WaitMax));
            Assert.Equal(32, flood.EventsBeforeOneBodyMax);
            Assert.True(flood.BodiesAfterEvents >= 4, $"100 events at 32 a cycle need 4 cycles, ran in {flood.BodiesAfterEvents}");
        }
        finally
        {
            handle.Stop();
        }
    }

    /// <summary>Timers that were all due at once, and a body that notes how many of them ran before it.</summary>
    private sealed class Flood : ICyclicBody, ITimerCallback
    {
        public long EventRuns;
        public long BodyRuns;
        private int sinceBody;

        public int EventsBeforeOneBodyMax { get; private set; }

        public int BodiesAfterEvents { get; private set; }

        public void OnTimer(long nowNs)
        {
            sinceBody++;
            Interlocked.Increment(ref EventRuns);
        }

        public void Execute(in CycleInfo cycle)
        {
            EventsBeforeOneBodyMax = Math.Max(EventsBeforeOneBodyMax, sinceBody);
            BodiesAfterEvents += sinceBody > 0 ? 1 : 0;
            sinceBody = 0;
            Interlocked.Increment(ref BodyRuns);
        }
    }

    [Fact]
    public void BodyFault_EndsTheTask_ReportRunsOnTheControlThreadAfterReclaim()
    {
        var platform = new PacedPlatform(1, new NoDevices());
        var executor = ExecutorFor(platform);
        var observer = new CountingObserver();
        var handle = executor.Start(Fifo("faulty"), new ThrowingBody(), observer);
        executor.Lend();
        WaitUntil(() => executor.TaskEnded);
        Assert.Null(observer.Fault);
        Assert.True(executor.Reclaim(WaitMax));
        Assert.False(executor.IsLent);
        executor.RunPosted();
        Assert.IsType<InvalidOperationException>(observer.Fault);
        Assert.Equal(Environment.CurrentManagedThreadId, observer.FaultThreadId);
        handle.Stop();
    }

    [Fact]
    public void RealtimeTask_StartedAfterBoot_IsRefusedWithTheRule()
    {
        var platform = new PacedPlatform(1, new NoDevices());
        var executor = ExecutorFor(platform);
        executor.RefuseLateTasks();
        var refused = Assert.Throws<InvalidOperationException>(() => executor.Start(Fifo("late"), new ThrowingBody(), new CountingObserver()));
        Assert.Contains("service 'late': a rt-fifo cyclic task must start in the service's Start", refused.Message, StringComparison.Ordinal);
        Assert.Null(executor.Task);
    }

    [Fact]
    public void BestEffortTask_StaysOnTheEventLoop()
    {
        var platform = new PacedPlatform(1, new NoDevices());
        var executor = ExecutorFor(platform);
        var spec = Fifo("calm") with { SchedulingClass = TimingClass.BestEffort, Priority = 0 };
        var handle = executor.Start(spec, new ThrowingBody(), new CountingObserver());
        Assert.IsNotType<RealtimeCyclicTask>(handle);
        Assert.Null(executor.Task);
        Assert.Throws<InvalidOperationException>(executor.Lend);
        handle.Stop();
    }

    [Fact]
    public void LentLoop_DeliversEndpointMessagesOnTheProvidersFifoThread_WithoutAllocating()
    {
        var probe = new ThreadProbe();
        var server = new ServerService(probe);
        var catalog = new ProgramCatalog()
            .Add(new ProgramDescriptor("test.rt-server", "test", [], () => server))
            .Add(new ProgramDescriptor("test.client", "test", [], () => new ClientService()));
        var serverManifest = Manifest("server", "test.rt-server", "rt-fifo", 10);
        serverManifest.Endpoints.Provides.Add(new ProvidedEndpointManifest { Name = "commands", MaxMessageBytes = 16, QueueDepth = 8 });
        var clientManifest = Manifest("client", "test.client", "best-effort", 0);
        clientManifest.Endpoints.Uses.Add("commands");
        var system = SpecBuilder.Definition(
            new SystemManifest
            {
                System = "rt-endpoint",
                Services = [new SystemServiceEntry { Manifest = "server.yaml" }, new SystemServiceEntry { Manifest = "client.yaml" }],
                Routes = [new RouteManifest { Client = "client", Endpoint = "commands" }],
            },
            "rt-endpoint.yaml",
            [(serverManifest, "server.yaml"), (clientManifest, "client.yaml")],
            catalog);
        var platform = new PacedPlatform(1, new NoDevices());
        RealtimeServiceExecutor? executor = null;
        platform.DecorateCyclicExecutor(inner => executor = new RealtimeServiceExecutor(platform, inner, new RealtimeCyclicOptions { OriginNs = platform.OriginNs }));
        var kernel = new SystemKernel(system, catalog, platform);
        kernel.Boot();
        Assert.Equal(ServiceState.Running, kernel.Service("server").State);
        Assert.Equal(ServiceState.Running, kernel.Service("client").State);
        executor!.Lend();
        WaitUntil(() => probe.Samples >= SamplesMax && Volatile.Read(ref server.Messages) >= 200);
        Assert.True(executor.Reclaim(WaitMax));
        kernel.Shutdown();

        Assert.Equal(0, probe.Overlaps);
        Assert.Equal(0, probe.OtherThreads);
        Assert.Equal(SchedFifo, probe.Policy);
        Assert.Equal(0, probe.AllocatedAfter(warmUp: 100));
    }

    private static ServiceManifest Manifest(string id, string program, string schedulingClass, int priority) => new()
    {
        Id = id,
        Kind = "controller",
        Program = new ProgramManifest { Type = program },
        Timing = new TimingManifest { Class = schedulingClass, Priority = priority, PeriodUs = 2_000 },
    };

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + WaitMax;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            Thread.Sleep(5);
        }
    }

    private sealed class ThrowingBody : ICyclicBody
    {
        public void Execute(in CycleInfo cycle) => throw new InvalidOperationException("body failed");
    }

    /// <summary>An rt-fifo service with a command endpoint: its handler and body report to the probe.</summary>
    private sealed class ServerService(ThreadProbe probe) : IService, ICyclicBody, IMessageHandler
    {
        public long Messages;

        public void Start(IServiceContext context)
        {
            context.ServeEndpoint("commands", this);
            context.StartCyclic(this);
        }

        public void Stop()
        {
        }

        public void Execute(in CycleInfo cycle)
        {
            probe.Enter();
            probe.Sample();
            probe.Leave();
        }

        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            probe.Enter();
            Messages++;
            probe.Leave();
        }
    }

    /// <summary>A best-effort service that sends a command every cycle from the event loop.</summary>
    private sealed class ClientService : IService, ICyclicBody
    {
        private readonly byte[] command = new byte[8];
        private EndpointClient? client;

        public void Start(IServiceContext context)
        {
            client = context.OpenEndpointClient("commands");
            context.StartCyclic(this);
        }

        public void Stop()
        {
        }

        public void Execute(in CycleInfo cycle) => client!.Send(command);
    }
}
