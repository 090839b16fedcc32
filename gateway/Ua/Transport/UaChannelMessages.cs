namespace Neokernel.Gateway.Ua.Transport;

/// <summary>A ChannelSecurityToken as granted: the channel, the token, when (UA DateTime) and for how long. A value, so granting one allocates nothing.</summary>
public readonly record struct UaToken(uint ChannelId, uint TokenId, long CreatedAtUaTicks, uint RevisedLifetimeMs);

/// <summary>
/// The service bodies the secure channel itself reads and writes: OpenSecureChannel,
/// CloseSecureChannel, and the ServiceFault it answers a refused request with. Each body starts
/// with its type's binary encoding NodeId (Part 6 §7.1.4). One per connection: the response
/// objects are reused, so a fault on a busy connection allocates nothing.
/// </summary>
public sealed class UaChannelMessages
{
    private readonly OpenSecureChannelResponse openResponse = new();
    private readonly ServiceFault fault = new();

    /// <summary>Reads an OPN body; throws <see cref="UaCodecException"/> unless it is exactly one OpenSecureChannelRequest.</summary>
    public static OpenSecureChannelRequest DecodeOpen(ReadOnlySpan<byte> body)
    {
        var decoder = new UaDecoder(body);
        var typeId = decoder.ReadNodeId();
        if (typeId != new NodeId(OpenSecureChannelRequest.EncodingId))
        {
            throw new UaCodecException(StatusCodes.BadDecodingError, $"an OPN body holds type {typeId}, not OpenSecureChannelRequest (i={OpenSecureChannelRequest.EncodingId})");
        }

        var request = OpenSecureChannelRequest.Decode(ref decoder);
        decoder.ExpectEnd("the OpenSecureChannelRequest");
        return request;
    }

    /// <summary>True if a CLO body is a well-formed CloseSecureChannelRequest.</summary>
    public static bool IsCloseRequest(ReadOnlySpan<byte> body)
    {
        try
        {
            var decoder = new UaDecoder(body);
            if (decoder.ReadNodeId() != new NodeId(CloseSecureChannelRequest.EncodingId))
            {
                return false;
            }

            CloseSecureChannelRequest.Decode(ref decoder);
            decoder.ExpectEnd("the CloseSecureChannelRequest");
            return true;
        }
        catch (UaCodecException)
        {
            return false;
        }
    }

    /// <summary>Writes an OpenSecureChannelResponse granting <paramref name="token"/>, with no server nonce (policy None).</summary>
    public void EncodeOpenResponse(UaEncoder encoder, uint requestHandle, long timestampUaTicks, in UaToken token)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        Header(openResponse.ResponseHeader, requestHandle, timestampUaTicks, StatusCode.Good);
        openResponse.ServerProtocolVersion = UaTcpHandshake.ProtocolVersion;
        openResponse.SecurityToken.ChannelId = token.ChannelId;
        openResponse.SecurityToken.TokenId = token.TokenId;
        openResponse.SecurityToken.CreatedAt = token.CreatedAtUaTicks;
        openResponse.SecurityToken.RevisedLifetime = token.RevisedLifetimeMs;
        openResponse.ServerNonce = [];
        encoder.WriteNodeId(new NodeId(OpenSecureChannelResponse.EncodingId));
        openResponse.Encode(encoder);
    }

    /// <summary>Writes a ServiceFault answering the request <paramref name="requestHandle"/> with <paramref name="status"/>.</summary>
    public void EncodeServiceFault(UaEncoder encoder, uint requestHandle, long timestampUaTicks, uint status)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        Header(fault.ResponseHeader, requestHandle, timestampUaTicks, status);
        encoder.WriteNodeId(new NodeId(ServiceFault.EncodingId));
        fault.Encode(encoder);
    }

    private static void Header(ResponseHeader header, uint requestHandle, long timestampUaTicks, StatusCode status)
    {
        header.Timestamp = timestampUaTicks;
        header.RequestHandle = requestHandle;
        header.ServiceResult = status;
    }
}
