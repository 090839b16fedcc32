using Neokernel.Kernel.Ipc;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class ClientLanesQueueTests
{
    [Fact]
    public void Lanes_EachClientFillsOnlyItsOwn_FullLaneRefusesOnlyThatClient()
    {
        var queue = Lanes(clients: 2, depth: 2);
        Assert.Equal(EnqueueResult.Accepted, queue.TryEnqueue([1], From(0)));
        Assert.Equal(EnqueueResult.Accepted, queue.TryEnqueue([2], From(0)));
        Assert.Equal(EnqueueResult.Full, queue.TryEnqueue([3], From(0)));
        Assert.Equal(EnqueueResult.Accepted, queue.TryEnqueue([4], From(1)));
        Assert.Equal(EnqueueResult.TooLarge, queue.TryEnqueue(new byte[9], From(1)));
        Assert.Equal(3, queue.Count);
        Assert.Equal(4, queue.Capacity);
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.TryEnqueue([5], From(2)));
    }

    [Fact]
    public void Drain_TakesLanesRoundRobin_EachLaneInOrder()
    {
        var queue = Lanes(clients: 3, depth: 4);
        foreach (var (client, value) in new[] { (0, 10), (0, 11), (0, 12), (1, 20), (2, 30), (2, 31) })
        {
            Assert.Equal(EnqueueResult.Accepted, queue.TryEnqueue([(byte)value], From(client)));
        }

        var order = new List<int>();
        var buffer = new byte[8];
        while (queue.TryDequeueInto(buffer, out _, out _))
        {
            order.Add(buffer[0]);
        }

        Assert.Equal([10, 20, 30, 11, 31, 12], order);
        Assert.Equal(0, queue.Count);
        Assert.Throws<InvalidOperationException>(queue.Advance);
    }

    [Fact]
    public void CorruptLane_IsClosed_TheOtherLanesGoOn_ItsSenderMeetsAFullLane()
    {
        var queue = new ClientLanesQueue([new CorruptQueue(), new BoundedMessageQueue(2, 8)]);
        Assert.Equal(EnqueueResult.Accepted, queue.TryEnqueue([7], From(1)));
        var buffer = new byte[8];
        Assert.True(queue.TryDequeueInto(buffer, out var header, out _));
        Assert.Equal((1, 7), (header.Sender, (int)buffer[0]));
        Assert.False(queue.TryPeek(out _, out _));
        Assert.Equal(1, queue.ClosedLanes);
        Assert.Equal(EnqueueResult.Full, queue.TryEnqueue([8], From(0)));
    }

    [Fact]
    public void SendAndDrain_AllocateNothing()
    {
        var queue = Lanes(clients: 2, depth: 8);
        var buffer = new byte[8];
        AllocationAssert.NoAllocations(10_000, i =>
        {
            queue.TryEnqueue(buffer, From(i % 2));
            queue.TryDequeueInto(buffer, out _, out _);
        });
    }

    private static ClientLanesQueue Lanes(int clients, int depth) =>
        new([.. Enumerable.Range(0, clients).Select(_ => (IMessageQueue)new BoundedMessageQueue(depth, 8))]);

    private static MessageHeader From(int client) => new(MessageKind.OneWay, client, 0);

    /// <summary>A shared ring whose peer wrote nonsense into its counters.</summary>
    private sealed class CorruptQueue : IMessageQueue
    {
        public int Capacity => 2;

        public int MaxMessageBytes => 8;

        public int Count => 0;

        public EnqueueResult TryEnqueue(ReadOnlySpan<byte> message, MessageHeader header) => throw new InvalidDataException("corrupt");

        public bool TryPeek(out MessageHeader header, out ReadOnlySpan<byte> message) => throw new InvalidDataException("corrupt");

        public void Advance() => throw new InvalidDataException("corrupt");
    }
}
