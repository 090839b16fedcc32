using System.Diagnostics;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Services;

/// <summary>
/// The kernel's record of one service across its incarnations: lifecycle, the current instance
/// and its context, restart history, heartbeat watchdog and the dependency edges the supervisor
/// follows. One per service for the life of the system.
/// </summary>
public sealed class ServiceRuntime : ICyclicTaskObserver, IFaultSink
{
    private readonly SystemKernel kernel;
    private readonly Queue<long> restartTimesNs = new();
    private readonly HashSet<(CapabilityKind Kind, string Name)> usedEver = [];
    private readonly IPlatformTimer heartbeatTimer;
    private readonly IPlatformTimer restartTimer;
    private CapabilitySpace? space;
    private IServiceInstance? instance;
    private long lastHeartbeatNs;
    private long heartbeatDueNs;
    private long startedAtNs;
    private long firstBeatDeadlineNs;
    private bool beatSinceStart;
    private long executionNsMaxEver;
    private long cyclesEver;
    private long overrunsEver;
    private long faultedAtNs = -1;
    private string? completionPending;

    internal ServiceRuntime(SystemKernel kernel, ServiceDefinition definition, int order)
    {
        this.kernel = kernel;
        Definition = definition;
        Order = order;
        TraceId = kernel.Trace.Intern(Id);
        Lifecycle = new ServiceLifecycle((from, to) => kernel.Trace.Record(TraceEventKind.ServiceState, TraceId, -1, (long)from, (long)to));
        TaskSpec = BuildTaskSpec(definition.Spec);
        HeartbeatTimeoutNs = HeartbeatTimeout(definition.Spec);
        heartbeatTimer = kernel.Platform.CreateTimer(new TimerAction(CheckHeartbeat));
        restartTimer = kernel.Platform.CreateTimer(new TimerAction(_ => kernel.Supervisor.OnRestartDue(this)));
    }

    public ServiceDefinition Definition { get; }

    /// <summary>The validated spec: immutable, the kernel's only source of this service's grants.</summary>
    public ServiceSpec Spec => Definition.Spec;

    public string Id => Spec.Id;

    /// <summary>Position in the system file: rest-for-one restarts the services after this one.</summary>
    public int Order { get; }

    public int TraceId { get; }

    public ServiceLifecycle Lifecycle { get; }

    public ServiceState State => Lifecycle.State;

    public CyclicTaskSpec? TaskSpec { get; }

    public long HeartbeatTimeoutNs { get; }

    /// <summary>How many times this service was started (1 after boot).</summary>
    public int Incarnation { get; internal set; }

    /// <summary>Restarts by the supervisor since boot.</summary>
    public int Restarts { get; private set; }

    public string? LastFault { get; private set; }

    /// <summary>Faults since boot, in every incarnation.</summary>
    public int Faults { get; private set; }

    /// <summary>Failed, and acknowledged by an operator through kernel.control: it may start again.</summary>
    public bool Acknowledged { get; private set; }

    /// <summary>Stopped by the kernel and its outputs driven to their declared safe values.</summary>
    public bool InSafeState { get; internal set; }

    public List<ServiceRuntime> Dependencies { get; } = [];

    public List<ServiceRuntime> Dependents { get; } = [];

    public IReadOnlyCollection<long> RestartTimesNs => restartTimesNs;

    public CyclicStatistics? Statistics => instance?.Statistics;

    /// <summary>Whether <see cref="Statistics"/> has a value, without taking the snapshot.</summary>
    public bool HasStatistics => instance?.HasStatistics ?? false;

    /// <summary>Longest execution of a cycle over every incarnation, measured by the platform.</summary>
    public long ExecutionNsMaxEver => Math.Max(executionNsMaxEver, Statistics?.ExecutionNsMax ?? 0);

    public long CyclesEver => cyclesEver + (Statistics?.Cycles ?? 0);

    public long OverrunsEver => overrunsEver + (Statistics?.Overruns ?? 0);

    /// <summary>Capabilities this service was granted and never exercised, in any incarnation.</summary>
    public IReadOnlyList<(CapabilityKind Kind, string Name)> UnusedCapabilities()
    {
        CollectUsage();
        var unused = new List<(CapabilityKind, string)>();
        foreach (var capability in GrantedCapabilities)
        {
            if (!usedEver.Contains(capability))
            {
                unused.Add(capability);
            }
        }

        return unused;
    }

    internal List<(CapabilityKind Kind, string Name)> GrantedCapabilities { get; } = [];

    /// <summary>The capabilities the running instance holds; null between instances.</summary>
    internal CapabilitySpace? Space => space;

    internal IPlatformTimer RestartTimer => restartTimer;

