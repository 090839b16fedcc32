using System.Buffers.Binary;
using System.Text;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>A client's Hello (Part 6 §7.1.2.3), decoded.</summary>
public sealed record UaHello(uint ProtocolVersion, uint ReceiveBufferSize, uint SendBufferSize, uint MaxMessageSize, uint MaxChunkCount, string? EndpointUrl);

/// <summary>
/// The limits both sides agreed on in Hello and Acknowledge, in the server's terms: the largest
/// chunk it receives and sends, what it assembles of a request, and what the client accepts of a
/// response (0: the client set no limit, so only the server's own bounds apply).
/// </summary>
public readonly record struct UaTcpNegotiation(
    int ReceiveBufferBytes,
    int SendBufferBytes,
    int RequestBytesMax,
    int RequestChunksMax,
    uint ResponseBytesMax,
    uint ResponseChunksMax);

/// <summary>The connection protocol's own messages: Hello in, Acknowledge and Error out, and the negotiation between them.</summary>
public static class UaTcpHandshake
{
    /// <summary>The UACP version this server speaks (Part 6 §7.1.2.4: 0 for this version of the standard).</summary>
    public const uint ProtocolVersion = 0;

    private const int HelloFixedBytes = 20;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>
    /// Reads a Hello's body (the bytes after its header). A malformed one, or one whose EndpointUrl
    /// is over 4096 bytes, gives the status to send in an Error and a reason; success gives null.
    /// </summary>
    public static string? TryDecodeHello(ReadOnlySpan<byte> body, out UaHello? hello, out uint status)
    {
        hello = null;
        status = StatusCodes.BadTcpInternalError;
        if (body.Length < HelloFixedBytes + 4)
        {
            return $"a Hello body of {body.Length} bytes is shorter than its {HelloFixedBytes + 4} fixed bytes";
        }

        var urlBytes = BinaryPrimitives.ReadInt32LittleEndian(body[HelloFixedBytes..]);
        if (urlBytes > UaTcpLimits.EndpointUrlBytesMax)
        {
            status = StatusCodes.BadTcpEndpointUrlInvalid;
            return $"the Hello's EndpointUrl has {urlBytes} bytes; at most {UaTcpLimits.EndpointUrlBytesMax} are allowed";
        }

        try
        {
            var decoder = new UaDecoder(body);
            var version = decoder.ReadUInt32();
            var receive = decoder.ReadUInt32();
            var send = decoder.ReadUInt32();
            var messageMax = decoder.ReadUInt32();
            var chunksMax = decoder.ReadUInt32();
            var url = decoder.ReadString();
            decoder.ExpectEnd("the Hello");
            hello = new UaHello(version, receive, send, messageMax, chunksMax, url);
            return null;
        }
        catch (UaCodecException error)
        {
            return "the Hello is malformed: " + error.Message;
        }
    }

    /// <summary>
    /// The server's side of the negotiation: chunk sizes lowered to what the client can take, and
    /// refused (Bad_TcpNotEnoughResources) when the client offers less than 8192 bytes either way.
    /// </summary>
    public static string? TryNegotiate(UaHello hello, UaTcpLimits limits, out UaTcpNegotiation negotiation, out uint status)
    {
        ArgumentNullException.ThrowIfNull(hello);
        ArgumentNullException.ThrowIfNull(limits);
        negotiation = default;
        status = StatusCodes.BadTcpNotEnoughResources;
        if (hello.ReceiveBufferSize < UaTcpLimits.BufferBytesMin || hello.SendBufferSize < UaTcpLimits.BufferBytesMin)
        {
            return $"the Hello offers buffers of {hello.ReceiveBufferSize} (receive) and {hello.SendBufferSize} (send) bytes; both must be at least {UaTcpLimits.BufferBytesMin}";
        }

        negotiation = new UaTcpNegotiation(
            (int)Math.Min((uint)limits.ReceiveBufferBytes, hello.SendBufferSize),
            (int)Math.Min((uint)limits.SendBufferBytes, hello.ReceiveBufferSize),
            limits.MessageBytesMax,
            limits.ChunkCountMax,
            hello.MaxMessageSize,
            hello.MaxChunkCount);
        status = 0;
        return null;
    }

    /// <summary>Writes the whole Acknowledge message (header included); returns its length.</summary>
    public static int WriteAcknowledge(Span<byte> destination, in UaTcpNegotiation negotiation)
    {
        const int length = UaTcpHeader.Bytes + 20;
        new UaTcpHeader(UaMessageType.Acknowledge, UaChunkType.Final, length).Write(destination);
        var body = destination[UaTcpHeader.Bytes..];
        BinaryPrimitives.WriteUInt32LittleEndian(body, ProtocolVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], (uint)negotiation.ReceiveBufferBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(body[8..], (uint)negotiation.SendBufferBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(body[12..], (uint)negotiation.RequestBytesMax);
        BinaryPrimitives.WriteUInt32LittleEndian(body[16..], (uint)negotiation.RequestChunksMax);
        return length;
    }

    /// <summary>The bytes an Error message with <paramref name="reason"/> takes.</summary>
    public static int ErrorBytes(string reason) => UaTcpHeader.Bytes + 8 + Utf8.GetByteCount(Bounded(reason));

    /// <summary>Writes a whole Error message (Part 6 §7.1.2.5); a reason over 4096 bytes is shortened to fit.</summary>
    public static int WriteError(Span<byte> destination, uint status, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var reasonBytes = Utf8.GetBytes(Bounded(reason), destination[(UaTcpHeader.Bytes + 8)..]);
        var length = UaTcpHeader.Bytes + 8 + reasonBytes;
        new UaTcpHeader(UaMessageType.Error, UaChunkType.Final, (uint)length).Write(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[UaTcpHeader.Bytes..], status);
        BinaryPrimitives.WriteInt32LittleEndian(destination[(UaTcpHeader.Bytes + 4)..], reasonBytes);
        return length;
    }

    /// <summary>The reason itself, or its first 1024 characters when it could exceed 4096 bytes (no character takes more than 4).</summary>
    private static string Bounded(string reason) => reason.Length * 3 <= UaTcpLimits.ReasonBytesMax ? reason : reason[..Math.Min(reason.Length, UaTcpLimits.ReasonBytesMax / 4)];
}
