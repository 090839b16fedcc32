using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>
/// Endpoints between two kernels, the way <c>neokernel run</c> and a service host process hold
/// them: the kernel makes the rings (<see cref="SharedMessageQueueProvider"/>), hands the rings a
/// service's capability allows over a Unix socket as fds, and the host's own kernel builds its
/// endpoint on them (<see cref="GrantedMessageQueues"/>). Both kernels run on virtual time here
/// and map the rings separately, as two processes do; the cli tests run the real processes.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SharedEndpointTests
{
    private const int QueueDepth = 4;
    private const int MessageBytes = 16;
    private const long StepNs = 1_000_000;

    [Fact]
    public void Call_FromClientKernel_ArrivesAtProviderKernel_AndTheReplyComesBack()
    {
        using var pair = new KernelPair(remote: ["operator"]);
        var host = pair.StartHost("operator");
        Assert.Equal(SendResult.Accepted, pair.Client!.Call(Payload(42), out var correlation));
        pair.Run(host, 5);

        Assert.Equal([42L], pair.Received);
        Assert.Equal([correlation], pair.Replies);
        Assert.Single(pair.Kernel.Trace.Events(TraceEventKind.IpcDeliver));
        Assert.Equal(1, host.Kernel.Trace.CountOf(TraceEventKind.IpcSend));
        Assert.Equal(1, host.Kernel.Trace.CountOf(TraceEventKind.IpcDeliver));
    }

    [Fact]
    public void Send_ToProviderInHostKernel_Arrives_AfterTheProviderRestarts_QueuedMessagesWait()
    {
        using var pair = new KernelPair(remote: ["controller"]);
        var client = pair.Kernel.Service("operator");
        var first = pair.StartHost("controller");
        Assert.Equal(SendResult.Accepted, pair.Client!.Send(Payload(1)));
        pair.Run(first, 3);
        Assert.Equal([1L], pair.Received);

        // The provider's process dies; what clients send meanwhile waits in its lane, whole.
        first.Kernel.Shutdown();
        Assert.Equal(SendResult.Accepted, pair.Client.Send(Payload(2)));
        Assert.Equal(SendResult.Accepted, pair.Client.Send(Payload(3)));
        var second = pair.StartHost("controller", incarnation: 2);
        pair.Run(second, 3);

        Assert.Equal([1L, 2L, 3L], pair.Received);
        Assert.Equal(ServiceState.Running, client.State);
    }

    [Fact]
    public void FullRing_RefusesWithTheKernelsQueueFull_AndTracesTheReject_ThenDeliversAll()
    {
        using var pair = new KernelPair(remote: ["operator"]);
        var host = pair.StartHost("operator");
        for (var i = 0; i < QueueDepth; i++)
        {
            Assert.Equal(SendResult.Accepted, pair.Client!.Send(Payload(i)));
        }

        Assert.Equal(SendResult.QueueFull, pair.Client!.Send(Payload(99)));
        Assert.Equal((long)EnqueueResult.Full, Assert.Single(host.Kernel.Trace.Events(TraceEventKind.IpcReject)).Arg0);
        pair.Run(host, 3);
        Assert.Equal([0L, 1L, 2L, 3L], pair.Received);
        Assert.Equal(SendResult.Accepted, pair.Client.Send(Payload(4)));
    }

    [Fact]
    public void UnroutedService_IsHandedNoRing_AndItsOpenIsDeniedAndTraced()
    {
        using var pair = new KernelPair(remote: ["operator", "intruder"]);
        Assert.Empty(pair.Queues.RingsFor("cmd", "intruder", Rights.Call));
        Assert.Equal(2, pair.Queues.RingsFor("cmd", "operator", Rights.Call).Count);
        Assert.Equal(2, pair.Queues.RingsFor("cmd", "controller", Rights.Read | Rights.Write).Count);
        Assert.Contains(pair.Kernel.Trace.Events(TraceEventKind.CapabilityGrant), e => pair.Kernel.Trace.NameOf(e.Subject) == "operator" && pair.Kernel.Trace.NameOf(e.Object) == "cmd");
        Assert.DoesNotContain(pair.Kernel.Trace.Events(TraceEventKind.CapabilityGrant), e => pair.Kernel.Trace.NameOf(e.Subject) == "intruder" && pair.Kernel.Trace.NameOf(e.Object) == "cmd");

        var host = pair.StartHost("intruder");
        var denied = Assert.IsType<CapabilityDeniedException>(pair.IntruderDenial);
        Assert.Contains("'cmd'", denied.Message, StringComparison.Ordinal);
        var denial = Assert.Single(host.Kernel.Trace.Events(TraceEventKind.CapabilityDeny), e => host.Kernel.Trace.NameOf(e.Object) == "cmd");
        Assert.Equal("intruder", host.Kernel.Trace.NameOf(denial.Subject));
        pair.Run(host, 3);
        Assert.Empty(pair.Received);
    }

    [Fact]
    public void ClientRestarts_TheReplyToItsDeadIncarnation_IsDroppedAndTraced_NotTakenForTheNewOnesReply()
    {
        using var pair = new KernelPair(remote: ["operator"]);
        var first = pair.StartHost("operator");
        Assert.Equal(SendResult.Accepted, pair.Client!.Call(Payload(1), out _));
        first.Kernel.Shutdown();
        pair.Run(null, 3);

        var second = pair.StartHost("operator", incarnation: 2);
        Assert.Equal(SendResult.Accepted, pair.Client!.Call(Payload(2), out var correlation));
        pair.Run(second, 5);

        Assert.Equal([1L, 2L], pair.Received);
        Assert.Equal([correlation], pair.Replies);
        Assert.Equal(2L << 32, correlation & ~0xFFFF_FFFFL);
        var stale = Assert.Single(second.Kernel.Trace.Events(TraceEventKind.IpcReject));
        Assert.Equal(EndpointClient.RejectStaleReply, stale.Arg0);
    }

    [Fact]
    public void ClientCorruptsItsLane_ProviderKernelClosesThatLane_AndKeepsRunning_TheSenderIsRefused()
    {
        using var pair = new KernelPair(remote: ["operator"]);
        var host = pair.StartHost("operator");
        Assert.Equal(SendResult.Accepted, pair.Client!.Send(Payload(1)));
        pair.Run(host, 3);

        // What a hostile client process can do to the ring it produces into: move its tail anywhere.
        var lane = pair.Queues.RingsFor("cmd", "operator", Rights.Call)[0];
        FdPassing.Send(pair.Sockets.Left, [1], lane.FileDescriptor);
        Assert.True(FdPassing.TryReceive(pair.Sockets.Right, new byte[8], out _, out var fds));
        using (var raw = MemfdRegionMemory.Attach("raw", Assert.Single(fds), SharedMessageRing.BytesFor(QueueDepth, MessageBytes), writable: true))
        {
            BinaryPrimitives.WriteInt64LittleEndian(raw.Bytes[64..], 1_000_000);
        }

        pair.Run(host, 3);
        Assert.Equal(ServiceState.Running, pair.Kernel.Service("controller").State);
        Assert.Equal(1, Assert.IsType<ClientLanesQueue>(pair.Requests).ClosedLanes);
        Assert.Equal(SendResult.Denied, pair.Client.Send(Payload(2)));
        Assert.Contains(host.Kernel.Trace.Events(TraceEventKind.IpcReject), e => e.Arg0 == EndpointClient.RejectCorruptQueue);
        Assert.Equal([1L], pair.Received);
    }

    [Fact]
    public void SteadyState_CallAcrossKernelsAndTheReply_AllocateNothing()
    {
        using var pair = new KernelPair(remote: ["operator"]);
        var host = pair.StartHost("operator");
        var payload = Payload(7);
        for (var i = 0; i < 500; i++)
        {
            pair.Client!.Call(payload, out _);
            pair.Run(host, 2);
        }

        AllocationAssert.NoAllocations(2_000, i =>
        {
            pair.Client!.Call(payload, out _);
            pair.Run(host, 2);
        });
        Assert.True(pair.Replies.Count >= 2_500, $"{pair.Replies.Count} replies");
        Assert.Equal(pair.Received.Count, pair.Replies.Count);
    }

    private static byte[] Payload(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>
    /// A system of a provider (<c>controller</c>, serves <c>cmd</c>), a routed client
    /// (<c>operator</c>) and an unrouted <c>intruder</c> that tries to open <c>cmd</c> anyway. The
    /// kernel runs the services not in <c>remote</c>; <see cref="StartHost"/> boots one remote
    /// service in a host kernel on the rings its capabilities allow, passed as fds.
    /// </summary>
    private sealed class KernelPair : IDisposable
    {
        private readonly TestSystem system = new();
        private readonly HashSet<string> remote;

        private readonly List<SharedMessageRing> attached = [];

        public KernelPair(string[] remote)
        {
            this.remote = [.. remote];
            system.Add("controller", "test.server", periodUs: 0).Endpoints.Provides.Add(new ProvidedEndpointManifest { Name = "cmd", MaxMessageBytes = MessageBytes, QueueDepth = QueueDepth });
            system.Add("operator", "test.client", periodUs: 0).Endpoints.Uses.Add("cmd");
            system.Add("intruder", "test.intruder", periodUs: 0);
            system.Route("operator", "cmd");
            system.Catalog.Program("test.server", () => new DelegateService(c => c.ServeEndpoint("cmd", new RecordingEcho(Received))));
            system.Catalog.Program("test.client", () => new DelegateService(c => Client = c.OpenEndpointClient("cmd", new RecordingReplies(Replies))));
            system.Catalog.Program("test.intruder", () => new DelegateService(c => IntruderDenial = Record.Exception(() => c.OpenEndpointClient("cmd"))));
            Queues = new SharedMessageQueueProvider(this.remote.Contains);
            Platform = new SimulationPlatform(1, new NoDevices()) { MessageQueues = new RecordingQueues(Queues, queue => Requests = queue) };
            Kernel = new SystemKernel(system.Definition(), system.Catalog, Platform, hostSelector: s => this.remote.Contains(s.Id) ? new ElsewhereHost() : null);
            Kernel.Boot();
        }

        public SharedMessageQueueProvider Queues { get; }

        public SocketPair Sockets { get; } = new();

        /// <summary>The kernel's request queue of <c>cmd</c>.</summary>
        public IMessageQueue? Requests { get; private set; }

        public SimulationPlatform Platform { get; }

        public SystemKernel Kernel { get; }

        public List<long> Received { get; } = new(65_536);

        public List<long> Replies { get; } = new(65_536);

        public EndpointClient? Client { get; private set; }

        public Exception? IntruderDenial { get; private set; }

        /// <summary>What a service host process does: receive the rings as fds, attach them, boot the one service.</summary>
        public (SystemKernel Kernel, SimulationPlatform Platform) StartHost(string serviceId, int incarnation = 1)
        {
            var handed = new Dictionary<string, SharedMessageRing>(StringComparer.Ordinal);
            var rights = serviceId == "controller" ? Rights.Read | Rights.Write : Rights.Call;
            foreach (var ring in serviceId == "intruder" ? [] : Queues.RingsFor("cmd", serviceId, rights))
            {
                FdPassing.Send(Sockets.Left, [1], ring.FileDescriptor);
                Assert.True(FdPassing.TryReceive(Sockets.Right, new byte[8], out _, out var fds));
                var copy = SharedMessageRing.Attach(ring.Name, Assert.Single(fds), ring.Capacity, ring.MaxMessageBytes);
                attached.Add(copy);
                handed.Add(ring.Name, copy);
            }

            var platform = new SimulationPlatform(1, new NoDevices()) { MessageQueues = new GrantedMessageQueues(handed) };
            platform.RunUntil(Platform.NowNs);
            var kernel = new SystemKernel(system.Definition(), system.Catalog, platform);
            kernel.Boot([serviceId], incarnation);
            return (kernel, platform);
        }

        /// <summary>Both event loops, a poll period at a time.</summary>
        public void Run((SystemKernel Kernel, SimulationPlatform Platform)? host, int steps)
        {
            for (var i = 0; i < steps; i++)
            {
                var until = Platform.NowNs + StepNs;
                host?.Platform.RunUntil(until);
                Platform.RunUntil(until);
            }
        }

        public void Dispose()
        {
            foreach (var ring in attached)
            {
                ring.Dispose();
            }

            Queues.Dispose();
            Sockets.Dispose();
        }
    }

    /// <summary>The kernel's record of a service that runs in another kernel: nothing runs here.</summary>
    private sealed class ElsewhereHost : IServiceHost
    {
        public IServiceInstance Create(ServiceLaunch launch) => new Instance();

        private sealed class Instance : IServiceInstance
        {
            public CyclicStatistics? Statistics => null;

            public long StartupGraceNs => long.MaxValue / 4;

            public void Start()
            {
            }

            public void Stop()
            {
            }

            public void Teardown()
            {
            }
        }
    }

    private sealed class RecordingQueues(IMessageQueueProvider inner, Action<IMessageQueue> requests) : IMessageQueueProvider
    {
        public IMessageQueue CreateRequests(EndpointQueueSpec endpoint)
        {
            var queue = inner.CreateRequests(endpoint);
            requests(queue);
            return queue;
        }

        public IMessageQueue CreateReplies(EndpointQueueSpec endpoint, int clientId) => inner.CreateReplies(endpoint, clientId);
    }

    private sealed class RecordingEcho(List<long> received) : IMessageHandler
    {
        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            received.Add(BinaryPrimitives.ReadInt64LittleEndian(message.Payload));
            if (message.IsRequest)
            {
                server.Reply(message, message.Payload);
            }
        }
    }

    private sealed class RecordingReplies(List<long> replies) : IReplyHandler
    {
        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply) => replies.Add(correlation);
    }
}
