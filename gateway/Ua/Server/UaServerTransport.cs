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
public sealed class UaServerTransport : IUaServiceHandler, IServiceResponder
{
    private readonly UaServer server;
    private readonly UaEncoder encoder;

    public UaServerTransport(UaServer server, UaCodecLimits? limits = null)
    {
        this.server = server;
        encoder = new UaEncoder(64 * 1024, limits);
    }

    /// <summary>Requests that could not be decoded, for the gateway's statistics.</summary>
    public long Malformed { get; private set; }

    public void OnRequest(in TransportContext context, ReadOnlySpan<byte> body)
    {
        var call = new ServiceCall(this, context.ChannelId, context.RequestId, UaRequestHandles.OfRequest(body), context);
        IServiceRequest? request;
        try
        {
            var decoder = new UaDecoder(body, encoder.Limits);
            NodeId type = decoder.ReadNodeId();
            request = type.NamespaceIndex == 0 && type.IdType == IdType.Numeric ? ServiceRequests.Decode(type.Numeric, ref decoder) : null;
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

    public bool IsLive(in ServiceCall call) => call.TransportState is TransportContext context && context.IsLive;

    public void Respond(in ServiceCall call, IServiceResponse response)
    {
        if (call.TransportState is not TransportContext context)
        {
            return;
        }

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
}
