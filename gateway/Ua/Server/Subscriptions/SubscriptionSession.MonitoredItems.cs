namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>The monitored item services (Part 4 §5.12), answered per item.</summary>
public sealed partial class SubscriptionSession
{
    public CreateMonitoredItemsResponse CreateMonitoredItems(CreateMonitoredItemsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new CreateMonitoredItemsResponse { ResponseHeader = Header(request.RequestHeader) };
        if (CheckItemsRequest(request.SubscriptionId, request.TimestampsToReturn, request.ItemsToCreate?.Length ?? 0, out var subscription) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        response.Results = Each(request.ItemsToCreate!, create => CreateItem(subscription!, request.TimestampsToReturn, create));
        response.DiagnosticInfos = [];
        return response;
    }

    public ModifyMonitoredItemsResponse ModifyMonitoredItems(ModifyMonitoredItemsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new ModifyMonitoredItemsResponse { ResponseHeader = Header(request.RequestHeader) };
        if (CheckItemsRequest(request.SubscriptionId, request.TimestampsToReturn, request.ItemsToModify?.Length ?? 0, out var subscription) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        response.Results = Each(request.ItemsToModify!, modify => ModifyItem(subscription!, request.TimestampsToReturn, modify));
        response.DiagnosticInfos = [];
        return response;
    }

    public SetMonitoringModeResponse SetMonitoringMode(SetMonitoringModeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new SetMonitoringModeResponse { ResponseHeader = Header(request.RequestHeader) };
        if (CheckItemsRequest(request.SubscriptionId, TimestampsToReturn.Both, request.MonitoredItemIds?.Length ?? 0, out var subscription) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        if ((uint)request.MonitoringMode > (uint)MonitoringMode.Reporting)
        {
            return Fault(response, StatusCodes.BadMonitoringModeInvalid);
        }

        response.Results = PerItem(subscription!, request.MonitoredItemIds!, item =>
        {
            SetMode(item, request.MonitoringMode);
            return StatusCodes.Good;
        });
        response.DiagnosticInfos = [];
        return response;
    }

    /// <summary>
    /// Triggering links are not supported: the subscription and the triggering item are checked,
    /// then each link is answered BadMonitoredItemIdInvalid (no such item) or BadNotSupported.
    /// </summary>
    public SetTriggeringResponse SetTriggering(SetTriggeringRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new SetTriggeringResponse { ResponseHeader = Header(request.RequestHeader) };
        var links = (request.LinksToAdd?.Length ?? 0) + (request.LinksToRemove?.Length ?? 0);
        if (CheckItemsRequest(request.SubscriptionId, TimestampsToReturn.Both, links, out var subscription) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        if (!subscription!.Items.ContainsKey(request.TriggeringItemId))
        {
            return Fault(response, StatusCodes.BadMonitoredItemIdInvalid);
        }

        response.AddResults = PerItem(subscription, request.LinksToAdd ?? [], static _ => StatusCodes.BadNotSupported);
        response.RemoveResults = PerItem(subscription, request.LinksToRemove ?? [], static _ => StatusCodes.BadNotSupported);
        response.AddDiagnosticInfos = [];
        response.RemoveDiagnosticInfos = [];
        return response;
    }

    public DeleteMonitoredItemsResponse DeleteMonitoredItems(DeleteMonitoredItemsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new DeleteMonitoredItemsResponse { ResponseHeader = Header(request.RequestHeader) };
        if (CheckItemsRequest(request.SubscriptionId, TimestampsToReturn.Both, request.MonitoredItemIds?.Length ?? 0, out var subscription) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        response.Results = PerItem(subscription!, request.MonitoredItemIds!, item =>
        {
            DeleteItem(item);
            return StatusCodes.Good;
        });
        response.DiagnosticInfos = [];
        return response;
    }

    private MonitoredItemCreateResult CreateItem(Subscription subscription, TimestampsToReturn timestamps, MonitoredItemCreateRequest create)
    {
        if (subscription.Items.Count >= limits.MonitoredItemsPerSubscriptionMax || !server.HasItemRoom)
        {
            return new MonitoredItemCreateResult { StatusCode = StatusCodes.BadTooManyMonitoredItems };
        }

        if ((uint)create.MonitoringMode > (uint)MonitoringMode.Reporting)
        {
            return new MonitoredItemCreateResult { StatusCode = StatusCodes.BadMonitoringModeInvalid };
        }

        var target = create.ItemToMonitor;
        var parameters = create.RequestedParameters;
        if (MonitoringRules.ParseFilter(parameters.Filter, target.AttributeId, out var filter) is { IsBad: true } filterStatus)
        {
            return new MonitoredItemCreateResult { StatusCode = filterStatus };
        }

        var openStatus = server.Sampler.Open(target.NodeId, target.AttributeId, target.IndexRange, target.DataEncoding, out var source);
        if (openStatus.IsBad || source is null)
        {
            return new MonitoredItemCreateResult { StatusCode = openStatus.IsBad ? openStatus : StatusCodes.BadNodeIdUnknown };
        }

        var item = new MonitoredItem(server.NewItemId(), subscription, source, target.AttributeId) { Filter = filter, Mode = MonitoringMode.Disabled };
        Apply(item, subscription, timestamps, parameters);
        subscription.Items.Add(item.Id, item);
        SetMode(item, create.MonitoringMode);
        return new MonitoredItemCreateResult
        {
            StatusCode = StatusCodes.Good,
            MonitoredItemId = item.Id,
            RevisedSamplingInterval = limits.MsOf(item.SamplingTicks),
            RevisedQueueSize = (uint)item.QueueSize,
        };
    }

    private MonitoredItemModifyResult ModifyItem(Subscription subscription, TimestampsToReturn timestamps, MonitoredItemModifyRequest modify)
    {
        if (!subscription.Items.TryGetValue(modify.MonitoredItemId, out var item))
        {
            return new MonitoredItemModifyResult { StatusCode = StatusCodes.BadMonitoredItemIdInvalid };
        }

        var parameters = modify.RequestedParameters;
        if (MonitoringRules.ParseFilter(parameters.Filter, item.AttributeId, out var filter) is { IsBad: true } filterStatus)
        {
            return new MonitoredItemModifyResult { StatusCode = filterStatus };
        }

        var samplingTicks = item.SamplingTicks;
        var queued = item.QueuedCount;
        item.Filter = filter;
        Apply(item, subscription, timestamps, parameters);
        subscription.QueuedCount -= queued - item.QueuedCount;
        if (item.SamplingTicks != samplingTicks && item.InWheel)
        {
            Wheel.Cancel(item);
            Wheel.Schedule(item, server.CurrentTick + item.SamplingTicks);
        }

        return new MonitoredItemModifyResult
        {
            StatusCode = StatusCodes.Good,
            RevisedSamplingInterval = limits.MsOf(item.SamplingTicks),
            RevisedQueueSize = (uint)item.QueueSize,
        };
    }

    private void Apply(MonitoredItem item, Subscription subscription, TimestampsToReturn timestamps, MonitoringParameters parameters)
    {
        item.ClientHandle = parameters.ClientHandle;
        item.Timestamps = timestamps;
        item.SamplingTicks = MonitoringRules.SamplingTicks(parameters.SamplingInterval, subscription, limits);
        item.DiscardOldest = parameters.DiscardOldest;
        item.ResizeQueue(MonitoringRules.QueueSize(parameters.QueueSize, limits));
    }

    /// <summary>
    /// Disabled stops sampling and drops the queue; Sampling samples and queues without
    /// reporting; Reporting reports. Leaving Disabled samples at once: the first value after it
    /// is always reported.
    /// </summary>
    private void SetMode(MonitoredItem item, MonitoringMode mode)
    {
        var was = item.Mode;
        item.Mode = mode;
        if (mode == MonitoringMode.Disabled)
        {
            Wheel.Cancel(item);
            item.Subscription.QueuedCount -= item.ClearQueue();
            item.ResetLastValue();
            return;
        }

        if (was == MonitoringMode.Disabled)
        {
            ((ISampleSink)this).OnSample(item, server.NowUaTicks);
            Wheel.Schedule(item, server.CurrentTick + item.SamplingTicks);
        }
        else if (mode == MonitoringMode.Reporting && item.QueuedCount > 0)
        {
            item.Subscription.MarkReady(item);
        }
    }

    private void DeleteItem(MonitoredItem item)
    {
        Wheel.Cancel(item);
        item.Subscription.QueuedCount -= item.Delete();
        item.Subscription.Items.Remove(item.Id);
        server.ItemDeleted();
    }

    private StatusCode CheckItemsRequest(uint subscriptionId, TimestampsToReturn timestamps, int count, out Subscription? subscription)
    {
        subscription = Find(subscriptionId);
        if (subscription is null)
        {
            return StatusCodes.BadSubscriptionIdInvalid;
        }

        if ((uint)timestamps > (uint)TimestampsToReturn.Neither)
        {
            return StatusCodes.BadTimestampsToReturnInvalid;
        }

        return CheckOperations(count);
    }

    private static StatusCode[] PerItem(Subscription subscription, uint[] itemIds, Func<MonitoredItem, StatusCode> operation) =>
        Each(itemIds, id => subscription.Items.TryGetValue(id, out var item) ? operation(item) : StatusCodes.BadMonitoredItemIdInvalid);
}
