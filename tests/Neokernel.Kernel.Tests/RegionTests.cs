using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class RegionTests
{
    private static (Region Region, RegionWriter Writer, RegionReader Reader) Create(int points)
    {
        var names = Enumerable.Range(0, points).Select(i => $"p{i}").ToArray();
        var memory = new ManagedRegionMemoryProvider().Allocate("r", Region.BytesFor(points));
        var region = new Region("r", names, memory, "writer");
        var trace = new KernelTrace(new FakeClock());
        var space = new CapabilitySpace("writer");
        var writer = new RegionWriter(region, space.Grant(CapabilityKind.Region, "r", region, Rights.Read | Rights.Write), trace, 0);
        var reader = new RegionReader(region, new CapabilitySpace("reader").Grant(CapabilityKind.Region, "r", region, Rights.Read), trace, 1);
        return (region, writer, reader);
    }

    [Fact]
    public void Snapshot_NeverWritten_IsBad()
    {
        var (_, _, reader) = Create(2);
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        Assert.Equal(Quality.Bad, snapshot.Quality(0));
        Assert.Equal(0, snapshot.Sequence);
    }

    [Fact]
    public void Publish_ThenRead_ShowsValueQualityAndTimestamp()
    {
        var (region, writer, reader) = Create(3);
        writer.Set(region.IndexOf("p1"), 4.25, Quality.Uncertain, 123_456);
        Assert.True(writer.Publish());
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        Assert.Equal(4.25, snapshot.Value(1));
        Assert.Equal(Quality.Uncertain, snapshot.Quality(1));
        Assert.Equal(123_456, snapshot.TimestampNs(1));
        Assert.Equal(2, snapshot.Sequence);
    }

    [Fact]
    public void IndexOf_UnknownPoint_NamesTheKnownOnes()
    {
        var (region, _, _) = Create(2);
        var error = Assert.Throws<ArgumentException>(() => region.IndexOf("level"));
        Assert.Contains("p0, p1", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A writer thread publishes every point with the same value; readers on other threads must never see a mix.</summary>
    [Property(MaxTest = 5)]
    public bool Snapshot_UnderConcurrentWriterAndReaders_IsNeverTorn(PositiveInt pointsSeed)
    {
        var points = (pointsSeed.Get % 64) + 2;
        var (_, writer, reader) = Create(points);
        using var stop = new CancellationTokenSource();
        var torn = 0;
        var reads = 0;
        var writerThread = new Thread(() =>
        {
            for (long k = 1; !stop.IsCancellationRequested; k++)
            {
                for (var i = 0; i < points; i++)
                {
                    writer.Set(i, k, Quality.Good, k);
                }

                writer.Publish();
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            var snapshot = reader.CreateSnapshot();
            while (!stop.IsCancellationRequested)
            {
                if (!reader.TryRead(snapshot))
                {
                    continue;
                }

                Interlocked.Increment(ref reads);
                var first = snapshot.Value(0);
                for (var i = 1; i < points; i++)
                {
                    if (snapshot.Value(i) != first || snapshot.TimestampNs(i) != snapshot.TimestampNs(0))
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            }
        })).ToArray();
        writerThread.Start();
        foreach (var r in readers)
        {
            r.Start();
        }

        Thread.Sleep(150);
        stop.Cancel();
        writerThread.Join();
        foreach (var r in readers)
        {
            r.Join();
        }

        return torn == 0 && reads > 0;
    }

    [Fact]
    public void WriteAndRead_SteadyState_AllocatesNothing()
    {
        var (_, writer, reader) = Create(16);
        var snapshot = reader.CreateSnapshot();
        AllocationAssert.NoAllocations(10_000, i =>
        {
            writer.Set(i % 16, i, Quality.Good, i);
            writer.Publish();
            reader.TryRead(snapshot);
        });
    }
}
