using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>
/// One subscription (Part 4 §5.13) and its state machine (§5.13.1.2), driven by the engine's
/// tick: every publishing interval a cycle decides whether it has something to send (data
/// changes, or a keep-alive once MaxKeepAliveCount cycles passed without a message, or its very
/// first message). Wanting to send is the "late" state: the session answers its oldest queued
/// Publish request with it, at once if one is queued, else as soon as one arrives. Each cycle
/// without a queued request counts the lifetime down; at 0 the subscription expires.
/// </summary>
internal sealed class Subscription
{
    private readonly SubscriptionLimits limits;
    private readonly NotificationMessage?[] retransmission;
    private int retransmitHead;
    private int retransmitCount;
    private MonitoredItem? readyHead;
    private MonitoredItem? readyTail;
    private long ticksUntilCycle;
    private uint keepAliveCounter;
    private uint lifetimeCounter;
    private uint nextSequenceNumber = 1;
    private bool messageSent;

    public Subscription(uint id, SubscriptionSession session, SubscriptionLimits limits)
    {
        Id = id;
        Session = session;
        this.limits = limits;
        retransmission = new NotificationMessage?[limits.RetransmissionMessagesMax];
    }

    public uint Id { get; }

    /// <summary>The session it publishes to; TransferSubscriptions moves it.</summary>
    public SubscriptionSession Session { get; set; }

    public long PublishingTicks { get; private set; }

    public uint LifetimeCount { get; private set; }

    public uint MaxKeepAliveCount { get; private set; }

    public uint MaxNotificationsPerPublish { get; private set; }

    public bool PublishingEnabled { get; set; }

    public byte Priority { get; private set; }

    public Dictionary<uint, MonitoredItem> Items { get; } = [];

    /// <summary>Values queued in all its items, reporting or not: bounded by NotificationsPerSubscriptionMax.</summary>
    public int QueuedCount { get; set; }

    /// <summary>It wants to send (notifications or a keep-alive) and waits for a Publish request.</summary>
    public bool IsLate { get; private set; }

    public long LateSinceTick { get; private set; }

    /// <summary>The lifetime counter reached 0: the session closes it.</summary>
    public bool IsExpired => lifetimeCounter == 0;

    public double PublishingIntervalMs => limits.MsOf(PublishingTicks);

    /// <summary>Applies revised parameters (Create and Modify) and restarts the counters from them.</summary>
    public void Configure(double publishingIntervalMs, uint lifetimeCount, uint maxKeepAliveCount, uint maxNotificationsPerPublish, byte priority)
    {
        var requested = double.IsNaN(publishingIntervalMs) ? 0 : publishingIntervalMs;
        var intervalMs = Math.Clamp(requested, limits.PublishingIntervalMinMs, limits.PublishingIntervalMaxMs);
        PublishingTicks = limits.TicksOf(intervalMs);
        MaxKeepAliveCount = Math.Min(maxKeepAliveCount == 0 ? limits.KeepAliveCountDefault : maxKeepAliveCount, limits.KeepAliveCountMax);
        LifetimeCount = Math.Min(Math.Max(lifetimeCount, 3 * MaxKeepAliveCount), limits.LifetimeCountMax);
        MaxNotificationsPerPublish = maxNotificationsPerPublish == 0 ? limits.NotificationsPerPublishMax : Math.Min(maxNotificationsPerPublish, limits.NotificationsPerPublishMax);
        Priority = priority;
        ticksUntilCycle = PublishingTicks;
        keepAliveCounter = messageSent ? MaxKeepAliveCount : 1;
        lifetimeCounter = LifetimeCount;
        Debug.Assert(LifetimeCount >= 3 * MaxKeepAliveCount || LifetimeCount == limits.LifetimeCountMax, "lifetime is at least three keep-alives");
    }

    /// <summary>A Publish request arrived for its session: the lifetime starts again.</summary>
    public void ResetLifetime() => lifetimeCounter = LifetimeCount;

    /// <summary>
    /// One engine tick, <paramref name="elapsedTicks"/> after the last (more than one when the
    /// loop was late): runs the publishing cycle when its interval has passed, once however late,
    /// and keeps the cycles on their grid.
    /// </summary>
    public void OnTick(long tick, long elapsedTicks, bool requestQueued)
    {
        Debug.Assert(elapsedTicks >= 1, "time moves forward between ticks");
        ticksUntilCycle -= elapsedTicks;
        if (ticksUntilCycle > 0)
        {
            return;
        }

        ticksUntilCycle = PublishingTicks - (-ticksUntilCycle % PublishingTicks);
        if (!requestQueued && lifetimeCounter > 0)
        {
            lifetimeCounter--;
        }

        if (IsLate)
        {
            return;
        }

        if (HasNotifications() || !messageSent || --keepAliveCounter == 0)
        {
            IsLate = true;
            LateSinceTick = tick;
        }
    }

    /// <summary>Items newly holding reportable values join the list the next message is built from, in the order they changed.</summary>
    public void MarkReady(MonitoredItem item)
    {
        if (item.InReady)
        {
            return;
        }

        item.InReady = true;
        item.ReadyNext = null;
        if (readyTail is null)
        {
            readyHead = item;
        }
        else
        {
            readyTail.ReadyNext = item;
        }

        readyTail = item;
    }

    /// <summary>Publishing is enabled and some reporting item holds a value (drops items that no longer do from the ready list).</summary>
    public bool HasNotifications()
    {
        while (readyHead is not null && !readyHead.IsReportable)
        {
            PopReady();
        }

        return PublishingEnabled && readyHead is not null;
    }

