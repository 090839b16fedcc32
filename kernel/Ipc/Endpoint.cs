using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Ipc;

public enum SendResult
{
    Accepted,

    /// <summary>The queue is full: back-pressure, try later.</summary>
    QueueFull,

    /// <summary>The message is larger than the endpoint's maximum message size.</summary>
    TooLarge,

    /// <summary>The capability was revoked, or never allowed this.</summary>
    Denied,
}

/// <summary>A message as its receiver sees it during the handler call; the payload is only valid there.</summary>
public readonly ref struct EndpointMessage
{
    internal EndpointMessage(MessageHeader header, ReadOnlySpan<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    public MessageHeader Header { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public bool IsRequest => Header.Kind == MessageKind.Request;
}

/// <summary>Handles messages arriving at an endpoint a service provides.</summary>
public interface IMessageHandler
{
    void OnMessage(EndpointServer server, in EndpointMessage message);
}

/// <summary>Handles replies to requests a client sent.</summary>
public interface IReplyHandler
{
    void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply);
}

/// <summary>Where the kernel hears of an exception thrown by a service's handler.</summary>
internal interface IFaultSink
{
    void OnHandlerFault(Exception exception);
}

/// <summary>
/// An IPC endpoint: a bounded request queue owned by its provider, fixed maximum message size,
/// one-way messages and request/reply. Only services the system manifest routes to it hold a
/// capability to call it. Messages sent while the provider restarts wait in the queue (bounded).
/// </summary>
internal sealed class Endpoint : ITimerCallback
{
    private readonly IPlatformTimer notify;
    private readonly List<EndpointClient> clients = [];
    private EndpointServer? server;

    public Endpoint(string name, string provider, IMessageQueue queue, IPlatform platform, KernelTrace trace)
    {
        Name = name;
        Provider = provider;
        Queue = queue;
        Trace = trace;
        TraceId = trace.Intern(name);
        notify = platform.CreateTimer(this);
        Clock = platform.Clock;
    }

    public string Name { get; }

    public string Provider { get; }

    public IMessageQueue Queue { get; }

    public KernelTrace Trace { get; }

    public IClock Clock { get; }

    public int TraceId { get; }

    public int Register(EndpointClient client)
    {
        clients.Add(client);
        return clients.Count - 1;
    }

    public EndpointClient? Client(int id) => id >= 0 && id < clients.Count ? clients[id] : null;

    public void Bind(EndpointServer? bound)
    {
        server = bound;
        if (server is not null && Queue.Count > 0 && !notify.IsArmed)
        {
            notify.ArmAt(Clock.NowNs);
        }
    }

    public SendResult Enqueue(ReadOnlySpan<byte> message, MessageHeader header, int subject)
    {
        var result = Queue.TryEnqueue(message, header);
        if (result != EnqueueResult.Accepted)
        {
            Trace.Record(TraceEventKind.IpcReject, subject, TraceId, (long)result, message.Length);
            return result == EnqueueResult.Full ? SendResult.QueueFull : SendResult.TooLarge;
        }

        Trace.Record(TraceEventKind.IpcSend, subject, TraceId, (long)header.Kind, message.Length);
        if (server is not null && !notify.IsArmed)
        {
            notify.ArmAt(Clock.NowNs);
        }

        return SendResult.Accepted;
    }

    public void OnTimer(long nowNs) => server?.Drain();
}

/// <summary>The provider's side of an endpoint: receives messages and replies to requests.</summary>
public sealed class EndpointServer
{
    private readonly Endpoint endpoint;
    private readonly Capability capability;
    private readonly IMessageHandler handler;
    private readonly IFaultSink faults;
    private readonly int subject;

    internal EndpointServer(Endpoint endpoint, Capability capability, IMessageHandler handler, IFaultSink faults, int subject)
    {
        this.endpoint = endpoint;
        this.capability = capability;
        this.handler = handler;
        this.faults = faults;
        this.subject = subject;
    }

    public string Name => endpoint.Name;

    public int MaxMessageBytes => endpoint.Queue.MaxMessageBytes;

    /// <summary>Replies to <paramref name="request"/>. Allocation-free.</summary>
    public SendResult Reply(in EndpointMessage request, ReadOnlySpan<byte> reply)
    {
        if (!capability.Allows(Rights.Write) || request.Header.Kind != MessageKind.Request)
        {
            endpoint.Trace.Record(TraceEventKind.CapabilityDeny, subject, endpoint.TraceId, (long)Rights.Write);
            return SendResult.Denied;
        }

        var client = endpoint.Client(request.Header.Sender);
        if (client is null)
        {
            return SendResult.Denied;
        }

        endpoint.Trace.Record(TraceEventKind.IpcReply, subject, endpoint.TraceId, request.Header.Correlation, reply.Length);
        return client.DeliverReply(reply, request.Header.Correlation);
    }

    internal void Drain()
    {
        // Bounded: at most one queue's worth per delivery, so a flood cannot starve other events.
        var budget = endpoint.Queue.Capacity;
        while (budget-- > 0 && capability.IsValid && endpoint.Queue.TryPeek(out var header, out var payload))
        {
            endpoint.Trace.Record(TraceEventKind.IpcDeliver, subject, endpoint.TraceId, (long)header.Kind, payload.Length);
            try
            {
                handler.OnMessage(this, new EndpointMessage(header, payload));
            }
            catch (Exception exception)
            {
                endpoint.Queue.Advance();
                faults.OnHandlerFault(exception);
                return;
            }

            endpoint.Queue.Advance();
        }

        if (endpoint.Queue.Count > 0 && capability.IsValid)
        {
            endpoint.Bind(this);
        }
    }
}

/// <summary>A caller's side of an endpoint, backed by a capability with the Call right.</summary>
public sealed class EndpointClient : ITimerCallback
{
    private readonly Endpoint endpoint;
    private readonly Capability capability;
    private readonly IReplyHandler? replyHandler;
    private readonly IFaultSink faults;
    private readonly BoundedMessageQueue replies;
    private readonly IPlatformTimer notify;
    private readonly int subject;
    private readonly int clientId;
    private long nextCorrelation = 1;

    internal EndpointClient(Endpoint endpoint, Capability capability, IReplyHandler? replyHandler, IFaultSink faults, IPlatform platform, int subject)
    {
        this.endpoint = endpoint;
        this.capability = capability;
        this.replyHandler = replyHandler;
        this.faults = faults;
        this.subject = subject;
        replies = new BoundedMessageQueue(endpoint.Queue.Capacity, endpoint.Queue.MaxMessageBytes);
        notify = platform.CreateTimer(this);
        clientId = endpoint.Register(this);
    }

    public string Name => endpoint.Name;

    public int MaxMessageBytes => endpoint.Queue.MaxMessageBytes;

    /// <summary>Sends a one-way message. Allocation-free.</summary>
    public SendResult Send(ReadOnlySpan<byte> message)
    {
        if (!capability.Allows(Rights.Call))
        {
            endpoint.Trace.Record(TraceEventKind.CapabilityDeny, subject, endpoint.TraceId, (long)Rights.Call);
            return SendResult.Denied;
        }

        return endpoint.Enqueue(message, new MessageHeader(MessageKind.OneWay, clientId, 0), subject);
    }

    /// <summary>Sends a request; the reply arrives at the reply handler with the same correlation. Allocation-free.</summary>
    public SendResult Call(ReadOnlySpan<byte> request, out long correlation)
    {
        correlation = 0;
        if (replyHandler is null || !capability.Allows(Rights.Call))
        {
            endpoint.Trace.Record(TraceEventKind.CapabilityDeny, subject, endpoint.TraceId, (long)Rights.Call);
            return SendResult.Denied;
        }

        var candidate = nextCorrelation;
        var result = endpoint.Enqueue(request, new MessageHeader(MessageKind.Request, clientId, candidate), subject);
        if (result == SendResult.Accepted)
        {
            correlation = candidate;
            nextCorrelation++;
        }

        return result;
    }

    internal SendResult DeliverReply(ReadOnlySpan<byte> reply, long correlation)
    {
        var result = replies.TryEnqueue(reply, new MessageHeader(MessageKind.Reply, -1, correlation));
        if (result != EnqueueResult.Accepted)
        {
            return result == EnqueueResult.Full ? SendResult.QueueFull : SendResult.TooLarge;
        }

        if (!notify.IsArmed)
        {
            notify.ArmAt(endpoint.Clock.NowNs);
        }

        return SendResult.Accepted;
    }

    void ITimerCallback.OnTimer(long nowNs)
    {
        while (capability.IsValid && replies.TryPeek(out var header, out var payload))
        {
            try
            {
                replyHandler?.OnReply(this, header.Correlation, payload);
            }
            catch (Exception exception)
            {
                replies.Advance();
                faults.OnHandlerFault(exception);
                return;
            }

            replies.Advance();
        }
    }
}
