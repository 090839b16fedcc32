using HdrHistogram;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>
/// Wake-up latency and execution time of one cyclic task: min, mean, max and HdrHistogram
/// percentiles. Recording allocates nothing; reading percentiles is control plane.
/// </summary>
public sealed class CyclicStatisticsRecorder
{
    /// <summary>Values above this (10 s) are clamped: a task that late is already faulted.</summary>
    public const long TrackableNsMax = 10_000_000_000;

    private readonly LongHistogram latency = new(TrackableNsMax, 3);
    private readonly LongHistogram execution = new(TrackableNsMax, 3);
    private long cycles;
    private long overruns;
    private long consecutiveOverruns;
    private long latencyMin = long.MaxValue;
    private long latencyMax;
    private long latencySum;
    private long executionMin = long.MaxValue;
    private long executionMax;
    private long executionSum;

    public long Cycles => Volatile.Read(ref cycles);

    public long ConsecutiveOverruns => consecutiveOverruns;

    public void Record(long latencyNs, long executionNs)
    {
        latencyNs = Math.Clamp(latencyNs, 0, TrackableNsMax);
        executionNs = Math.Clamp(executionNs, 0, TrackableNsMax);
        latency.RecordValue(latencyNs);
        execution.RecordValue(executionNs);
        latencyMin = Math.Min(latencyMin, latencyNs);
        latencyMax = Math.Max(latencyMax, latencyNs);
        latencySum += latencyNs;
        executionMin = Math.Min(executionMin, executionNs);
        executionMax = Math.Max(executionMax, executionNs);
        executionSum += executionNs;
        Volatile.Write(ref cycles, cycles + 1);
    }

    /// <summary>Counts an overrun; returns how many in a row.</summary>
    public long RecordOverrun()
    {
        overruns++;
        return ++consecutiveOverruns;
    }

    public void RecordOnTime() => consecutiveOverruns = 0;

    public CyclicStatistics Snapshot()
    {
        if (cycles == 0)
        {
            return new CyclicStatistics(0, overruns, consecutiveOverruns, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }

        var n = Math.Max(cycles, 1);
        return new CyclicStatistics(
            cycles,
            overruns,
            consecutiveOverruns,
            cycles == 0 ? 0 : latencyMin,
            latencySum / n,
            latency.GetValueAtPercentile(99),
            latency.GetValueAtPercentile(99.9),
            latencyMax,
            cycles == 0 ? 0 : executionMin,
            executionSum / n,
            execution.GetValueAtPercentile(99),
            execution.GetValueAtPercentile(99.9),
            executionMax);
    }
}
