using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server.Subscriptions;
using static Neokernel.Gateway.Tests.Subscriptions.SubscriptionHarness;

namespace Neokernel.Gateway.Tests.Subscriptions;

public sealed class MonitoredItemTests
{
    /// <summary>InfoType DataValue with the Overflow bit (Part 4 §7.39.1).</summary>
    private const uint Overflow = 0x0480;

    [Fact]
    public void CreateMonitoredItems_RevisesSamplingIntervalAndQueueSize()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 100).SubscriptionId;

        var results = new[] { -1.0, 0, 15, 1e12 }.Select((ms, i) => harness.Monitor(session, id, 1, samplingMs: ms, queueSize: (uint)(i * 500), first: i + 1)[0]).ToArray();

        Assert.Equal([100.0, 10, 20, 3_600_000], results.Select(r => r.RevisedSamplingInterval));
        Assert.Equal([1u, 100, 100, 100], results.Select(r => r.RevisedQueueSize));
        Assert.All(results, r => Assert.Equal(StatusCodes.Good, r.StatusCode.Code));
        Assert.Equal(4, results.Select(r => r.MonitoredItemId).Distinct().Count());
    }

    [Fact]
    public void CreateMonitoredItems_PerItemStatusCodes()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        harness.Sampler.Ensure(1);
        MonitoredItemCreateRequest Item(int node, uint attribute = 13, MonitoringMode mode = MonitoringMode.Reporting, ExtensionObject filter = default) => new()
        {
            ItemToMonitor = new ReadValueId { NodeId = Node(node), AttributeId = attribute },
            MonitoringMode = mode,
            RequestedParameters = new MonitoringParameters { QueueSize = 1, Filter = filter },
        };

        var response = session.CreateMonitoredItems(new CreateMonitoredItemsRequest
        {
            SubscriptionId = id,
            ItemsToCreate =
            [
                Item(77),
                Item(1, attribute: 99),
                Item(1, mode: (MonitoringMode)7),
                Item(1, attribute: 4, filter: Filter(DataChangeTrigger.StatusValue)),
                Item(1, filter: Filter(DataChangeTrigger.StatusValue, deadbandType: 2, deadband: 10)),
                Item(1, filter: Filter(DataChangeTrigger.StatusValue, deadbandType: 1, deadband: -1)),
                Item(1, filter: Filter(DataChangeTrigger.StatusValue, deadbandType: 9)),
                Item(1, filter: Filter((DataChangeTrigger)5)),
                Item(1, filter: ExtensionObject.FromBytes(new NodeId(727), [1, 2, 3])),
                Item(1, filter: ExtensionObject.FromBytes(new NodeId(DataChangeFilter.EncodingId), [1, 2])),
                Item(1, filter: Filter(DataChangeTrigger.StatusValue, deadbandType: 1, deadband: 0.5)),
            ],
        });

        Assert.Equal(
            [
                StatusCodes.BadNodeIdUnknown, StatusCodes.BadAttributeIdInvalid, StatusCodes.BadMonitoringModeInvalid,
                StatusCodes.BadFilterNotAllowed, StatusCodes.BadMonitoredItemFilterUnsupported, StatusCodes.BadDeadbandFilterInvalid,
                StatusCodes.BadDeadbandFilterInvalid, StatusCodes.BadMonitoredItemFilterInvalid, StatusCodes.BadMonitoredItemFilterUnsupported,
                StatusCodes.BadMonitoredItemFilterInvalid, StatusCodes.Good,
            ],
            response.Results!.Select(r => r.StatusCode.Code));
        Assert.Equal(1, harness.Server.MonitoredItemCount);
    }

    [Fact]
    public void CreateMonitoredItems_ServiceLevelFaults()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        var one = new MonitoredItemCreateRequest { ItemToMonitor = new ReadValueId { NodeId = Node(1), AttributeId = 13 } };

        var unknown = session.CreateMonitoredItems(new CreateMonitoredItemsRequest { SubscriptionId = id + 1, ItemsToCreate = [one] });
        var timestamps = session.CreateMonitoredItems(new CreateMonitoredItemsRequest { SubscriptionId = id, TimestampsToReturn = TimestampsToReturn.Invalid, ItemsToCreate = [one] });
        var empty = session.CreateMonitoredItems(new CreateMonitoredItemsRequest { SubscriptionId = id, ItemsToCreate = [] });

        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, unknown.ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTimestampsToReturnInvalid, timestamps.ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadNothingToDo, empty.ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void CreateMonitoredItems_BeyondSubscriptionAndServerLimits_BadTooManyMonitoredItems()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { MonitoredItemsPerSubscriptionMax = 3, MonitoredItemsPerServerMax = 5 });
        var session = harness.Open();
        var first = Subscribe(session).SubscriptionId;
        var second = Subscribe(session).SubscriptionId;

        var inFirst = harness.Monitor(session, first, 4);
        var inSecond = harness.Monitor(session, second, 3, first: 10);

        Assert.Equal([StatusCodes.Good, StatusCodes.Good, StatusCodes.Good, StatusCodes.BadTooManyMonitoredItems], inFirst.Select(r => r.StatusCode.Code));
        Assert.Equal([StatusCodes.Good, StatusCodes.Good, StatusCodes.BadTooManyMonitoredItems], inSecond.Select(r => r.StatusCode.Code));
        Assert.Equal(5, harness.Server.MonitoredItemCount);
    }

    [Theory]
    [InlineData(1u, true, new[] { 21.0 }, 0)]
    [InlineData(10u, true, new[] { 12.0, 13, 14, 15, 16, 17, 18, 19, 20, 21 }, 0)]
    [InlineData(10u, false, new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9, 21 }, 9)]
    public void Queue_Overflow_DiscardsByPolicyAndSetsOverflowBit(uint queueSize, bool discardOldest, double[] expected, int overflowAt)
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 200).SubscriptionId;
        harness.Sampler.Ensure(1).Counting = true;
        harness.Monitor(session, id, 1, samplingMs: 0, queueSize: queueSize, discardOldest: discardOldest);
        var publish = Publish(session);

        harness.Run(200 * Ms);

        var changes = Changes(publish.Response!);
        Assert.Equal(expected, changes.Select(c => c.Value.Value.AsDouble()));
        for (var i = 0; i < changes.Length; i++)
        {
            var flagged = queueSize > 1 && i == overflowAt;
            Assert.Equal(flagged ? Overflow : 0u, changes[i].Value.Status.Code & Overflow);
        }
    }

    [Fact]
    public void SubscriptionQueueLimit_ItemsThenKeepOnlyTheirNewestWithOverflow()
    {
        var harness = new SubscriptionHarness(new SubscriptionLimits { NotificationsPerSubscriptionMax = 5 });
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 200).SubscriptionId;
        for (var i = 1; i <= 3; i++)
        {
            harness.Sampler.Ensure(i).Counting = true;
        }

        harness.Monitor(session, id, 3, samplingMs: 10, queueSize: 10);
        var publish = Publish(session);

        harness.Run(200 * Ms);

        var changes = Changes(publish.Response!);
        Assert.Equal(5, changes.Length);
        Assert.All(Enumerable.Range(1, 3), handle => Assert.Equal(21, changes.Where(c => c.ClientHandle == handle).Max(c => c.Value.Value.AsDouble())));
        Assert.Contains(changes, c => (c.Value.Status.Code & Overflow) == Overflow);
    }

    [Fact]
    public void AbsoluteDeadband_ReportsOnlyChangesBeyondIt()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 100).SubscriptionId;
        harness.Monitor(session, id, 1, samplingMs: 10, queueSize: 10, filter: Filter(DataChangeTrigger.StatusValue, deadbandType: 1, deadband: 5));
        var publish = Publish(session);

        foreach (var value in new[] { 3.0, 6, 7, 12, 7.5 })
        {
            harness.Sampler.Set(1, value);
            harness.Run(10 * Ms);
        }

        harness.Run(50 * Ms);
        Assert.Equal([0.0, 6, 12], Changes(publish.Response!).Select(c => c.Value.Value.AsDouble()));
    }

    [Theory]
    [InlineData(DataChangeTrigger.Status, 2)]
    [InlineData(DataChangeTrigger.StatusValue, 3)]
    [InlineData(DataChangeTrigger.StatusValueTimestamp, 4)]
    public void Trigger_DecidesWhatCountsAsAChange(DataChangeTrigger trigger, int expected)
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 100).SubscriptionId;
        harness.Monitor(session, id, 1, samplingMs: 10, queueSize: 10, filter: Filter(trigger));
        var publish = Publish(session);

        harness.Sampler.Set(1, 0, sourceTimestamp: 5);
        harness.Run(10 * Ms);
        harness.Sampler.Set(1, 1, sourceTimestamp: 5);
        harness.Run(10 * Ms);
        harness.Sampler.Set(1, 1, sourceTimestamp: 5, status: 0x4000_0000);
        harness.Run(80 * Ms);

        Assert.Equal(expected, Changes(publish.Response!).Length);
    }

    [Theory]
    [InlineData(TimestampsToReturn.Both, true, true)]
    [InlineData(TimestampsToReturn.Source, true, false)]
    [InlineData(TimestampsToReturn.Server, false, true)]
    [InlineData(TimestampsToReturn.Neither, false, false)]
    public void TimestampsToReturn_StripsTheOthers(TimestampsToReturn timestamps, bool source, bool server)
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        harness.Run(30 * Ms);
        harness.Monitor(session, id, 1, timestamps: timestamps);
        var publish = Publish(session);

        harness.Run(100 * Ms);

        var value = Changes(publish.Response!).Single().Value;
        Assert.Equal(source ? 1 : 0, value.SourceTimestamp);
        Assert.Equal(server ? UaTicksAtZero + (30 * Ms / 100) : 0, value.ServerTimestamp);
        Assert.Equal(UaTicksAtZero + (100 * Ms / 100), publish.Response!.NotificationMessage.PublishTime);
    }

    [Fact]
    public void SetMonitoringMode_SamplingQueuesSilently_ReportingReports_DisabledStops()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session, intervalMs: 100, keepAlive: 100).SubscriptionId;
        var item = harness.Monitor(session, id, 1, samplingMs: 10, queueSize: 10, mode: MonitoringMode.Sampling)[0].MonitoredItemId;
        var source = harness.Sampler.Ensure(1);
        Publish(session);
        harness.Run(100 * Ms);
        harness.Sampler.Set(1, 5);
        var silent = Publish(session);
        harness.Run(100 * Ms);

        var response = session.SetMonitoringMode(new SetMonitoringModeRequest { SubscriptionId = id, MonitoringMode = MonitoringMode.Reporting, MonitoredItemIds = [item, 999] });
        harness.Run(100 * Ms);
        Assert.Equal([StatusCodes.Good, StatusCodes.BadMonitoredItemIdInvalid], response.Results!.Select(r => r.Code));
        Assert.Equal([0.0, 5], Changes(silent.Response!).Select(c => c.Value.Value.AsDouble()));

        session.SetMonitoringMode(new SetMonitoringModeRequest { SubscriptionId = id, MonitoringMode = MonitoringMode.Disabled, MonitoredItemIds = [item] });
        var samples = source.Samples;
        harness.Run(500 * Ms);
        Assert.Equal(samples, source.Samples);
    }

    [Fact]
    public void ModifyMonitoredItems_RevisesAndRejectsUnknownIds()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        var item = harness.Monitor(session, id, 1)[0].MonitoredItemId;

        var response = session.ModifyMonitoredItems(new ModifyMonitoredItemsRequest
        {
            SubscriptionId = id,
            ItemsToModify =
            [
                new MonitoredItemModifyRequest { MonitoredItemId = item, RequestedParameters = new MonitoringParameters { SamplingInterval = 250, QueueSize = 5 } },
                new MonitoredItemModifyRequest { MonitoredItemId = item + 50 },
                new MonitoredItemModifyRequest { MonitoredItemId = item, RequestedParameters = new MonitoringParameters { Filter = Filter(DataChangeTrigger.Status, deadbandType: 2) } },
            ],
        });

        Assert.Equal(250, response.Results![0].RevisedSamplingInterval);
        Assert.Equal(5u, response.Results[0].RevisedQueueSize);
        Assert.Equal(StatusCodes.BadMonitoredItemIdInvalid, response.Results[1].StatusCode.Code);
        Assert.Equal(StatusCodes.BadMonitoredItemFilterUnsupported, response.Results[2].StatusCode.Code);
    }

    [Fact]
    public void SetTriggering_AnswersEachLinkBadNotSupported()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        var items = harness.Monitor(session, id, 2).Select(r => r.MonitoredItemId).ToArray();

        var response = session.SetTriggering(new SetTriggeringRequest { SubscriptionId = id, TriggeringItemId = items[0], LinksToAdd = [items[1], 999], LinksToRemove = [items[1]] });
        var unknown = session.SetTriggering(new SetTriggeringRequest { SubscriptionId = id, TriggeringItemId = 999, LinksToAdd = [items[1]] });

        Assert.Equal([StatusCodes.BadNotSupported, StatusCodes.BadMonitoredItemIdInvalid], response.AddResults!.Select(r => r.Code));
        Assert.Equal([StatusCodes.BadNotSupported], response.RemoveResults!.Select(r => r.Code));
        Assert.Equal(StatusCodes.BadMonitoredItemIdInvalid, unknown.ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void DeleteMonitoredItems_PerIdAndStopsSampling()
    {
        var harness = new SubscriptionHarness();
        var session = harness.Open();
        var id = Subscribe(session).SubscriptionId;
        var item = harness.Monitor(session, id, 1, samplingMs: 10)[0].MonitoredItemId;

        var response = session.DeleteMonitoredItems(new DeleteMonitoredItemsRequest { SubscriptionId = id, MonitoredItemIds = [item, item] });
        var samples = harness.Sampler.Ensure(1).Samples;
        harness.Run(200 * Ms);

        Assert.Equal([StatusCodes.Good, StatusCodes.BadMonitoredItemIdInvalid], response.Results!.Select(r => r.Code));
        Assert.Equal(samples, harness.Sampler.Ensure(1).Samples);
        Assert.Equal(0, harness.Server.MonitoredItemCount);
    }
}
