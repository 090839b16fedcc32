using System.Buffers.Binary;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>The message types of UA-TCP (Part 6 §7.1.2.2): the three ASCII letters as they arrive, read little-endian.</summary>
public enum UaMessageType : uint
{
    None = 0,

    /// <summary>HEL: the client's Hello, the first message of a connection.</summary>
    Hello = 'H' | ('E' << 8) | ('L' << 16),

    /// <summary>ACK: the server's Acknowledge with the negotiated limits.</summary>
    Acknowledge = 'A' | ('C' << 8) | ('K' << 16),

    /// <summary>ERR: an error, after which the sender closes the connection.</summary>
    Error = 'E' | ('R' << 8) | ('R' << 16),

    /// <summary>RHE: a reverse Hello, sent by a server that connects to a client; never accepted by this server.</summary>
    ReverseHello = 'R' | ('H' << 8) | ('E' << 16),

    /// <summary>MSG: a service request or response on a secure channel.</summary>
    Message = 'M' | ('S' << 8) | ('G' << 16),

    /// <summary>OPN: OpenSecureChannel, secured asymmetrically.</summary>
    Open = 'O' | ('P' << 8) | ('N' << 16),

    /// <summary>CLO: CloseSecureChannel.</summary>
    Close = 'C' | ('L' << 8) | ('O' << 16),
}

/// <summary>The fourth header byte: whether a chunk ends its message, continues it, or aborts it.</summary>
public enum UaChunkType : byte
{
    None = 0,

    /// <summary>F: the final (or only) chunk of a message.</summary>
    Final = (byte)'F',

    /// <summary>C: an intermediate chunk; more follow.</summary>
    Intermediate = (byte)'C',

    /// <summary>A: the sender gave up on the message; its body is an error and a reason.</summary>
    Abort = (byte)'A',
}

/// <summary>
/// The 8-byte header that starts every UA-TCP message and chunk: type, chunk type and the size of
/// the whole chunk including these 8 bytes.
/// </summary>
public readonly record struct UaTcpHeader(UaMessageType MessageType, UaChunkType ChunkType, uint MessageSize)
{
    public const int Bytes = 8;

    /// <summary>Reads a header without judging it; <see cref="UaChunkReassembler"/> does that.</summary>
    public static UaTcpHeader Read(ReadOnlySpan<byte> source)
    {
        var word = BinaryPrimitives.ReadUInt32LittleEndian(source);
        return new UaTcpHeader((UaMessageType)(word & 0x00FF_FFFF), (UaChunkType)(word >> 24), BinaryPrimitives.ReadUInt32LittleEndian(source[4..]));
    }

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)MessageType | ((uint)ChunkType << 24));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], MessageSize);
    }

    /// <summary>True for the message types a client may send to this server.</summary>
    public static bool IsFromClient(UaMessageType type) => type is UaMessageType.Hello or UaMessageType.Message or UaMessageType.Open or UaMessageType.Close;

    /// <summary>True for the types secured by a secure channel, which may come in several chunks.</summary>
    public static bool IsSecured(UaMessageType type) => type is UaMessageType.Message or UaMessageType.Open or UaMessageType.Close;
}
