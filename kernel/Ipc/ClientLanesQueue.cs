namespace Neokernel.Kernel.Ipc;

/// <summary>
/// An endpoint's request queue as one lane per routed client, each a single-producer queue:
/// a message goes into the lane of its header's sender, and the provider takes them round-robin,
/// one lane after the other. This is how a request queue crosses processes: a shared-memory ring
/// has one producer, and each client (in a process of its own or in the kernel's) fills only its
/// own lane, so a client can neither corrupt nor fill another client's share. Each lane holds the
/// endpoint's queue depth. A lane whose peer corrupted it (the ring throws
/// <see cref="InvalidDataException"/>) is closed for good: the provider reads the other lanes on,
/// and that client's sends meet a full lane. Nothing here allocates after construction.
/// </summary>
public sealed class ClientLanesQueue : IMessageQueue
{
    private readonly IMessageQueue[] lanes;
    private readonly bool[] closed;
    private int next;
    private int peeked = -1;

    public ClientLanesQueue(IReadOnlyList<IMessageQueue> lanes)
    {
        ArgumentNullException.ThrowIfNull(lanes);
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes.Count, 1);
        this.lanes = [.. lanes];
        closed = new bool[this.lanes.Length];
        MaxMessageBytes = this.lanes[0].MaxMessageBytes;
        foreach (var lane in this.lanes)
        {
            if (lane.MaxMessageBytes != MaxMessageBytes)
            {
                throw new ArgumentException($"every lane carries messages of at most {MaxMessageBytes} bytes; one carries {lane.MaxMessageBytes}", nameof(lanes));
            }

            Capacity += lane.Capacity;
            PollIntervalNs = Math.Max(PollIntervalNs, lane.PollIntervalNs);
        }
    }

    /// <summary>All lanes together: a drain of this many messages empties every lane once.</summary>
    public int Capacity { get; }

    public int MaxMessageBytes { get; }

    public long PollIntervalNs { get; }

    public int LaneCount => lanes.Length;

    /// <summary>Lanes closed because their peer corrupted them.</summary>
    public int ClosedLanes { get; private set; }

    public int Count
    {
        get
        {
            var count = 0;
            for (var i = 0; i < lanes.Length; i++)
            {
                count += closed[i] ? 0 : lanes[i].Count;
            }

            return count;
        }
    }

    public IMessageQueue Lane(int clientId) => lanes[clientId];

    /// <summary>True when every lane another process fills will tell <paramref name="listener"/> of arrivals (lanes this process fills need not).</summary>
    public bool WatchArrivals(IArrivalListener listener)
    {
        var all = PollIntervalNs > 0;
        foreach (var lane in lanes)
        {
            if (lane.PollIntervalNs > 0 && !lane.WatchArrivals(listener))
            {
                all = false;
            }
        }

        return all;
    }

    /// <summary>Into the sender's lane. The kernel numbers the senders, so one without a lane is the kernel's bug.</summary>
    public EnqueueResult TryEnqueue(ReadOnlySpan<byte> message, MessageHeader header)
    {
        if ((uint)header.Sender >= (uint)lanes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(header), header.Sender, $"no lane for client {header.Sender}; the endpoint has {lanes.Length} routed clients");
        }

        return closed[header.Sender] ? EnqueueResult.Full : lanes[header.Sender].TryEnqueue(message, header);
    }

    /// <summary>The oldest message of the next lane that has one, starting after the lane last taken from.</summary>
    public bool TryPeek(out MessageHeader header, out ReadOnlySpan<byte> message)
    {
        for (var i = 0; i < lanes.Length; i++)
        {
            var lane = (next + i) % lanes.Length;
            if (!closed[lane] && TryPeekLane(lane, out header, out message))
            {
                peeked = lane;
                return true;
            }
        }

        peeked = -1;
        header = default;
        message = default;
        return false;
    }

    private bool TryPeekLane(int lane, out MessageHeader header, out ReadOnlySpan<byte> message)
    {
        try
        {
            return lanes[lane].TryPeek(out header, out message);
        }
        catch (InvalidDataException)
        {
            closed[lane] = true;
            ClosedLanes++;
            header = default;
            message = default;
            return false;
        }
    }

    public void Advance()
    {
        if (peeked < 0 && !TryPeek(out _, out _))
        {
            throw new InvalidOperationException("queue is empty");
        }

        lanes[peeked].Advance();
        next = (peeked + 1) % lanes.Length;
        peeked = -1;
    }
}
