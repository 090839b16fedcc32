using System.Diagnostics;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

/// <summary>
/// The real-time executor on the real clock. Timing assertions are about the grid and the
/// policies, which hold on a noisy machine; latencies are only checked for sign. They run in the
/// serial collection so that nothing else in the test host competes with the loop.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class RealtimeCyclicExecutorTests
{
    private const long Us = 1_000;
    private const long Ms = 1_000_000;
    private const int Eperm = 1;
    private const int Enomem = 12;
    private static readonly TimeSpan WaitMax = TimeSpan.FromSeconds(30);

    /// <summary>Records what each cycle saw into preallocated arrays; can sleep or throw on chosen cycles.</summary>
    private sealed class RecordingBody(int capacity, Func<long, TimeSpan>? sleepAt = null, long throwAt = -1) : ICyclicBody
    {
        private readonly CycleInfo[] cycles = new CycleInfo[capacity];
        private int count;

        public int Count => Volatile.Read(ref count);

        public string? ThreadName { get; private set; }

        public int Policy { get; private set; } = -1;

        public int RealtimePriority { get; private set; } = -1;

        public int Nice { get; private set; } = int.MinValue;

        public int Cpu { get; private set; } = -1;

        public IReadOnlyList<CycleInfo> Cycles => cycles.AsSpan(0, Count).ToArray();

        public void Execute(in CycleInfo cycle)
        {
            if (cycle.CycleIndex == 0)
            {
                ThreadName = Thread.CurrentThread.Name;
                Policy = LinuxScheduling.CurrentThreadPolicy();
                RealtimePriority = LinuxScheduling.CurrentThreadRealtimePriority();
                Nice = LinuxScheduling.CurrentThreadNice();
                Cpu = LinuxScheduling.CurrentCpu();
            }

            if (count < cycles.Length)
            {
                cycles[count] = cycle;
                Volatile.Write(ref count, count + 1);
            }

            if (sleepAt?.Invoke(cycle.CycleIndex) is { } pause && pause > TimeSpan.Zero)
            {
                Thread.Sleep(pause);
            }

            if (cycle.CycleIndex == throwAt)
            {
                throw new InvalidOperationException("body failed");
            }
        }
    }

    private sealed class Observer : ICyclicTaskObserver
    {
        private long overruns;
        private long completed;

        public Exception? Fault { get; private set; }

        public long Watchdog { get; private set; }

        public int? ReportThreadId { get; private set; }

        public long Overruns => Volatile.Read(ref overruns);

        public long Completed => Volatile.Read(ref completed);

        public void OnBodyFault(Exception exception)
        {
            ReportThreadId = Environment.CurrentManagedThreadId;
            Fault = exception;
        }

        public void OnOverrun(long lateNs) => Interlocked.Increment(ref overruns);

        public void OnWatchdog(long consecutiveOverruns)
        {
            ReportThreadId = Environment.CurrentManagedThreadId;
            Watchdog = consecutiveOverruns;
        }

        public void OnCycleCompleted(long nowNs) => Interlocked.Increment(ref completed);
    }

    private static CyclicTaskSpec Spec(
        string schedulingClass = "best-effort",
        int priority = 0,
        int? cpu = null,
        long periodNs = 1 * Ms,
        long phaseNs = 0,
        long deadlineNs = -1,
        OverrunPolicy policy = OverrunPolicy.Skip,
        int overrunsMax = 3,
        string service = "rt-test") =>
        new(service, ManifestWords.TimingClasses.Parse(schedulingClass, "timing.class"), priority, cpu, periodNs, phaseNs, deadlineNs < 0 ? periodNs : deadlineNs, deadlineNs < 0 ? periodNs : deadlineNs, policy, overrunsMax);

    private static void WaitFor(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < WaitMax, $"timed out waiting for {what}");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Releases_FollowTheGrid_WithPhase_AsBestEffort()
    {
        var originNs = LinuxTime.MonotonicNs() - (7 * Ms) - 123;
        var executor = new RealtimeCyclicExecutor(new RealtimeCyclicOptions { OriginNs = originNs });
        var body = new RecordingBody(capacity: 200);
        var observer = new Observer();
        var handle = executor.Start(Spec(priority: 5, phaseNs: 300 * Us), body, observer);
        WaitFor(() => body.Count >= 100, "100 cycles");
        handle.Stop();

        var cycles = body.Cycles;
        Assert.True(cycles.Count >= 100);
        Assert.All(cycles, c => Assert.Equal(300 * Us, c.ReleaseNs % Ms));
        Assert.All(cycles, c => Assert.True(c.StartNs >= c.ReleaseNs, $"cycle {c.CycleIndex} started {c.ReleaseNs - c.StartNs} ns before its release"));
        Assert.Equal(Enumerable.Range(0, cycles.Count).Select(i => (long)i), cycles.Select(c => c.CycleIndex));
        Assert.All(cycles.Zip(cycles.Skip(1)), pair => Assert.True(pair.Second.ReleaseNs > pair.First.ReleaseNs));
        Assert.Equal("rt-test", body.ThreadName);
        Assert.Equal(0, body.Policy);
        Assert.Equal(5, body.Nice);
        var statistics = handle.Statistics;
        Assert.Equal(cycles.Count, statistics.Cycles);
        Assert.True(statistics.LatencyNsMin >= 0);
        Assert.True(statistics.LatencyNsMax >= statistics.LatencyNsP99);
        Assert.InRange(observer.Completed, cycles.Count - 1, cycles.Count);
    }

    [Fact]
    public void BestEffort_OnACpu_RunsThere()
    {
        var cpu = Environment.ProcessorCount - 1;
        var body = new RecordingBody(capacity: 100);
        var handle = new RealtimeCyclicExecutor().Start(Spec(cpu: cpu), body, new Observer());
        WaitFor(() => body.Count >= 5, "5 cycles");
        handle.Stop();
        Assert.Equal(cpu, body.Cpu);
    }

    [Fact]
    public void RtFifo_RunsAtTheGrantedPriority_OrSaysHowToGetIt()
    {
        var body = new RecordingBody(capacity: 100);
        ICyclicTaskHandle handle;
        try
        {
            handle = new RealtimeCyclicExecutor().Start(Spec("rt-fifo", priority: 10, service: "fifo-svc"), body, new Observer());
        }
        catch (SchedulingDeniedException denied) when (denied.Errno is Eperm or Enomem)
        {
            // Unprivileged: the denial must say who, what, why and how to fix it. Without
            // CAP_SYS_NICE or RLIMIT_RTPRIO the class is refused (EPERM); with RLIMIT_RTPRIO but a
            // small RLIMIT_MEMLOCK the memory lock after it is (ENOMEM).
            Assert.Contains("service 'fifo-svc'", denied.Message, StringComparison.Ordinal);
            Assert.True(
                denied.Message.Contains("SCHED_FIFO priority 10 denied (EPERM)", StringComparison.Ordinal)
                || denied.Message.Contains("mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT) denied (ENOMEM)", StringComparison.Ordinal),
                denied.Message);
            Assert.True(
                denied.Message.Contains("CAP_SYS_NICE", StringComparison.Ordinal) || denied.Message.Contains("CAP_IPC_LOCK", StringComparison.Ordinal),
                denied.Message);
            Assert.Contains("/etc/security/limits.conf", denied.Message, StringComparison.Ordinal);
            return;
        }

        WaitFor(() => body.Count >= 20, "20 cycles");
        handle.Stop();
        Assert.Equal(1, body.Policy);
        Assert.Equal(10, body.RealtimePriority);
    }

    [Fact]
    public void ImpossibleCpu_IsDenied_NamingTheCpu()
    {
        var exception = Assert.Throws<SchedulingDeniedException>(
            () => new RealtimeCyclicExecutor().Start(Spec("rt-fifo", priority: 99, cpu: 1023, service: "pump"), new RecordingBody(1), new Observer()));
        Assert.Equal(22, exception.Errno);
        Assert.Contains("service 'pump'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("cpu 1023", exception.Message, StringComparison.Ordinal);
        Assert.Contains("EINVAL", exception.Message, StringComparison.Ordinal);
        Assert.Contains("online cpus", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rt-fifo", 0, "use a SCHED_FIFO priority in 1..99")]
    [InlineData("best-effort", -21, "use a nice value in -20..19")]
    public void InvalidRequests_AreDenied_BeforeAnySystemCall(string schedulingClass, int priority, string expected)
    {
        var exception = Assert.Throws<SchedulingDeniedException>(
            () => new RealtimeCyclicExecutor().Start(Spec(schedulingClass, priority), new RecordingBody(1), new Observer()));
        Assert.Equal(0, exception.Errno);
        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    /// <summary>A manifest cannot name an unknown class (the validator refuses the word); a spec built in code still gets a clear denial.</summary>
    [Fact]
    public void UnknownClass_IsDenied_BeforeAnySystemCall()
    {
        var exception = Assert.Throws<SchedulingDeniedException>(
            () => new RealtimeCyclicExecutor().Start(Spec() with { SchedulingClass = (TimingClass)99 }, new RecordingBody(1), new Observer()));
        Assert.Equal(0, exception.Errno);
        Assert.Contains("unknown class; use rt-fifo, rt-deadline, best-effort", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deadline_PinnedToACpu_IsDenied_WithTheReason()
    {
        var exception = Assert.Throws<SchedulingDeniedException>(
            () => new RealtimeCyclicExecutor().Start(Spec("rt-deadline", cpu: 0), new RecordingBody(1), new Observer()));
        Assert.Contains("exclusive cpuset", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deadline_BeyondAdmissionControl_IsDenied_WithTheFix()
    {
        // Each task asks for a budget of its whole period, 100% of a CPU; the kernel admits at most
        // sched_rt_runtime_us / sched_rt_period_us (95% by default) of every CPU in the root domain,
        // so one task more than there are CPUs cannot fit: EBUSY as root, EPERM at once otherwise.
        var admitted = new List<ICyclicTaskHandle>();
        SchedulingDeniedException? exception = null;
        try
        {
            for (var i = 0; i <= Environment.ProcessorCount && exception is null; i++)
            {
                try
                {
                    admitted.Add(new RealtimeCyclicExecutor().Start(Spec("rt-deadline", periodNs: 10 * Ms, service: "hog"), new RecordingBody(1), new Observer()));
                }
                catch (SchedulingDeniedException denied)
                {
                    exception = denied;
                }
            }
        }
        finally
        {
            admitted.ForEach(task => task.Stop());
        }

        Assert.NotNull(exception);
        Assert.Contains("service 'hog'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("SCHED_DEADLINE runtime 10000000 ns, deadline 10000000 ns, period 10000000 ns", exception.Message, StringComparison.Ordinal);
        Assert.True(exception.Message.Contains("EBUSY", StringComparison.Ordinal) && exception.Message.Contains("sched_rt_runtime_us", StringComparison.Ordinal)
            || exception.Message.Contains("EPERM", StringComparison.Ordinal), exception.Message);
    }

    [Fact]
    public void Deadline_WhenAdmitted_RunsAsSchedDeadline_OrSaysWhy()
    {
        var body = new RecordingBody(capacity: 100);
        var spec = new CyclicTaskSpec("dl-svc", TimingClass.RtDeadline, 0, null, 2 * Ms, 0, 1 * Ms, 200 * Us, OverrunPolicy.Skip, 3);
        ICyclicTaskHandle handle;
        try
        {
            handle = new RealtimeCyclicExecutor().Start(spec, body, new Observer());
        }
        catch (SchedulingDeniedException denied)
        {
            // Unprivileged, or a kernel without SCHED_DEADLINE: the message still names the request.
            Assert.Contains("SCHED_DEADLINE runtime 200000 ns, deadline 1000000 ns, period 2000000 ns", denied.Message + " " + denied.Request, StringComparison.Ordinal);
            Assert.NotEqual(0, denied.Errno);
            return;
        }

        WaitFor(() => body.Count >= 10, "10 cycles");
        handle.Stop();
        Assert.Equal(6, body.Policy);
    }

    [Fact]
    public void LoopThread_AllocatesNothing_AndNoCollectionHappens_Over10000Cycles()
    {
        // A fresh allocation budget, so what earlier tests allocated does not come due during the run.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var body = new AllocationProbeBody(warmUpCycles: 1_000, windowCycles: 10_000, attemptsMax: 5, overrunAt: 10, periodNs: 100 * Us);
        var observer = new Observer();
        var handle = new RealtimeCyclicExecutor().Start(Spec(periodNs: 100 * Us), body, observer);
        WaitFor(() => body.Finished, "the allocation windows");
        handle.Stop();

        Assert.True(body.Measured, $"every one of {body.Attempts} windows overlapped a garbage collection");
        Assert.True(body.AllocatedBytes == 0, $"{body.AllocatedBytes} bytes allocated on the loop thread over 10,000 cycles");
        Assert.True(observer.Overruns >= 1, "the warm-up's forced overrun did not happen");
        // Every generation's count, read on the loop thread, is the same at both ends of the
        // accepted window; the whole run is proved collection-free in a clean process by the
        // latency benchmark, where nothing but the loop runs.
        Assert.Equal(body.CollectionsAtWindowStart, body.CollectionsAtEnd);
    }

    /// <summary>
    /// Measures allocation on the loop thread itself: bytes at cycle W and W + 10,000; a window
    /// that saw a collection is measured again (see <see cref="AllocationAssert"/>). One forced
    /// overrun in the warm-up runs the overrun path once before any window. A window is accepted
    /// only if no generation's collection count moved in it: in the test host other threads
    /// (the runner reporting results) allocate, and a collection they cause retires this thread's
    /// allocation context and counts its unused rest as allocated.
    /// </summary>
    private sealed class AllocationProbeBody(long warmUpCycles, long windowCycles, int attemptsMax, long overrunAt, long periodNs) : ICyclicBody
    {
        private long windowStart = warmUpCycles;
        private long bytesBefore;
        private volatile bool finished;

        public bool Finished => finished;

        public bool Measured { get; private set; }

        public long AllocatedBytes { get; private set; } = -1;

        public int Attempts { get; private set; }

        public int[] CollectionsAtWindowStart { get; } = new int[GC.MaxGeneration + 1];

        public int[] CollectionsAtEnd { get; } = new int[GC.MaxGeneration + 1];

        public void Execute(in CycleInfo cycle)
        {
            if (cycle.CycleIndex == overrunAt)
            {
                var until = Stopwatch.GetTimestamp() + (2 * periodNs * Stopwatch.Frequency / 1_000_000_000);
                while (Stopwatch.GetTimestamp() < until)
                {
                }
            }

            if (finished)
            {
                return;
            }

            if (cycle.CycleIndex == windowStart)
            {
                ReadCollections(CollectionsAtWindowStart);
                bytesBefore = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (cycle.CycleIndex == windowStart + windowCycles)
            {
                EndWindow(cycle.CycleIndex);
            }
        }

        private static void ReadCollections(int[] counts)
        {
            for (var generation = 0; generation < counts.Length; generation++)
            {
                counts[generation] = GC.CollectionCount(generation);
            }
        }

        private void EndWindow(long cycleIndex)
        {
            ReadCollections(CollectionsAtEnd);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
            Attempts++;
            if (CollectionsAtWindowStart.AsSpan().SequenceEqual(CollectionsAtEnd))
            {
                AllocatedBytes = allocated;
                Measured = true;
                finished = true;
            }
            else if (Attempts >= attemptsMax)
            {
                finished = true;
            }
            else
            {
                windowStart = cycleIndex + 1;
            }
        }
    }

    [Fact]
    public void Skip_DropsMissedReleases_AndStaysOnTheGrid()
    {
        var body = new RecordingBody(capacity: 100, sleepAt: i => i == 3 ? TimeSpan.FromMilliseconds(25) : TimeSpan.Zero);
        var observer = new Observer();
        var handle = new RealtimeCyclicExecutor().Start(Spec(periodNs: 10 * Ms), body, observer);
        WaitFor(() => body.Count >= 7, "7 cycles");
        handle.Stop();

        var cycles = body.Cycles;
        var gapNs = cycles[4].ReleaseNs - cycles[3].ReleaseNs;
        Assert.True(gapNs >= 30 * Ms, $"after a 25 ms overrun the next release came {gapNs} ns later");
        Assert.All(cycles, c => Assert.Equal(0, c.ReleaseNs % (10 * Ms)));
        Assert.True(handle.Statistics.Overruns >= 1);
        Assert.True(observer.Overruns >= 1);
    }

    [Fact]
    public void CatchUp_RunsMissedReleases_BackToBack()
    {
        var body = new RecordingBody(capacity: 100, sleepAt: i => i == 3 ? TimeSpan.FromMilliseconds(25) : TimeSpan.Zero);
        var observer = new Observer();
        var handle = new RealtimeCyclicExecutor().Start(Spec(periodNs: 10 * Ms, policy: OverrunPolicy.CatchUp), body, observer);
        WaitFor(() => body.Count >= 8, "8 cycles");
        handle.Stop();

        var cycles = body.Cycles;
        Assert.All(cycles.Zip(cycles.Skip(1)), pair => Assert.Equal(10 * Ms, pair.Second.ReleaseNs - pair.First.ReleaseNs));
        Assert.True(cycles[4].StartNs - cycles[4].ReleaseNs >= 14 * Ms, "the release after the overrun should run late, right after it");
        Assert.True(handle.Statistics.Overruns >= 2);
    }

    [Fact]
    public void Fault_TripsTheWatchdog_AfterConsecutiveOverruns_AndEndsTheThread()
    {
        var body = new RecordingBody(capacity: 100, sleepAt: _ => TimeSpan.FromMilliseconds(15));
        var observer = new Observer();
        var handle = (RealtimeCyclicTask)new RealtimeCyclicExecutor().Start(Spec(periodNs: 10 * Ms, policy: OverrunPolicy.Fault, overrunsMax: 3), body, observer);
        WaitFor(() => !handle.IsRunning, "the watchdog to end the task");

        Assert.Equal(3, observer.Watchdog);
        Assert.Equal(3, body.Count);
        Assert.NotEqual(Environment.CurrentManagedThreadId, observer.ReportThreadId);
        var statistics = handle.Statistics;
        Assert.Equal(3, statistics.Cycles);
        Assert.Equal(3, statistics.Overruns);
        Assert.Equal(3, statistics.ConsecutiveOverruns);
        handle.Stop();
    }

    [Fact]
    public void Watchdog_GoesThroughTheControlDispatcher_WhenGiven()
    {
        var posted = new System.Collections.Concurrent.ConcurrentQueue<Action>();
        var executor = new RealtimeCyclicExecutor(new RealtimeCyclicOptions { PostToControl = posted.Enqueue });
        var observer = new Observer();
        var handle = (RealtimeCyclicTask)executor.Start(
            Spec(periodNs: 10 * Ms, policy: OverrunPolicy.Fault, overrunsMax: 2),
            new RecordingBody(capacity: 10, sleepAt: _ => TimeSpan.FromMilliseconds(15)),
            observer);
        WaitFor(() => !handle.IsRunning, "the watchdog to end the task");

        Assert.Equal(0, observer.Watchdog);
        Assert.True(posted.TryDequeue(out var report));
        report();
        Assert.Equal(2, observer.Watchdog);
        Assert.Equal(Environment.CurrentManagedThreadId, observer.ReportThreadId);
    }

    [Fact]
    public void BodyFault_IsReported_AndEndsTheThread()
    {
        var body = new RecordingBody(capacity: 100, throwAt: 2);
        var observer = new Observer();
        var handle = (RealtimeCyclicTask)new RealtimeCyclicExecutor().Start(Spec(), body, observer);
        WaitFor(() => !handle.IsRunning, "the fault to end the task");

        Assert.IsType<InvalidOperationException>(observer.Fault);
        Assert.Equal(3, body.Count);
        Assert.Equal(2, handle.Statistics.Cycles);
        handle.Stop();
    }

    [Fact]
    public void Stop_JoinsPromptly_EvenInALongPeriod()
    {
        var handle = (RealtimeCyclicTask)new RealtimeCyclicExecutor().Start(Spec(periodNs: 5_000 * Ms), new RecordingBody(1), new Observer());
        Thread.Sleep(30);
        var watch = Stopwatch.StartNew();
        handle.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(500), $"Stop took {watch.Elapsed.TotalMilliseconds} ms");
        Assert.False(handle.IsRunning);
    }

    [Fact]
    public void Stop_At1kHz_JoinsWithinAFewPeriods()
    {
        var body = new RecordingBody(capacity: 1_000);
        var handle = (RealtimeCyclicTask)new RealtimeCyclicExecutor().Start(Spec(), body, new Observer());
        WaitFor(() => body.Count >= 50, "50 cycles");
        var watch = Stopwatch.StartNew();
        handle.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(200), $"Stop took {watch.Elapsed.TotalMilliseconds} ms");
        Assert.False(handle.IsRunning);
        var countAfterStop = body.Count;
        Thread.Sleep(20);
        Assert.Equal(countAfterStop, body.Count);
    }

    [Fact]
    public void Statistics_ReadFromAnotherThread_AreConsistent()
    {
        var body = new RecordingBody(capacity: 10);
        var handle = new RealtimeCyclicExecutor().Start(Spec(periodNs: 200 * Us), body, new Observer());
        var previous = 0L;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromMilliseconds(300))
        {
            var statistics = handle.Statistics;
            Assert.True(statistics.Cycles >= previous);
            Assert.True(statistics.Overruns <= statistics.Cycles);
            if (statistics.Cycles > 0)
            {
                Assert.True(statistics.LatencyNsMin <= statistics.LatencyNsMean && statistics.LatencyNsMean <= statistics.LatencyNsMax);
                Assert.True(statistics.ExecutionNsMin <= statistics.ExecutionNsMax);
            }

            previous = statistics.Cycles;
        }

        handle.Stop();
        Assert.True(handle.Statistics.Cycles > 0);
    }
}
