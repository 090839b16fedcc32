using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// A platform's publish filter stands between a region's writer and its readers: it changes or
/// withholds what readers see, never the writer's staging, and costs nothing while it does not act.
/// </summary>
public sealed class RegionPublishFilterTests
{
    private const long Ms = 1_000_000;

    private static (RegionWriter Writer, RegionReader Reader, KernelTrace Trace) Create(IRegionPublishFilter? filter)
    {
        var memory = new ManagedRegionMemoryProvider().Allocate("r", Region.BytesFor(2));
        var region = new Region("r", ["a", "b"], memory, "writer");
        var trace = new KernelTrace(new FakeClock(Ms));
        var writer = new RegionWriter(region, new CapabilitySpace("writer").Grant(CapabilityKind.Region, "r", region, Rights.Read | Rights.Write), trace, 0, filter);
        var reader = new RegionReader(region, new CapabilitySpace("reader").Grant(CapabilityKind.Region, "r", region, Rights.Read), trace, 1);
        return (writer, reader, trace);
    }

    private static RegionSnapshot Publish(RegionWriter writer, RegionReader reader, double a, double b, long timestampNs)
    {
        writer.Set(0, a, Quality.Good, timestampNs);
        writer.Set(1, b, Quality.Good, timestampNs);
        Assert.True(writer.Publish());
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        return snapshot;
    }

    [Fact]
    public void Publish_FilterNotActing_ReadersSeeWhatWasStaged()
    {
        var filter = new TestFilter { Acting = false, Change = static p => p.SetValue(0, 99) };
        var (writer, reader, _) = Create(filter);
        var seen = Publish(writer, reader, 1.5, 2.5, Ms);
        Assert.Equal((1.5, 2.5), (seen.Value(0), seen.Value(1)));
        Assert.Equal(0, filter.Calls);
    }

    [Fact]
    public void Publish_FilterChangesAPoint_ReadersSeeTheChange_WithTheWritersQualityAndTimestamp_TheStagingStays()
    {
        var filter = new TestFilter { Change = static p => p.SetValue(1, double.NaN) };
        var (writer, reader, _) = Create(filter);
        var seen = Publish(writer, reader, 1.5, 2.5, 7 * Ms);
        Assert.Equal(1.5, seen.Value(0));
        Assert.True(double.IsNaN(seen.Value(1)));
        Assert.Equal((Quality.Good, 7 * Ms), (seen.Quality(1), seen.TimestampNs(1)));

        // The writer sets only point 0 next; point 1 goes out as it staged it, once the filter stops.
        filter.Acting = false;
        writer.Set(0, 3.5, Quality.Good, 8 * Ms);
        Assert.True(writer.Publish());
        Assert.True(reader.TryRead(seen));
        Assert.Equal((3.5, 2.5), (seen.Value(0), seen.Value(1)));
    }

    [Fact]
    public void Publish_FilterWithholds_ReadersKeepTheLastPublish_AndNoPublishIsTraced()
    {
        var filter = new TestFilter { Acting = false };
        var (writer, reader, trace) = Create(filter);
        Publish(writer, reader, 1.5, 2.5, Ms);
        var sequence = writer.Region.Sequence;
        var publishes = trace.Events(TraceEventKind.RegionPublish).Count;

        filter.Acting = true;
        filter.Withhold = true;
        var seen = Publish(writer, reader, 9.5, 9.5, 2 * Ms);
        Assert.Equal((1.5, 2.5, Ms), (seen.Value(0), seen.Value(1), seen.TimestampNs(0)));
        Assert.Equal(sequence, writer.Region.Sequence);
        Assert.Equal(publishes, trace.Events(TraceEventKind.RegionPublish).Count);
    }

    [Fact]
    public void Publish_FilterWithholdsOnePoint_ItKeepsWhatReadersHad_TheOtherIsNew()
    {
        var filter = new TestFilter { Acting = false, Change = static p => p.Withhold(0) };
        var (writer, reader, _) = Create(filter);
        Publish(writer, reader, 1.5, 2.5, Ms);
        filter.Acting = true;
        var seen = Publish(writer, reader, 3.5, 4.5, 2 * Ms);
        Assert.Equal((1.5, Ms), (seen.Value(0), seen.TimestampNs(0)));
        Assert.Equal((4.5, 2 * Ms), (seen.Value(1), seen.TimestampNs(1)));
    }

    [Fact]
    public void Publish_ThroughAnActingFilter_AllocatesNothing()
    {
        var filter = new TestFilter { Change = static p => p.SetValue(0, p.Value(1)) };
        var (writer, _, _) = Create(filter);
        AllocationAssert.NoAllocations(1_000, i =>
        {
            writer.Set(1, i, Quality.Good, Ms);
            writer.Publish();
        });
    }

    private sealed class TestFilter : IRegionPublishFilter
    {
        public bool Acting { get; set; } = true;

        public bool Withhold { get; set; }

        public RegionPublishChange? Change { get; init; }

        public int Calls { get; private set; }

        public bool Filter(RegionPublish publish)
        {
            Calls++;
            Change?.Invoke(publish);
            return !Withhold;
        }
    }

    private delegate void RegionPublishChange(RegionPublish publish);
}
