using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server.Subscriptions;

/// <summary>
/// The subscription services of one OPC UA session (Part 4 §5.13): its subscriptions, its
/// queue of Publish requests and its sampling wheel. The session layer makes one per session
/// (<see cref="SubscriptionServer.OpenSession"/>) and calls the services on the loop. A service
/// answers a request as a whole with a Bad ServiceResult in the response's header, which the
/// dispatcher sends as a ServiceFault; Publish is answered later, through its callback.
/// </summary>
public sealed partial class SubscriptionSession : ISampleSink
{
    private readonly SubscriptionServer server;
    private readonly SubscriptionLimits limits;
    private readonly List<Subscription> subscriptions = [];
    private readonly PendingPublish[] publishQueue;
    private readonly Queue<(uint SubscriptionId, NotificationMessage Message)> statusChanges = new();
    private int publishHead;
    private int publishCount;

    internal SubscriptionSession(SubscriptionServer server, string userIdentity, long startTick)
    {
        this.server = server;
        limits = server.Limits;
        UserIdentity = userIdentity;
        publishQueue = new PendingPublish[limits.PublishRequestsPerSessionMax];
        Wheel = new SamplingWheel(startTick);
    }

    /// <summary>Who owns the session: TransferSubscriptions moves subscriptions only between sessions of the same identity.</summary>
    public string UserIdentity { get; }

    public bool IsClosed { get; private set; }

    public int SubscriptionCount => subscriptions.Count;

    public int QueuedPublishRequests => publishCount;

    internal SamplingWheel Wheel { get; }

    internal IReadOnlyList<Subscription> Subscriptions => subscriptions;

    public CreateSubscriptionResponse CreateSubscription(CreateSubscriptionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new CreateSubscriptionResponse { ResponseHeader = Header(request.RequestHeader) };
        if (subscriptions.Count >= limits.SubscriptionsPerSessionMax)
        {
            return Fault(response, StatusCodes.BadTooManySubscriptions);
        }

        var subscription = server.NewSubscription(this);
        subscription.Configure(request.RequestedPublishingInterval, request.RequestedLifetimeCount, request.RequestedMaxKeepAliveCount, request.MaxNotificationsPerPublish, request.Priority);
        subscription.PublishingEnabled = request.PublishingEnabled;
        subscriptions.Add(subscription);
        response.SubscriptionId = subscription.Id;
        response.RevisedPublishingInterval = subscription.PublishingIntervalMs;
        response.RevisedLifetimeCount = subscription.LifetimeCount;
        response.RevisedMaxKeepAliveCount = subscription.MaxKeepAliveCount;
        return response;
    }

    public ModifySubscriptionResponse ModifySubscription(ModifySubscriptionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new ModifySubscriptionResponse { ResponseHeader = Header(request.RequestHeader) };
        if (Find(request.SubscriptionId) is not { } subscription)
        {
            return Fault(response, StatusCodes.BadSubscriptionIdInvalid);
        }

        subscription.Configure(request.RequestedPublishingInterval, request.RequestedLifetimeCount, request.RequestedMaxKeepAliveCount, request.MaxNotificationsPerPublish, request.Priority);
        response.RevisedPublishingInterval = subscription.PublishingIntervalMs;
        response.RevisedLifetimeCount = subscription.LifetimeCount;
        response.RevisedMaxKeepAliveCount = subscription.MaxKeepAliveCount;
        return response;
    }