    /// <summary>When the current incarnation became Running, on the platform clock.</summary>
    internal long StartedAtNs => startedAtNs;

    /// <summary>The kernel this service runs under: a host asks it to describe an incarnation's grants.</summary>
    internal SystemKernel Kernel => kernel;

    /// <summary>The kernel's trace: a host that runs the service elsewhere records what it learns there.</summary>
    internal KernelTrace Trace => kernel.Trace;

    /// <summary>Creates a fresh instance, grants its capabilities and starts it. Control plane.</summary>
    internal void StartInstance()
    {
        Lifecycle.Fire(ServiceTrigger.Start);
        completionPending = null;
        Incarnation++;
        InSafeState = false;
        Acknowledged = false;
        space = kernel.GrantCapabilities(this);
        var random = new DeterministicRandom(kernel.Platform.Seed).Fork($"{Id}/{Incarnation}");
        try
        {
            instance = kernel.HostFor(this).Create(new ServiceLaunch(new HostedService(this, Incarnation), Incarnation, space, random));
            instance.Start();
        }
        catch (Exception exception)
        {
            HandleFault($"start failed: {exception.Message}");
            return;
        }

        if (State != ServiceState.Starting)
        {
            // The service reported a fault from inside its own start; the supervisor has it.
            return;
        }

        Lifecycle.Fire(ServiceTrigger.Started);
        WatchFirstBeat(kernel.Platform.Clock.NowNs, instance?.StartupGraceNs ?? 0);

        if (completionPending is { } reason)
        {
            completionPending = null;
            HandleCompletion(reason);
        }
    }

    /// <summary>Stops the instance in order: its own Stop, then teardown and revocation.</summary>
    internal void StopInstance()
    {
        if (State != ServiceState.Running)
        {
            if (Lifecycle.CanFire(ServiceTrigger.Stop))
            {
                Lifecycle.Fire(ServiceTrigger.Stop);
            }

            return;
        }

        Lifecycle.Fire(ServiceTrigger.Stop);

        // Its statistics count in the totals before it stops: an isolated instance's go with its process.
        KeepStatistics();
        try
        {
            instance?.Stop();
        }
        catch (Exception exception)
        {
            LastFault = $"stop failed: {exception.Message}";
            kernel.Trace.Record(TraceEventKind.Fault, TraceId, LastFault);
        }
        finally
        {
            instance = null;
        }

        Teardown();
        Lifecycle.Fire(ServiceTrigger.Stopped);
    }

    /// <summary>A fault from anywhere in the service: the instance goes, the supervisor decides.</summary>
    internal void HandleFault(string reason)
    {
        if (State is not (ServiceState.Running or ServiceState.Starting or ServiceState.Stopping))
        {
            return;
        }

        LastFault = reason;
        Faults++;
        if (faultedAtNs < 0)
        {
            faultedAtNs = kernel.Platform.Clock.NowNs;
        }

        kernel.Trace.Record(TraceEventKind.Fault, TraceId, reason);
        Lifecycle.Fire(ServiceTrigger.Fault);
        Teardown();
        kernel.Supervisor.OnFaulted(this);
    }

    internal void ReportFault(string reason) => HandleFault($"reported: {reason}");

    /// <summary>An operator acknowledged the failure: the restart history that failed it is cleared, and it may start again.</summary>
    internal void Acknowledge()
    {
        restartTimesNs.Clear();
        Acknowledged = true;
    }

    /// <summary>
    /// A normal end: the service said its work is done (here, or in its own process, which then
    /// exited cleanly). The instance is stopped in order, not torn down as after a fault, and the
    /// supervisor restarts it only if its policy is permanent. Said during its own start, the end
    /// takes effect once the start has finished.
    /// </summary>
    internal void HandleCompletion(string reason)
    {
        if (State == ServiceState.Starting)
        {
            completionPending = reason;
            return;
        }

        if (State != ServiceState.Running)
        {
            return;
        }

        LastCompletion = reason;
        StopInstance();
        kernel.Supervisor.OnCompleted(this);
    }

    /// <summary>Why the service last ended normally, if it did.</summary>
    public string? LastCompletion { get; private set; }

    internal void RecordRestart(long nowNs, long windowNs)
    {
        Restarts++;
        restartTimesNs.Enqueue(nowNs);
        Prune(nowNs, windowNs);
        kernel.Trace.Record(TraceEventKind.Restart, TraceId, -1, Restarts, restartTimesNs.Count);
    }

    /// <summary>Restarts within the window ending now.</summary>
    internal int RestartsWithin(long nowNs, long windowNs)
    {
        Prune(nowNs, windowNs);
        return restartTimesNs.Count;
    }

