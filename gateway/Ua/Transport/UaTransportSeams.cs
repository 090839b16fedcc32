using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>The event loop the transport runs on: its clock, its timers and the wall-clock time OPC UA messages carry.</summary>
public interface IUaTransportLoop
{
    IClock Clock { get; }

    /// <summary>A one-shot timer whose callback runs on the loop, never concurrently with stream callbacks. Made at start.</summary>
    IPlatformTimer CreateTimer(ITimerCallback callback);

    /// <summary>Now as a UA DateTime (100 ns ticks since 1601), for token creation times and response timestamps.</summary>
    long UtcNowUaTicks { get; }
}

/// <summary>The loop of a platform (simulation or Linux), with wall-clock time its monotonic clock plus a fixed origin.</summary>
public sealed class PlatformUaTransportLoop(IPlatform platform, long uaTicksAtClockZero) : IUaTransportLoop
{
    public IClock Clock => platform.Clock;

    public long UtcNowUaTicks => uaTicksAtClockZero + (platform.Clock.NowNs / 100);

    public IPlatformTimer CreateTimer(ITimerCallback callback) => platform.CreateTimer(callback);
}

/// <summary>
/// The layer above the secure channel: it gets each complete service request and answers it
/// through the request's <see cref="UaRequestContext"/>, at once or later (a Publish is answered
/// when there is something to publish). Called on the loop; an exception from it closes that one
/// connection (Bad_TcpInternalError) and goes no further.
/// </summary>
public interface IUaServiceHandler
{
    /// <summary>A request body: its type's binary encoding NodeId, then the request. Valid only during the call.</summary>
    void OnRequest(in UaRequestContext context, ReadOnlySpan<byte> body);

    /// <summary>The channel closed (CLO, an error, an expiry or the peer leaving); its outstanding requests can no longer be answered.</summary>
    void OnChannelClosed(uint channelId);
}

/// <summary>What became of a response.</summary>
public enum UaSendResult
{
    /// <summary>Queued for sending in chunks.</summary>
    Sent,

    /// <summary>Over the client's MaxMessageSize or MaxChunkCount: a ServiceFault Bad_ResponseTooLarge was sent instead.</summary>
    ResponseTooLarge,

    /// <summary>The send queue had no room: the client stopped reading, and its connection was closed.</summary>
    QueueFull,

    /// <summary>The channel the request came on is closed; nothing was sent.</summary>
    ChannelGone,
}

/// <summary>
/// Where a request came from and how to answer it: a value the upper layer may keep until it
/// answers. Answering after the channel closed (or its connection was reused) is harmless:
/// <see cref="UaSendResult.ChannelGone"/>.
/// </summary>
public readonly struct UaRequestContext
{
    private readonly UaTcpConnection? connection;
    private readonly uint generation;

    internal UaRequestContext(UaTcpConnection connection, uint generation, uint channelId, uint requestId)
    {
        this.connection = connection;
        this.generation = generation;
        ChannelId = channelId;
        RequestId = requestId;
    }

    public uint ChannelId { get; }

    public uint RequestId { get; }

    /// <summary>The connection the request came on (null for a default context), for a layer above that keeps the context in parts.</summary>
    internal UaTcpConnection? Connection => connection;

    /// <summary>Which use of the pooled connection the request came in.</summary>
    internal uint Generation => generation;

    /// <summary>True while the channel is open to answer on.</summary>
    public bool IsLive => connection is not null && connection.IsLive(generation, ChannelId);

    /// <summary>Sends <paramref name="body"/> (the response's type NodeId, then the response) as the answer, chunked to the client's limits.</summary>
    public UaSendResult Respond(ReadOnlySpan<byte> body) => connection?.Respond(generation, ChannelId, RequestId, body) ?? UaSendResult.ChannelGone;
}

/// <summary>Where the transport reports a connection it ended, and why: control-plane, called off the data path only.</summary>
public interface IUaTransportTrace
{
    void ConnectionClosed(string peer, uint status, string reason);
}

/// <summary>What a server did, for the gateway's statistics. Written on the loop, read from anywhere.</summary>
public sealed class UaTcpCounters
{
    private long accepted;
    private long channelsOpened;
    private long renewals;
    private long requests;
    private long requestsTooLarge;
    private long responsesTooLarge;
    private long aborts;
    private long closedByError;
    private long closedByTimeout;
    private long closedSendQueueFull;

    public long Accepted => Volatile.Read(ref accepted);

    public long ChannelsOpened => Volatile.Read(ref channelsOpened);

    public long Renewals => Volatile.Read(ref renewals);

    public long Requests => Volatile.Read(ref requests);

    public long RequestsTooLarge => Volatile.Read(ref requestsTooLarge);

    public long ResponsesTooLarge => Volatile.Read(ref responsesTooLarge);

    public long Aborts => Volatile.Read(ref aborts);

    /// <summary>Connections ended with an Error message because of what the peer sent.</summary>
    public long ClosedByError => Volatile.Read(ref closedByError);

    /// <summary>Connections ended because no Hello or OpenSecureChannel came in time, or the channel's token expired.</summary>
    public long ClosedByTimeout => Volatile.Read(ref closedByTimeout);

    public long ClosedSendQueueFull => Volatile.Read(ref closedSendQueueFull);

    internal void Accept() => Bump(ref accepted);

    internal void ChannelOpened() => Bump(ref channelsOpened);

    internal void Renewed() => Bump(ref renewals);

    internal void Request() => Bump(ref requests);

    internal void RequestTooLarge() => Bump(ref requestsTooLarge);

    internal void ResponseTooLarge() => Bump(ref responsesTooLarge);

    internal void Abort() => Bump(ref aborts);

    internal void ErrorClose() => Bump(ref closedByError);

    internal void TimeoutClose() => Bump(ref closedByTimeout);

    internal void SendQueueFullClose() => Bump(ref closedSendQueueFull);

    private static void Bump(ref long counter) => Volatile.Write(ref counter, counter + 1);
}

/// <summary>The loop of a service: its granted clock and its service timers (the gateway's case).</summary>
public sealed class ServiceUaTransportLoop(IServiceContext context, long uaTicksAtClockZero) : IUaTransportLoop
{
    public IClock Clock => context.Clock;

    public long UtcNowUaTicks => uaTicksAtClockZero + (context.Clock.NowNs / 100);

    public IPlatformTimer CreateTimer(ITimerCallback callback) => context.CreateTimer(callback).AsPlatformTimer();
}
