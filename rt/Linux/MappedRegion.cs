using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Rt.Linux;

/// <summary>
/// A region's seqlock over memory this process mapped itself, outside a kernel's object graph:
/// what a service host process will wrap into the RegionReader/RegionWriter it hands its
/// service. Internal until the service host exists; the cross-process tests use it.
/// </summary>
internal sealed class MappedRegion
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
