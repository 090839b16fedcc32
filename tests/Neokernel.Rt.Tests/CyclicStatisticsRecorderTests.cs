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
    public void Snapshot_OfSampledExecution_IsOverTheMeasuredCyclesOnly()
    {
        var recorder = new CyclicStatisticsRecorder();
        for (var i = 0; i < 100; i++)
        {
            if (i % 4 == 0)
            {
                recorder.Record(0, 2_000 + i);
            }
            else
            {
                recorder.RecordUnmeasured(0);
            }
        }

        var s = recorder.Snapshot();
        Assert.Equal(100, s.Cycles);
        Assert.Equal(2_000, s.ExecutionNsMin);
        Assert.Equal(2_096, s.ExecutionNsMax);
        Assert.Equal(2_048, s.ExecutionNsMean);
        Assert.InRange(s.ExecutionNsP99, 2_096 - CyclicStatisticsRecorder.ResolutionNs, 2_096 + CyclicStatisticsRecorder.ResolutionNs);
    }

    [Fact]
    public void Snapshot_WithNoExecutionMeasured_ReportsZeroExecution()
    {
        var recorder = new CyclicStatisticsRecorder();
        recorder.RecordUnmeasured(5_000);
        var s = recorder.Snapshot();
        Assert.Equal(1, s.Cycles);
        Assert.Equal(5_000, s.LatencyNsMean);
        Assert.Equal(0, s.ExecutionNsMin);
        Assert.Equal(0, s.ExecutionNsMean);
    }

    [Fact]
    public void Snapshot_Empty_IsAllZero()
    {
        var s = new CyclicStatisticsRecorder().Snapshot();
        Assert.Equal(0, s.Cycles);
        Assert.Equal(0, s.LatencyNsP99);
    }
}
