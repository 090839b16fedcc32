using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>The data-change filter of an item, decoded and checked once (Part 4 §7.22.2); the default is StatusValue without deadband.</summary>
internal readonly record struct ChangeFilter(DataChangeTrigger Trigger, double AbsoluteDeadband)
{
    public static ChangeFilter Default => new(DataChangeTrigger.StatusValue, 0);
}

/// <summary>
/// One monitored item (Part 4 §5.12): what it samples, its filter and its bounded queue of
/// values. The queue is a ring allocated when the item is made (or its size revised), so sampling,
/// comparing and queueing allocate nothing. The intrusive links put it in its session's sampling
/// wheel and its subscription's list of items with values to report, without list nodes.
/// </summary>
internal sealed class MonitoredItem
{
    /// <summary>InfoType DataValue (0x400) with the Overflow bit (0x80): a value was discarded before this one (Part 4 §7.39.1).</summary>
    public const uint OverflowInfoBits = 0x0480;

    private DataValue[] queue;
    private int queueHead;
    private DataValue lastQueued;
    private bool hasLastQueued;

    public MonitoredItem(uint id, Subscription subscription, ISampledValue source, uint attributeId)
    {
        Id = id;
        Subscription = subscription;
        Source = source;
        AttributeId = attributeId;
        queue = new DataValue[1];
    }

    public uint Id { get; }

    public Subscription Subscription { get; }

    public ISampledValue Source { get; }

    public uint AttributeId { get; }

    public uint ClientHandle { get; set; }

    public MonitoringMode Mode { get; set; }

    public TimestampsToReturn Timestamps { get; set; }

    public long SamplingTicks { get; set; }

    public bool DiscardOldest { get; set; }

    public ChangeFilter Filter { get; set; } = ChangeFilter.Default;

    public bool IsDeleted { get; private set; }

    public int QueueSize => queue.Length;

    public int QueuedCount { get; private set; }

    /// <summary>Reporting items with queued values are on their subscription's ready list.</summary>
    public bool IsReportable => Mode == MonitoringMode.Reporting && QueuedCount > 0 && !IsDeleted;

    // The session's sampling wheel (SamplingWheel): a doubly linked list per slot.
    internal MonitoredItem? WheelNext;
    internal MonitoredItem? WheelPrev;
    internal long DueTick;
    internal bool InWheel;

    // The subscription's ready list: singly linked, items removed lazily when found unreportable.
    internal MonitoredItem? ReadyNext;
    internal bool InReady;

    /// <summary>Resizes the queue to <paramref name="size"/> (1 or more), keeping the newest values. Control plane.</summary>
    public void ResizeQueue(int size)
    {
        Debug.Assert(size >= 1, "a queue holds at least one value");
        if (size == queue.Length)
        {
            return;
        }

        var kept = Math.Min(size, QueuedCount);
        var resized = new DataValue[size];
        for (var i = 0; i < kept; i++)
        {
            resized[i] = queue[(queueHead + QueuedCount - kept + i) % queue.Length];
        }

        queue = resized;
        queueHead = 0;
        QueuedCount = kept;
    }

    /// <summary>Forgets the last value, so the next sample is reported whatever it is (a new item, one enabled again, a transfer with initial values).</summary>
    public void ResetLastValue() => hasLastQueued = false;

    /// <summary>Marks it deleted, drops its values and releases its sampling handle (when disposable); returns the values dropped.</summary>
    public int Delete()
    {
        IsDeleted = true;
        (Source as IDisposable)?.Dispose();
        return ClearQueue();
    }

    /// <summary>Drops every queued value: an item disabled or deleted.</summary>
    public int ClearQueue()
    {
        var dropped = QueuedCount;
        Array.Clear(queue);
        QueuedCount = 0;
        queueHead = 0;
        return dropped;
    }

    /// <summary>
    /// Samples once and queues the value when the filter says it changed; true when a value was
    /// added (not one replacing a discarded one). Data plane: allocates nothing.
    /// </summary>
    public bool Sample(long serverUaTicks, bool subscriptionFull)
    {
        var value = Source.Sample();
        if (value.ServerTimestamp == 0)
        {
            value = value with { ServerTimestamp = serverUaTicks };
        }

        if (hasLastQueued && !Changed(lastQueued, value))
        {
            return false;
        }

        lastQueued = value;
        hasLastQueued = true;
        return Enqueue(value, subscriptionFull && QueuedCount > 0);
    }

    /// <summary>Takes the oldest value, with the timestamps the client asked for.</summary>
    public DataValue Dequeue()
    {
        Debug.Assert(QueuedCount > 0, "dequeue from an empty queue");
        var value = queue[queueHead];
        queue[queueHead] = default;
        queueHead = (queueHead + 1) % queue.Length;
        QueuedCount--;
        return Timestamps switch
        {
            TimestampsToReturn.Source => value with { ServerTimestamp = 0, ServerPicoseconds = 0 },
            TimestampsToReturn.Server => value with { SourceTimestamp = 0, SourcePicoseconds = 0 },
            TimestampsToReturn.Neither => value with { SourceTimestamp = 0, SourcePicoseconds = 0, ServerTimestamp = 0, ServerPicoseconds = 0 },
            _ => value,
        };
    }

    /// <summary>
    /// Queues <paramref name="value"/>; a full queue (or a full subscription) discards by the
    /// item's policy and sets the overflow bit on the value next to the gap, except for a queue of
    /// one, which simply holds the newest value (Part 4 §5.12.1.5).
    /// </summary>
    private bool Enqueue(in DataValue value, bool subscriptionFull)
    {
        var capacity = queue.Length;
        if (QueuedCount < capacity && !subscriptionFull)
        {
            queue[(queueHead + QueuedCount) % capacity] = value;
            QueuedCount++;
            return true;
        }

        var newest = (queueHead + QueuedCount - 1) % capacity;
        if (capacity == 1 || QueuedCount == 1)
        {
            queue[newest] = QueuedCount == 1 && capacity > 1 ? WithOverflow(value) : value;
            return false;
        }

        if (DiscardOldest)
        {
            queue[queueHead] = default;
            queueHead = (queueHead + 1) % capacity;
            queue[queueHead] = WithOverflow(queue[queueHead]);
            queue[(queueHead + QueuedCount - 1) % capacity] = value;
            return false;
        }

        queue[newest] = WithOverflow(value);
        return false;
    }

    private static DataValue WithOverflow(in DataValue value) => value with { Status = new StatusCode(value.Status.Code | OverflowInfoBits) };

    private bool Changed(in DataValue last, in DataValue now)
    {
        if (last.Status.Code != now.Status.Code)
        {
            return true;
        }

        if (Filter.Trigger == DataChangeTrigger.Status)
        {
            return false;
        }

        if (Filter.Trigger == DataChangeTrigger.StatusValueTimestamp &&
            (last.SourceTimestamp != now.SourceTimestamp || last.SourcePicoseconds != now.SourcePicoseconds))
        {
            return true;
        }

        if (last.HasValue != now.HasValue)
        {
            return true;
        }

        if (Filter.AbsoluteDeadband > 0 && last.Value.TryGetNumber(out var before) && now.Value.TryGetNumber(out var after) && last.Value.Type == now.Value.Type)
        {
            return Math.Abs(after - before) > Filter.AbsoluteDeadband;
        }

        return !last.Value.Equals(now.Value);
    }
}
