using Neokernel.Rt.Cyclic;

namespace Neokernel.Rt.Tests;

public sealed class CyclicStatisticsRecorderTests
{
    [Fact]
    public void Snapshot_ReportsPercentilesOfWhatWasRecorded()
    {
        var recorder = new CyclicStatisticsRecorder();
        for (var i = 1; i <= 1000; i++)
        {
            recorder.Record(i * 1_000, i * 100);
        }

        var s = recorder.Snapshot();
        Assert.Equal(1000, s.Cycles);
        Assert.Equal(1_000, s.LatencyNsMin);
        Assert.Equal(1_000_000, s.LatencyNsMax);
        Assert.Equal(500_500, s.LatencyNsMean);
        Assert.InRange(s.LatencyNsP99, 985_000, 995_000);
        Assert.InRange(s.ExecutionNsP999, 99_800, 100_100);
        Assert.InRange(s.ExecutionNsP99, 98_500, 99_500);
    }

    [Fact]
    public void Snapshot_Empty_IsAllZero()
    {
        var s = new CyclicStatisticsRecorder().Snapshot();
        Assert.Equal(0, s.Cycles);
        Assert.Equal(0, s.LatencyNsP99);
    }
}
