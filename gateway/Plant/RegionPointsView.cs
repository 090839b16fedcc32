using System.Collections.Immutable;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Plant;

/// <summary>A region the gateway reads and the points of it it shows.</summary>
public sealed record RegionPoints(string Region, ImmutableArray<string> Points)
{
    /// <summary>
    /// The regions a gateway's spec reads, each with the points it lists (none listed: every
    /// point of the region, in the writer's order, resolved when the view opens it).
    /// </summary>
    public static IReadOnlyList<RegionPoints> ReadIn(ServiceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var regions = new List<RegionPoints>();
        foreach (var region in spec.Regions)
        {
            if (region.Access == RegionAccess.Read)
            {
                regions.Add(new RegionPoints(region.Name, region.Points));
            }
        }

        return regions;
    }
}

/// <summary>
/// One point as last read: value, quality, and its source timestamp both on the kernel's clock
/// and as wall-clock time (<see cref="SourceTimeUnixNs"/>, 0 for a point never written), which the
/// OPC UA side turns into a DataValue's SourceTimestamp. A plain value.
/// </summary>
public readonly record struct PointSample(double Value, Quality Quality, long SourceTimestampNs, long SourceTimeUnixNs);

/// <summary>
/// The region points the gateway shows, read through its region readers: each <see cref="Refresh"/>
/// copies a region's snapshot whole (the seqlock's consistent copy, staleness judged on the
/// reader's side as for any reader), so every point of a region comes from the same publish.
/// A region is copied when it is read and due: at first, and after each <see cref="MarkDue"/>
/// (the gateway's refresh period). A region no client reads costs nothing, and a 100,000-point
/// system whose clients read a few regions copies those, not 2.4 MB every period.
/// </summary>
/// <remarks>
/// Wall-clock time is the point's source timestamp plus the clock's
/// <see cref="IClock.WallClockAtZeroUnixNs"/>: the real-time platform's wall clock at its monotonic
/// origin, the simulation's fixed epoch. A refresh that finds the region torn beyond its retries
/// keeps the last snapshot and reads every point of the region as Bad until one succeeds.
/// Allocated at construction; refreshing and reading allocate nothing. Read on the gateway's
/// event loop.
/// </remarks>
public sealed class RegionPointsView
{
    private readonly IClock clock;
    private readonly Shown[] regions;

    /// <summary>Opens a reader on each region (control plane); every point named must exist in it.</summary>
    public RegionPointsView(IServiceContext context, IReadOnlyList<RegionPoints> shown)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(shown);
        clock = context.Clock;
        regions = new Shown[shown.Count];
        for (var i = 0; i < regions.Length; i++)
        {
            regions[i] = new Shown(context.OpenRegionReader(shown[i].Region), shown[i].Points);
        }
    }

    public int RegionCount => regions.Length;

    public string RegionName(int region) => regions[region].Reader.Name;

    public int PointCount(int region) => regions[region].Indices.Length;

    public string PointName(int region, int point) => regions[region].Reader.Region.PointNames[regions[region].Indices[point]];

    /// <summary>When region #<paramref name="region"/> was last refreshed (the gateway's clock).</summary>
    public long RefreshedNs(int region) => regions[region].RefreshedNs;

    /// <summary>The index of the region named <paramref name="name"/>, or -1.</summary>
    public int IndexOfRegion(ReadOnlySpan<char> name)
    {
        for (var i = 0; i < regions.Length; i++)
        {
            if (name.SequenceEqual(regions[i].Reader.Name))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The index of point <paramref name="name"/> among region #<paramref name="region"/>'s shown points, or -1.</summary>
    public int IndexOfPoint(int region, ReadOnlySpan<char> name)
    {
        var shown = regions[region];
        for (var i = 0; i < shown.Indices.Length; i++)
        {
            if (name.SequenceEqual(shown.Reader.Region.PointNames[shown.Indices[i]]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Every region is due: each is copied again when it is next read.</summary>
    public void MarkDue()
    {
        for (var i = 0; i < regions.Length; i++)
        {
            regions[i].Due = true;
        }
    }

    /// <summary>Reads every region once.</summary>
    public void RefreshAll()
    {
        for (var i = 0; i < regions.Length; i++)
        {
            Refresh(i);
        }
    }

    /// <summary>Reads region #<paramref name="region"/> now; false when the read gave up (its points read as Bad).</summary>
    public bool Refresh(int region) => regions[region].Refresh(clock.NowNs);

    /// <summary>Point #<paramref name="point"/> of region #<paramref name="region"/>, as last refreshed (refreshed first when due).</summary>
    public PointSample Point(int region, int point)
    {
        var shown = regions[region];
        if (shown.Due)
        {
            shown.Refresh(clock.NowNs);
        }

        var index = shown.Indices[point];
        var timestampNs = shown.Snapshot.TimestampNs(index);
        var quality = shown.LastReadOk ? shown.Snapshot.Quality(index) : Quality.Bad;
        return new PointSample(shown.Snapshot.Value(index), quality, timestampNs, timestampNs == 0 ? 0 : WallClock.UnixNs(clock, timestampNs));
    }

    /// <summary>One region: its reader, the indices of the shown points, and two snapshots (the last good one and a spare).</summary>
    private sealed class Shown
    {
        private RegionSnapshot spare;

        public Shown(RegionReader reader, ImmutableArray<string> points)
        {
            Reader = reader;
            Indices = points.IsDefaultOrEmpty
                ? [.. Enumerable.Range(0, reader.Region.PointCount)]
                : [.. points.Select(reader.IndexOf)];
            Snapshot = reader.CreateSnapshot();
            spare = reader.CreateSnapshot();
        }

        public RegionReader Reader { get; }

        public ImmutableArray<int> Indices { get; }

        public RegionSnapshot Snapshot { get; private set; }

        public bool LastReadOk { get; private set; }

        public long RefreshedNs { get; private set; }

        /// <summary>True until the next refresh: at first and after <see cref="MarkDue"/>.</summary>
        public bool Due { get; set; } = true;

        public bool Refresh(long nowNs)
        {
            Due = false;
            LastReadOk = Reader.TryRead(spare);
            if (LastReadOk)
            {
                (Snapshot, spare) = (spare, Snapshot);
                RefreshedNs = nowNs;
            }

            return LastReadOk;
        }
    }
}
