using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>The shipped fakes: a service meets real regions and endpoints without a kernel.</summary>
public sealed class FakeServiceContextTests
{
    private const long PeriodNs = 10_000_000;

    [Fact]
    public void OpenRegionWriter_ServiceIsWriter_PeerReadsWhatItPublished()
    {
        var context = new FakeServiceContext(periodUs: 10_000);
        context.AddRegion("out", context.ServiceId, "level", "flow");
        var writer = context.OpenRegionWriter("out");
        writer.Set(writer.IndexOf("flow"), 2.5, Quality.Good, 42);
        Assert.True(writer.Publish());

        var reader = context.Objects.OpenRegionReader("out", FakeServiceContext.PeerId);
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        Assert.Equal((2.5, Quality.Good, 42L), (snapshot.Value(1), snapshot.Quality(1), snapshot.TimestampNs(1)));
        Assert.Equal(Quality.Bad, snapshot.Quality(0));
        Assert.Equal(["writer out"], context.Opened);
    }

    [Fact]
    public void OpenRegionWriter_ServiceIsNotWriter_IsDeniedAndTraced()
    {
        var context = new FakeServiceContext();
        context.AddRegion("in", FakeServiceContext.PeerId, "level");
        var denied = Assert.Throws<CapabilityDeniedException>(() => context.OpenRegionWriter("in"));
        Assert.Contains("declared writer 'peer'", denied.Message, StringComparison.Ordinal);
        Assert.Single(context.Objects.Trace.Events(Trace.TraceEventKind.CapabilityDeny));
        Assert.NotNull(context.OpenRegionReader("in"));
    }

    [Fact]
    public void ServeEndpoint_PeerSends_HandlerRunsOnVirtualTime()
    {
        var context = new FakeServiceContext();
        context.AddEndpoint("commands", context.ServiceId, [FakeServiceContext.PeerId]);
        var handler = new Recorder();
        context.ServeEndpoint("commands", handler);
        var client = context.Objects.OpenEndpointClient("commands", FakeServiceContext.PeerId);

        Assert.Equal(SendResult.Accepted, client.Send([1, 2, 3]));
        Assert.Empty(handler.Received);
        context.RunFor(0);
        Assert.Equal([3], handler.Received);
    }

    [Fact]
    public void OpenEndpointClient_PeerReplies_ReplyReachesTheService()
    {
        var context = new FakeServiceContext();
        context.AddEndpoint("status", FakeServiceContext.PeerId, [context.ServiceId]);
        context.Objects.ServeEndpoint("status", FakeServiceContext.PeerId, new Echo());
        var replies = new Recorder();
        var client = context.OpenEndpointClient("status", replies);

        Assert.Equal(SendResult.Accepted, client.Call([9, 9], out var correlation));
        context.RunFor(0);
        Assert.Equal([2], replies.Received);
        Assert.Equal(correlation, replies.LastCorrelation);
    }

    [Fact]
    public void OpenEndpointClient_NotRouted_IsDenied()
    {
        var context = new FakeServiceContext();
        context.AddEndpoint("status", FakeServiceContext.PeerId, ["someone-else"]);
        Assert.Throws<CapabilityDeniedException>(() => context.OpenEndpointClient("status"));
    }

    [Fact]
    public void Teardown_RevokesEverythingHandedOut()
    {
        var context = new FakeServiceContext();
        context.AddRegion("out", context.ServiceId, "level");
        var writer = context.OpenRegionWriter("out");
        context.Teardown();
        Assert.False(writer.Publish());
    }

    [Fact]
    public void RunCycles_CyclicTask_ReleasesOnePeriodApart()
    {
        var context = new FakeServiceContext(periodUs: PeriodNs / 1_000);
        var body = new Cycles();
        context.StartCyclic(body);
        context.RunCycles(3);
        Assert.Equal([PeriodNs, 2 * PeriodNs, 3 * PeriodNs], body.ReleasesNs);
        Assert.Equal(3, context.CyclesCompleted);
        Assert.Equal(3 * PeriodNs, context.Clock.NowNs);
    }

    [Fact]
    public void RunCycles_BodyPublishes_AllocatesNothing()
    {
        var context = new FakeServiceContext(periodUs: 1_000);
        context.AddRegion("out", context.ServiceId, "level");
        var writer = context.OpenRegionWriter("out");
        context.StartCyclic(new Publisher(writer));
        AllocationAssert.NoAllocations(2_000, _ => context.RunCycles(1));
    }

    [Fact]
    public void StartCyclic_NoTiming_IsDenied_TheClockIsStillGranted()
    {
        var context = new FakeServiceContext(periodUs: 0);
        Assert.Throws<CapabilityDeniedException>(() => context.StartCyclic(new Cycles()));
        Assert.Equal(0, context.Clock.NowNs);
    }

    [Fact]
    public void OpenDevice_Mapped_ReadsWhatTheTestSet()
    {
        var devices = new FakeDevices();
        var context = new FakeServiceContext(devices: devices).MapDevice("level", "fake://tank/level", DeviceAccess.Read);
        devices.SetDouble("fake://tank/level", 1.25);
        using var channel = context.OpenDevice("level");
        Span<byte> buffer = stackalloc byte[8];
        Assert.Equal(8, channel.Read(buffer));
        Assert.Equal(1.25, BitConverter.ToDouble(buffer));
        Assert.Throws<InvalidOperationException>(() => channel.Write([1]));
        Assert.Equal([("fake://tank/level", DeviceAccess.Read)], devices.Opened);
    }

    [Fact]
    public void OpenDevice_NotMapped_IsDeniedNamingTheMappedOnes()
    {
        var context = new FakeServiceContext().MapDevice("pump", "fake://pump");
        var denied = Assert.Throws<CapabilityDeniedException>(() => context.OpenDevice("level"));
        Assert.Contains("mapped: pump", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FakeClock_Advance_MovesOnlyForward()
    {
        var clock = new FakeClock(5);
        clock.Advance(10);
        Assert.Equal(15, clock.NowNs);
        clock.AdvanceTo(20);
        Assert.Equal(20, clock.NowNs);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.AdvanceTo(19));
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(-1));
    }

    private sealed class Recorder : IMessageHandler, IReplyHandler
    {
        public List<int> Received { get; } = [];

        public long LastCorrelation { get; private set; }

        public void OnMessage(EndpointServer server, in EndpointMessage message) => Received.Add(message.Payload.Length);

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply)
        {
            Received.Add(reply.Length);
            LastCorrelation = correlation;
        }
    }

    private sealed class Echo : IMessageHandler
    {
        public void OnMessage(EndpointServer server, in EndpointMessage message) => server.Reply(message, message.Payload);
    }

    private sealed class Cycles : ICyclicBody
    {
        public List<long> ReleasesNs { get; } = [];

        public void Execute(in CycleInfo cycle) => ReleasesNs.Add(cycle.ReleaseNs);
    }

    private sealed class Publisher(RegionWriter writer) : ICyclicBody
    {
        public void Execute(in CycleInfo cycle)
        {
            writer.Set(0, cycle.CycleIndex, Quality.Good, cycle.StartNs);
            writer.Publish();
        }
    }
}
