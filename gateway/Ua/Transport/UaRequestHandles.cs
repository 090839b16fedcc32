namespace Neokernel.Gateway.Ua.Transport;

/// <summary>
/// Reads the RequestHandle from the front of an encoded request or response (Part 4 §7.32, §7.33),
/// so the transport can answer a request it refuses, or a response it cannot send, with a
/// ServiceFault the client matches to its call. A body too short or malformed gives 0.
/// </summary>
public static class UaRequestHandles
{
    /// <summary>Type NodeId, then RequestHeader: AuthenticationToken (NodeId), Timestamp, RequestHandle.</summary>
    /// <param name="body">The request's body.</param>
    /// <param name="knownNodeIds">The ids the server holds (its sessions' tokens), so reading past the token makes no array.</param>
    public static uint OfRequest(ReadOnlySpan<byte> body, IKnownNodeIds? knownNodeIds = null)
    {
        try
        {
            var decoder = new UaDecoder(body, knownNodeIds: knownNodeIds);
            decoder.ReadNodeId();
            decoder.ReadNodeId();
            decoder.ReadDateTime();
            return decoder.ReadUInt32();
        }
        catch (UaCodecException)
        {
            return 0;
        }
    }

    /// <summary>Type NodeId, then ResponseHeader: Timestamp, RequestHandle.</summary>
    public static uint OfResponse(ReadOnlySpan<byte> body)
    {
        try
        {
            var decoder = new UaDecoder(body);
            decoder.ReadNodeId();
            decoder.ReadDateTime();
            return decoder.ReadUInt32();
        }
        catch (UaCodecException)
        {
            return 0;
        }
    }
}
