using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Neokernel.Kernel.Ipc;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class BoundedMessageQueueTests
{
    /// <summary>Against a model queue: never over capacity, every accepted message comes out once, in order, intact.</summary>
    [Property(MaxTest = 300)]
    public bool Queue_NeverExceedsCapacity_AndNeverLosesAcceptedMessages(PositiveInt capacitySeed, (bool Enqueue, byte Length, byte Fill)[] operations)
    {
        var capacity = (capacitySeed.Get % 16) + 1;
        const int maxBytes = 32;
        var queue = new BoundedMessageQueue(capacity, maxBytes);
        var model = new Queue<byte[]>();
        Span<byte> buffer = stackalloc byte[maxBytes];
        foreach (var (enqueue, length, fill) in operations ?? [])
        {
            if (enqueue)
            {
                var message = Enumerable.Repeat(fill, length % 40).ToArray();
                var result = queue.TryEnqueue(message, new MessageHeader(MessageKind.OneWay, 0, fill));
                var expected = message.Length > maxBytes ? EnqueueResult.TooLarge : model.Count == capacity ? EnqueueResult.Full : EnqueueResult.Accepted;
                if (result != expected)
                {
                    return false;
                }

                if (result == EnqueueResult.Accepted)
                {
                    model.Enqueue(message);
                }
            }
            else
            {
                var got = queue.TryDequeue(buffer, out var header, out var n);
                if (got != model.Count > 0)
                {
                    return false;
                }

                if (got)
                {
                    var expected = model.Dequeue();
                    if (!buffer[..n].SequenceEqual(expected) || (expected.Length > 0 && header.Correlation != expected[0]))
                    {
                        return false;
                    }
                }
            }

            if (queue.Count > capacity || queue.Count != model.Count)
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void EnqueueDequeue_SteadyState_AllocatesNothing()
    {
        var queue = new BoundedMessageQueue(8, 64);
        var message = new byte[48];
        var buffer = new byte[64];
        AllocationAssert.NoAllocations(10_000, i =>
        {
            queue.TryEnqueue(message, new MessageHeader(MessageKind.Request, 1, i));
            queue.TryDequeue(buffer, out _, out _);
        });
    }

    [Fact]
    public void Constructor_OutOfRangeLimits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedMessageQueue(0, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedMessageQueue(BoundedMessageQueue.CapacityMax + 1, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedMessageQueue(4, BoundedMessageQueue.MessageBytesMax + 1));
    }
}
