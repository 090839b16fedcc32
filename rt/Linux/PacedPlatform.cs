using Neokernel.Kernel.Platform;
using Neokernel.Rt.Simulation;

namespace Neokernel.Rt.Linux;

/// <summary>
/// The event loop on real time: the same queue and order as the simulation, but before each
/// event it sleeps until the event is due (an absolute CLOCK_MONOTONIC timerfd in its
/// <see cref="LoopReactor"/>), or until a descriptor it watches is ready or another thread
/// posts work, whichever comes first. The clock is the real monotonic clock, so wake-up latency
/// and overruns are real. It is how
/// <c>neokernel run</c> drives a system with embedded simulated hardware on one thread.
/// </summary>
public sealed class PacedPlatform : EventLoopPlatform, IDisposable
{
    /// <summary>Longest single sleep, so cancellation (Ctrl-C) is noticed promptly.</summary>
    private const long SleepSliceNs = 50_000_000;

    /// <summary>While events are overdue, how often the loop still looks at its descriptors and posted work.</summary>
    private const long LookIntervalNs = 1_000_000;

    private readonly long originNs;
    private readonly long wallClockAtZeroUnixNs;
    private readonly LoopReactor reactor = new();
    private long lastLookNs = long.MinValue / 2;

    public PacedPlatform(ulong seed, IDeviceProvider devices)
        : this(seed, devices, null, LinuxTime.MonotonicNs())
    {
    }

    /// <param name="seed">Seed of the one PRNG.</param>
    /// <param name="devices">The devices services may open.</param>
    /// <param name="regionMemory">Where regions live; shared mappings when services run in other processes.</param>
    /// <param name="originNs">CLOCK_MONOTONIC reading that is time zero: processes that share it share release grids and timestamps.</param>
    /// <param name="wallClockAtZeroUnixNs">
    /// The wall clock at time zero; null reads it now, once (the kernel's process). A service host
    /// process is given its kernel's, so every process of a run maps timestamps to the calendar alike.
    /// </param>
    /// <param name="faults">
    /// Live faults (<see cref="Simulation.Faults.SimulationFaults.ForLiveInjection"/>): the device
    /// channels and Modbus connections services open carry what <c>neokernel fault inject</c> strikes.
    /// </param>
    public PacedPlatform(ulong seed, IDeviceProvider devices, IRegionMemoryProvider? regionMemory, long originNs, long? wallClockAtZeroUnixNs = null, Simulation.Faults.SimulationFaults? faults = null)
        : base(seed, faults is null ? devices : faults.Wrap(devices), regionMemory)
    {
        this.originNs = originNs;
        this.wallClockAtZeroUnixNs = wallClockAtZeroUnixNs ?? LinuxTime.WallClockAt(originNs);
        Faults = faults;
        faults?.Bind(this);
        Streams = WrapStreams(new Devices.LinuxStreamDevices(reactor, this));
    }

    /// <summary>The live faults at this platform's device seams; null: none.</summary>
    public Simulation.Faults.SimulationFaults? Faults { get; }

    /// <summary>The wall clock (ns since the Unix epoch) when this platform's clock read zero.</summary>
    public override long WallClockAtZeroUnixNs => wallClockAtZeroUnixNs;

    /// <summary>
    /// Where stream devices get their descriptors: opened in this process, or (an isolated
    /// service's process) only those the kernel handed over. Before boot.
    /// </summary>
    public Devices.IStreamFdSource StreamFds
    {
        init => Streams = WrapStreams(new Devices.LinuxStreamDevices(reactor, this, value));
    }

    /// <summary>The CLOCK_MONOTONIC reading that is this platform's time zero.</summary>
    public long OriginNs => originNs;

    public override string Name => "paced-realtime";

    public override long NowNs => LinuxTime.MonotonicNs() - originNs;

    /// <summary>
    /// Where the loop waits: the next timed event, the descriptors its services watch, and work
    /// posted from other threads. Devices register their sockets and serial lines here; a control
    /// thread hands results to the loop with <see cref="Post"/>.
    /// </summary>
    public LoopReactor Reactor => reactor;

    /// <summary>Runs <paramref name="action"/> on the loop's thread as soon as it can. Thread-safe; control plane (allocates).</summary>
    public void Post(Action action) => reactor.Post(action);

    /// <summary>Ready descriptors (a ring's doorbell) and posted work, without waiting. Allocation-free when nothing was posted.</summary>
    public override int LookAtSources() => reactor.HasSources ? reactor.PollNow() : 0;

    protected override Advance AdvanceTo(long dueNs, CancellationToken cancellation)
    {
        while (true)
        {
            if (cancellation.IsCancellationRequested)
            {
                return Advance.Cancelled;
            }

            var now = NowNs;
            if (now >= dueNs)
            {
                // Behind schedule: the loop may never wait, so look at ready descriptors and posted
                // work without waiting, at most once per LookIntervalNs, so they are never starved.
                if (reactor.HasSources && now - lastLookNs >= LookIntervalNs)
                {
                    var ran = reactor.PollNow();

                    // From the look's end: its callbacks may have taken longer than the interval,
                    // and the timers due meanwhile run before the next look, not after it.
                    lastLookNs = NowNs;
                    if (ran > 0)
                    {
                        return Advance.Interrupted;
                    }
                }

                return Advance.Reached;
            }

            lastLookNs = now;
            if (reactor.WaitUntil(originNs + Math.Min(dueNs, now + SleepSliceNs)) > 0)
            {
                return Advance.Interrupted;
            }
        }
    }

    public void Dispose() => reactor.Dispose();

    private Kernel.Devices.IStreamDeviceProvider WrapStreams(Kernel.Devices.IStreamDeviceProvider streams) =>
        Faults is null ? streams : Faults.WrapStreams(streams);
}
