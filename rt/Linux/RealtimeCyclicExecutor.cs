using System.Globalization;
using System.Runtime.ExceptionServices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Cyclic;

namespace Neokernel.Rt.Linux;

/// <summary>Settings of a <see cref="RealtimeCyclicExecutor"/>.</summary>
public sealed record RealtimeCyclicOptions
{
    /// <summary>
    /// The CLOCK_MONOTONIC reading that is time 0 of the platform clock (for example
    /// <see cref="PacedPlatform"/>'s origin). Release times, phases and the times the body and the
    /// observer see are relative to it; 0 means raw CLOCK_MONOTONIC.
    /// </summary>
    public long OriginNs { get; init; }

    /// <summary>
    /// Hands <see cref="ICyclicTaskObserver.OnWatchdog"/> and <see cref="ICyclicTaskObserver.OnBodyFault"/>
    /// to the host's control thread ("post this action there"). Null: they are called directly on
    /// the task's thread.
    /// </summary>
    public Action<Action>? PostToControl { get; init; }

    /// <summary>Longest single sleep: a stop request is noticed within this much plus one body run.</summary>
    public long SleepSliceNs { get; init; } = 20_000_000;

    /// <summary>How long <see cref="ICyclicTaskHandle.Stop"/> waits for the thread to end before it reports a hung body.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long <see cref="RealtimeCyclicExecutor.Start"/> waits for the new thread to configure itself.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stack of each task thread; <see cref="LinuxScheduling.StackPrefaultBytes"/> of it is pre-faulted.</summary>
    public int ThreadStackBytes { get; init; } = 1024 * 1024;
}

/// <summary>
/// Releases each cyclic task on its own dedicated Linux thread, named after the service and
/// configured from its timing capability (class, priority, CPU; see <see cref="LinuxScheduling"/>),
/// with absolute wake-ups on the grid phase + k × period (clock_nanosleep TIMER_ABSTIME on
/// CLOCK_MONOTONIC: no drift). Per cycle it records wake-up latency and execution time, detects
/// overruns and applies the overrun policy through the same <see cref="OverrunStep"/> as <see cref="TimerCyclicExecutor"/>.
/// After its first cycle the loop allocates nothing (the imports it calls are warmed before it),
/// so the garbage collector never has a reason to stop it; the rest of the process must not
/// allocate either, or the collections it causes stop this thread too.
/// <para>
/// Threading: the observer is called on the task's thread, not on the kernel's event-loop
/// thread. <see cref="ICyclicTaskObserver.OnCycleCompleted"/> (the kernel stores one long) and
/// <see cref="ICyclicTaskObserver.OnOverrun"/> are always called there, every cycle, so they
/// must be cheap, non-blocking and allocation-free. <see cref="ICyclicTaskObserver.OnWatchdog"/>
/// and <see cref="ICyclicTaskObserver.OnBodyFault"/> end the task; they go through
/// <see cref="RealtimeCyclicOptions.PostToControl"/> when the host gives one, so the kernel
/// handles them on its own thread, and are called directly otherwise.
/// </para>
/// </summary>
public sealed class RealtimeCyclicExecutor(RealtimeCyclicOptions? options = null) : ICyclicExecutor
{
    private readonly RealtimeCyclicOptions options = options ?? new RealtimeCyclicOptions();

    /// <summary>
    /// Starts the task's thread and returns once the thread has applied its timing capability;
    /// throws the <see cref="SchedulingDeniedException"/> if the kernel refused any part of it.
    /// </summary>
    public ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer)
    {
        ReleaseGrid.CheckStart(spec, body, observer);

        var task = new RealtimeCyclicTask(options, spec, body, observer);
        task.Start();
        return task;
    }
}

/// <summary>A task of <see cref="RealtimeCyclicExecutor"/>: its thread, its loop and its statistics.</summary>
public sealed class RealtimeCyclicTask : ICyclicTaskHandle
{
    private readonly RealtimeCyclicOptions options;
    private readonly CyclicTaskSpec spec;
    private readonly ICyclicBody body;
    private readonly ICyclicTaskObserver observer;
    private readonly PublishedCyclicStatistics statistics = new();
    private readonly OverrunStep overrun;
    private readonly Thread thread;
    private ManualResetEventSlim? configured;
    private ExceptionDispatchInfo? startFailure;
    private volatile bool stopRequested;
    private long releaseNs;
    private long cycleIndex;

    internal RealtimeCyclicTask(RealtimeCyclicOptions options, CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer)
    {
        this.options = options;
        this.spec = spec;
        this.body = body;
        this.observer = observer;
        overrun = new OverrunStep(spec);
        thread = new Thread(Run, options.ThreadStackBytes) { IsBackground = true, Name = spec.ServiceId };
    }

    public CyclicStatistics Statistics => statistics.Snapshot();

    /// <summary>Cycles whose statistics were lost because a reader held the statistics for thousands of cycles.</summary>
    public long StatisticsSamplesDropped => statistics.SamplesDropped;

    /// <summary>True while the task's thread runs.</summary>
    public bool IsRunning => thread.IsAlive;

    /// <summary>The service the task belongs to.</summary>
    public string ServiceId => spec.ServiceId;

    /// <summary>The task's release period.</summary>
    public long PeriodNs => spec.PeriodNs;

