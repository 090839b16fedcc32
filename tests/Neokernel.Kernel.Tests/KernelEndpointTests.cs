using System.Text;
using Neokernel.Contracts;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// kernel.status and kernel.control under the simulation: a gateway reads the kernel's view page
/// by page and restarts a service; a client whose route lacks the right is denied and traced; a
/// failed service starts again only after it was acknowledged.
/// </summary>
public sealed class KernelEndpointTests
{
    private const long Ms = 1_000_000;

    /// <summary>A client that keeps each reply's bytes, in arrival order.</summary>
    private sealed class Replies : IReplyHandler
    {
        public List<byte[]> All { get; } = [];

        public long Count { get; private set; }

        public bool Keep { get; set; } = true;

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply)
        {
            Count++;
            if (Keep)
            {
                All.Add(reply.ToArray());
            }
        }
    }

    private sealed class Clients
    {
        public EndpointClient? Status { get; set; }

        public EndpointClient? Control { get; set; }

        public Replies StatusReplies { get; } = new();

        public Replies ControlReplies { get; } = new();
    }

    /// <summary>
    /// sensor (cyclic, writes io [level, temperature]), gateway (no timing; reads kernel.status,
    /// may restart through kernel.control), viewer (may only acknowledge).
    /// </summary>
    private static (SystemKernel Kernel, SimulationPlatform Platform, Clients Gateway, Clients Viewer, TestSystem System) Boot(ulong seed = 1)
    {
        var system = new TestSystem();
        system.Add("sensor", "test.sensor").Regions.Add(TestSystem.Writes("io", "level", "temperature"));
        var gateway = system.Add("gateway", "test.gateway", periodUs: 0);
        gateway.Kind = "gateway";
        gateway.Endpoints.Uses.AddRange([KernelEndpoints.Status, KernelEndpoints.Control]);
        system.Add("viewer", "test.viewer", periodUs: 0).Endpoints.Uses.Add(KernelEndpoints.Control);
        system.Route("gateway", KernelEndpoints.Status);
        system.Route("gateway", KernelEndpoints.Control, "restart");
        system.Route("viewer", KernelEndpoints.Control, "acknowledge");
        var gatewayClients = new Clients();
        var viewerClients = new Clients();
        system.Catalog.Program("test.sensor", () =>
        {
            RegionWriter? writer = null;
            return new DelegateService(c => writer = c.OpenRegionWriter("io"), info =>
            {
                writer!.Set(0, info.CycleIndex, Quality.Good, info.ReleaseNs);
                writer.Publish();
            });
        });
        system.Catalog.Program("test.gateway", () => new DelegateService(c =>
        {
            gatewayClients.Status = c.OpenEndpointClient(KernelEndpoints.Status, gatewayClients.StatusReplies);
            gatewayClients.Control = c.OpenEndpointClient(KernelEndpoints.Control, gatewayClients.ControlReplies);
        }));
        system.Catalog.Program("test.viewer", () => new DelegateService(c => viewerClients.Control = c.OpenEndpointClient(KernelEndpoints.Control, viewerClients.ControlReplies)));
        Assert.Empty(system.Validate());
        var (kernel, platform) = system.Boot(seed);
        return (kernel, platform, gatewayClients, viewerClients, system);
    }

    private static byte[] Ask(SimulationPlatform platform, EndpointClient client, Replies replies, ReadOnlySpan<byte> request)
    {
        var before = replies.All.Count;
        Assert.Equal(SendResult.Accepted, client.Call(request, out _));
        platform.RunUntil(platform.NowNs + Ms);
        Assert.Equal(before + 1, replies.All.Count);
        return replies.All[^1];
    }

    private static byte[] Control(SimulationPlatform platform, Clients clients, KernelOperation operation, string service)
    {
        Span<byte> request = stackalloc byte[KernelEndpoints.MaxMessageBytes];
        var length = KernelMessages.EncodeControlRequest(operation, service, request);
        return Ask(platform, clients.Control!, clients.ControlReplies, request[..length]);
    }

    [Fact]
    public void Status_PagedRequests_DescribeServicesRegionsPointsAndTrace()
    {
        var (kernel, platform, gateway, _, _) = Boot();
        platform.RunUntil(100 * Ms);
        Span<byte> request = stackalloc byte[8];

        Assert.True(KernelMessages.TryDecodeSummary(Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeSummaryRequest(request)]), out var summary));
        Assert.Equal((3, 1), (summary.Services, summary.Regions));
        Assert.Equal(Enum.GetValues<TraceEventKind>().Length, summary.TraceKinds);

        var sensorReply = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeIndexedRequest(KernelOperation.Service, 0, request)]);
        Assert.True(KernelMessages.TryDecodeService(sensorReply, out var sensor));
        Assert.Equal("sensor", Encoding.UTF8.GetString(sensor.IdUtf8));
        Assert.Equal(new ServiceFields(ServiceKindCode.Driver, ServiceStateCode.Running, ServiceFlags.HasStatistics, 1, 0, 0), sensor.Fields);
        Assert.True(sensor.LastFaultUtf8.IsEmpty);

        var statistics = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeIndexedRequest(KernelOperation.ServiceStatistics, 0, request)]);
        Assert.True(KernelMessages.TryDecodeStatistics(statistics, out var hasTask, out var task));
        Assert.True(hasTask);
        Assert.Equal(kernel.Service("sensor").Statistics!.Value.Cycles, task.Cycles);
        Assert.True(task.Cycles >= 10);

        var region = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeIndexedRequest(KernelOperation.Region, 0, request)]);
        Assert.True(KernelMessages.TryDecodeRegion(region, out var points, out var name, out var writer));
        Assert.Equal((2, "io", "sensor"), (points, Encoding.UTF8.GetString(name), Encoding.UTF8.GetString(writer)));

        var point = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeRegionPointRequest(0, 1, request)]);
        Assert.True(KernelMessages.TryDecodeRegionPoint(point, out var pointName));
        Assert.Equal("temperature", Encoding.UTF8.GetString(pointName));

        var counters = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeTraceCountersRequest(0, request)]);
        Assert.True(KernelMessages.TryDecodeTraceCounters(counters, out var first, out var count));
        Assert.Equal((0, summary.TraceKinds), (first, count));
        Assert.Equal(1, KernelMessages.TraceCountAt(counters, (int)TraceEventKind.Boot));
    }

    [Fact]
    public void Status_IndexOutOfRangeOrUnknownOperation_IsAnsweredNotCrashed()
    {
        var (_, platform, gateway, _, _) = Boot();
        Span<byte> request = stackalloc byte[8];

        var missing = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeIndexedRequest(KernelOperation.Service, 3, request)]);
        var restartOnStatus = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeControlRequest(KernelOperation.Restart, "sensor", request)]);
        KernelMessages.EncodeIndexedRequest(KernelOperation.Service, 0, request);
        var truncated = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..2]);

        Assert.Equal(KernelReplyStatus.NotFound, KernelMessages.StatusOf(missing));
        Assert.Equal(KernelReplyStatus.UnknownOperation, KernelMessages.StatusOf(restartOnStatus));
        Assert.Equal(KernelReplyStatus.Malformed, KernelMessages.StatusOf(truncated));
    }

    [Fact]
    public void Control_RestartWithTheRight_RestartsTheService()
    {
        var (kernel, platform, gateway, _, _) = Boot();
        platform.RunUntil(50 * Ms);

        var reply = Control(platform, gateway, KernelOperation.Restart, "sensor");
        platform.RunUntil(platform.NowNs + (50 * Ms));

        Assert.Equal(KernelReplyStatus.Ok, KernelMessages.StatusOf(reply));
        var sensor = kernel.Service("sensor");
        Assert.Equal((2, ServiceState.Running, 0), (sensor.Incarnation, sensor.State, sensor.Faults));
        Assert.Equal(KernelReplyStatus.NotFound, KernelMessages.StatusOf(Control(platform, gateway, KernelOperation.Restart, "nobody")));
    }

    [Fact]
    public void Control_CarriedOutOrRefusedByState_IsTracedWithClientServiceAndStatus()
    {
        var (kernel, platform, gateway, viewer, _) = Boot();
        platform.RunUntil(50 * Ms);

        Control(platform, gateway, KernelOperation.Restart, "sensor");
        platform.RunUntil(platform.NowNs + (50 * Ms));
        Control(platform, viewer, KernelOperation.Acknowledge, "sensor");
        Control(platform, gateway, KernelOperation.Restart, "nobody");

        var sensor = kernel.Service("sensor").TraceId;
        var events = kernel.Trace.Events(TraceEventKind.Control).Select(e => (e.Subject, e.Object, (KernelOperation)e.Arg0, (KernelReplyStatus)e.Arg1)).ToList();
        Assert.Equal(
            [
                (kernel.Service("gateway").TraceId, sensor, KernelOperation.Restart, KernelReplyStatus.Ok),
                (kernel.Service("viewer").TraceId, sensor, KernelOperation.Acknowledge, KernelReplyStatus.InvalidState),
            ],
            events);
    }

    [Fact]
    public void Control_WithoutTheRight_IsDeniedAndTraced()
    {
        var (kernel, platform, gateway, viewer, _) = Boot();
        platform.RunUntil(50 * Ms);

        var viewerRestart = Control(platform, viewer, KernelOperation.Restart, "sensor");
        var gatewayStop = Control(platform, gateway, KernelOperation.Stop, "sensor");

        Assert.Equal(KernelReplyStatus.Denied, KernelMessages.StatusOf(viewerRestart));
        Assert.Equal(KernelReplyStatus.Denied, KernelMessages.StatusOf(gatewayStop));
        Assert.Equal(1, kernel.Service("sensor").Incarnation);
        var denials = kernel.Trace.Events(TraceEventKind.CapabilityDeny).Where(e => e.Arg0 == (long)KernelOperation.Restart || e.Arg0 == (long)KernelOperation.Stop).ToList();
        Assert.Equal([kernel.Service("viewer").TraceId, kernel.Service("gateway").TraceId], denials.Select(e => e.Subject));
        Assert.All(denials, e => Assert.Equal(kernel.Trace.Intern(KernelEndpoints.Control), e.Object));
    }

    [Fact]
    public void Control_ServiceWithoutARoute_HoldsNoCapability()
    {
        var (kernel, _, _, _, _) = Boot();
        Assert.DoesNotContain((CapabilityKind.Endpoint, KernelEndpoints.Control), kernel.Service("sensor").GrantedCapabilities);
        Assert.Contains((CapabilityKind.Endpoint, KernelEndpoints.Control), kernel.Service("viewer").GrantedCapabilities);
    }

    [Fact]
    public void Control_FailedService_StartsAgainOnlyAfterItWasAcknowledged()
    {
        var (kernel, platform, gateway, viewer, _) = Boot();
        var sensor = kernel.Service("sensor");
        for (var i = 0; i < 4; i++)
        {
            platform.RunUntil(platform.NowNs + (1_500 * Ms));
            sensor.ReportFault("test");
        }

        Assert.Equal(ServiceState.Failed, sensor.State);
        Assert.Equal(KernelReplyStatus.InvalidState, KernelMessages.StatusOf(Control(platform, gateway, KernelOperation.Restart, "sensor")));
        Assert.Equal(KernelReplyStatus.Ok, KernelMessages.StatusOf(Control(platform, viewer, KernelOperation.Acknowledge, "sensor")));
        Assert.True(sensor.Acknowledged);
        Assert.Equal(KernelReplyStatus.Ok, KernelMessages.StatusOf(Control(platform, gateway, KernelOperation.Restart, "sensor")));
        platform.RunUntil(platform.NowNs + (50 * Ms));

        Assert.Equal(ServiceState.Running, sensor.State);
        Assert.False(sensor.Acknowledged);
        Assert.Equal(KernelReplyStatus.InvalidState, KernelMessages.StatusOf(Control(platform, viewer, KernelOperation.Acknowledge, "sensor")));
    }

    [Fact]
    public void Status_ServingRequests_AllocatesNothing()
    {
        var (_, platform, gateway, _, _) = Boot();
        gateway.StatusReplies.Keep = false;
        var request = new byte[8];
        var index = 0;
        platform.RunUntil(10 * Ms);

        AllocationAssert.NoAllocations(300, iteration =>
        {
            var operation = (index % 3) switch { 0 => KernelOperation.Service, 1 => KernelOperation.ServiceStatistics, _ => KernelOperation.Region };
            var length = KernelMessages.EncodeIndexedRequest(operation, operation == KernelOperation.Region ? 0 : index % 3, request);
            gateway.Status!.Call(request.AsSpan(0, length), out _);
            platform.RunUntil(platform.NowNs + Ms);
            index++;
        });

        Assert.True(gateway.StatusReplies.Count >= 600);
    }

    [Fact]
    public void KernelEndpoints_TwoRunsWithTheSameSeed_HaveTheSameDigest()
    {
        string Run()
        {
            var (kernel, platform, gateway, viewer, _) = Boot(seed: 7);
            platform.RunUntil(30 * Ms);
            Control(platform, gateway, KernelOperation.Restart, "sensor");
            Control(platform, viewer, KernelOperation.Stop, "sensor");
            platform.RunUntil(200 * Ms);
            return kernel.Trace.DigestHex;
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Service_LongLastFault_IsCutToItsBoundAtACharacterBoundary()
    {
        var (kernel, platform, gateway, _, _) = Boot();
        platform.RunUntil(20 * Ms);
        kernel.Service("sensor").ReportFault(string.Concat(Enumerable.Repeat("Überlauf ", 40)));
        Span<byte> request = stackalloc byte[8];

        var reply = Ask(platform, gateway.Status!, gateway.StatusReplies, request[..KernelMessages.EncodeIndexedRequest(KernelOperation.Service, 0, request)]);

        Assert.True(reply.Length <= KernelEndpoints.MaxMessageBytes);
        Assert.True(KernelMessages.TryDecodeService(reply, out var sensor));
        Assert.InRange(sensor.LastFaultUtf8.Length, KernelEndpoints.FaultBytesMax - 1, KernelEndpoints.FaultBytesMax);
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(sensor.LastFaultUtf8);
        Assert.StartsWith("reported: Überlauf Überlauf", text, StringComparison.Ordinal);
        Assert.Equal(ServiceStateCode.Restarting, sensor.Fields.State);
        Assert.Equal(1, sensor.Fields.Faults);
    }

    [Fact]
    public void StateCodes_AreTheKernelsStates()
    {
        Assert.Equal(Enum.GetNames<ServiceState>(), Enum.GetNames<ServiceStateCode>());
        Assert.Equal(Enum.GetValues<ServiceState>().Select(s => (int)s), Enum.GetValues<ServiceStateCode>().Select(s => (int)s));
    }
}
