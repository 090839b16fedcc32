using System.Diagnostics;
using Neokernel.Kernel.Ipc;

namespace Neokernel.Benchmarks;

/// <summary>
/// <see cref="BoundedMessageQueue"/>: one 64-byte message enqueued and dequeued again, on one
/// thread, in a loop. The result of a repetition is the batch's time divided by its operations.
/// </summary>
internal sealed class QueueBenchmark
{
    public const int MessageBytes = 64;

    private readonly BoundedMessageQueue queue = new(capacity: 64, maxMessageBytes: MessageBytes);
    private readonly byte[] message = new byte[MessageBytes];
    private readonly byte[] destination = new byte[MessageBytes];
    private long checksum;

    public QueueBenchmark()
    {
        for (var i = 0; i < message.Length; i++)
        {
            message[i] = (byte)i;
        }
    }

    /// <summary>Sum of what was dequeued: read at the end so the loop's work is observable.</summary>
    public long Checksum => checksum;

    /// <summary>Runs batches until <paramref name="seconds"/> passed: lets tiered JIT reach its optimized code.</summary>
    public void WarmUp(double seconds)
    {
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            Batch(10_000);
        }
    }

    /// <summary>How many operations take about <paramref name="seconds"/>.</summary>
    public int Calibrate(double seconds)
    {
        const int probe = 100_000;
        var ticks = Batch(probe);
        var perOp = Math.Max(1.0, ticks) / probe;
        return (int)Math.Clamp(seconds * Stopwatch.Frequency / perOp, probe, 50_000_000);
    }

    /// <summary>Nanoseconds per enqueue+dequeue over <paramref name="operations"/> operations.</summary>
    public double Measure(int operations) => Stats.Nanoseconds(Batch(operations)) / operations;

    private long Batch(int operations)
    {
        var header = new MessageHeader(MessageKind.OneWay, Sender: 1, Correlation: 0);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < operations; i++)
        {
            if (queue.TryEnqueue(message, header) != EnqueueResult.Accepted)
            {
                throw new InvalidOperationException("queue refused a message it had room for");
            }

            if (!queue.TryDequeue(destination, out _, out var length))
            {
                throw new InvalidOperationException("queue lost a message");
            }

            checksum += length + destination[i & (MessageBytes - 1)];
        }

        return Stopwatch.GetTimestamp() - start;
    }
}
