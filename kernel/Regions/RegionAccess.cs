using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Regions;

/// <summary>
/// A service's read access to one region, backed by a capability with the Read right. Reads go
/// through the capability every time, so a revoked reader reads nothing.
/// </summary>
public sealed class RegionReader
{
    private readonly Capability capability;
    private readonly KernelTrace trace;
    private readonly int subject;
    private readonly Staleness staleness;

    internal RegionReader(Region region, Capability capability, KernelTrace trace, int subject, Staleness staleness = default)
    {
        Region = region;
        this.capability = capability;
        this.trace = trace;
        this.subject = subject;
        this.staleness = staleness;
    }

    /// <summary>The age past which this reader sees a Good point as Uncertain (see <see cref="Staleness"/>); 0 when never.</summary>
    public long StaleAfterNs => staleness.StaleAfterNs;

    public Region Region { get; }

    public string Name => Region.Name;

    public int IndexOf(string point) => Region.IndexOf(point);

    public RegionSnapshot CreateSnapshot() => new(Region.PointCount);

    /// <summary>
    /// Fills <paramref name="snapshot"/> with a consistent copy, its stale Good points marked
    /// Uncertain. False when revoked or every attempt was torn. Allocation-free.
    /// </summary>
    public bool TryRead(RegionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!capability.IsValid)
        {
            trace.Record(TraceEventKind.CapabilityDeny, subject, Region.TraceId, (long)Rights.Read);
            return false;
        }

        if (!Region.TryCopy(snapshot.Payload, out var sequence))
        {
            return false;
        }

        snapshot.Sequence = sequence;
        staleness.Apply(snapshot.Payload, Region.PointCount);
        return true;
    }
}

/// <summary>
/// The one writer's access to a region. Points are staged locally with <see cref="Set"/> and
/// made visible together by <see cref="Publish"/>, so readers never see half a cycle.
/// </summary>
public sealed class RegionWriter
{
    private readonly Capability capability;
    private readonly KernelTrace trace;
    private readonly int subject;
    private readonly byte[] staging;
    private readonly IRegionPublishFilter? filter;
    private readonly byte[] filtered;

    internal RegionWriter(Region region, Capability capability, KernelTrace trace, int subject, IRegionPublishFilter? filter = null)
    {
        Region = region;
        this.capability = capability;
        this.trace = trace;
        this.subject = subject;
        this.filter = filter;
        staging = new byte[region.PayloadBytes];
        filtered = filter is null ? [] : new byte[region.PayloadBytes];
        region.TryCopy(staging, out _);
    }

    public Region Region { get; }

    public string Name => Region.Name;

    public int IndexOf(string point) => Region.IndexOf(point);

    public void Set(int point, double value, Quality quality, long sourceTimestampNs)
    {
        if ((uint)point >= (uint)Region.PointCount)
        {
            throw new ArgumentOutOfRangeException(nameof(point), point, $"region '{Region.Name}' has {Region.PointCount} points");
        }

        RegionLayout.Set(staging, point, value, quality, sourceTimestampNs);
    }

    /// <summary>
    /// Makes the staged points visible to readers, through the platform's publish filter when it
    /// has one for this region. False when the capability was revoked. Allocation-free.
    /// </summary>
    public bool Publish()
    {
        if (!capability.IsValid)
        {
            trace.Record(TraceEventKind.CapabilityDeny, subject, Region.TraceId, (long)Rights.Write);
            return false;
        }

        ReadOnlySpan<byte> outgoing = staging;
        if (filter is not null && filter.Acting)
        {
            // The platform changes what readers see (the simulation's region faults): a copy, so the staging stays the writer's.
            staging.CopyTo(filtered);
            if (!filter.Filter(new RegionPublish(filtered, Region.Published)))
            {
                return true;
            }

            outgoing = filtered;
        }

        var sequence = Region.Publish(outgoing);
        trace.Record(TraceEventKind.RegionPublish, subject, Region.TraceId, sequence, (long)Platform.StableHash.Xxh3(outgoing));
        return true;
    }
}
