using Neokernel.Kernel.Platform;
using Neokernel.Rt.Cyclic;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

public sealed class TimerCyclicExecutorTests
{
    private const long Ms = 1_000_000;

    /// <summary>A body that "takes" virtual time by moving a platform it cannot move: it records releases and can throw.</summary>
    private sealed class Body(Func<CycleInfo, bool>? fail = null) : ICyclicBody
    {
        public List<CycleInfo> Cycles { get; } = new(capacity: 20_000);

        public void Execute(in CycleInfo cycle)
        {
            Cycles.Add(cycle);
            if (fail?.Invoke(cycle) == true)
            {
                throw new InvalidOperationException("body failed");
            }
        }
    }

    private sealed class Observer : ICyclicTaskObserver
    {
        public Exception? Fault { get; private set; }

        public long Watchdog { get; private set; }

        public long Overruns { get; private set; }

        public long Completed { get; private set; }

        public void OnBodyFault(Exception exception) => Fault = exception;

        public void OnOverrun(long lateNs) => Overruns++;

        public void OnWatchdog(long consecutiveOverruns) => Watchdog = consecutiveOverruns;

        public void OnCycleCompleted(long nowNs) => Completed++;
    }

    private static CyclicTaskSpec Spec(long periodMs = 10, long phaseMs = 0, long deadlineMs = 10, OverrunPolicy policy = OverrunPolicy.Skip, int overrunsMax = 3) =>
        new("svc", TimingClass.BestEffort, 0, null, periodMs * Ms, phaseMs * Ms, deadlineMs * Ms, deadlineMs * Ms, policy, overrunsMax);

    [Fact]
    public void Releases_FollowTheGrid_WithPhase()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var body = new Body();
        var handle = platform.CyclicExecutor.Start(Spec(phaseMs: 3), body, new Observer());
        platform.RunUntil(100 * Ms);
        Assert.Equal(10, body.Cycles.Count);
        Assert.All(body.Cycles, c => Assert.Equal(3 * Ms, c.ReleaseNs % (10 * Ms)));
        Assert.Equal(body.Cycles.Select((_, i) => (long)i), body.Cycles.Select(c => c.CycleIndex));
        var statistics = handle.Statistics;
        Assert.Equal(10, statistics.Cycles);
        Assert.Equal(0, statistics.Overruns);
        Assert.Equal(0, statistics.LatencyNsMax);
    }

    [Fact]
    public void Stop_EndsReleases()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var body = new Body();
        var handle = platform.CyclicExecutor.Start(Spec(), body, new Observer());
        platform.RunUntil(50 * Ms);
        handle.Stop();
        platform.RunUntil(100 * Ms);
        Assert.Equal(5, body.Cycles.Count);
    }

    [Fact]
    public void BodyThrows_TaskStops_AndObserverHearsOfIt()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var observer = new Observer();
        var body = new Body(c => c.CycleIndex == 2);
        platform.CyclicExecutor.Start(Spec(), body, observer);
        platform.RunUntil(100 * Ms);
        Assert.Equal(3, body.Cycles.Count);
        Assert.IsType<InvalidOperationException>(observer.Fault);
    }

    /// <summary>Overruns need time to pass during a body: the paced platform's clock is real, so a sleeping body overruns.</summary>
    [Fact]
    public void FaultPolicy_TripsTheWatchdogAfterConsecutiveOverruns()
    {
        var platform = new Linux.PacedPlatform(1, new NoDevices());
        var observer = new Observer();
        var body = new SleepyBody(TimeSpan.FromMilliseconds(4));
        platform.CyclicExecutor.Start(Spec(periodMs: 5, deadlineMs: 2, policy: OverrunPolicy.Fault, overrunsMax: 3), body, observer);
        platform.RunUntil(platform.NowNs + (200 * Ms));
        Assert.Equal(3, observer.Watchdog);
        Assert.Equal(3, body.Count);
    }

    [Fact]
    public void SkipPolicy_CountsOverruns_AndKeepsGoing()
    {
        var platform = new Linux.PacedPlatform(1, new NoDevices());
        var observer = new Observer();
        var body = new SleepyBody(TimeSpan.FromMilliseconds(4));
        var handle = platform.CyclicExecutor.Start(Spec(periodMs: 5, deadlineMs: 2, policy: OverrunPolicy.Skip), body, observer);
        platform.RunUntil(platform.NowNs + (100 * Ms));
        Assert.Equal(0, observer.Watchdog);
        Assert.True(handle.Statistics.Overruns >= 5, $"{handle.Statistics.Overruns} overruns");
        Assert.True(body.Count >= 5);
    }

    /// <summary>
    /// The simulation measures host execution time on one cycle in <see cref="TimerCyclicExecutor.SimulationMeasureEvery"/>
    /// (the first among them): a body that is slow only on the cycles between is not seen slow,
    /// and one slow on a measured cycle is.
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(0, true)]
    public void Simulation_MeasuresExecutionOnOneCycleInN(int slowCycle, bool seen)
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var every = TimerCyclicExecutor.SimulationMeasureEvery;
        var body = new Body(cycle =>
        {
            if (cycle.CycleIndex % every == slowCycle)
            {
                Thread.Sleep(2);
            }

            return false;
        });
        var handle = platform.CyclicExecutor.Start(Spec(), body, new Observer());
        platform.RunUntil(every * 3 * 10 * Ms);
        var statistics = handle.Statistics;
        Assert.Equal(every * 3, statistics.Cycles);
        Assert.Equal(seen, statistics.ExecutionNsMax >= 2 * Ms);
    }

    [Fact]
    public void Paced_MeasuresEveryCycle()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var executor = new TimerCyclicExecutor(platform, measureEvery: 1);
        var body = new Body(cycle =>
        {
            if (cycle.CycleIndex == 3)
            {
                Thread.Sleep(2);
            }

            return false;
        });
        var handle = executor.Start(Spec(), body, new Observer());
        platform.RunUntil(100 * Ms);
        Assert.True(handle.Statistics.ExecutionNsMax >= 2 * Ms);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimerCyclicExecutor(platform, measureEvery: 0));
    }

    [Fact]
    public void Cycle_SteadyState_AllocatesNothing()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var body = new CountingBody();
        platform.CyclicExecutor.Start(Spec(periodMs: 1), body, new Observer());
        AllocationAssert.NoAllocations(10_000, _ => platform.RunUntil(platform.NowNs + Ms));
        Assert.True(body.Count >= 20_000);
    }

    private sealed class SleepyBody(TimeSpan sleep) : ICyclicBody
    {
        public int Count { get; private set; }

        public void Execute(in CycleInfo cycle)
        {
            Count++;
            Thread.Sleep(sleep);
        }
    }

    private sealed class CountingBody : ICyclicBody
    {
        public int Count { get; private set; }

        public void Execute(in CycleInfo cycle) => Count++;
    }
}