    void ICyclicTaskObserver.OnBodyFault(Exception exception) =>
        HandleFault($"cyclic task threw {exception.GetType().Name}: {exception.Message}");

    void ICyclicTaskObserver.OnWatchdog(long consecutiveOverruns)
    {
        kernel.Trace.Record(TraceEventKind.Watchdog, TraceId, -1, consecutiveOverruns);
        HandleFault($"watchdog: {consecutiveOverruns} consecutive overruns of the {TaskSpec?.DeadlineNs / 1000} us deadline");
    }

    void ICyclicTaskObserver.OnOverrun(long lateNs) => kernel.Trace.Record(TraceEventKind.Overrun, TraceId, -1, lateNs);

    void ICyclicTaskObserver.OnCycleCompleted(long nowNs) => NoteHeartbeat(nowNs);

    /// <summary>A cycle completed (here, or in the service's own process as its host saw it). Allocation-free.</summary>
    internal void NoteHeartbeat(long nowNs)
    {
        lastHeartbeatNs = Math.Max(lastHeartbeatNs, nowNs);
        Volatile.Write(ref beatSinceStart, true);
        if (faultedAtNs >= 0)
        {
            Recoveries.Record(nowNs - faultedAtNs, nowNs);
            faultedAtNs = -1;
        }
    }

    /// <summary>
    /// Time from each fault to the first completed cycle of the restarted instance: what an operator
    /// calls time to recover. For a driver, its first cycle is its first good sample.
    /// </summary>
    public RecoveryTimes Recoveries { get; } = new();

    void IFaultSink.OnHandlerFault(Exception exception) =>
        HandleFault($"message handler threw {exception.GetType().Name}: {exception.Message}");

    private void Teardown()
    {
        heartbeatTimer.Cancel();
        KeepStatistics();
        instance?.Teardown();
        instance = null;
        Revoke();
        kernel.OnWriterGone(this);
    }

    /// <summary>Adds the current instance's statistics to the totals over every incarnation; once per instance, just before it goes.</summary>
    private void KeepStatistics()
    {
        if (instance?.Statistics is not { } statistics)
        {
            return;
        }

        executionNsMaxEver = Math.Max(executionNsMaxEver, statistics.ExecutionNsMax);
        cyclesEver += statistics.Cycles;
        overrunsEver += statistics.Overruns;
    }

    /// <summary>Revokes the instance's whole capability space, tracing each capability.</summary>
    private void Revoke()
    {
        if (space is null)
        {
            return;
        }

        CollectUsage();
        foreach (var capability in space.All)
        {
            kernel.Trace.Record(TraceEventKind.CapabilityRevoke, TraceId, kernel.Trace.Intern(capability.ObjectName), (long)capability.Kind);
        }

        space.RevokeAll();
        space = null;
    }

    private void CollectUsage()
    {
        if (space is null)
        {
            return;
        }

        foreach (var capability in space.All)
        {
            if (capability.Used)
            {
                usedEver.Add((capability.Kind, capability.ObjectName));
            }
        }
    }

    private void CheckHeartbeat(long nowNs)
    {
        if (State != ServiceState.Running)
        {
            return;
        }

        if (nowNs - heartbeatDueNs > HeartbeatTimeoutNs / 2)
        {
            // The watchdog itself ran late: the kernel's own loop stalled (a process spawn, a
            // hypervisor pause), so neither an in-process service on that loop nor the poll of a
            // child's heartbeat page had its chance in that window. Blame nobody; look again one
            // timeout from now. A service that stopped cycling while the loop ran is still caught
            // by a check that runs on time. (On virtual time the check is never late.)
            kernel.Trace.Record(TraceEventKind.Heartbeat, TraceId, -2, nowNs - heartbeatDueNs);
            ArmHeartbeat(nowNs + HeartbeatTimeoutNs);
            return;
        }

        if (!Volatile.Read(ref beatSinceStart))
        {
            CheckFirstBeat(nowNs);
            return;
        }

        if (nowNs - lastHeartbeatNs >= HeartbeatTimeoutNs && nowNs >= lastHeartbeatNs)
        {
            FaultSilence(nowNs, "since its last beat");
            return;
        }

        ArmHeartbeat(lastHeartbeatNs + HeartbeatTimeoutNs);
    }

