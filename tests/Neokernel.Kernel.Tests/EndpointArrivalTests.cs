using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// A provider whose request queue another process fills, and which tells of arrivals instead of
/// being polled (a shared-memory ring with its doorbell). The queue's contract is the ring's: it
/// tells of a message only when it arrives after the consumer found the queue empty. So the
/// provider must find the queue empty before it sleeps: when a delivery ends on its budget with
/// messages still coming, or a new incarnation binds, it looks again; otherwise the next message
/// waits unseen for good. (The OPC UA gateway found this: its status refresh is 11 requests one
/// after the other, more than kernel.status's depth of 8, and a refresh that ran fast enough to
/// fill one delivery's budget left every later request of the run unanswered.)
/// </summary>
public sealed class EndpointArrivalTests
{
    private const int Depth = 4;
    private const long Ms = 1_000_000;

    [Fact]
    public void DeliveryEndsOnItsBudget_AMessageAfterIt_IsStillDelivered()
    {
        var (platform, endpoint, queue, handler) = Build();
        handler.Chain = Depth;
        queue.SendFromOtherProcess(0);
        platform.RunUntil(platform.NowNs + Ms);

        // The client answered each reply at once, so one delivery took Depth messages, all its budget.
        Assert.Equal([0, 1, 2, 3], handler.Received);

        // Its next request comes a moment later, after that delivery ended.
        queue.SendFromOtherProcess(4);
        platform.RunUntil(platform.NowNs + Ms);
        Assert.Equal([0, 1, 2, 3, 4], handler.Received);
        Assert.Equal(0, endpoint.Queue.Count);
    }

    [Fact]
    public void ManyDeliveriesOnTheirBudget_EveryMessageOfAnUnendingConversationArrives()
    {
        var (platform, _, queue, handler) = Build();
        var expected = 0;
        for (var round = 0; round < 10; round++)
        {
            // One to three deliveries' worth, each an exact multiple of the budget.
            expected += ((round % 3) + 1) * Depth;
            handler.Chain = expected;
            queue.SendFromOtherProcess(handler.Received.Count);
            platform.RunUntil(platform.NowNs + (10 * Ms));
            Assert.Equal(expected, handler.Received.Count);
        }

        Assert.Equal(Enumerable.Range(0, 19 * Depth), handler.Received);
    }

    [Fact]
    public void NewServerBinds_WhileThePreviousLeftTheQueueNotFoundEmpty_ItsNextArrivalIsDelivered()
    {
        var (platform, endpoint, queue, handler) = Build();

        // The previous server's delivery took messages until its handler threw (its incarnation ended there).
        handler.ThrowAt = 1;
        queue.SendFromOtherProcess(0);
        queue.SendFromOtherProcess(1);
        platform.RunUntil(platform.NowNs + Ms);
        Assert.Equal([0, 1], handler.Received);
        endpoint.Bind(null);

        var next = new Handler();
        endpoint.Bind(Server(endpoint, next));
        platform.RunUntil(platform.NowNs + Ms);
        queue.SendFromOtherProcess(2);
        platform.RunUntil(platform.NowNs + Ms);
        Assert.Equal([2], next.Received);
    }

    [Fact]
    public void HandlerThrows_TheServerStaysBound_ItsNextArrivalIsDelivered()
    {
        // The kernel's own server of kernel.status: a handler fault is traced, and it serves on.
        var (platform, _, queue, handler) = Build();
        handler.ThrowAt = 1;
        queue.SendFromOtherProcess(0);
        queue.SendFromOtherProcess(1);
        platform.RunUntil(platform.NowNs + Ms);
        Assert.Equal(1, handler.Faults);

        queue.SendFromOtherProcess(2);
        platform.RunUntil(platform.NowNs + Ms);
        Assert.Equal([0, 1, 2], handler.Received);
    }

    private static (SimulationPlatform Platform, Endpoint Endpoint, DoorbellQueue Queue, Handler Handler) Build()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var trace = new KernelTrace(platform.Clock);
        var queues = new Queues();
        var endpoint = new Endpoint(new EndpointQueueSpec("plant.status", "provider", ["client"], Depth, 8), queues, platform, trace);
        var handler = new Handler { Queue = queues.Requests };
        endpoint.Bind(Server(endpoint, handler));
        return (platform, endpoint, queues.Requests!, handler);
    }

    private static EndpointServer Server(Endpoint endpoint, Handler handler)
    {
        var capability = new CapabilitySpace("provider").Grant(CapabilityKind.Endpoint, endpoint.Name, endpoint, Rights.Read | Rights.Write);
        return new EndpointServer(endpoint, capability, handler, handler, 0);
    }

    /// <summary>Each message carries its number; until <see cref="Chain"/> the client sends the next one while this one is handled.</summary>
    private sealed class Handler : IMessageHandler, IFaultSink
    {
        public DoorbellQueue? Queue { get; init; }

        public List<int> Received { get; } = [];

        public int Chain { get; set; }

        public int ThrowAt { get; set; } = -1;

        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            var number = message.Payload[0];
            Received.Add(number);
            if (number == ThrowAt)
            {
                throw new InvalidOperationException("the handler's incarnation ends here");
            }

            if (Received.Count < Chain)
            {
                Queue!.SendFromOtherProcess(number + 1);
            }
        }

        public int Faults { get; private set; }

        public void OnHandlerFault(Exception exception) => Faults++;
    }

    /// <summary>
    /// A queue filled from "another process" that keeps the ring's doorbell contract: it tells
    /// its listener of an arrival only when the consumer's last look found it empty.
    /// </summary>
    private sealed class DoorbellQueue : IMessageQueue
    {
        private readonly BoundedMessageQueue inner = new(Depth, 8);
        private IArrivalListener? listener;
        private bool consumerAsleep;

        public int Capacity => inner.Capacity;

        public int MaxMessageBytes => inner.MaxMessageBytes;

        public int Count => inner.Count;

        public long PollIntervalNs => Ms;

        public bool WatchArrivals(IArrivalListener arrivals)
        {
            listener = arrivals;
            consumerAsleep = true;
            return true;
        }

        public void SendFromOtherProcess(int number)
        {
            Assert.Equal(EnqueueResult.Accepted, inner.TryEnqueue([(byte)number], new MessageHeader(MessageKind.OneWay, 0, 0)));
            if (consumerAsleep)
            {
                consumerAsleep = false;
                listener?.OnArrival();
            }
        }

        public EnqueueResult TryEnqueue(ReadOnlySpan<byte> message, MessageHeader header) => inner.TryEnqueue(message, header);

        public bool TryPeek(out MessageHeader header, out ReadOnlySpan<byte> message)
        {
            if (inner.TryPeek(out header, out message))
            {
                return true;
            }

            consumerAsleep = true;
            return false;
        }

        public void Advance() => inner.Advance();
    }

    private sealed class Queues : IMessageQueueProvider
    {
        public DoorbellQueue? Requests { get; private set; }

        public IMessageQueue CreateRequests(EndpointQueueSpec endpoint) => Requests = new DoorbellQueue();

        public IMessageQueue CreateReplies(EndpointQueueSpec endpoint, int clientId) => new BoundedMessageQueue(endpoint.Capacity, endpoint.MaxMessageBytes);
    }

    private sealed class NoDevices : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException($"no device '{uri}' in this test");
    }
}
