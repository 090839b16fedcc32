namespace Neokernel.Gateway.Ua.Transport;

/// <summary>OpenSecureChannel's RequestType (Part 4 §5.5.2.2).</summary>
public enum UaTokenRequestType : uint
{
    Issue = 0,
    Renew = 1,
}

/// <summary>The parts of an OpenSecureChannelRequest the channel acts on.</summary>
public readonly record struct UaOpenRequest(uint RequestHandle, uint ClientProtocolVersion, UaTokenRequestType RequestType, uint SecurityMode, uint RequestedLifetimeMs);

/// <summary>A ChannelSecurityToken as granted: the channel, the token, when (UA DateTime) and for how long.</summary>
public readonly record struct UaToken(uint ChannelId, uint TokenId, long CreatedAtUaTicks, uint RevisedLifetimeMs);

/// <summary>
/// The service bodies the secure channel itself reads and writes: OpenSecureChannel,
/// CloseSecureChannel and the ServiceFault it answers a refused request with. Each body starts
/// with its type's binary encoding NodeId (Part 6 §7.1.4). Kept behind this seam so the channel
/// depends on the structures only through it.
/// </summary>
public interface IUaChannelMessages
{
    /// <summary>Reads an OPN body; throws <see cref="UaCodecException"/> if it is not a well-formed OpenSecureChannelRequest.</summary>
    UaOpenRequest DecodeOpen(ReadOnlySpan<byte> body);

    /// <summary>True if a CLO body is a CloseSecureChannelRequest.</summary>
    bool IsCloseRequest(ReadOnlySpan<byte> body);

    /// <summary>Writes an OpenSecureChannelResponse (type NodeId first) granting <paramref name="token"/>.</summary>
    void EncodeOpenResponse(UaEncoder encoder, uint requestHandle, long timestampUaTicks, in UaToken token);

    /// <summary>Writes a ServiceFault (type NodeId first) answering the request <paramref name="requestHandle"/> with <paramref name="status"/>.</summary>
    void EncodeServiceFault(UaEncoder encoder, uint requestHandle, long timestampUaTicks, uint status);
}
