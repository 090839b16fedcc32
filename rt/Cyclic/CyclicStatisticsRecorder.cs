using HdrHistogram;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>
/// Wake-up latency and execution time of one cyclic task: min, mean, max and HdrHistogram
/// percentiles. Recording allocates nothing; reading percentiles is control plane. Execution
/// time may be sampled (the simulation measures one cycle in several): its min, mean, max and
/// percentiles are then over the measured cycles only.
/// </summary>
public sealed class CyclicStatisticsRecorder
{
    /// <summary>Values above this (10 s) are clamped: a task that late is already faulted.</summary>
    public const long TrackableNsMax = 10_000_000_000;

    /// <summary>
    /// The histograms' finest step (16 ns; above 32 µs their three significant digits are finer
    /// than that): a percentile walks the buckets from zero, and at 1 ns per bucket reading the
    /// p99 of a few microseconds cost thousands of steps each time the status is paged.
    /// Min, mean and max are exact.
    /// </summary>
    public const long ResolutionNs = 16;

    private readonly LongHistogram latency = new(ResolutionNs, TrackableNsMax, 3);
    private readonly LongHistogram execution = new(ResolutionNs, TrackableNsMax, 3);
    private long cycles;
    private long overruns;
    private long consecutiveOverruns;
    private long latencyMin = long.MaxValue;
    private long latencyMax;
    private long latencySum;
    private long executionMin = long.MaxValue;
    private long executionMax;
    private long executionSum;
    private long executionSamples;

    public long Cycles => Volatile.Read(ref cycles);

    public long ConsecutiveOverruns => consecutiveOverruns;

    /// <summary>Records a cycle with its wake-up latency and its measured execution time.</summary>
    public void Record(long latencyNs, long executionNs)
    {
        executionNs = Math.Clamp(executionNs, 0, TrackableNsMax);
        execution.RecordValue(executionNs);
        executionMin = Math.Min(executionMin, executionNs);
        executionMax = Math.Max(executionMax, executionNs);
        executionSum += executionNs;
        executionSamples++;
        RecordUnmeasured(latencyNs);
    }

    /// <summary>Records a cycle whose execution time was not measured: its latency only.</summary>
    public void RecordUnmeasured(long latencyNs)
    {
        latencyNs = Math.Clamp(latencyNs, 0, TrackableNsMax);
        latency.RecordValue(latencyNs);
        latencyMin = Math.Min(latencyMin, latencyNs);
        latencyMax = Math.Max(latencyMax, latencyNs);
        latencySum += latencyNs;
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

        var measured = executionSamples > 0;
        return new CyclicStatistics(
            cycles,
            overruns,
            consecutiveOverruns,
            latencyMin,
            latencySum / cycles,
            latency.GetValueAtPercentile(99),
            latency.GetValueAtPercentile(99.9),
            latencyMax,
            measured ? executionMin : 0,
            measured ? executionSum / executionSamples : 0,
            measured ? execution.GetValueAtPercentile(99) : 0,
            measured ? execution.GetValueAtPercentile(99.9) : 0,
            executionMax);
    }
}
