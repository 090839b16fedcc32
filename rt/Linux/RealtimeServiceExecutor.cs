using Neokernel.Kernel.Manifests;
using System.Collections.Concurrent;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Simulation;

namespace Neokernel.Rt.Linux;

/// <summary>
/// Runs a service's cyclic task on a <see cref="RealtimeCyclicExecutor"/> thread when its timing
/// grants a real-time class (rt-fifo, rt-deadline), and lends that thread the service's event
/// loop, so that the service's own callbacks still never run concurrently. Best-effort tasks stay
/// on the loop's own executor.
/// <para>
/// The rule: whoever holds the loop runs everything of the service and of its local kernel. The
/// control thread holds it while it boots and while it shuts down; in between it <see cref="Lend"/>s
/// it to the task's thread, which at the start of each cycle looks at the loop's descriptors (the
/// rings' doorbells), runs the loop's due events (message and reply deliveries, the kernel's
/// timers; at most <see cref="EventsPerCycleMax"/>), then the
/// body. A cycle released while the control thread holds the loop is skipped: neither the body
/// nor the kernel's observer is called, so nothing of the service or the kernel is touched from
/// two threads. When the task ends on its own (a body fault, the watchdog, a fault handled on its
/// thread), the loop is the control thread's again; the task's task-ending reports wait in
/// <see cref="RunPosted"/> for it.
/// </para>
/// One real-time task per loop: a service host process runs one service.
/// </summary>
public sealed class RealtimeServiceExecutor : ICyclicExecutor
{
    /// <summary>Loop events run at the start of one cycle at most; the rest wait for the next cycle, so a flood cannot stretch a cycle without bound.</summary>
    public const int EventsPerCycleMax = 32;

    private const int HeldByControl = 0;
    private const int LentToTask = 1;
    private const int ReturnAsked = 2;

    private readonly EventLoopPlatform loop;
    private readonly ICyclicExecutor eventLoopExecutor;
    private readonly RealtimeCyclicExecutor realtime;
    private readonly string refusalHint;
    private readonly ConcurrentQueue<Action> posted = new();
    private RealtimeCyclicTask? task;
    private bool lateTasksRefused;
    private int state;
    private long cyclesSkipped;