    /// <summary>True once <see cref="Stop"/> was called: the loop ends after the current body run.</summary>
    public bool IsStopRequested => stopRequested;

    /// <summary>Waits for the task's thread to end; true when it has. What the thread wrote is visible after a true answer.</summary>
    public bool Join(TimeSpan timeout) => thread.Join(timeout);

    /// <summary>
    /// Asks the loop to end and joins its thread: it ends within one sleep slice plus the body's
    /// current run. Called from the task's own thread (an observer callback), it only asks.
    /// </summary>
    public void Stop()
    {
        stopRequested = true;
        if (Environment.CurrentManagedThreadId == thread.ManagedThreadId || !thread.IsAlive)
        {
            return;
        }

        if (!thread.Join(options.StopTimeout))
        {
            throw new TimeoutException(Inv($"service '{spec.ServiceId}': the cyclic thread did not end within {options.StopTimeout.TotalSeconds:F1} s of Stop; the body is still running"));
        }
    }

    internal void Start()
    {
        using (var ready = new ManualResetEventSlim())
        {
            configured = ready;
            thread.Start();
            if (!ready.Wait(options.StartTimeout))
            {
                // The thread may still be configuring itself: it ends at its first check of the flag.
                stopRequested = true;
                throw new TimeoutException(Inv($"service '{spec.ServiceId}': the cyclic thread did not configure itself within {options.StartTimeout.TotalSeconds:F1} s"));
            }
        }

        if (startFailure is { } failure)
        {
            thread.Join();
            failure.Throw();
        }
    }

    private void Run()
    {
        try
        {
            LinuxScheduling.ApplyToCurrentThread(spec);
            LinuxScheduling.WarmUpImports();
            releaseNs = ReleaseGrid.FirstReleaseAfter(spec, LinuxTime.MonotonicNs() - options.OriginNs);
        }
        catch (Exception exception)
        {
            // Whatever went wrong belongs to the caller of Start, on its thread.
            startFailure = ExceptionDispatchInfo.Capture(exception);
            SignalConfigured();
            return;
        }

        SignalConfigured();
        Loop();
        statistics.FlushBlocking();
    }

    /// <summary>Wakes <see cref="Start"/>; after a start timeout the event is already gone and nobody waits.</summary>
    private void SignalConfigured()
    {
        try
        {
            configured?.Set();
        }
        catch (ObjectDisposedException)
        {
            stopRequested = true;
        }
    }

    private void Loop()
    {
        while (SleepUntilRelease())
        {
            if (!RunCycle())
            {
                return;
            }
        }
    }

    /// <summary>Sleeps in slices of at most <see cref="RealtimeCyclicOptions.SleepSliceNs"/> until the release; false when asked to stop.</summary>
    private bool SleepUntilRelease()
    {
        var targetNs = releaseNs + options.OriginNs;
        var nowNs = LinuxTime.MonotonicNs();
        while (targetNs - nowNs > options.SleepSliceNs)
        {
            LinuxTime.SleepUntil(nowNs + options.SleepSliceNs);
            if (stopRequested)
            {
                return false;
            }

            nowNs = LinuxTime.MonotonicNs();
        }

        LinuxTime.SleepUntil(targetNs);
        return !stopRequested;
    }

    /// <summary>One release: body, statistics, overrun policy, heartbeat. False when the task ends.</summary>
    private bool RunCycle()
    {
        var startNs = LinuxTime.MonotonicNs() - options.OriginNs;
        try
        {
            body.Execute(new CycleInfo(cycleIndex, releaseNs, startNs));
        }
        catch (Exception exception)
        {
            ReportBodyFault(exception);
            return false;
        }

        var endNs = LinuxTime.MonotonicNs() - options.OriginNs;
        cycleIndex++;
        if (stopRequested)
        {
            statistics.Record(startNs - releaseNs, endNs - startNs, CycleOutcome.Unchecked);
            return false;
        }

        if (HandleOverrun(startNs, endNs))
        {
            return false;
        }

        observer.OnCycleCompleted(endNs);
        return !stopRequested;
    }

    /// <summary>Records the cycle and sets the next release; true when the watchdog ended the task.</summary>
    private bool HandleOverrun(long startNs, long endNs)
    {
        var decision = overrun.After(releaseNs, endNs);
        statistics.Record(startNs - releaseNs, endNs - startNs, decision.Outcome);
        if (!decision.IsOverrun)
        {
            releaseNs = decision.NextReleaseNs;
            return false;
        }

        observer.OnOverrun(decision.LateNs);
        if (decision.Verdict == CycleVerdict.Watchdog)
        {
            ReportWatchdog(decision.ConsecutiveOverruns);
            return true;
        }

        releaseNs = decision.NextReleaseNs;
        return false;
    }

    // The two task-ending reports live in their own methods: a lambda capturing a local makes the
    // compiler allocate its closure where the local is declared, which must not be the loop's path.
    private void ReportBodyFault(Exception exception) => Report(() => observer.OnBodyFault(exception));

    private void ReportWatchdog(long consecutive) => Report(() => observer.OnWatchdog(consecutive));

    /// <summary>A task-ending event: posted to the control thread when the host gave a dispatcher.</summary>
    private void Report(Action notify)
    {
        if (options.PostToControl is { } post)
        {
            post(notify);
        }
        else
        {
            notify();
        }
    }


    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
