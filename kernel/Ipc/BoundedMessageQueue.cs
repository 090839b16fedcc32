namespace Neokernel.Kernel.Ipc;

public enum MessageKind : byte
{
    OneWay,
    Request,
    Reply,
}

/// <summary>What travels with a message besides its bytes.</summary>
public readonly record struct MessageHeader(MessageKind Kind, int Sender, long Correlation);

/// <summary>
/// The transport under an endpoint: a bounded queue of whole messages. In one process it is a
/// <see cref="BoundedMessageQueue"/>; between processes, a ring in shared memory with the same
/// rules. A message is accepted whole or refused; an accepted one is delivered once, in order.
/// </summary>
public interface IMessageQueue
{
    int Capacity { get; }

    int MaxMessageBytes { get; }

    int Count { get; }

    /// <summary>
    /// 0 when every producer is in this process (a send arms the delivery itself). Otherwise
    /// another process fills the queue and nothing here hears of it, so its consumer looks this
    /// often, on its own event loop.
    /// </summary>
    long PollIntervalNs => 0;

    /// <summary>
    /// Another process fills this queue: asks to be told, on the consumer's own event loop, when a
    /// message arrives after the consumer found the queue empty, so that it need not poll. True:
    /// the queue will call <paramref name="listener"/> (a later call replaces it, for the next
    /// incarnation of the consumer); false: poll every <see cref="PollIntervalNs"/>. Control plane.
    /// </summary>
    bool WatchArrivals(IArrivalListener listener) => false;

    EnqueueResult TryEnqueue(ReadOnlySpan<byte> message, MessageHeader header);

    /// <summary>The oldest message, without removing it; the span is valid until <see cref="Advance"/>.</summary>
    bool TryPeek(out MessageHeader header, out ReadOnlySpan<byte> message);

    /// <summary>Removes the oldest message.</summary>
    void Advance();
}

/// <summary>Told on the consumer's event loop that a message arrived in a queue another process fills.</summary>
public interface IArrivalListener
{
    void OnArrival();
}

/// <summary>
/// A ring of fixed-size message slots, all allocated up front. A message is accepted whole or
/// refused (queue full, message too large); an accepted message is delivered exactly once, in
/// order. Nothing here allocates after construction.
/// </summary>
public sealed class BoundedMessageQueue : IMessageQueue
{
    public const int CapacityMax = 4_096;
    public const int MessageBytesMax = 64 * 1024;

    private readonly byte[] slots;
    private readonly int[] lengths;
    private readonly MessageHeader[] headers;
    private int head;
    private int count;

    public BoundedMessageQueue(int capacity, int maxMessageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, CapacityMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessageBytes, MessageBytesMax);
        Capacity = capacity;
        MaxMessageBytes = maxMessageBytes;
        slots = new byte[capacity * maxMessageBytes];
        lengths = new int[capacity];
        headers = new MessageHeader[capacity];
    }

    public int Capacity { get; }

    public int MaxMessageBytes { get; }

    public int Count => count;

    public bool IsFull => count == Capacity;

    /// <summary>Messages refused because the queue was full, since construction.</summary>
    public long RejectedFull { get; private set; }

    public EnqueueResult TryEnqueue(ReadOnlySpan<byte> message, MessageHeader header)
    {
        if (message.Length > MaxMessageBytes)
        {
            return EnqueueResult.TooLarge;
        }

        if (count == Capacity)
        {
            RejectedFull++;
            return EnqueueResult.Full;
        }

        var tail = (head + count) % Capacity;
        message.CopyTo(slots.AsSpan(tail * MaxMessageBytes, MaxMessageBytes));
        lengths[tail] = message.Length;
        headers[tail] = header;
        count++;
        AssertInvariants();
        return EnqueueResult.Accepted;
    }

    /// <summary>The oldest message, without removing it; the span is valid until <see cref="Advance"/>.</summary>
    public bool TryPeek(out MessageHeader header, out ReadOnlySpan<byte> message)
    {
        if (count == 0)
        {
            header = default;
            message = default;
            return false;
        }

        header = headers[head];
        message = slots.AsSpan(head * MaxMessageBytes, lengths[head]);
        return true;
    }

    /// <summary>Removes the oldest message.</summary>
    public void Advance()
    {
        if (count == 0)
        {
            throw new InvalidOperationException("queue is empty");
        }

        head = (head + 1) % Capacity;
        count--;
        AssertInvariants();
    }

    /// <summary>Copies out and removes the oldest message; false when empty.</summary>
    public bool TryDequeue(Span<byte> destination, out MessageHeader header, out int length)
    {
        return this.TryDequeueInto(destination, out header, out length);
    }

    public void Clear()
    {
        head = 0;
        count = 0;
    }

    [System.Diagnostics.Conditional("DEBUG")]
    private void AssertInvariants()
    {
        System.Diagnostics.Debug.Assert(count >= 0 && count <= Capacity, "count stays within 0..Capacity");
        System.Diagnostics.Debug.Assert(head >= 0 && head < Capacity, "head indexes a slot");
    }
}

public static class MessageQueueExtensions
{
    /// <summary>Copies out and removes the oldest message; false when empty. The same for every transport.</summary>
    public static bool TryDequeueInto(this IMessageQueue queue, Span<byte> destination, out MessageHeader header, out int length)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (!queue.TryPeek(out header, out var message))
        {
            length = 0;
            return false;
        }

        if (message.Length > destination.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, message has {message.Length}", nameof(destination));
        }

        message.CopyTo(destination);
        length = message.Length;
        queue.Advance();
        return true;
    }
}

public enum EnqueueResult
{
    Accepted,
    Full,
    TooLarge,
}
