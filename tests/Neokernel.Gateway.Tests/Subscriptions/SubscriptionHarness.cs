using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server.Subscriptions;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Gateway.Tests.Subscriptions;

/// <summary>A subscription engine on the simulation's virtual time, over a sampler of settable values.</summary>
internal sealed class SubscriptionHarness
{
    public const long Ms = 1_000_000;
    public const ushort Namespace = 2;

    /// <summary>2026-01-01 as UA ticks: what the clock's 0 reads as on the wire.</summary>
    public static readonly long UaTicksAtZero = UaDateTime.FromDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    public SubscriptionHarness(SubscriptionLimits? limits = null, ulong seed = 11)
    {
        Platform = new SimulationPlatform(seed, new NoDevices());
        Server = new SubscriptionServer(new PlatformSubscriptionLoop(Platform, UaTicksAtZero), Sampler, limits ?? new SubscriptionLimits());
    }

    public SimulationPlatform Platform { get; }

    public FakeSampler Sampler { get; } = new();

    public SubscriptionServer Server { get; }

    public static NodeId Node(int index) => new((uint)index, Namespace);

    public void Run(long ns) => Platform.RunUntil(Platform.NowNs + ns);

    public SubscriptionSession Open(string user = "anonymous") => Server.OpenSession(user);

    public static CreateSubscriptionResponse Subscribe(SubscriptionSession session, double intervalMs = 100, uint keepAlive = 10, uint lifetime = 30, uint maxPerPublish = 0, bool enabled = true, byte priority = 0) =>
        session.CreateSubscription(new CreateSubscriptionRequest
        {
            RequestedPublishingInterval = intervalMs,
            RequestedMaxKeepAliveCount = keepAlive,
            RequestedLifetimeCount = lifetime,
            MaxNotificationsPerPublish = maxPerPublish,
            PublishingEnabled = enabled,
            Priority = priority,
        });

    /// <summary>Monitors the Value of nodes <paramref name="first"/> .. first+count-1, client handle = node index.</summary>
    public MonitoredItemCreateResult[] Monitor(SubscriptionSession session, uint subscriptionId, int count, double samplingMs = 100, uint queueSize = 1, bool discardOldest = true, ExtensionObject filter = default, int first = 1, MonitoringMode mode = MonitoringMode.Reporting, TimestampsToReturn timestamps = TimestampsToReturn.Both, uint attributeId = 13)
    {
        var items = new MonitoredItemCreateRequest[count];
        for (var i = 0; i < count; i++)
        {
            Sampler.Ensure(first + i);
            items[i] = new MonitoredItemCreateRequest
            {
                ItemToMonitor = new ReadValueId { NodeId = Node(first + i), AttributeId = attributeId },
                MonitoringMode = mode,
                RequestedParameters = new MonitoringParameters { ClientHandle = (uint)(first + i), SamplingInterval = samplingMs, QueueSize = queueSize, DiscardOldest = discardOldest, Filter = filter },
            };
        }

        var response = session.CreateMonitoredItems(new CreateMonitoredItemsRequest { SubscriptionId = subscriptionId, TimestampsToReturn = timestamps, ItemsToCreate = items });
        Assert.Equal(StatusCodes.Good, response.ResponseHeader.ServiceResult.Code);
        return response.Results!;
    }

    public static PublishRecorder Publish(SubscriptionSession session, params SubscriptionAcknowledgement[] acknowledgements)
    {
        var recorder = new PublishRecorder();
        session.Publish(new PublishRequest { SubscriptionAcknowledgements = acknowledgements }, recorder);
        return recorder;
    }

    /// <summary>A Publish request whose answer records the virtual time.</summary>
    public PublishRecorder PublishTimed(SubscriptionSession session, uint timeoutHintMs = 0, params SubscriptionAcknowledgement[] acknowledgements)
    {
        var recorder = new PublishRecorder(Platform);
        session.Publish(new PublishRequest { RequestHeader = new RequestHeader { TimeoutHint = timeoutHintMs }, SubscriptionAcknowledgements = acknowledgements }, recorder);
        return recorder;
    }

    public static ExtensionObject Filter(DataChangeTrigger trigger, uint deadbandType = 0, double deadband = 0) =>
        ExtensionObject.FromEncodeable(new DataChangeFilter { Trigger = trigger, DeadbandType = deadbandType, DeadbandValue = deadband });

    /// <summary>The data changes a publish response carries (none for a keep-alive).</summary>
    public static MonitoredItemNotification[] Changes(PublishResponse response)
    {
        var data = response.NotificationMessage.NotificationData ?? [];
        return data.Select(d => d.Encodeable).OfType<DataChangeNotification>().SelectMany(d => d.MonitoredItems ?? []).ToArray();
    }
}

/// <summary>Values the test sets, per node index; counts samples.</summary>
internal sealed class FakeSampler : IValueSampler
{
    private readonly Dictionary<NodeId, FakeSource> sources = [];

    public int Opened { get; private set; }

    public FakeSource Ensure(int index)
    {
        var node = SubscriptionHarness.Node(index);
        if (!sources.TryGetValue(node, out var source))
        {
            source = new FakeSource { Current = new DataValue(new Variant(0.0), SourceTimestamp: 1) };
            sources.Add(node, source);
        }

        return source;
    }

    public void Set(int index, double value, long sourceTimestamp = 0, uint status = 0) =>
        Ensure(index).Current = new DataValue(new Variant(value), new StatusCode(status), SourceTimestamp: sourceTimestamp == 0 ? 1 : sourceTimestamp);

    public StatusCode Open(NodeId nodeId, uint attributeId, string? indexRange, QualifiedName dataEncoding, out ISampledValue? handle)
    {
        handle = null;
        if (attributeId is 0 or > 27)
        {
            return StatusCodes.BadAttributeIdInvalid;
        }

        if (!sources.TryGetValue(nodeId, out var source))
        {
            return StatusCodes.BadNodeIdUnknown;
        }

        Opened++;
        handle = source;
        return StatusCodes.Good;
    }
}

internal sealed class FakeSource : ISampledValue, IDisposable
{
    /// <summary>How many items that sampled it were deleted.</summary>
    public int Disposed { get; private set; }

    public void Dispose() => Disposed++;

    public DataValue Current { get; set; }

    public long Samples { get; private set; }

    /// <summary>Each sample is a new value (the sample's count), as a signal that changes faster than it is sampled.</summary>
    public bool Counting { get; set; }

    public DataValue Sample()
    {
        Samples++;
        return Counting ? new DataValue(new Variant((double)Samples), SourceTimestamp: Samples) : Current;
    }
}

/// <summary>What a Publish request was answered with.</summary>
internal sealed class PublishRecorder(Neokernel.Kernel.Platform.IClock? clock = null) : IPublishCallback
{
    public PublishResponse? Response { get; private set; }

    /// <summary>When it was answered, on the harness's virtual clock (when given one).</summary>
    public long AnsweredAtNs { get; private set; } = -1;

    public StatusCode? Fault { get; private set; }

    public bool Done => Response is not null || Fault is not null;

    public void Complete(PublishResponse response)
    {
        Assert.False(Done, "a publish request is answered once");
        Response = response;
        AnsweredAtNs = clock?.NowNs ?? -1;
    }

    public void Fail(StatusCode status)
    {
        Assert.False(Done, "a publish request is answered once");
        Fault = status;
        AnsweredAtNs = clock?.NowNs ?? -1;
    }
}
