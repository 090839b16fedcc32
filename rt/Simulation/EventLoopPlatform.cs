using Neokernel.Kernel.Platform;
using Neokernel.Rt.Cyclic;

namespace Neokernel.Rt.Simulation;

/// <summary>
/// A platform that runs every service on one thread from one queue of timed events, ordered by
/// due time and then by the order they were armed: a deterministic order, whatever the host.
/// The simulation jumps from event to event on virtual time; the paced variant waits on the
/// real monotonic clock before each event, so the same system runs in real time.
/// </summary>
public abstract class EventLoopPlatform : IPlatform, IClock
{
    private readonly TimerQueue queue = new(256);
    private long sequence;

    protected EventLoopPlatform(ulong seed, IDeviceProvider devices, IRegionMemoryProvider? regionMemory = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        Seed = seed;
        Devices = devices;
        CyclicExecutor = new TimerCyclicExecutor(this);
        RegionMemory = regionMemory ?? new ManagedRegionMemoryProvider();
    }

    private readonly IMessageQueueProvider queues = new InProcessMessageQueueProvider();
    private IMessageQueueProvider? decoratedQueues;

    /// <summary>
    /// In-process queues unless the composer hands services to other processes (shared-memory
    /// rings), as a subclass decorates them (the simulation's IPC faults), once, at first use.
    /// </summary>
    public IMessageQueueProvider MessageQueues
    {
        get => decoratedQueues ??= DecorateQueues(queues);
        init => queues = value ?? throw new ArgumentNullException(nameof(value));
    }

    public abstract string Name { get; }

    public IClock Clock => this;

    public ulong Seed { get; }

    public ICyclicExecutor CyclicExecutor { get; protected set; }

    public IDeviceProvider Devices { get; }

    /// <summary>Stream devices: the virtual network in simulation, sockets and ttys when paced on Linux.</summary>
    public Kernel.Devices.IStreamDeviceProvider Streams { get; protected set; } = null!;

    public IRegionMemoryProvider RegionMemory { get; }

    /// <summary>Where retain stores live: memory in the simulation, the run's state directory (or the granted one) when paced on Linux; null: none.</summary>
    public IRetainStorage? RetainStorage { get; init; }

    public abstract long NowNs { get; }

    /// <summary>Virtual time zero is the documented simulation epoch; the paced platform reads the wall clock instead.</summary>
    public virtual long WallClockAtZeroUnixNs => WallClock.SimulationEpochUnixNs;

    /// <summary>Events run so far.</summary>
    public long EventsRun { get; private set; }

    public int PendingEvents => queue.Count;

    public IPlatformTimer CreateTimer(ITimerCallback callback) => new EventTimer(this, callback);

    /// <summary>The platform clock, unless a subclass gives the service a view of its own.</summary>
    public virtual IClock ClockFor(string serviceId) => this;

    /// <summary>Nothing between a region's writer and its readers, unless a subclass puts something there.</summary>
    public virtual IRegionPublishFilter? RegionPublishFilterFor(string regionName, IReadOnlyList<string> pointNames) => null;

    /// <summary>The queues services' endpoints are made of: <paramref name="inner"/> itself, unless a subclass wraps it.</summary>
    protected virtual IMessageQueueProvider DecorateQueues(IMessageQueueProvider inner) => inner;

    /// <summary>Wraps the cyclic executor, e.g. to publish heartbeats to another process. Before boot.</summary>
    public void DecorateCyclicExecutor(Func<ICyclicExecutor, ICyclicExecutor> decorate)
    {
        ArgumentNullException.ThrowIfNull(decorate);
        CyclicExecutor = decorate(CyclicExecutor);
    }

    /// <summary>Runs events due up to <paramref name="endNs"/>, then leaves the clock there. Returns the events run.</summary>
    public long RunUntil(long endNs, CancellationToken cancellation = default)
    {
        var ran = 0L;
        while (!cancellation.IsCancellationRequested)
        {
            if (TryRunNext(endNs, cancellation))
            {
                ran++;
                continue;
            }

            // Nothing is due by the end: wait for it, unless something that happened meanwhile
            // (a descriptor became ready, another thread posted work) armed a new event first.
            if (cancellation.IsCancellationRequested || AdvanceTo(endNs, cancellation) != Advance.Interrupted)
            {
                break;
            }
        }

        return ran;
    }

