using Neokernel.Rt.Cyclic;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

[Collection(SerialCollection.Name)]
public sealed class PublishedCyclicStatisticsTests
{
    [Fact]
    public void Snapshots_WhileAnotherThreadWrites_AreConsistent()
    {
        var published = new PublishedCyclicStatistics();
        const int cycles = 200_000;
        var writer = new Thread(() =>
        {
            for (var i = 0; i < cycles; i++)
            {
                published.Record(1_000 + (i % 100), 500, i % 10 == 0 ? CycleOutcome.Overrun : CycleOutcome.OnTime);
            }

            published.FlushBlocking();
        });
        writer.Start();
        var previous = 0L;
        while (writer.IsAlive)
        {
            var snapshot = published.Snapshot();
            Assert.True(snapshot.Cycles >= previous);
            Assert.True(snapshot.Overruns <= snapshot.Cycles);
            Assert.True(snapshot.Cycles == 0 || snapshot.LatencyNsMin <= snapshot.LatencyNsMax);
            previous = snapshot.Cycles;
        }

        writer.Join();
        var final = published.Snapshot();
        // A reader that snapshots without pause can hold the gate for longer than this writer
        // (no sleep between cycles) takes to fill the pending buffer: those cycles are counted as dropped.
        Assert.Equal(cycles, final.Cycles + published.SamplesDropped);
        Assert.Equal(1_000, final.LatencyNsMin);
        Assert.Equal(1_099, final.LatencyNsMax);
    }

    [Fact]
    public void Without_AReader_NothingIsDropped_AndOverrunsAreCounted()
    {
        var published = new PublishedCyclicStatistics();
        for (var i = 0; i < 10_000; i++)
        {
            published.Record(i, 1, i < 5 ? CycleOutcome.Overrun : CycleOutcome.OnTime);
        }

        published.Record(1, 1, CycleOutcome.Overrun);
        var snapshot = published.Snapshot();
        Assert.Equal(10_001, snapshot.Cycles);
        Assert.Equal(6, snapshot.Overruns);
        Assert.Equal(1, snapshot.ConsecutiveOverruns);
        Assert.Equal(0, published.SamplesDropped);
    }

    [Fact]
    public void Record_AllocatesNothing()
    {
        var published = new PublishedCyclicStatistics();
        AllocationAssert.NoAllocations(10_000, i => published.Record(i, i / 2, CycleOutcome.OnTime));
    }
}