    /// <summary>
    /// Watches a fresh instance. Every service is watched, cyclic or not: a cyclic one beats with
    /// each completed cycle (its first is due one phase and period after start), any other with its
    /// event loop. The host's startup grace (a child process must come up first) only extends the
    /// wait for the first beat; it ends there, and from then on one heartbeat timeout of silence
    /// is a fault. Until the first beat the watchdog looks every timeout, so it sees that beat
    /// within one timeout, not at the end of the grace.
    /// </summary>
    private void WatchFirstBeat(long nowNs, long startupGraceNs)
    {
        Debug.Assert(startupGraceNs >= 0, "a startup grace is never negative");
        var firstBeatNs = TaskSpec is null ? 0 : TaskSpec.PhaseNs + TaskSpec.PeriodNs;
        startedAtNs = nowNs;
        lastHeartbeatNs = nowNs;
        Volatile.Write(ref beatSinceStart, false);
        firstBeatDeadlineNs = nowNs + startupGraceNs + firstBeatNs + HeartbeatTimeoutNs;
        ArmHeartbeat(Math.Min(nowNs + firstBeatNs + HeartbeatTimeoutNs, firstBeatDeadlineNs));
    }

    /// <summary>No beat yet since start: a fault once the first beat is overdue, else another look one timeout on.</summary>
    private void CheckFirstBeat(long nowNs)
    {
        if (nowNs < firstBeatDeadlineNs)
        {
            ArmHeartbeat(Math.Min(nowNs + HeartbeatTimeoutNs, firstBeatDeadlineNs));
            return;
        }

        FaultSilence(nowNs, "none since its start");
    }

    /// <summary>The heartbeat fault; its message says which silence it was: none at all since start, or a stall after beats.</summary>
    private void FaultSilence(long nowNs, string which)
    {
        kernel.Trace.Record(TraceEventKind.Heartbeat, TraceId, -1, nowNs - lastHeartbeatNs);
        var silence = TaskSpec is null ? "its event loop gave no sign of life" : "no cycle completed";
        HandleFault($"missed heartbeat: {silence} for {(nowNs - lastHeartbeatNs) / 1_000_000} ms (timeout {HeartbeatTimeoutNs / 1_000_000} ms), {which}");
    }

    private void ArmHeartbeat(long dueNs)
    {
        heartbeatDueNs = dueNs;
        heartbeatTimer.ArmAt(dueNs);
    }

    private void Prune(long nowNs, long windowNs)
    {
        while (restartTimesNs.Count > 0 && restartTimesNs.Peek() <= nowNs - windowNs)
        {
            restartTimesNs.Dequeue();
        }
    }

    private static CyclicTaskSpec? BuildTaskSpec(ServiceSpec spec)
    {
        if (spec.Timing is not { } timing)
        {
            return null;
        }

        return new CyclicTaskSpec(
            spec.Id,
            timing.Class,
            timing.Priority,
            timing.Cpu,
            timing.PeriodUs * 1000,
            timing.PhaseUs * 1000,
            timing.DeadlineUs * 1000,
            timing.BudgetUs * 1000,
            timing.OverrunPolicy,
            timing.OverrunsMax);
    }

    private static long HeartbeatTimeout(ServiceSpec spec)
    {
        if (spec.Restart.HeartbeatTimeoutMs > 0)
        {
            return spec.Restart.HeartbeatTimeoutMs * 1_000_000;
        }

        if (spec.Timing is not { } timing)
        {
            return HeartbeatTimeoutNsWithoutPeriod;
        }

        return Math.Max(3 * timing.PeriodUs * 1000, 50_000_000);
    }

    /// <summary>
    /// The default heartbeat timeout of a service without a cyclic task: its event loop beats every
    /// quarter of this (in a process of its own, every 20 ms on the status page), so one second
    /// leaves room for a loaded machine and still catches a handler that never returns.
    /// </summary>
    public const long HeartbeatTimeoutNsWithoutPeriod = 1_000_000_000;

    /// <summary>How often the event loop of a service without a cyclic task proves it is alive.</summary>
    internal long LoopHeartbeatIntervalNs => HeartbeatTimeoutNs / 4;

    private sealed class TimerAction(Action<long> action) : ITimerCallback
    {
        public void OnTimer(long nowNs) => action(nowNs);
    }
}

/// <summary>The last <see cref="Capacity"/> fault-to-recovery times of a service, in a preallocated ring.</summary>
public sealed class RecoveryTimes
{
    public const int Capacity = 1_024;

    private readonly long[] ring = new long[Capacity];
    private long count;

    /// <summary>Recoveries recorded since boot.</summary>
    public long Count => count;

    /// <summary>When the last recovery completed: the first cycle after the last fault (platform ns); 0 before any.</summary>
    public long LastAtNs { get; private set; }

    internal void Record(long ns, long atNs)
    {
        ring[(int)(count % Capacity)] = ns;
        count++;
        LastAtNs = atNs;
    }

    /// <summary>The kept recovery times, sorted. Control plane.</summary>
    public long[] Sorted()
    {
        var kept = ring.AsSpan(0, (int)Math.Min(count, Capacity)).ToArray();
        Array.Sort(kept);
        return kept;
    }
}
