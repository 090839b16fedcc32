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

    /// <summary>The capability was revoked or never allowed this, or the process at the other end corrupted the shared queue.</summary>
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
/// Each routed client has a fixed client id (its route's order among the endpoint's routes) and
/// its own bounded reply queue, so the provider and its clients agree on who is who even when
/// they run in different processes.
/// </summary>
internal sealed class Endpoint : ITimerCallback, IArrivalListener
{
    private readonly IPlatformTimer notify;
    private readonly IReadOnlyList<string> clientIds;
    private readonly IMessageQueue[] replies;
    private readonly EndpointClient?[] clients;
    private EndpointServer? server;
    private bool arrivalsWatched;

    public Endpoint(EndpointQueueSpec spec, IMessageQueueProvider queues, IPlatform platform, KernelTrace trace)
    {
        Spec = spec;
        Name = spec.Name;
        Provider = spec.Provider;
        clientIds = spec.Clients;
        Queue = queues.CreateRequests(spec);
        replies = new IMessageQueue[spec.Clients.Count];
        for (var i = 0; i < replies.Length; i++)
        {
            replies[i] = queues.CreateReplies(spec, i);
        }

        clients = new EndpointClient?[replies.Length];
        Trace = trace;
        TraceId = trace.Intern(spec.Name);
        notify = platform.CreateTimer(this);
        Clock = platform.Clock;
    }

    /// <summary>The queues as the system defined them: what a host process needs to open this endpoint exactly so.</summary>
    public EndpointQueueSpec Spec { get; }

    public string Name { get; }

    public string Provider { get; }

    public IMessageQueue Queue { get; }

    public KernelTrace Trace { get; }

    public IClock Clock { get; }

    public int TraceId { get; }

