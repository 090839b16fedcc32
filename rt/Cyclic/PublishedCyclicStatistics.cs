using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>How a recorded cycle ended, for the overrun counters.</summary>
public enum CycleOutcome : byte
{
    /// <summary>The task stopped before its deadline was checked.</summary>
    Unchecked,
    OnTime,
    Overrun,
}

/// <summary>
/// A <see cref="CyclicStatisticsRecorder"/> written by one real-time thread and read by others.
/// The writer never waits: each cycle it appends to a private, preallocated pending buffer and
/// then tries once to take a light gate (one compare-and-swap); if it gets it, it replays the
/// pending cycles into the recorder and opens the gate again. A reader takes the same gate
/// (spinning, it is held for a few hundred nanoseconds by the writer) and computes its
/// snapshot from a recorder nobody is changing, so the snapshot is consistent, never torn.
/// While a reader holds the gate the writer just keeps buffering. Nothing here allocates on
/// the writer's side.
/// </summary>
public sealed class PublishedCyclicStatistics
{
    /// <summary>Cycles the writer can buffer while a reader holds the gate (seconds at 1 kHz).</summary>
    public const int PendingCapacity = 4096;

    private readonly CyclicStatisticsRecorder recorder = new();
    private readonly PendingCycle[] pending = new PendingCycle[PendingCapacity];
    private int pendingCount;
    private long samplesDropped;
    private int gate;

    /// <summary>Cycles the writer had to drop because a reader held the gate for <see cref="PendingCapacity"/> cycles.</summary>
    public long SamplesDropped => Volatile.Read(ref samplesDropped);

    /// <summary>Writer side: one cycle's wake-up latency, execution time and outcome. Never blocks.</summary>
    public void Record(long latencyNs, long executionNs, CycleOutcome outcome)
    {
        if (pendingCount == pending.Length)
        {
            Volatile.Write(ref samplesDropped, samplesDropped + 1);
        }
        else
        {
            pending[pendingCount++] = new PendingCycle(latencyNs, executionNs, outcome);
        }

        if (Interlocked.CompareExchange(ref gate, 1, 0) == 0)
        {
            Flush();
            Volatile.Write(ref gate, 0);
        }
    }

    /// <summary>Writer side, when the writer ends: waits for the gate so the last cycles are not lost.</summary>
    public void FlushBlocking()
    {
        Acquire();
        Flush();
        Volatile.Write(ref gate, 0);
    }

    /// <summary>Reader side: a consistent snapshot of every cycle published so far.</summary>
    public CyclicStatistics Snapshot()
    {
        Acquire();
        try
        {
            return recorder.Snapshot();
        }
        finally
        {
            Volatile.Write(ref gate, 0);
        }
    }

    private void Acquire()
    {
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref gate, 1, 0) != 0)
        {
            spin.SpinOnce();
        }
    }

    private void Flush()
    {
        for (var i = 0; i < pendingCount; i++)
        {
            var cycle = pending[i];
            recorder.Record(cycle.LatencyNs, cycle.ExecutionNs);
            if (cycle.Outcome == CycleOutcome.OnTime)
            {
                recorder.RecordOnTime();
            }
            else if (cycle.Outcome == CycleOutcome.Overrun)
            {
                recorder.RecordOverrun();
            }
        }

        pendingCount = 0;
    }

    private readonly record struct PendingCycle(long LatencyNs, long ExecutionNs, CycleOutcome Outcome);
}
