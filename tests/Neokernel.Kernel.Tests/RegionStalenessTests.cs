using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// A point its writer has not refreshed for three of its periods (at least 50 ms) reads as
/// Uncertain, judged by the reader against the clock, whatever the writer's state: here the writer
/// simply stops publishing, as a hung or SIGSTOPped one does while the supervisor still sees it Running.
/// </summary>
public sealed class RegionStalenessTests
{
    private const long Ms = 1_000_000;
    private const long StartNs = 1_000 * Ms;

    private static (RegionWriter Writer, RegionReader Reader, FakeClock Clock) Create(long writerPeriodUs)
    {
        var memory = new ManagedRegionMemoryProvider().Allocate("r", Region.BytesFor(3));
        var region = new Region("r", ["good", "uncertain", "bad"], memory, "writer");
        var clock = new FakeClock(StartNs);
        var trace = new KernelTrace(clock);
        var writer = new RegionWriter(region, new CapabilitySpace("writer").Grant(CapabilityKind.Region, "r", region, Rights.Read | Rights.Write), trace, 0);
        var capability = new CapabilitySpace("reader").Grant(CapabilityKind.Region, "r", region, Rights.Read);
        var reader = new RegionReader(region, capability, trace, 1, Staleness.For(clock, writerPeriodUs));
        return (writer, reader, clock);
    }

    private static void PublishAt(RegionWriter writer, long timestampNs)
    {
        writer.Set(0, 1.5, Quality.Good, timestampNs);
        writer.Set(1, 2.5, Quality.Uncertain, timestampNs);
        writer.Set(2, 3.5, Quality.Bad, timestampNs);
        Assert.True(writer.Publish());
    }

    [Fact]
    public void TryRead_PointNotRefreshedForThreePeriods_ReadsUncertain_UntilTheWriterPublishesAgain()
    {
        var (writer, reader, clock) = Create(writerPeriodUs: 20_000);
        var snapshot = reader.CreateSnapshot();
        PublishAt(writer, StartNs);
        Assert.Equal(60 * Ms, reader.StaleAfterNs);

        clock.AdvanceTo(StartNs + (60 * Ms));
        Assert.True(reader.TryRead(snapshot));
        Assert.Equal(Quality.Good, snapshot.Quality(0));

        clock.AdvanceTo(StartNs + (60 * Ms) + 1);
        Assert.True(reader.TryRead(snapshot));
        Assert.Equal((Quality.Uncertain, 1.5, StartNs), (snapshot.Quality(0), snapshot.Value(0), snapshot.TimestampNs(0)));
        Assert.Equal(Quality.Uncertain, snapshot.Quality(1));
        Assert.Equal(Quality.Bad, snapshot.Quality(2));

        PublishAt(writer, clock.NowNs);
        Assert.True(reader.TryRead(snapshot));
        Assert.Equal(Quality.Good, snapshot.Quality(0));
    }

    [Fact]
    public void For_FastWriter_StaleAfterTheFloor_WriterWithoutPeriod_NeverStale()
    {
        var (fastWriter, fastReader, fastClock) = Create(writerPeriodUs: 1_000);
        var (slowWriter, unjudged, slowClock) = Create(writerPeriodUs: 0);
        var snapshot = fastReader.CreateSnapshot();
        PublishAt(fastWriter, StartNs);
        PublishAt(slowWriter, StartNs);

        fastClock.AdvanceTo(StartNs + Staleness.StaleAfterNsMin);
        slowClock.AdvanceTo(StartNs + (3_600_000 * Ms));

        Assert.Equal(Staleness.StaleAfterNsMin, fastReader.StaleAfterNs);
        Assert.True(fastReader.TryRead(snapshot));
        Assert.Equal(Quality.Good, snapshot.Quality(0));
        Assert.Equal(0, unjudged.StaleAfterNs);
        Assert.True(unjudged.TryRead(snapshot));
        Assert.Equal(Quality.Good, snapshot.Quality(0));
    }

    /// <summary>
    /// In a simulated system: a writer that goes on cycling (so its heartbeat is fine and it stays
    /// Running) but stops publishing after 100 ms is read as Uncertain by its reader once its point
    /// is 50 ms old (the floor above three 10 ms periods), and as Good until then.
    /// </summary>
    [Fact]
    public void Reader_WriterRunningButSilent_SeesUncertainAfterTheStaleAge()
    {
        var system = new TestSystem();
        system.Add("writer", "test.silent-writer").Regions.Add(TestSystem.Writes("r", "x"));
        system.Add("reader", "test.quality-reader").Regions.Add(TestSystem.Reads("r"));
        RegionWriter? writer = null;
        RegionReader? reader = null;
        RegionSnapshot? snapshot = null;
        var seen = new List<(long TimeNs, Quality Quality)>();
        system.Catalog.Program("test.silent-writer", () => new DelegateService(c => writer = c.OpenRegionWriter("r"), cycle =>
        {
            if (cycle.StartNs <= 100 * Ms)
            {
                writer!.Set(0, 1.0, Quality.Good, cycle.StartNs);
                writer.Publish();
            }
        }));
        system.Catalog.Program("test.quality-reader", () => new DelegateService(c => reader = c.OpenRegionReader("r"), cycle =>
        {
            snapshot ??= reader!.CreateSnapshot();
            if (reader!.TryRead(snapshot) && snapshot.Sequence > 0)
            {
                seen.Add((cycle.StartNs, snapshot.Quality(0)));
            }
        }));
        var (kernel, platform) = system.Boot();

        platform.RunUntil(400 * Ms);

        Assert.Equal(ServiceState.Running, kernel.Service("writer").State);
        var lastPublishNs = seen.Where(s => s.TimeNs <= 100 * Ms).Max(s => s.TimeNs);
        Assert.All(seen.Where(s => s.TimeNs <= lastPublishNs + Staleness.StaleAfterNsMin), s => Assert.Equal(Quality.Good, s.Quality));
        Assert.All(seen.Where(s => s.TimeNs > lastPublishNs + Staleness.StaleAfterNsMin + (10 * Ms)), s => Assert.Equal(Quality.Uncertain, s.Quality));
        Assert.Contains(seen, s => s.Quality == Quality.Uncertain);
    }

    [Fact]
    public void TryRead_JudgingStaleness_AllocatesNothing()
    {
        var (writer, reader, clock) = Create(writerPeriodUs: 10_000);
        var snapshot = reader.CreateSnapshot();
        PublishAt(writer, StartNs);

        AllocationAssert.NoAllocations(10_000, i =>
        {
            clock.Advance(Ms);
            reader.TryRead(snapshot);
        });

        Assert.Equal(Quality.Uncertain, snapshot.Quality(0));
    }
}
