namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>
/// How a monitored item's requested parameters are checked and revised (Part 4 §5.12.1): the
/// sampling interval, the queue size and the data-change filter. Pure functions of the request
/// and the limits, so Create and Modify revise the same way.
/// </summary>
internal static class MonitoringRules
{
    /// <summary>DeadbandType of a DataChangeFilter (Part 4 §7.22.2).</summary>
    private const uint DeadbandNone = 0;
    private const uint DeadbandAbsolute = 1;
    private const uint DeadbandPercent = 2;

    /// <summary>
    /// The sampling interval in ticks: negative (or NaN) is the subscription's publishing
    /// interval, 0 the fastest (one tick), anything else rounded up to whole ticks and capped.
    /// </summary>
    public static long SamplingTicks(double requestedMs, Subscription subscription, SubscriptionLimits limits)
    {
        if (double.IsNaN(requestedMs) || requestedMs < 0)
        {
            return subscription.PublishingTicks;
        }

        return limits.TicksOf(Math.Min(requestedMs, limits.SamplingIntervalMaxMs));
    }

    /// <summary>The queue size: 0 is 1, anything above the limit is the limit.</summary>
    public static int QueueSize(uint requested, SubscriptionLimits limits) => (int)Math.Clamp(requested, 1u, limits.QueueSizeMax);

    /// <summary>
    /// Decodes and checks a monitoring filter. Only DataChangeFilter, on the Value attribute,
    /// with deadband None or Absolute: a percent deadband needs the node's EURange, which this
    /// server does not keep, so it is BadMonitoredItemFilterUnsupported, as are event and aggregate filters.
    /// </summary>
    public static StatusCode ParseFilter(ExtensionObject filter, uint attributeId, out ChangeFilter result)
    {
        result = ChangeFilter.Default;
        if (filter.IsNull)
        {
            return StatusCodes.Good;
        }

        if (attributeId != (uint)AttributeId.Value)
        {
            return StatusCodes.BadFilterNotAllowed;
        }

        if (filter.TypeId != new NodeId(DataChangeFilter.EncodingId))
        {
            return StatusCodes.BadMonitoredItemFilterUnsupported;
        }

        var decoded = Decode(filter);
        if (decoded is null || (uint)decoded.Trigger > (uint)DataChangeTrigger.StatusValueTimestamp)
        {
            return StatusCodes.BadMonitoredItemFilterInvalid;
        }

        switch (decoded.DeadbandType)
        {
            case DeadbandNone:
                result = new ChangeFilter(decoded.Trigger, 0);
                return StatusCodes.Good;
            case DeadbandAbsolute when decoded.DeadbandValue >= 0 && double.IsFinite(decoded.DeadbandValue):
                result = new ChangeFilter(decoded.Trigger, decoded.DeadbandValue);
                return StatusCodes.Good;
            case DeadbandPercent:
                return StatusCodes.BadMonitoredItemFilterUnsupported;
            default:
                return StatusCodes.BadDeadbandFilterInvalid;
        }
    }

    private static DataChangeFilter? Decode(ExtensionObject filter)
    {
        if (filter.Encodeable is DataChangeFilter typed)
        {
            return typed;
        }

        if (filter.Bytes is not { } bytes)
        {
            return null;
        }

        try
        {
            var decoder = new UaDecoder(bytes);
            return DataChangeFilter.Decode(ref decoder);
        }
        catch (UaCodecException)
        {
            return null;
        }
    }
}
