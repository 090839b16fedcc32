namespace Neokernel.Gateway.Ua.Transport;

/// <summary>Which of a chunk's two security headers protects it: OPN chunks are asymmetric, MSG and CLO symmetric.</summary>
public enum UaSecurityScope
{
    Asymmetric,
    Symmetric,
}

/// <summary>
/// The cryptography of one secure channel, the seam where Sign and SignAndEncrypt plug in. The
/// channel lays out each chunk as header, security header, sequence header, body; this decides
/// how much of a chunk the body may take (room for padding and signature), secures an outgoing
/// chunk in place (pad, sign, encrypt) and checks an incoming one in place (decrypt, verify,
/// strip padding). None does nothing; a signing policy is made per channel from the OPN's
/// certificates and nonces (Part 6 §6.7.5) and implements the same four members.
/// </summary>
public interface IUaChannelSecurity
{
    /// <summary>The SecurityPolicyUri the asymmetric header carries.</summary>
    string PolicyUri { get; }

    /// <summary>The most body bytes a chunk of <paramref name="chunkBytesMax"/> holds after <paramref name="plainHeaderBytes"/> of headers (sequence header included), leaving room for padding and signature.</summary>
    int BodyBytesMax(UaSecurityScope scope, int chunkBytesMax, int plainHeaderBytes);

    /// <summary>Pads, signs and encrypts a chunk whose headers and body are written; returns the chunk's final length (the header's MessageSize is patched by the caller).</summary>
    int Secure(UaSecurityScope scope, Span<byte> chunk, int plainHeaderBytes, int bodyBytes);

    /// <summary>Decrypts and verifies an incoming chunk in place; gives the body's length after its headers, or false (Bad_SecurityChecksFailed) if it does not verify.</summary>
    bool Unsecure(UaSecurityScope scope, Span<byte> chunk, int plainHeaderBytes, out int bodyBytes);
}

/// <summary>SecurityPolicy None (http://opcfoundation.org/UA/SecurityPolicy#None): no padding, no signature, no encryption.</summary>
public sealed class UaSecurityNone : IUaChannelSecurity
{
    public const string Uri = "http://opcfoundation.org/UA/SecurityPolicy#None";

    public static UaSecurityNone Instance { get; } = new();

    private UaSecurityNone()
    {
    }

    public string PolicyUri => Uri;

    public int BodyBytesMax(UaSecurityScope scope, int chunkBytesMax, int plainHeaderBytes) => chunkBytesMax - plainHeaderBytes;

    public int Secure(UaSecurityScope scope, Span<byte> chunk, int plainHeaderBytes, int bodyBytes) => plainHeaderBytes + bodyBytes;

    public bool Unsecure(UaSecurityScope scope, Span<byte> chunk, int plainHeaderBytes, out int bodyBytes)
    {
        bodyBytes = chunk.Length - plainHeaderBytes;
        return bodyBytes >= 0;
    }
}