    /// <summary>
    /// Runs the callbacks of descriptors ready now and of posted work, without waiting: for a
    /// thread that holds the loop without waiting in it (a real-time task's cycle start). Returns
    /// how many ran. Nothing to look at in simulation.
    /// </summary>
    public virtual int LookAtSources() => 0;

    /// <summary>Runs the next event if it is due by <paramref name="limitNs"/>.</summary>
    public bool TryRunNext(long limitNs, CancellationToken cancellation = default)
    {
        while (queue.Head is { } next)
        {
            // Asked from inside a timer's callback, nothing runs until that callback returns.
            var dueNs = queue.HeadDueNs;
            if (next.Firing || dueNs > limitNs)
            {
                return false;
            }

            switch (AdvanceTo(dueNs, cancellation))
            {
                case Advance.Cancelled:
                    return false;
                case Advance.Interrupted:
                    // Callbacks ran while waiting and may have armed, re-armed or cancelled timers:
                    // look at the head of the queue again.
                    continue;
            }

            next.Fire(NowNs);
            EventsRun++;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Moves the clock to <paramref name="dueNs"/>: instantly in simulation, by waiting when paced.
    /// A paced wait may end early because a descriptor became ready or another thread posted work;
    /// their callbacks have run by then, and the caller looks at the queue again.
    /// </summary>
    protected abstract Advance AdvanceTo(long dueNs, CancellationToken cancellation);

    /// <summary>How a wait for the next event ended.</summary>
    protected enum Advance
    {
        /// <summary>The clock reads the due time (or later).</summary>
        Reached,

        /// <summary>Callbacks ran before the due time: the queue may have changed.</summary>
        Interrupted,

        /// <summary>The cancellation token fired.</summary>
        Cancelled,
    }

    /// <summary>A reusable timer, armed while it holds a slot in the queue.</summary>
    private sealed class EventTimer(EventLoopPlatform platform, ITimerCallback callback) : IPlatformTimer
    {
        /// <summary>Its index in the queue's heap; -1 when not armed.</summary>
        public int Slot = -1;

        /// <summary>
        /// Its callback runs. It keeps its slot meanwhile (it is not armed, and its key, due now,
        /// keeps it first): a callback that re-arms it, as every cyclic release does, moves it
        /// down once instead of taking it out and putting it back.
        /// </summary>
        public bool Firing;

        public bool IsArmed => Slot >= 0 && !Firing;

        public void ArmAt(long dueNs)
        {
            Firing = false;
            platform.queue.Arm(this, Math.Max(dueNs, platform.NowNs), platform.sequence++);
        }

        public void Cancel()
        {
            if (IsArmed)
            {
                platform.queue.Remove(this);
            }
        }

        public void Fire(long nowNs)
        {
            Firing = true;
            try
            {
                callback.OnTimer(nowNs);
            }
            finally
            {
                if (Firing)
                {
                    // Not re-armed (or cancelled) by its callback: it leaves the queue.
                    Firing = false;
                    platform.queue.Remove(this);
                }
            }
        }
    }

    /// <summary>
    /// The armed timers as a binary min-heap on (due time, arming sequence) in which each timer
    /// knows its slot: re-arming moves a timer and cancelling removes it in place, in O(log n), so
    /// the heap holds only live timers (one entry per armed timer, however often it is re-armed).
    /// The keys sit in the heap's entries, so a sift compares without following a reference.
    /// Allocates only to grow past the most timers ever armed at once.
    /// </summary>
    private sealed class TimerQueue(int capacity)
    {
        private Entry[] heap = new Entry[capacity];

        public int Count { get; private set; }

        /// <summary>The timer due first; null when none is armed.</summary>
        public EventTimer? Head => Count == 0 ? null : heap[0].Timer;

        /// <summary>When the head is due; only while <see cref="Head"/> is not null.</summary>
        public long HeadDueNs => heap[0].DueNs;

        /// <summary>Puts <paramref name="timer"/> where its new due time and sequence belong.</summary>
        public void Arm(EventTimer timer, long dueNs, long sequence)
        {
            var slot = timer.Slot;
            if (slot < 0)
            {
                if (Count == heap.Length)
                {
                    Array.Resize(ref heap, heap.Length * 2);
                }

                slot = Count++;
            }

            // A re-armed timer's sequence is the newest, but its due time may move either way.
            var entry = new Entry(dueNs, sequence, timer);
            slot = SiftUp(slot, entry);
            SiftDown(slot, entry);
        }

        public void Remove(EventTimer timer)
        {
            var slot = timer.Slot;
            timer.Slot = -1;
            var last = heap[--Count];
            heap[Count] = default;
            if (slot == Count)
            {
                return;
            }

            slot = SiftUp(slot, last);
            SiftDown(slot, last);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static bool Before(in Entry a, in Entry b) =>
            a.DueNs < b.DueNs || (a.DueNs == b.DueNs && a.Sequence < b.Sequence);

        /// <summary>Moves the hole at <paramref name="slot"/> up while <paramref name="entry"/> goes before its parent, and puts it there.</summary>
        private int SiftUp(int slot, in Entry entry)
        {
            while (slot > 0)
            {
                var parent = (slot - 1) >> 1;
                if (!Before(entry, heap[parent]))
                {
                    break;
                }

                Place(heap[parent], slot);
                slot = parent;
            }

            Place(entry, slot);
            return slot;
        }

        /// <summary>Moves <paramref name="entry"/>, now at <paramref name="slot"/>, down while a child goes before it.</summary>
        private void SiftDown(int slot, in Entry entry)
        {
            var moved = false;
            while (true)
            {
                var child = (2 * slot) + 1;
                if (child >= Count)
                {
                    break;
                }

                if (child + 1 < Count && Before(heap[child + 1], heap[child]))
                {
                    child++;
                }

                if (!Before(heap[child], entry))
                {
                    break;
                }

                Place(heap[child], slot);
                slot = child;
                moved = true;
            }

            if (moved)
            {
                Place(entry, slot);
            }
        }

        private void Place(in Entry entry, int slot)
        {
            heap[slot] = entry;
            entry.Timer.Slot = slot;
        }

        private readonly record struct Entry(long DueNs, long Sequence, EventTimer Timer);
    }
}

/// <summary>The deterministic simulation: virtual time that jumps to the next event. Never reads wall time.</summary>
public sealed class SimulationPlatform : EventLoopPlatform
{
    private long nowNs;

    public SimulationPlatform(ulong seed, IDeviceProvider devices)
        : this(seed, devices, null)
    {
    }

    /// <summary>A simulation with <paramref name="faults"/> at its seams (attach them to the kernel before it boots).</summary>
    public SimulationPlatform(ulong seed, IDeviceProvider devices, Faults.SimulationFaults? faults)
        : base(seed, faults is null ? devices : faults.Wrap(devices))
    {
        Faults = faults;
        faults?.Bind(this);
        CyclicExecutor = new TimerCyclicExecutor(this, faults, TimerCyclicExecutor.SimulationMeasureEvery);

        Network = new VirtualNetwork(this, new DeterministicRandom(seed).Fork("virtual-network"));
        Streams = faults is null ? Network : faults.WrapStreams(Network);
        RetainStorage = Retained;
    }

    /// <summary>The run's retain stores, in memory: they survive a service's restarts within the run, and every run starts without them.</summary>
    public SimulatedRetainStorage Retained { get; } = new();

    /// <summary>The virtual network and serial lines services' stream devices open on; simulated peers join it here.</summary>
    public VirtualNetwork Network { get; }

    public override string Name => "simulation";

    /// <summary>The faults at this platform's seams; null: none.</summary>
    public Faults.SimulationFaults? Faults { get; }

    public override IClock ClockFor(string serviceId) => Faults is null ? this : Faults.ClockFor(serviceId, this);

    public override IRegionPublishFilter? RegionPublishFilterFor(string regionName, IReadOnlyList<string> pointNames) =>
        Faults?.RegionFilterFor(regionName, pointNames);

    protected override IMessageQueueProvider DecorateQueues(IMessageQueueProvider inner) => Faults is null ? inner : Faults.Wrap(inner);

    public override long NowNs => nowNs;

    protected override Advance AdvanceTo(long dueNs, CancellationToken cancellation)
    {
        if (dueNs > nowNs)
        {
            nowNs = dueNs;
        }

        return Advance.Reached;
    }
}

/// <summary>Region memory as plain managed buffers: one process, one address space.</summary>
public sealed class ManagedRegionMemoryProvider : IRegionMemoryProvider
{
    public RegionMemory Allocate(string regionName, int length) => new ManagedRegionMemory(length);

    private sealed class ManagedRegionMemory(int length) : RegionMemory
    {
        private readonly byte[] bytes = new byte[length];

        public override int Length => bytes.Length;

        public override Span<byte> Bytes => bytes;
    }
}