    /// <summary>The client id of a routed client, or -1 when the system routes no such client here.</summary>
    public int ClientIdOf(string serviceId)
    {
        for (var i = 0; i < clientIds.Count; i++)
        {
            if (string.Equals(clientIds[i], serviceId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    public IMessageQueue RepliesOf(int clientId) => replies[clientId];

    /// <summary>The client's current incarnation in this process takes over its id.</summary>
    public void Register(EndpointClient client, int clientId) => clients[clientId] = client;

    /// <summary>How often the bound server looks at a queue another process fills: never when the queue tells of arrivals.</summary>
    private long PollIntervalNs => arrivalsWatched ? 0 : Queue.PollIntervalNs;

    /// <summary>
    /// Binds the provider's current incarnation (null: none) and schedules a delivery when one is
    /// due. A queue that tells of arrivals tells only of a message that comes after its consumer
    /// found it empty, so a server bound to one always gets a delivery at once: the previous
    /// incarnation may have ended (a handler that threw, a delivery's budget spent) without
    /// finding it empty, and until this one does, nothing would wake it.
    /// </summary>
    public void Bind(EndpointServer? bound)
    {
        server = bound;

        // Watched before the count is read: a message sent after this wakes the loop, one sent before is counted.
        if (server is not null && !arrivalsWatched && Queue.PollIntervalNs > 0)
        {
            arrivalsWatched = Queue.WatchArrivals(this);
        }

        if (server is not null && (arrivalsWatched || Queue.Count > 0 || PollIntervalNs > 0) && !notify.IsArmed)
        {
            notify.ArmAt(Clock.NowNs);
        }
    }

    /// <summary>Another process put a message in the queue while the server slept: deliver it now.</summary>
    public void OnArrival()
    {
        if (server is not null && !notify.IsArmed)
        {
            notify.ArmAt(Clock.NowNs);
        }
    }

    public SendResult Enqueue(ReadOnlySpan<byte> message, MessageHeader header, int subject)
    {
        var result = Put(Queue, message, header, subject);
        if (result != SendResult.Accepted)
        {
            return result;
        }

        Trace.Record(TraceEventKind.IpcSend, subject, TraceId, (long)header.Kind, message.Length);
        if (server is not null && !notify.IsArmed)
        {
            notify.ArmAt(Clock.NowNs);
        }

        return SendResult.Accepted;
    }

    /// <summary>Into the client's reply queue; wakes the client if its current incarnation lives in this process.</summary>
    public SendResult EnqueueReply(int clientId, ReadOnlySpan<byte> reply, long correlation, int subject)
    {
        if ((uint)clientId >= (uint)replies.Length)
        {
            Trace.Record(TraceEventKind.CapabilityDeny, subject, TraceId, (long)Rights.Write);
            return SendResult.Denied;
        }

        var result = Put(replies[clientId], reply, new MessageHeader(MessageKind.Reply, -1, correlation), subject);
        if (result != SendResult.Accepted)
        {
            return result;
        }

        Trace.Record(TraceEventKind.IpcReply, subject, TraceId, correlation, reply.Length);
        clients[clientId]?.NotifyReply();
        return SendResult.Accepted;
    }

    /// <summary>
    /// Enqueues whole or refuses, tracing the reject. A queue that the peer in another process
    /// corrupted (it can write the shared ring's counters) refuses with Denied: neither the sender
    /// nor the kernel fails for it.
    /// </summary>
    private SendResult Put(IMessageQueue queue, ReadOnlySpan<byte> message, MessageHeader header, int subject)
    {
        EnqueueResult result;
        try
        {
            result = queue.TryEnqueue(message, header);
        }
        catch (InvalidDataException)
        {
            Trace.Record(TraceEventKind.IpcReject, subject, TraceId, EndpointClient.RejectCorruptQueue, message.Length);
            return SendResult.Denied;
        }

        if (result == EnqueueResult.Accepted)
        {
            return SendResult.Accepted;
        }

        Trace.Record(TraceEventKind.IpcReject, subject, TraceId, (long)result, message.Length);
        return result == EnqueueResult.Full ? SendResult.QueueFull : SendResult.TooLarge;
    }

    public void OnTimer(long nowNs)
    {
        server?.Drain();

        // Another process fills the queue and cannot wake this loop: look again on the poll period while a server is bound here.
        if (server is not null && PollIntervalNs > 0 && !notify.IsArmed)
        {
            notify.ArmAt(nowNs + PollIntervalNs);
        }
    }
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

        return endpoint.EnqueueReply(request.Header.Sender, reply, request.Header.Correlation, subject);
    }

    /// <summary>
    /// Delivers what waits, at most one queue's worth, so a flood cannot starve other events. A
    /// delivery that ends before it found the queue empty (its budget spent, or a handler threw
    /// and the server stays bound, as the kernel's own does) schedules the next one: a queue
    /// another process fills tells of an arrival only after its consumer found it empty, so
    /// returning without looking again would leave every later message unseen.
    /// </summary>
    internal void Drain()
    {
        var budget = endpoint.Queue.Capacity;
        while (capability.IsValid)
        {
            if (budget-- == 0)
            {
                endpoint.Bind(this);
                return;
            }

            if (!endpoint.Queue.TryPeek(out var header, out var payload))
            {
                return;
            }

            endpoint.Trace.Record(TraceEventKind.IpcDeliver, subject, endpoint.TraceId, (long)header.Kind, payload.Length);
            try
            {
                handler.OnMessage(this, new EndpointMessage(header, payload));
            }
            catch (Exception exception)
            {
                endpoint.Queue.Advance();
                faults.OnHandlerFault(exception);
                if (capability.IsValid)
                {
                    endpoint.Bind(this);
                }

                return;
            }

            endpoint.Queue.Advance();
        }
    }
}

/// <summary>A caller's side of an endpoint, backed by a capability with the Call right.</summary>
/// <remarks>
/// Correlations carry the client's incarnation in their high 32 bits: a reply to a request of an
/// earlier incarnation (the client crashed while its request waited) is dropped and traced, never
/// mistaken for the answer to the new incarnation's request with the same number.
/// </remarks>
public sealed class EndpointClient : ITimerCallback, IArrivalListener
{
    /// <summary>IpcReject reason (after the EnqueueResult values) for a reply to a request of an earlier incarnation of its client.</summary>
    public const long RejectStaleReply = 3;

    /// <summary>IpcReject reason for a message refused because the peer process corrupted the shared queue.</summary>
    public const long RejectCorruptQueue = 4;

    private readonly Endpoint endpoint;
    private readonly Capability capability;
    private readonly IReplyHandler? replyHandler;
    private readonly IFaultSink faults;
    private readonly IMessageQueue replies;
    private readonly IPlatformTimer notify;
    private readonly int subject;
    private readonly int clientId;
    private readonly long epoch;
    private readonly bool arrivalsWatched;
    private long nextCorrelation;

    internal EndpointClient(Endpoint endpoint, Capability capability, IReplyHandler? replyHandler, IFaultSink faults, IPlatform platform, int subject, int clientId, int incarnation)
    {
        this.endpoint = endpoint;
        this.capability = capability;
        this.replyHandler = replyHandler;
        this.faults = faults;
        this.subject = subject;
        this.clientId = clientId;
        epoch = (uint)incarnation;
        nextCorrelation = (epoch << 32) + 1;
        replies = endpoint.RepliesOf(clientId);
        notify = platform.CreateTimer(this);
        endpoint.Register(this, clientId);
        if (replyHandler is not null && replies.PollIntervalNs > 0)
        {
            arrivalsWatched = replies.WatchArrivals(this);
            notify.ArmAt(endpoint.Clock.NowNs);
        }
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

    /// <summary>The provider in another process replied while this client's loop slept.</summary>
    void IArrivalListener.OnArrival() => NotifyReply();

    internal void NotifyReply()
    {
        if (!notify.IsArmed)
        {
            notify.ArmAt(endpoint.Clock.NowNs);
        }
    }

    void ITimerCallback.OnTimer(long nowNs)
    {
        try
        {
            DeliverReplies();
        }
        catch (InvalidDataException exception)
        {
            // The provider in another process corrupted this client's reply ring: this client fails, not the kernel.
            faults.OnHandlerFault(exception);
            return;
        }

        // Another process answers and cannot wake this loop: look again on the poll period while this incarnation lives.
        if (capability.IsValid && replyHandler is not null && !arrivalsWatched && replies.PollIntervalNs > 0 && !notify.IsArmed)
        {
            notify.ArmAt(nowNs + replies.PollIntervalNs);
        }
    }

    private void DeliverReplies()
    {
        while (capability.IsValid && replies.TryPeek(out var header, out var payload))
        {
            if (header.Correlation >>> 32 != epoch)
            {
                endpoint.Trace.Record(TraceEventKind.IpcReject, subject, endpoint.TraceId, RejectStaleReply, header.Correlation);
                replies.Advance();
                continue;
            }

            endpoint.Trace.Record(TraceEventKind.IpcDeliver, subject, endpoint.TraceId, (long)MessageKind.Reply, payload.Length);
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