    /// <param name="loop">The event loop the service's timers and deliveries run on.</param>
    /// <param name="eventLoopExecutor">The loop's own executor, for best-effort tasks.</param>
    /// <param name="options">Settings of the real-time threads; its <see cref="RealtimeCyclicOptions.PostToControl"/> is replaced by this executor's.</param>
    /// <param name="refusalHint">Appended to a refusal of the scheduling class, e.g. how to run without real-time classes.</param>
    public RealtimeServiceExecutor(EventLoopPlatform loop, ICyclicExecutor eventLoopExecutor, RealtimeCyclicOptions options, string refusalHint = "")
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(eventLoopExecutor);
        ArgumentNullException.ThrowIfNull(options);
        this.loop = loop;
        this.eventLoopExecutor = eventLoopExecutor;
        this.refusalHint = refusalHint;
        realtime = new RealtimeCyclicExecutor(options with { PostToControl = posted.Enqueue });
    }

    /// <summary>The real-time task, once started: its thread runs the service while the loop is lent.</summary>
    public RealtimeCyclicTask? Task => task;

    /// <summary>True when the task's thread holds the loop (or was asked for it and has not yet given it back).</summary>
    public bool IsLent => Volatile.Read(ref state) != HeldByControl;

    /// <summary>True when no real-time task runs: none was started, or its thread ended.</summary>
    public bool TaskEnded => task is not { IsRunning: true };

    /// <summary>Cycles released while the control thread held the loop: their body did not run.</summary>
    public long CyclesSkipped => Interlocked.Read(ref cyclesSkipped);

    /// <summary>True for the classes that get a thread of their own.</summary>
    public static bool IsRealtimeClass(TimingClass schedulingClass) =>
        schedulingClass is TimingClass.RtFifo or TimingClass.RtDeadline;

    public ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!IsRealtimeClass(spec.SchedulingClass))
        {
            return eventLoopExecutor.Start(spec, body, observer);
        }

        if (lateTasksRefused)
        {
            throw new InvalidOperationException($"service '{spec.ServiceId}': a {ManifestWords.TimingClasses.Word(spec.SchedulingClass)} cyclic task must start in the service's Start; the event loop no longer lends itself to a task started later");
        }

        if (task is { IsRunning: true })
        {
            throw new InvalidOperationException($"service '{spec.ServiceId}': this loop already lends itself to the real-time task of '{task.ServiceId}'; one real-time task per loop");
        }

        try
        {
            var loaned = new LoanedTask(this, body, observer);
            task = (RealtimeCyclicTask)realtime.Start(spec, loaned, loaned);
        }
        catch (SchedulingDeniedException denied) when (refusalHint.Length > 0)
        {
            throw new SchedulingDeniedException(denied.Message + refusalHint, denied);
        }

        return task;
    }

    /// <summary>
    /// Control thread, after boot: a real-time task started from now on (from a handler, say) is
    /// refused, because the control thread would run the loop and the task would never hold it.
    /// </summary>
    public void RefuseLateTasks() => lateTasksRefused = true;

    /// <summary>Control thread, after boot: from now on the task's thread runs the loop at the start of each cycle.</summary>
    public void Lend()
    {
        if (task is null)
        {
            throw new InvalidOperationException("there is no real-time task to lend the loop to; start it first");
        }

        Interlocked.Exchange(ref state, LentToTask);
    }

    /// <summary>
    /// Control thread: takes the loop back. The task's thread gives it back at the start of its next
    /// cycle (or has ended). False when neither happened within <paramref name="timeout"/>: the
    /// body is stuck, and the loop must not be touched.
    /// </summary>
    public bool Reclaim(TimeSpan timeout)
    {
        Interlocked.CompareExchange(ref state, ReturnAsked, LentToTask);
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Volatile.Read(ref state) != HeldByControl)
        {
            if (task is not { } running || running.Join(TimeSpan.Zero))
            {
                Interlocked.Exchange(ref state, HeldByControl);
                return true;
            }

            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>Control thread, holding the loop: runs the task-ending reports (body fault, watchdog) the task's thread posted.</summary>
    public void RunPosted()
    {
        if (IsLent)
        {
            throw new InvalidOperationException("the loop is lent to the real-time task; reclaim it before running its reports");
        }

        while (posted.TryDequeue(out var report))
        {
            report();
        }
    }

    /// <summary>Task thread, at the start of a cycle: true when it holds the loop for this cycle.</summary>
    private bool EnterCycle()
    {
        var current = Volatile.Read(ref state);
        if (current == LentToTask)
        {
            return true;
        }

        if (current == ReturnAsked)
        {
            Interlocked.CompareExchange(ref state, HeldByControl, ReturnAsked);
        }

        Interlocked.Increment(ref cyclesSkipped);
        return false;
    }

    /// <summary>
    /// Task thread, holding the loop: what arrived since the last cycle (a ring's doorbell arms
    /// its delivery), then the events due by now, bounded. Allocation-free.
    /// </summary>
    private void RunDueEvents()
    {
        loop.LookAtSources();
        var limitNs = loop.NowNs;
        for (var i = 0; i < EventsPerCycleMax && loop.TryRunNext(limitNs); i++)
        {
        }
    }

    /// <summary>
    /// The service's body and the kernel's observer behind the loan: runs the loop's due events,
    /// then the body, in the cycles the task's thread holds the loop, and reports only those
    /// cycles to the kernel. Body and observer are one object so the report knows what the cycle did.
    /// </summary>
    private sealed class LoanedTask(RealtimeServiceExecutor owner, ICyclicBody body, ICyclicTaskObserver observer) : ICyclicBody, ICyclicTaskObserver
    {
        /// <summary>Task thread only: whether the current cycle ran with the loop.</summary>
        private bool heldThisCycle;

        public void Execute(in CycleInfo cycle)
        {
            heldThisCycle = owner.EnterCycle();
            if (!heldThisCycle)
            {
                return;
            }

            owner.RunDueEvents();

            // A loop event may have faulted the service (a handler threw, a heartbeat was missed):
            // its teardown asked the task to stop, and the body must not run on revoked capabilities.
            if (owner.task is { IsStopRequested: true })
            {
                return;
            }

            body.Execute(cycle);
        }

        public void OnBodyFault(Exception exception) => observer.OnBodyFault(exception);

        public void OnWatchdog(long consecutiveOverruns) => observer.OnWatchdog(consecutiveOverruns);

        public void OnOverrun(long lateNs)
        {
            if (heldThisCycle)
            {
                observer.OnOverrun(lateNs);
            }
        }

        public void OnCycleCompleted(long nowNs)
        {
            if (heldThisCycle)
            {
                observer.OnCycleCompleted(nowNs);
            }
        }
    }
}
