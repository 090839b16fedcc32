using Neokernel.Kernel.Platform;
using Neokernel.Rt.Simulation;

namespace Neokernel.Rt.Linux;

/// <summary>
/// The event loop on real time: the same queue and order as the simulation, but before each
/// event it sleeps (absolute clock_nanosleep on CLOCK_MONOTONIC) until the event is due. The
/// clock is the real monotonic clock, so wake-up latency and overruns are real. It is how
/// <c>neokernel run</c> drives a system with embedded simulated hardware on one thread.
/// </summary>
public sealed class PacedPlatform : EventLoopPlatform
{
    /// <summary>Longest single sleep, so cancellation (Ctrl-C) is noticed promptly.</summary>
    private const long SleepSliceNs = 50_000_000;

    private readonly long originNs;

    public PacedPlatform(ulong seed, IDeviceProvider devices)
        : this(seed, devices, null, LinuxTime.MonotonicNs())
    {
    }

    /// <param name="seed">Seed of the one PRNG.</param>
    /// <param name="devices">The devices services may open.</param>
    /// <param name="regionMemory">Where regions live; shared mappings when services run in other processes.</param>
    /// <param name="originNs">CLOCK_MONOTONIC reading that is time zero: processes that share it share release grids and timestamps.</param>
    public PacedPlatform(ulong seed, IDeviceProvider devices, IRegionMemoryProvider? regionMemory, long originNs)
        : base(seed, devices, regionMemory)
    {
        this.originNs = originNs;
    }

    /// <summary>The CLOCK_MONOTONIC reading that is this platform's time zero.</summary>
    public long OriginNs => originNs;

    public override string Name => "paced-realtime";

    public override long NowNs => LinuxTime.MonotonicNs() - originNs;

    protected override bool AdvanceTo(long dueNs, CancellationToken cancellation)
    {
        while (true)
        {
            if (cancellation.IsCancellationRequested)
            {
                return false;
            }

            var now = NowNs;
            if (now >= dueNs)
            {
                return true;
            }

            LinuxTime.SleepUntil(originNs + Math.Min(dueNs, now + SleepSliceNs));
        }
    }
}
