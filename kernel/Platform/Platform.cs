namespace Neokernel.Kernel.Platform;

// The seams. The kernel never calls the OS: time, timers, cyclic release, region memory and
// devices come through these interfaces. rt/ has two implementations of each: a deterministic
// simulation on virtual time, and Linux real time. Fault injection lives at these seams too.

/// <summary>A monotonic clock in nanoseconds. Never wall time.</summary>
public interface IClock
{
    long NowNs { get; }

    /// <summary>
    /// The wall-clock time (ns since the Unix epoch, UTC) at which <see cref="NowNs"/> read zero:
    /// what turns the kernel's timestamps into calendar time for those who show them (an OPC UA
    /// SourceTimestamp). Fixed for a clock's whole life, so a later step of the system's wall
    /// clock (NTP, an operator) never reorders timestamps; nothing in the kernel decides by it.
    /// The real-time platform reads the wall clock once, beside its monotonic origin; every other
    /// clock (the simulation, test fakes) keeps <see cref="WallClock.SimulationEpochUnixNs"/>,
    /// so runs stay deterministic.
    /// </summary>
    long WallClockAtZeroUnixNs => WallClock.SimulationEpochUnixNs;
}

/// <summary>Calendar time from a clock's monotonic nanoseconds (<see cref="IClock.WallClockAtZeroUnixNs"/>).</summary>
public static class WallClock
{
    /// <summary>Where virtual time zero is on the calendar: 2026-01-01T00:00:00Z.</summary>
    public const long SimulationEpochUnixNs = 1_767_225_600_000_000_000;

    /// <summary>A timestamp of <paramref name="clock"/> (a region point's source timestamp) as ns since the Unix epoch.</summary>
    public static long UnixNs(IClock clock, long clockNs)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return clock.WallClockAtZeroUnixNs + clockNs;
    }

    /// <summary>The clock's now as ns since the Unix epoch.</summary>
    public static long NowUnixNs(IClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return clock.WallClockAtZeroUnixNs + clock.NowNs;
    }
}

/// <summary>Called when a platform timer fires, on the thread that runs the service.</summary>
public interface ITimerCallback
{
    void OnTimer(long nowNs);
}

/// <summary>
/// A reusable one-shot timer. Arming and cancelling never allocate, so timers can be
/// re-armed from data-plane code every cycle.
/// </summary>
public interface IPlatformTimer
{
    bool IsArmed { get; }

    /// <summary>Fires at <paramref name="dueNs"/> (absolute, on the platform clock); re-arming replaces the previous due time.</summary>
    void ArmAt(long dueNs);

    void Cancel();
}

/// <summary>What a cyclic task was granted: from the manifest's timing section, checked.</summary>
public sealed record CyclicTaskSpec(
    string ServiceId,
    TimingClass SchedulingClass,
    int Priority,
    int? Cpu,
    long PeriodNs,
    long PhaseNs,
    long DeadlineNs,
    long BudgetNs,
    OverrunPolicy OverrunPolicy,
    int OverrunsMax);

/// <summary>The scheduling class a cyclic task is granted (manifest words rt-fifo, rt-deadline, best-effort).</summary>
public enum TimingClass
{
    /// <summary>The normal scheduler, with a nice value.</summary>
    BestEffort,

    /// <summary>SCHED_FIFO with a fixed priority.</summary>
    RtFifo,

    /// <summary>SCHED_DEADLINE with runtime, deadline and period.</summary>
    RtDeadline,
}

public enum OverrunPolicy
{
    /// <summary>Drop the releases that were missed and go on at the next period boundary.</summary>
    Skip,

    /// <summary>Run the missed releases back to back until the task is on time again.</summary>
    CatchUp,

    /// <summary>Like skip, but after the configured number of consecutive overruns the watchdog faults the service.</summary>
    Fault,
}

/// <summary>One release of a cyclic task, as its body sees it.</summary>
public readonly record struct CycleInfo(long CycleIndex, long ReleaseNs, long StartNs);

/// <summary>The body of a cyclic task. Runs on the data plane: it must not allocate.</summary>
public interface ICyclicBody
{
    void Execute(in CycleInfo cycle);
}

/// <summary>Statistics of a cyclic task, in nanoseconds. A snapshot; cheap to copy.</summary>
public readonly record struct CyclicStatistics(
    long Cycles,
    long Overruns,
    long ConsecutiveOverruns,
    long LatencyNsMin,
    long LatencyNsMean,
    long LatencyNsP99,
    long LatencyNsP999,
    long LatencyNsMax,
    long ExecutionNsMin,
    long ExecutionNsMean,
    long ExecutionNsP99,
    long ExecutionNsP999,
    long ExecutionNsMax);

