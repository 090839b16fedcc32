namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>
/// Every bound of the subscription services, in one record: configured once, checked by
/// <see cref="Validate"/>, then read-only. A client that asks for more gets the Bad status named
/// beside each limit, or a revised (smaller) value where the service revises.
/// </summary>
public sealed record SubscriptionLimits
{
    /// <summary>The engine's one timer period: the sampling base. Sampling and publishing intervals are revised to multiples of it.</summary>
    public long TickNs { get; init; } = 10_000_000;

    public double PublishingIntervalMinMs { get; init; } = 50;

    public double PublishingIntervalMaxMs { get; init; } = 3_600_000;

    public double SamplingIntervalMaxMs { get; init; } = 3_600_000;

    /// <summary>The keep-alive count a request of 0 gets.</summary>
    public uint KeepAliveCountDefault { get; init; } = 10;

    public uint KeepAliveCountMax { get; init; } = 10_000;

    /// <summary>At least three times <see cref="KeepAliveCountMax"/>, as the revision rule needs.</summary>
    public uint LifetimeCountMax { get; init; } = 30_000;

    /// <summary>BadTooManySubscriptions beyond it.</summary>
    public int SubscriptionsPerSessionMax { get; init; } = 20;

    /// <summary>BadTooManyMonitoredItems beyond it.</summary>
    public int MonitoredItemsPerSubscriptionMax { get; init; } = 10_000;

    /// <summary>BadTooManyMonitoredItems beyond it, whatever the session.</summary>
    public int MonitoredItemsPerServerMax { get; init; } = 100_000;

    /// <summary>The oldest queued request is answered BadTooManyPublishRequests when one more arrives.</summary>
    public int PublishRequestsPerSessionMax { get; init; } = 10;

    /// <summary>A monitored item's queue size is revised down to it.</summary>
    public uint QueueSizeMax { get; init; } = 100;

    /// <summary>
    /// Values queued in one subscription's items at most; past it, each item keeps only its
    /// newest value (with the overflow bit), so a subscription never holds more than this or its item count.
    /// </summary>
    public int NotificationsPerSubscriptionMax { get; init; } = 100_000;

    /// <summary>A MaxNotificationsPerPublish of 0 (no limit) or more is revised to it.</summary>
    public uint NotificationsPerPublishMax { get; init; } = 10_000;

    /// <summary>NotificationMessages kept per subscription for Republish; the oldest goes first.</summary>
    public int RetransmissionMessagesMax { get; init; } = 20;

    /// <summary>BadTooManyOperations for a request with more items or ids than this.</summary>
    public int OperationsPerRequestMax { get; init; } = 10_000;

    /// <summary>Samples taken per tick at most, shared fairly by the sessions; the rest are taken late, on the next ticks.</summary>
    public int SamplesPerTickMax { get; init; } = 100_000;

    /// <summary>Throws naming the field and its allowed range when the record cannot work.</summary>
    public SubscriptionLimits Validate()
    {
        Require(TickNs >= 1_000_000 && TickNs <= 1_000_000_000, nameof(TickNs), "between 1 ms and 1 s");
        Require(PublishingIntervalMinMs * 1e6 >= TickNs, nameof(PublishingIntervalMinMs), "at least one tick");
        Require(PublishingIntervalMaxMs >= PublishingIntervalMinMs, nameof(PublishingIntervalMaxMs), "at least PublishingIntervalMinMs");
        Require(SamplingIntervalMaxMs * 1e6 >= TickNs, nameof(SamplingIntervalMaxMs), "at least one tick");
        Require(KeepAliveCountDefault >= 1 && KeepAliveCountDefault <= KeepAliveCountMax, nameof(KeepAliveCountDefault), "1 to KeepAliveCountMax");
        Require(LifetimeCountMax / 3 >= KeepAliveCountMax, nameof(LifetimeCountMax), "at least 3 × KeepAliveCountMax");
        Require(SubscriptionsPerSessionMax >= 1, nameof(SubscriptionsPerSessionMax), "1 or more");
        Require(MonitoredItemsPerSubscriptionMax >= 1, nameof(MonitoredItemsPerSubscriptionMax), "1 or more");
        Require(MonitoredItemsPerServerMax >= MonitoredItemsPerSubscriptionMax, nameof(MonitoredItemsPerServerMax), "at least MonitoredItemsPerSubscriptionMax");
        Require(PublishRequestsPerSessionMax >= 1, nameof(PublishRequestsPerSessionMax), "1 or more");
        Require(QueueSizeMax >= 1 && QueueSizeMax <= 10_000, nameof(QueueSizeMax), "1 to 10000");
        Require(NotificationsPerSubscriptionMax >= 1, nameof(NotificationsPerSubscriptionMax), "1 or more");
        Require(NotificationsPerPublishMax >= 1, nameof(NotificationsPerPublishMax), "1 or more");
        Require(RetransmissionMessagesMax >= 1 && RetransmissionMessagesMax <= 10_000, nameof(RetransmissionMessagesMax), "1 to 10000");
        Require(OperationsPerRequestMax >= 1, nameof(OperationsPerRequestMax), "1 or more");
        Require(SamplesPerTickMax >= 1, nameof(SamplesPerTickMax), "1 or more");
        return this;
    }

    /// <summary>The ticks of <paramref name="intervalMs"/>, rounded up, at least one.</summary>
    internal long TicksOf(double intervalMs) => Math.Max(1, (long)Math.Ceiling(intervalMs * 1e6 / TickNs));

    internal double MsOf(long ticks) => ticks * (double)TickNs / 1e6;

    private static void Require(bool holds, string field, string allowed)
    {
        if (!holds)
        {
            throw new ArgumentException($"subscription limit {field} must be {allowed}; fix the gateway's limits", field);
        }
    }
}