    /// <summary>
    /// The message that answers a Publish request: up to MaxNotificationsPerPublish data changes
    /// (kept for Republish), or a keep-alive carrying the next sequence number without using it.
    /// <paramref name="more"/> says values are left for the next request.
    /// </summary>
    public NotificationMessage TakeMessage(long publishUaTicks, out bool more)
    {
        Debug.Assert(IsLate, "only a subscription that wants to send is served");
        if (!HasNotifications())
        {
            more = false;
            Sent();
            return new NotificationMessage { SequenceNumber = nextSequenceNumber, PublishTime = publishUaTicks, NotificationData = [] };
        }

        var notifications = new MonitoredItemNotification[CountReportable(MaxNotificationsPerPublish)];
        var filled = 0;
        while (filled < notifications.Length)
        {
            var item = readyHead!;
            if (!item.IsReportable)
            {
                PopReady();
                continue;
            }

            while (item.QueuedCount > 0 && filled < notifications.Length)
            {
                notifications[filled++] = new MonitoredItemNotification { ClientHandle = item.ClientHandle, Value = item.Dequeue() };
            }

            if (item.QueuedCount == 0)
            {
                PopReady();
            }
        }

        QueuedCount -= filled;
        Debug.Assert(QueuedCount >= 0, "the subscription's queued count never goes negative");
        more = HasNotifications();
        if (!more)
        {
            Sent();
        }

        var change = new DataChangeNotification { MonitoredItems = notifications, DiagnosticInfos = [] };
        return Retain(new NotificationMessage { SequenceNumber = NextSequenceNumber(), PublishTime = publishUaTicks, NotificationData = [ExtensionObject.FromEncodeable(change)] });
    }

    /// <summary>The last message of a subscription that closes (lifetime expired): a StatusChangeNotification.</summary>
    public NotificationMessage TakeStatusChange(StatusCode status, long publishUaTicks)
    {
        var change = new StatusChangeNotification { Status = status };
        return new NotificationMessage { SequenceNumber = NextSequenceNumber(), PublishTime = publishUaTicks, NotificationData = [ExtensionObject.FromEncodeable(change)] };
    }

    /// <summary>Removes an acknowledged message from the retransmission queue: Good, or BadSequenceNumberUnknown.</summary>
    public StatusCode Acknowledge(uint sequenceNumber)
    {
        var at = IndexOfRetained(sequenceNumber);
        if (at < 0)
        {
            return StatusCodes.BadSequenceNumberUnknown;
        }

        for (var i = at; i < retransmitCount - 1; i++)
        {
            retransmission[Slot(i)] = retransmission[Slot(i + 1)];
        }

        retransmission[Slot(retransmitCount - 1)] = null;
        retransmitCount--;
        return StatusCodes.Good;
    }

    /// <summary>A message still kept for retransmission, or null (BadMessageNotAvailable).</summary>
    public NotificationMessage? Republish(uint sequenceNumber)
    {
        var at = IndexOfRetained(sequenceNumber);
        return at < 0 ? null : retransmission[Slot(at)];
    }

    /// <summary>The sequence numbers kept for Republish, oldest first (a publish response's AvailableSequenceNumbers).</summary>
    public uint[] AvailableSequenceNumbers()
    {
        var numbers = new uint[retransmitCount];
        for (var i = 0; i < retransmitCount; i++)
        {
            numbers[i] = retransmission[Slot(i)]!.SequenceNumber;
        }

        return numbers;
    }

    /// <summary>Every item's last value goes out again on the next cycle (TransferSubscriptions with SendInitialValues).</summary>
    public void ResendLastValues()
    {
        foreach (var item in Items.Values)
        {
            item.ResetLastValue();
        }
    }

    private int CountReportable(uint max)
    {
        long count = 0;
        for (var item = readyHead; item is not null && count < max; item = item.ReadyNext)
        {
            if (item.IsReportable)
            {
                count += item.QueuedCount;
            }
        }

        return (int)Math.Min(count, max);
    }

    private void PopReady()
    {
        var item = readyHead!;
        readyHead = item.ReadyNext;
        if (readyHead is null)
        {
            readyTail = null;
        }

        item.ReadyNext = null;
        item.InReady = false;
    }

    private void Sent()
    {
        IsLate = false;
        messageSent = true;
        keepAliveCounter = MaxKeepAliveCount;
        lifetimeCounter = LifetimeCount;
    }

    private uint NextSequenceNumber()
    {
        var number = nextSequenceNumber;
        nextSequenceNumber = number == uint.MaxValue ? 1 : number + 1;
        return number;
    }

    private NotificationMessage Retain(NotificationMessage message)
    {
        if (retransmitCount == retransmission.Length)
        {
            retransmission[retransmitHead] = null;
            retransmitHead = (retransmitHead + 1) % retransmission.Length;
            retransmitCount--;
        }

        retransmission[Slot(retransmitCount)] = message;
        retransmitCount++;
        return message;
    }

    private int IndexOfRetained(uint sequenceNumber)
    {
        for (var i = 0; i < retransmitCount; i++)
        {
            if (retransmission[Slot(i)]!.SequenceNumber == sequenceNumber)
            {
                return i;
            }
        }

        return -1;
    }

    private int Slot(int index) => (retransmitHead + index) % retransmission.Length;
}