/// <summary>What the executor tells the kernel about a task: faults and watchdog trips.</summary>
public interface ICyclicTaskObserver
{
    /// <summary>The body threw; the task is stopped.</summary>
    void OnBodyFault(Exception exception);

    /// <summary>A cycle finished <paramref name="lateNs"/> after its deadline.</summary>
    void OnOverrun(long lateNs);

    /// <summary>The task overran its deadline <paramref name="consecutiveOverruns"/> times in a row under the fault policy.</summary>
    void OnWatchdog(long consecutiveOverruns);

    /// <summary>The task completed a cycle; the kernel counts it as a heartbeat.</summary>
    void OnCycleCompleted(long nowNs);
}

/// <summary>A running cyclic task.</summary>
public interface ICyclicTaskHandle
{
    CyclicStatistics Statistics { get; }

    void Stop();
}

/// <summary>Releases cyclic tasks on their period: virtual timers in simulation, a real-time thread on Linux.</summary>
public interface ICyclicExecutor
{
    ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer);
}

[Flags]
public enum DeviceAccess
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}

/// <summary>
/// Bytes to and from a device. Simulated devices and real ones (sockets, serial lines) look the
/// same to a driver: spans in, spans out.
/// </summary>
public interface IDeviceChannel : IDisposable
{
    string Uri { get; }

    /// <summary>Reads what the device has into <paramref name="buffer"/>; returns the byte count.</summary>
    int Read(Span<byte> buffer);

    void Write(ReadOnlySpan<byte> data);
}

/// <summary>
/// A device provider whose devices live in shared memory (simulated register banks), so a service
/// in another process can be handed the device itself rather than a proxy.
/// </summary>
public interface IShareableDevices
{
    /// <summary>The memory behind the device at <paramref name="uri"/>, created if needed; null when it cannot be shared.</summary>
    RegionMemory? SharedMemoryOf(string uri);
}

public interface IDeviceProvider
{
    /// <summary>Opens the device at <paramref name="uri"/>, or throws with a message that says which schemes are known.</summary>
    IDeviceChannel Open(string uri, DeviceAccess access);
}

/// <summary>
/// Backing memory of a region. In simulation a managed buffer; on Linux a shared mapping that
/// can be handed to another process. Fixed size for its whole life.
/// </summary>
public abstract class RegionMemory : IDisposable
{
    public abstract int Length { get; }

    public abstract Span<byte> Bytes { get; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}

public interface IRegionMemoryProvider
{
    RegionMemory Allocate(string regionName, int length);
}

/// <summary>
/// Between a region's writer and its readers: what a publish makes visible, on a platform that
/// changes it (the simulation's region faults). The kernel hands a writer's publish through it as
/// a copy of the staged points, so the writer's own staging never changes. Data plane: both
/// members are called at every publish of the region and must not allocate.
/// </summary>
public interface IRegionPublishFilter
{
    /// <summary>True when the filter acts on a publish now; false: the staged points go out as they are.</summary>
    bool Acting { get; }

    /// <summary>Makes <paramref name="publish"/> what readers will see; false withholds the whole publish (readers keep what they had).</summary>
    bool Filter(Regions.RegionPublish publish);
}

/// <summary>
/// An endpoint as the maker of its queues sees it: its name and provider, its routed clients in
/// client-id order (the system file's route order, so every process numbers them alike), and the
/// shape of each queue.
/// </summary>
public sealed record EndpointQueueSpec(string Name, string Provider, IReadOnlyList<string> Clients, int Capacity, int MaxMessageBytes);

/// <summary>
/// Makes the queues under each endpoint: in-process slots, or shared-memory rings between
/// processes. An endpoint has one request queue (its provider receives) and one reply queue per
/// routed client (that client receives).
/// </summary>
public interface IMessageQueueProvider
{
    Ipc.IMessageQueue CreateRequests(EndpointQueueSpec endpoint);

    Ipc.IMessageQueue CreateReplies(EndpointQueueSpec endpoint, int clientId);
}

/// <summary>Queues as managed slots in this process.</summary>
public sealed class InProcessMessageQueueProvider : IMessageQueueProvider
{
    public Ipc.IMessageQueue CreateRequests(EndpointQueueSpec endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new Ipc.BoundedMessageQueue(endpoint.Capacity, endpoint.MaxMessageBytes);
    }

