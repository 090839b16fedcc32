using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server.Subscriptions;
using static Neokernel.Gateway.Tests.Subscriptions.SubscriptionHarness;

namespace Neokernel.Gateway.Tests.Subscriptions;

public sealed class PublishTests
{
    [Fact]
    public void KeepAlive_FirstAfterOneInterval_ThenEveryMaxKeepAliveCount()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 100, keepAlive: 3).SubscriptionId;
        var requests = Enumerable.Range(0, 3).Select(_ => harness.PublishTimed(session)).ToArray();

        harness.Run(1000 * Ms);

        Assert.Equal([100 * Ms, 400 * Ms, 700 * Ms], requests.Select(r => r.AnsweredAtNs));
        Assert.All(requests, r =>
        {
            Assert.Equal(id, r.Response!.SubscriptionId);
            Assert.Empty(r.Response.NotificationMessage.NotificationData!);
            Assert.Equal(1u, r.Response.NotificationMessage.SequenceNumber);
            Assert.Empty(r.Response.AvailableSequenceNumbers!);
        });
    }

    [Fact]
    public void Lifetime_ExpiresWithoutPublish_StatusChangeBadTimeoutDelivered()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 100, keepAlive: 1, lifetime: 3).SubscriptionId;

        harness.Run(250 * Ms);
        Assert.Equal(1, session.SubscriptionCount);
        harness.Run(50 * Ms);
        Assert.Equal(0, session.SubscriptionCount);

        var notice = Publish(session);
        var status = notice.Response!.NotificationMessage.NotificationData![0].Encodeable as StatusChangeNotification;
        Assert.Equal(id, notice.Response.SubscriptionId);
        Assert.Equal(StatusCodes.BadTimeout, status!.Status.Code);
        Assert.Equal(StatusCodes.BadNoSubscription, Publish(session).Fault!.Value.Code);
    }

    [Fact]
    public void Lifetime_PublishRequestsKeepItAlive()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        Subscribe(session, intervalMs: 100, keepAlive: 1, lifetime: 3);

        for (var i = 0; i < 20; i++)
        {
            Publish(session);
            harness.Run(100 * Ms);
        }

        Assert.Equal(1, session.SubscriptionCount);
    }

    [Fact]
    public void Acknowledge_ResultsPerAcknowledgement_ThenRepublish()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        harness.Sampler.Ensure(1).Counting = true;
        harness.Monitor(session, id, 1);
        var first = Publish(session);
        harness.Run(100 * Ms);
        var second = Publish(session);
        harness.Run(100 * Ms);

        var third = Publish(session, new() { SubscriptionId = id, SequenceNumber = 1 }, new() { SubscriptionId = id, SequenceNumber = 99 }, new() { SubscriptionId = 999, SequenceNumber = 1 });
        harness.Run(100 * Ms);

        Assert.Equal([1u], first.Response!.AvailableSequenceNumbers!);
        Assert.Equal([1u, 2], second.Response!.AvailableSequenceNumbers!);
        Assert.Equal([StatusCodes.Good, StatusCodes.BadSequenceNumberUnknown, StatusCodes.BadSubscriptionIdInvalid], third.Response!.Results!.Select(r => r.Code));
        Assert.Equal([2u, 3], third.Response.AvailableSequenceNumbers!);
        var again = session.Republish(new RepublishRequest { SubscriptionId = id, RetransmitSequenceNumber = 2 });
        Assert.Same(second.Response.NotificationMessage, again.NotificationMessage);
        Assert.Equal(StatusCodes.BadMessageNotAvailable, session.Republish(new RepublishRequest { SubscriptionId = id, RetransmitSequenceNumber = 1 }).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, session.Republish(new RepublishRequest { SubscriptionId = 999, RetransmitSequenceNumber = 2 }).ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void Retransmission_KeepsOnlyTheNewestMessages()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { RetransmissionMessagesMax = 3 });
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        harness.Sampler.Ensure(1).Counting = true;
        harness.Monitor(session, id, 1);
        PublishRecorder last = null!;
        for (var i = 0; i < 5; i++)
        {
            last = Publish(session);
            harness.Run(100 * Ms);
        }

        Assert.Equal([3u, 4, 5], last.Response!.AvailableSequenceNumbers!);
        Assert.Equal(StatusCodes.BadMessageNotAvailable, session.Republish(new RepublishRequest { SubscriptionId = id, RetransmitSequenceNumber = 2 }).ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void Publish_QueueFull_OldestAnsweredBadTooManyPublishRequests()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { PublishRequestsPerSessionMax = 2 });
        var session = harness.Open();
        Subscribe(session, intervalMs: 1000);

        var requests = Enumerable.Range(0, 3).Select(_ => Publish(session)).ToArray();

        Assert.Equal(StatusCodes.BadTooManyPublishRequests, requests[0].Fault!.Value.Code);
        Assert.False(requests[1].Done);
        Assert.Equal(2, session.QueuedPublishRequests);
    }

    [Fact]
    public void Publish_WithoutSubscription_BadNoSubscription()
    {
        var harness = new SubscriptionHarness();

        Assert.Equal(StatusCodes.BadNoSubscription, Publish(harness.Open()).Fault!.Value.Code);
    }

    [Fact]
    public void Publish_TimeoutHintPassed_BadTimeout()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        Subscribe(session, intervalMs: 1000);
        Publish(session);
        harness.Run(1000 * Ms);

        var request = harness.PublishTimed(session, timeoutHintMs: 50);
        harness.Run(100 * Ms);

        Assert.Equal(StatusCodes.BadTimeout, request.Fault!.Value.Code);
        Assert.Equal(1050 * Ms, request.AnsweredAtNs);
    }

    [Fact]
    public void Publish_FourOutstanding_OneAnsweredPerCycleWithoutGaps()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        harness.Sampler.Ensure(1).Counting = true;
        harness.Monitor(session, id, 1, samplingMs: 10, queueSize: 20);
        var outstanding = new List<PublishRecorder>();
        var answered = new List<PublishRecorder>();

        for (var step = 0; step < 100; step++)
        {
            while (outstanding.Count < 4)
            {
                outstanding.Add(harness.PublishTimed(session));
            }

            harness.Run(10 * Ms);
            answered.AddRange(outstanding.Where(r => r.Done));
            outstanding.RemoveAll(r => r.Done);
            Assert.True(session.QueuedPublishRequests <= 4);
        }

        Assert.Equal(10, answered.Count);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (uint)i), answered.Select(r => r.Response!.NotificationMessage.SequenceNumber));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i * 100 * Ms), answered.Select(r => r.AnsweredAtNs));
        var values = answered.SelectMany(r => Changes(r.Response!)).Select(c => c.Value.Value.AsDouble()).ToArray();
        Assert.Equal(Enumerable.Range(1, values.Length).Select(i => (double)i), values);
    }

    [Fact]
    public void Publish_MaxNotificationsPerPublish_SplitsWithMoreNotifications()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, maxPerPublish: 3).SubscriptionId;
        harness.Monitor(session, id, 7);
        var requests = Enumerable.Range(0, 4).Select(_ => harness.PublishTimed(session)).ToArray();

        harness.Run(100 * Ms);

        Assert.Equal([3, 3, 1], requests.Take(3).Select(r => Changes(r.Response!).Length));
        Assert.Equal([true, true, false], requests.Take(3).Select(r => r.Response!.MoreNotifications));
        Assert.All(requests.Take(3), r => Assert.Equal(100 * Ms, r.AnsweredAtNs));
        Assert.False(requests[3].Done);
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (uint)i), requests.Take(3).SelectMany(r => Changes(r.Response!)).Select(c => c.ClientHandle));
    }

    [Fact]
    public void Publish_LateSubscriptions_ServedByPriorityThenLateness()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var low = Subscribe(session, priority: 1).SubscriptionId;
        var high = Subscribe(session, priority: 200).SubscriptionId;
        harness.Monitor(session, low, 1, first: 1);
        harness.Monitor(session, high, 1, first: 2);
        harness.Run(100 * Ms);

        var first = Publish(session);
        var second = Publish(session);

        Assert.Equal(high, first.Response!.SubscriptionId);
        Assert.Equal(low, second.Response!.SubscriptionId);
        Assert.Equal(2u, Changes(first.Response).Single().ClientHandle);
    }
}
