using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server.Subscriptions;
using static Neokernel.Gateway.Tests.Subscriptions.SubscriptionHarness;

namespace Neokernel.Gateway.Tests.Subscriptions;

public sealed class SubscriptionServiceTests
{
    [Fact]
    public void CreateSubscription_RevisesIntervalAndCounts()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();

        var fast = Subscribe(session, intervalMs: 1, keepAlive: 5, lifetime: 2);
        var odd = Subscribe(session, intervalMs: 123, keepAlive: 0, lifetime: 0);
        var huge = Subscribe(session, intervalMs: double.MaxValue, keepAlive: uint.MaxValue, lifetime: 1);

        Assert.Equal(50, fast.RevisedPublishingInterval);
        Assert.Equal(15u, fast.RevisedLifetimeCount);
        Assert.Equal(5u, fast.RevisedMaxKeepAliveCount);
        Assert.Equal(130, odd.RevisedPublishingInterval, 6);
        Assert.Equal(10u, odd.RevisedMaxKeepAliveCount);
        Assert.Equal(30u, odd.RevisedLifetimeCount);
        Assert.Equal(3_600_000, huge.RevisedPublishingInterval);
        Assert.Equal(10_000u, huge.RevisedMaxKeepAliveCount);
        Assert.Equal(30_000u, huge.RevisedLifetimeCount);
        Assert.NotEqual(fast.SubscriptionId, odd.SubscriptionId);
    }

    [Fact]
    public void CreateSubscription_BeyondLimit_BadTooManySubscriptions()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { SubscriptionsPerSessionMax = 2 });
        var session = harness.Open();
        Subscribe(session);
        Subscribe(session);

        var third = Subscribe(session);

        Assert.Equal(StatusCodes.BadTooManySubscriptions, third.ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.Good, Subscribe(harness.Open()).ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void ModifySubscription_RevisesOrRejectsUnknownId()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;

        var modified = session.ModifySubscription(new ModifySubscriptionRequest { SubscriptionId = id, RequestedPublishingInterval = 500, RequestedMaxKeepAliveCount = 4, RequestedLifetimeCount = 100 });
        var unknown = session.ModifySubscription(new ModifySubscriptionRequest { SubscriptionId = id + 100 });

        Assert.Equal(500, modified.RevisedPublishingInterval);
        Assert.Equal(4u, modified.RevisedMaxKeepAliveCount);
        Assert.Equal(100u, modified.RevisedLifetimeCount);
        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, unknown.ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void SetPublishingMode_PerIdResults_AndDisabledSendsOnlyKeepAlives()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, keepAlive: 2).SubscriptionId;
        harness.Monitor(session, id, 1);

        var response = session.SetPublishingMode(new SetPublishingModeRequest { PublishingEnabled = false, SubscriptionIds = [id, 999] });
        var empty = session.SetPublishingMode(new SetPublishingModeRequest { SubscriptionIds = [] });
        var first = Publish(session);
        harness.Run(100 * Ms);

        Assert.Equal([StatusCodes.Good, StatusCodes.BadSubscriptionIdInvalid], response.Results!.Select(r => r.Code));
        Assert.Equal(StatusCodes.BadNothingToDo, empty.ResponseHeader.ServiceResult.Code);
        Assert.True(first.Done);
        Assert.Empty(Changes(first.Response!));

        session.SetPublishingMode(new SetPublishingModeRequest { PublishingEnabled = true, SubscriptionIds = [id] });
        var second = Publish(session);
        harness.Run(100 * Ms);
        Assert.Single(Changes(second.Response!));
    }

    [Fact]
    public void DeleteSubscriptions_PerId_AndQueuedPublishAnsweredBadNoSubscription()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 1000).SubscriptionId;
        harness.Monitor(session, id, 3);
        var queued = Publish(session);

        var response = session.DeleteSubscriptions(new DeleteSubscriptionsRequest { SubscriptionIds = [id, id] });

        Assert.Equal([StatusCodes.Good, StatusCodes.BadSubscriptionIdInvalid], response.Results!.Select(r => r.Code));
        Assert.Equal(StatusCodes.BadNoSubscription, queued.Fault!.Value.Code);
        Assert.Equal(0, harness.Server.MonitoredItemCount);
        Assert.Equal(StatusCodes.BadNoSubscription, Publish(session).Fault!.Value.Code);
    }

    [Fact]
    public void TransferSubscriptions_SameUserMoves_OtherUserDenied_UnknownInvalid()
    {
        var harness = new SubscriptionHarness();
        var old = harness.Open("alice");
        var id = Subscribe(old).SubscriptionId;
        harness.Monitor(old, id, 2);
        var stranger = harness.Open("mallory");
        var fresh = harness.Open("alice");

        var denied = stranger.TransferSubscriptions(new TransferSubscriptionsRequest { SubscriptionIds = [id] });
        var moved = fresh.TransferSubscriptions(new TransferSubscriptionsRequest { SubscriptionIds = [id, 4242], SendInitialValues = true });

        Assert.Equal(StatusCodes.BadUserAccessDenied, denied.Results![0].StatusCode.Code);
        Assert.Equal(StatusCodes.Good, moved.Results![0].StatusCode.Code);
        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, moved.Results[1].StatusCode.Code);
        Assert.Equal(0, old.SubscriptionCount);
        var toOld = Publish(old);
        var notice = toOld.Response!.NotificationMessage.NotificationData![0].Encodeable as StatusChangeNotification;
        Assert.Equal(StatusCodes.GoodSubscriptionTransferred, notice!.Status.Code);

        var toFresh = Publish(fresh);
        harness.Run(100 * Ms);
        Assert.Equal(id, toFresh.Response!.SubscriptionId);
        Assert.Equal(2, Changes(toFresh.Response).Length);
    }

    /// <summary>
    /// node-opcua's client, reconnecting after the server restarted, opens a new session, asks
    /// TransferSubscriptions for its old ids and, answered BadSubscriptionIdInvalid, creates its
    /// subscriptions and items again: that path must leave a working subscription.
    /// </summary>
    [Fact]
    public void TransferSubscriptions_AfterRestart_ClientRecreatesAndIsServed()
    {
        var restarted = new SubscriptionHarness();
        var session = restarted.Open();

        var transfer = session.TransferSubscriptions(new TransferSubscriptionsRequest { SubscriptionIds = [7], SendInitialValues = true });
        var id = Subscribe(session).SubscriptionId;
        restarted.Monitor(session, id, 5);
        var publish = Publish(session);
        restarted.Run(100 * Ms);

        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, transfer.Results![0].StatusCode.Code);
        Assert.Equal(5, Changes(publish.Response!).Length);
    }

    [Fact]
    public void CloseSession_FailsQueuedPublish_KeepsSubscriptionsForTransfer()
    {
        var harness = new SubscriptionHarness();
        var old = harness.Open();
        var id = Subscribe(old, intervalMs: 1000).SubscriptionId;
        var queued = Publish(old);

        old.Close(deleteSubscriptions: false);
        var moved = harness.Open().TransferSubscriptions(new TransferSubscriptionsRequest { SubscriptionIds = [id] });

        Assert.Equal(StatusCodes.BadSessionClosed, queued.Fault!.Value.Code);
        Assert.Equal(StatusCodes.Good, moved.Results![0].StatusCode.Code);
        Assert.Equal(1, harness.Server.SessionCount);
    }

    [Fact]
    public void Stop_ClosesSessionsDeletesItemsAndReleasesHandles()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        harness.Monitor(session, id, 2);
        var queued = Publish(session);

        harness.Server.Stop();

        Assert.Equal(StatusCodes.BadSessionClosed, queued.Fault!.Value.Code);
        Assert.Equal(0, harness.Server.SessionCount);
        Assert.Equal(0, harness.Server.MonitoredItemCount);
        Assert.Equal(1, harness.Sampler.Ensure(1).Disposed);
        Assert.Equal(StatusCodes.BadSessionClosed, Publish(session).Fault!.Value.Code);
    }

    [Fact]
    public void Services_TooManyOperations_BadTooManyOperations()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { OperationsPerRequestMax = 2 });
        var session = harness.Open();

        var response = session.DeleteSubscriptions(new DeleteSubscriptionsRequest { SubscriptionIds = [1, 2, 3] });

        Assert.Equal(StatusCodes.BadTooManyOperations, response.ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void Limits_Invalid_ThrowNamingTheField()
    {
        var error = Assert.Throws<ArgumentException>(() => new SubscriptionLimits { LifetimeCountMax = 10 }.Validate());

        Assert.Contains(nameof(SubscriptionLimits.LifetimeCountMax), error.Message, StringComparison.Ordinal);
    }
}
