namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Where a response goes: the transport (UA-TCP on a secure channel) in the gateway, a list in a
/// test. Called on the server's event loop.
/// </summary>
public interface IServiceResponder
{
    /// <summary>True while the request's channel can still be answered on.</summary>
    bool IsLive(in ServiceCall call);

    /// <summary>
    /// True when <see cref="Respond"/> has encoded (or copied) the response by the time it returns,
    /// as the transport does: a service may then answer with a response object it reuses for its
    /// next request. False (a responder that keeps the responses, as a test's list does) gets a new
    /// object each time.
    /// </summary>
    bool EncodesAtOnce => false;

    void Respond(in ServiceCall call, IServiceResponse response);
}

/// <summary>
/// One request being served: the secure channel it came on, the transport's request id and the
/// client's RequestHandle (echoed in the response header). A value the server may keep and answer
/// later, as it does a Publish or a Call whose method result comes from the kernel.
/// </summary>
public readonly struct ServiceCall
{
    private readonly IServiceResponder responder;

    public ServiceCall(IServiceResponder responder, uint channelId, uint requestId, uint requestHandle, object? transportState = null, uint transportTag = 0)
    {
        this.responder = responder;
        ChannelId = channelId;
        RequestId = requestId;
        RequestHandle = requestHandle;
        TransportState = transportState;
        TransportTag = transportTag;
    }

    public uint ChannelId { get; }

    public uint RequestId { get; }

    public uint RequestHandle { get; }

    /// <summary>What the transport needs to answer on the right connection (opaque here).</summary>
    public object? TransportState { get; }

    /// <summary>A number the transport keeps with its state (which use of a pooled connection), so the state need not be a boxed value.</summary>
    public uint TransportTag { get; }

    public bool IsLive => responder?.IsLive(this) ?? false;

    /// <summary>Whether the response may be an object the service reuses (<see cref="IServiceResponder.EncodesAtOnce"/>).</summary>
    public bool EncodesAtOnce => responder?.EncodesAtOnce ?? false;

    public void Respond(IServiceResponse response) => responder.Respond(this, response);
}

/// <summary>
/// The services of an activated session that a part of the server serves: the view, attribute
/// and method services over the address space, the subscription services. The server tries each
/// in turn; a request none takes is answered Bad_ServiceUnsupported.
/// </summary>
public interface ISessionServices
{
    /// <summary>Serves <paramref name="request"/> (answering now or later through <paramref name="call"/>) and returns true, or returns false if it is not one of this part's services.</summary>
    bool TryServe(Session session, in ServiceCall call, IServiceRequest request);

    /// <summary>The session is closing (CloseSession, timeout, or the server stopping): drop what it holds.</summary>
    void OnSessionClosed(Session session, bool deleteSubscriptions);
}