    public Ipc.IMessageQueue CreateReplies(EndpointQueueSpec endpoint, int clientId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new Ipc.BoundedMessageQueue(endpoint.Capacity, endpoint.MaxMessageBytes);
    }
}

/// <summary>
/// Where services' retained values live: a directory of files on Linux, memory in the simulation.
/// The kernel keeps the record format and decides what to restore (<c>Services/RetainRecord.cs</c>,
/// <c>Services/RetainStore.cs</c>); a medium only reads and writes whole records in its two slots.
/// </summary>
public interface IRetainStorage
{
    /// <summary>
    /// The medium of <paramref name="serviceId"/>'s store <paramref name="spec"/>: made (a
    /// directory created) if it is not there yet. Throws <see cref="RetainStorageException"/>,
    /// saying where and why, when it cannot be opened. Control plane.
    /// </summary>
    IRetainMedium Open(string serviceId, Manifests.RetainSpec spec);
}

/// <summary>
/// One store's two slots. A slot holds one whole record or none: a write replaces it atomically
/// (on Linux a temporary file, fsync, rename over the slot, fsync of the directory), so a crash
/// at any point leaves the old record or the new one, never a mix. Reads are control plane;
/// <see cref="Write"/> may return before the record is durable, and a later write (to either
/// slot) may replace one not yet begun (coalescing): records are never reordered, and the newest
/// is always the one written last.
/// </summary>
public interface IRetainMedium : IDisposable
{
    /// <summary>Where the store is, for messages: its directory, or <c>sim:</c> and its path.</summary>
    string Location { get; }

    /// <summary>The name of slot 0 or 1 within <see cref="Location"/>, for messages.</summary>
    string SlotName(int slot);

    /// <summary>Reads slot <paramref name="slot"/> into <paramref name="destination"/>; a record longer than it reads as <see cref="RetainSlotState.TooLarge"/>.</summary>
    RetainSlotRead Read(int slot, Span<byte> destination);

    /// <summary>Hands a whole record for slot <paramref name="slot"/> to the medium; copied at once, allocation-free.</summary>
    void Write(int slot, ReadOnlySpan<byte> record);

    /// <summary>Writes done and failed so far, and the last failure's words: for the kernel's warnings.</summary>
    RetainMediumStatus Status { get; }
}

/// <summary>What a slot held when it was read.</summary>
public enum RetainSlotState
{
    /// <summary>No record: the slot was never written.</summary>
    Missing,

    /// <summary>Bytes were read (whether they are a good record is the kernel's judgement).</summary>
    Read,

    /// <summary>The slot holds more than the store's largest record.</summary>
    TooLarge,

    /// <summary>The slot could not be read (permissions, an I/O error): <see cref="RetainSlotRead.Problem"/> says why.</summary>
    Unreadable,
}

/// <summary>The outcome of reading one slot: what it held, how many bytes, and why not when it could not be read.</summary>
public readonly record struct RetainSlotRead(RetainSlotState State, int Length, string? Problem = null);

/// <summary>A medium's writes so far: <paramref name="LastFailure"/> says what the last failed write met.</summary>
public readonly record struct RetainMediumStatus(long Written, long Failed, string? LastFailure);

/// <summary>A retain store could not be opened: the message says which store, where, and how to fix it.</summary>
public sealed class RetainStorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Everything the kernel needs from the world.</summary>
public interface IPlatform
{
    /// <summary>Short name for reports: <c>simulation</c> or <c>linux-rt</c>.</summary>
    string Name { get; }

    IClock Clock { get; }

    /// <summary>
    /// The clock <paramref name="serviceId"/> sees: the platform's, unless the platform gives a
    /// service a view of its own (the simulation's clock-jump fault). Timers stay on <see cref="Clock"/>.
    /// </summary>
    IClock ClockFor(string serviceId) => Clock;

    /// <summary>Seed of the one PRNG all randomness derives from.</summary>
    ulong Seed { get; }

    IPlatformTimer CreateTimer(ITimerCallback callback);

    ICyclicExecutor CyclicExecutor { get; }

    IDeviceProvider Devices { get; }

    /// <summary>Byte-stream devices (TCP, serial lines): the virtual network in simulation, sockets and ttys on Linux.</summary>
    Devices.IStreamDeviceProvider Streams { get; }

    IRegionMemoryProvider RegionMemory { get; }

    /// <summary>
    /// What stands between the writer of <paramref name="regionName"/> (its points in
    /// <paramref name="pointNames"/>' order) and its readers: nothing (null), unless the platform
    /// changes what readers see (the simulation's region faults). Asked when a writer opens the region.
    /// </summary>
    IRegionPublishFilter? RegionPublishFilterFor(string regionName, IReadOnlyList<string> pointNames) => null;

    IMessageQueueProvider MessageQueues { get; }

    /// <summary>Where retain stores live; null: this platform keeps none, and a service's open of its store is denied.</summary>
    IRetainStorage? RetainStorage => null;
}
