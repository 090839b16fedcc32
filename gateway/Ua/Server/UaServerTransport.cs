using Neokernel.Gateway.Ua.Transport;
using TransportContext = Neokernel.Gateway.Ua.Transport.UaRequestContext;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Joins the server to the UA-TCP transport: a request body (its encoding NodeId, then the
/// request) is decoded here, at the codec's boundary, so a malformed or unknown request becomes a
/// ServiceFault (Bad_DecodingError, Bad_ServiceUnsupported) for that request and never reaches
/// the services; a response is encoded into one buffer this server reuses and sent on the
/// request's channel, which may have closed meanwhile (then it is dropped).
/// </summary>
/// <remarks>
/// The hot path, a Read, allocates nothing once warm: its string and opaque NodeIds decode as the
/// ones the server holds (the nodes' own ids from <c>nodes</c>, the sessions' tokens), the request
/// decodes into objects reused from one Read to the next (<see cref="ReadRequestDecoder"/>), and as
/// this responder encodes a response before <see cref="Respond"/> returns
/// (<see cref="IServiceResponder.EncodesAtOnce"/>), the attribute service answers with a response it
/// reuses too. All on the server's one event loop.
/// </remarks>
public sealed class UaServerTransport : IUaServiceHandler, IServiceResponder
{
    private readonly UaServer server;
    private readonly UaEncoder encoder;
    private readonly ServerNodeIds knownNodeIds;
    private readonly ReadRequestDecoder reads = new();

    /// <param name="server">The server the requests go to.</param>
    /// <param name="limits">The codec's limits, for requests and responses alike.</param>
    /// <param name="nodes">The ids of the served nodes (the address space), which requests decode as without allocating; null decodes every id anew.</param>
    public UaServerTransport(UaServer server, UaCodecLimits? limits = null, IKnownNodeIds? nodes = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        this.server = server;
        encoder = new UaEncoder(64 * 1024, limits);
        knownNodeIds = new ServerNodeIds(server.Sessions, nodes);
    }

    /// <summary>Requests that could not be decoded, for the gateway's statistics.</summary>
    public long Malformed { get; private set; }

    public void OnRequest(in TransportContext context, ReadOnlySpan<byte> body)
    {
        // The context goes into the call in parts (its connection and generation), not boxed: a call answered at once allocates nothing.
        var call = new ServiceCall(this, context.ChannelId, context.RequestId, UaRequestHandles.OfRequest(body, knownNodeIds), context.Connection, context.Generation);
        IServiceRequest? request;
        try
        {
            var decoder = new UaDecoder(body, encoder.Limits, knownNodeIds);
            NodeId type = decoder.ReadNodeId();
            request = type.NamespaceIndex != 0 || type.IdType != IdType.Numeric ? null
                : type.Numeric == ReadRequest.EncodingId ? reads.Decode(ref decoder)
                : ServiceRequests.Decode(type.Numeric, ref decoder);
        }
        catch (UaCodecException error)
        {
            Malformed++;
            server.Refuse(call, error.Status);
            return;
        }

        if (request is null)
        {
            server.Refuse(call, StatusCodes.BadServiceUnsupported);
            return;
        }

        server.Serve(call, request);
    }

    public void OnChannelClosed(uint channelId)
    {
        // Sessions outlive their channel (a client may activate them on a new one); answers to its
        // outstanding requests go nowhere (IsLive is false).
    }

    public bool IsLive(in ServiceCall call) => call.TransportState is UaTcpConnection && ContextOf(call).IsLive;

    /// <summary>True: <see cref="Respond"/> encodes the response into its buffer before it returns.</summary>
    public bool EncodesAtOnce => true;

    public void Respond(in ServiceCall call, IServiceResponse response)
    {
        if (call.TransportState is not UaTcpConnection)
        {
            return;
        }

        var context = ContextOf(call);
        try
        {
            encoder.Reset();
            encoder.WriteNodeId(response.BinaryEncodingId);
            response.Encode(encoder);
        }
        catch (UaCodecException error)
        {
            encoder.Reset();
            encoder.WriteNodeId(new NodeId(ServiceFault.EncodingId));
            new ServiceFault { ResponseHeader = new ResponseHeader { Timestamp = server.NowUaTicks, RequestHandle = call.RequestHandle, ServiceResult = error.Status } }.Encode(encoder);
        }

        context.Respond(encoder.Written);
    }

    /// <summary>The transport's context of a call this transport made (its connection is the call's state).</summary>
    private static TransportContext ContextOf(in ServiceCall call) =>
        new((UaTcpConnection)call.TransportState!, call.TransportTag, call.ChannelId, call.RequestId);

    /// <summary>The ids a request may name that the server holds: its sessions' authentication tokens, and the served nodes' ids.</summary>
    private sealed class ServerNodeIds(SessionManager sessions, IKnownNodeIds? nodes) : IKnownNodeIds
    {
        public bool TryFindString(ushort namespaceIndex, ReadOnlySpan<char> identifier, out NodeId nodeId)
        {
            nodeId = default;
            return nodes is not null && nodes.TryFindString(namespaceIndex, identifier, out nodeId);
        }

        public bool TryFindOpaque(ushort namespaceIndex, ReadOnlySpan<byte> identifier, out NodeId nodeId)
        {
            if (sessions.TryFindToken(namespaceIndex, identifier, out nodeId))
            {
                return true;
            }

            return nodes is not null && nodes.TryFindOpaque(namespaceIndex, identifier, out nodeId);
        }
    }
}