    public SetPublishingModeResponse SetPublishingMode(SetPublishingModeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new SetPublishingModeResponse { ResponseHeader = Header(request.RequestHeader) };
        if (CheckOperations(request.SubscriptionIds?.Length ?? 0) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        response.Results = PerSubscription(request.SubscriptionIds!, subscription =>
        {
            subscription.PublishingEnabled = request.PublishingEnabled;
            return StatusCodes.Good;
        });
        response.DiagnosticInfos = [];
        return response;
    }

    public DeleteSubscriptionsResponse DeleteSubscriptions(DeleteSubscriptionsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new DeleteSubscriptionsResponse { ResponseHeader = Header(request.RequestHeader) };
        if (CheckOperations(request.SubscriptionIds?.Length ?? 0) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        response.Results = PerSubscription(request.SubscriptionIds!, subscription =>
        {
            Remove(subscription);
            return StatusCodes.Good;
        });
        response.DiagnosticInfos = [];
        AnswerQueuedWithoutSubscriptions();
        return response;
    }

    /// <summary>
    /// Moves subscriptions of another session of the same user here (Part 4 §5.13.7), as a
    /// client does on reconnecting with a new session; an id the server does not know (after a
    /// restart) is BadSubscriptionIdInvalid, and the client then creates its subscriptions again.
    /// </summary>
    public TransferSubscriptionsResponse TransferSubscriptions(TransferSubscriptionsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new TransferSubscriptionsResponse { ResponseHeader = Header(request.RequestHeader) };
        if (CheckOperations(request.SubscriptionIds?.Length ?? 0) is { IsBad: true } bad)
        {
            return Fault(response, bad);
        }

        response.Results = Each(request.SubscriptionIds!, id => Transfer(id, request.SendInitialValues));
        response.DiagnosticInfos = [];
        return response;
    }

    public RepublishResponse Republish(RepublishRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new RepublishResponse { ResponseHeader = Header(request.RequestHeader) };
        if (Find(request.SubscriptionId) is not { } subscription)
        {
            return Fault(response, StatusCodes.BadSubscriptionIdInvalid);
        }

        if (subscription.Republish(request.RetransmitSequenceNumber) is not { } message)
        {
            return Fault(response, StatusCodes.BadMessageNotAvailable);
        }

        response.NotificationMessage = message;
        return response;
    }

    /// <summary>
    /// Queues a Publish request, after taking its acknowledgements, and answers it at once if a
    /// subscription is late. A full queue answers its oldest request BadTooManyPublishRequests;
    /// a session without subscriptions answers BadNoSubscription. Never blocks.
    /// </summary>
    public void Publish(PublishRequest request, IPublishCallback callback)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(callback);
        if (IsClosed)
        {
            callback.Fail(StatusCodes.BadSessionClosed);
            return;
        }

        var acknowledgements = Acknowledge(request.SubscriptionAcknowledgements);
        if (subscriptions.Count == 0 && statusChanges.Count == 0)
        {
            callback.Fail(StatusCodes.BadNoSubscription);
            return;
        }

        if (publishCount == publishQueue.Length)
        {
            DequeuePublish().Callback.Fail(StatusCodes.BadTooManyPublishRequests);
        }

        var timeoutHintMs = request.RequestHeader.TimeoutHint;
        var deadlineNs = timeoutHintMs == 0 ? long.MaxValue : server.NowNs + (timeoutHintMs * 1_000_000L);
        publishQueue[(publishHead + publishCount) % publishQueue.Length] = new PendingPublish(request, callback, acknowledgements, deadlineNs);
        publishCount++;
        foreach (var subscription in subscriptions)
        {
            subscription.ResetLifetime();
        }

        ServeLate(server.NowUaTicks);
    }

    /// <summary>
    /// Ends the session: queued Publish requests are answered BadSessionClosed; its subscriptions
    /// are deleted, or (<paramref name="deleteSubscriptions"/> false) left to run out their
    /// lifetime, so a client can transfer them to a new session.
    /// </summary>
    public void Close(bool deleteSubscriptions)
    {
        if (IsClosed)
        {
            return;
        }

        IsClosed = true;
        while (publishCount > 0)
        {
            DequeuePublish().Callback.Fail(StatusCodes.BadSessionClosed);
        }

        if (deleteSubscriptions)
        {
            for (var i = subscriptions.Count - 1; i >= 0; i--)
            {
                Remove(subscriptions[i]);
            }
        }

        statusChanges.Clear();
        server.SessionClosed(this);
    }

    /// <summary>One engine tick: timed-out requests, publishing cycles, expired subscriptions, then late ones served.</summary>
    internal void OnTick(long tick, long elapsedTicks, long nowNs, long uaTicks)
    {
        TimeOutPublishRequests(nowNs);
        var requestQueued = publishCount > 0;
        for (var i = subscriptions.Count - 1; i >= 0; i--)
        {
            var subscription = subscriptions[i];
            subscription.OnTick(tick, elapsedTicks, requestQueued);
            if (subscription.IsExpired)
            {
                Remove(subscription);
                if (!IsClosed)
                {
                    statusChanges.Enqueue((subscription.Id, subscription.TakeStatusChange(StatusCodes.BadTimeout, uaTicks)));
                }
            }
        }

        ServeLate(uaTicks);
    }

    void ISampleSink.OnSample(MonitoredItem item, long serverUaTicks)
    {
        var subscription = item.Subscription;
        if (item.Sample(serverUaTicks, subscription.QueuedCount >= limits.NotificationsPerSubscriptionMax))
        {
            subscription.QueuedCount++;
        }

        if (item.QueuedCount > 0 && item.Mode == MonitoringMode.Reporting && !item.InReady)
        {
            subscription.MarkReady(item);
        }
    }

    /// <summary>
    /// Answers queued requests, oldest first: a closed subscription's status change first, then
    /// the late subscription of highest priority, the longest late among equals.
    /// </summary>
    private void ServeLate(long uaTicks)
    {
        while (publishCount > 0)
        {
            if (statusChanges.TryDequeue(out var closed))
            {
                Complete(DequeuePublish(), closed.SubscriptionId, closed.Message, [], more: false, uaTicks);
                continue;
            }

            if (MostLate() is not { } subscription)
            {
                break;
            }

            var message = subscription.TakeMessage(uaTicks, out var more);
            Complete(DequeuePublish(), subscription.Id, message, subscription.AvailableSequenceNumbers(), more, uaTicks);
        }

        AnswerQueuedWithoutSubscriptions();
    }

    private Subscription? MostLate()
    {
        Subscription? best = null;
        foreach (var subscription in subscriptions)
        {
            if (subscription.IsLate && (best is null || subscription.Priority > best.Priority ||
                (subscription.Priority == best.Priority && subscription.LateSinceTick < best.LateSinceTick)))
            {
                best = subscription;
            }
        }

        return best;
    }

    private static void Complete(in PendingPublish pending, uint subscriptionId, NotificationMessage message, uint[] available, bool more, long uaTicks)
    {
        var response = new PublishResponse
        {
            ResponseHeader = new ResponseHeader { Timestamp = uaTicks, RequestHandle = pending.Request.RequestHeader.RequestHandle },
            SubscriptionId = subscriptionId,
            AvailableSequenceNumbers = available,
            MoreNotifications = more,
            NotificationMessage = message,
            Results = pending.AcknowledgementResults,
            DiagnosticInfos = [],
        };
        pending.Callback.Complete(response);
    }

    private StatusCode[] Acknowledge(SubscriptionAcknowledgement[]? acknowledgements)
    {
        if (acknowledgements is null || acknowledgements.Length == 0)
        {
            return [];
        }

        return Each(acknowledgements, acknowledgement => Find(acknowledgement.SubscriptionId) is { } subscription
            ? subscription.Acknowledge(acknowledgement.SequenceNumber)
            : StatusCodes.BadSubscriptionIdInvalid);
    }

    private void TimeOutPublishRequests(long nowNs)
    {
        // Requests are answered oldest first, so a timed-out one behind a live one waits its turn.
        while (publishCount > 0 && publishQueue[publishHead].DeadlineNs <= nowNs)
        {
            DequeuePublish().Callback.Fail(StatusCodes.BadTimeout);
        }
    }

    private void AnswerQueuedWithoutSubscriptions()
    {
        while (publishCount > 0 && subscriptions.Count == 0 && statusChanges.Count == 0)
        {
            DequeuePublish().Callback.Fail(StatusCodes.BadNoSubscription);
        }
    }

    private PendingPublish DequeuePublish()
    {
        Debug.Assert(publishCount > 0, "dequeue from an empty publish queue");
        var pending = publishQueue[publishHead];
        publishQueue[publishHead] = default;
        publishHead = (publishHead + 1) % publishQueue.Length;
        publishCount--;
        return pending;
    }

    private TransferResult Transfer(uint subscriptionId, bool sendInitialValues)
    {
        if (server.FindSubscription(subscriptionId) is not { } subscription)
        {
            return new TransferResult { StatusCode = StatusCodes.BadSubscriptionIdInvalid, AvailableSequenceNumbers = [] };
        }

        if (subscription.Session.UserIdentity != UserIdentity)
        {
            return new TransferResult { StatusCode = StatusCodes.BadUserAccessDenied, AvailableSequenceNumbers = [] };
        }

        if (subscription.Session != this)
        {
            if (subscriptions.Count >= limits.SubscriptionsPerSessionMax)
            {
                return new TransferResult { StatusCode = StatusCodes.BadTooManySubscriptions, AvailableSequenceNumbers = [] };
            }

            subscription.Session.GiveAway(subscription, server.NowUaTicks);
            Adopt(subscription);
        }

        if (sendInitialValues)
        {
            subscription.ResendLastValues();
        }

        return new TransferResult { StatusCode = StatusCodes.Good, AvailableSequenceNumbers = subscription.AvailableSequenceNumbers() };
    }

    /// <summary>The old session's side of a transfer: its items leave its wheel, and it learns why (GoodSubscriptionTransferred).</summary>
    private void GiveAway(Subscription subscription, long uaTicks)
    {
        foreach (var item in subscription.Items.Values)
        {
            Wheel.Cancel(item);
        }

        subscriptions.Remove(subscription);
        if (!IsClosed)
        {
            statusChanges.Enqueue((subscription.Id, subscription.TakeStatusChange(StatusCodes.GoodSubscriptionTransferred, uaTicks)));
            ServeLate(uaTicks);
        }

        server.SessionMaybeDone(this);
    }

    private void Adopt(Subscription subscription)
    {
        subscription.Session = this;
        subscription.ResetLifetime();
        subscriptions.Add(subscription);
        foreach (var item in subscription.Items.Values)
        {
            if (item.Mode != MonitoringMode.Disabled)
            {
                Wheel.Schedule(item, server.CurrentTick + 1);
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        foreach (var item in subscription.Items.Values)
        {
            Wheel.Cancel(item);
            item.Delete();
        }

        subscriptions.Remove(subscription);
        server.ForgetSubscription(subscription);
    }

    private Subscription? Find(uint subscriptionId)
    {
        foreach (var subscription in subscriptions)
        {
            if (subscription.Id == subscriptionId)
            {
                return subscription;
            }
        }

        return null;
    }

    private StatusCode[] PerSubscription(uint[] subscriptionIds, Func<Subscription, StatusCode> operation) =>
        Each(subscriptionIds, id => Find(id) is { } subscription ? operation(subscription) : StatusCodes.BadSubscriptionIdInvalid);

    /// <summary>One result per operation of a request, in its order: how every per-item service answers (control plane).</summary>
    private static TResult[] Each<TOperation, TResult>(TOperation[] operations, Func<TOperation, TResult> answer)
    {
        var results = new TResult[operations.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = answer(operations[i]);
        }

        return results;
    }

    private StatusCode CheckOperations(int count) =>
        count == 0 ? StatusCodes.BadNothingToDo : count > limits.OperationsPerRequestMax ? StatusCodes.BadTooManyOperations : StatusCodes.Good;

    private ResponseHeader Header(RequestHeader request) => new() { Timestamp = server.NowUaTicks, RequestHandle = request.RequestHandle };

    private static T Fault<T>(T response, StatusCode status)
        where T : IServiceResponse
    {
        response.ResponseHeader.ServiceResult = status;
        return response;
    }

    /// <summary>A queued Publish request: what answers it and the results of the acknowledgements it carried.</summary>
    private readonly record struct PendingPublish(PublishRequest Request, IPublishCallback Callback, StatusCode[] AcknowledgementResults, long DeadlineNs);
}
