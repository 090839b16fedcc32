using Neokernel.Kernel.Platform;

namespace Neokernel.Kernel.Regions;

/// <summary>
/// A region's seqlock over memory the caller mapped itself, outside any kernel's object graph:
/// the region layout as a format between processes (a peer that was handed a region's memory
/// reads or publishes it with the same seqlock). It forges no authority: it reaches only the
/// memory it is given, and the OS already decided what the caller may do with that mapping (a
/// read-only mapping faults on a write). Not for services, which get RegionReader and RegionWriter.
/// </summary>
public sealed class MappedRegion
{
    private readonly Region region;
    private readonly byte[] staging;

    public MappedRegion(string name, IReadOnlyList<string> pointNames, RegionMemory memory)
    {
        region = new Region(name, pointNames, memory, writer: "mapped");
        staging = new byte[region.PayloadBytes];
    }

    public int PointCount => region.PointCount;

    public long Sequence => region.Sequence;

    public void Set(int point, double value, Quality quality, long sourceTimestampNs) =>
        RegionLayout.Set(staging, point, value, quality, sourceTimestampNs);

    /// <summary>Publishes the staged points as one seqlock update; returns the new sequence. Single writer only.</summary>
    public long Publish() => region.Publish(staging);

    /// <summary>Takes a consistent snapshot; false when every attempt was torn. Only reads the mapping.</summary>
    public bool TryRead(RegionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!region.TryCopy(snapshot.Payload, out var sequence))
        {
            return false;
        }

        snapshot.Sequence = sequence;
        return true;
    }
}
