using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>What one <see cref="UaChunkReassembler.Append"/> did.</summary>
public enum UaReassemblyStatus
{
    /// <summary>Every byte given was taken; the chunk is not complete yet.</summary>
    NeedMore,

    /// <summary>A whole chunk is in <see cref="UaChunkReassembler.Chunk"/>; the bytes after it were not taken.</summary>
    Chunk,

    /// <summary>The stream broke UA-TCP framing; <see cref="UaChunkReassembler.ErrorStatus"/> and the reason say how. No boundary is left to find, so the connection ends.</summary>
    Error,
}

/// <summary>The outcome of one append: what happened and how many of the given bytes it took.</summary>
public readonly record struct UaReassemblyStep(UaReassemblyStatus Status, int Consumed);

/// <summary>
/// Cuts a byte stream into UA-TCP chunks as the bytes arrive: a header split over reads, several
/// chunks in one read, a chunk in many. Each chunk is judged by its header before its body is
/// taken: a message type a client does not send, a chunk type other than F, C or A (only F for a
/// Hello), or a MessageSize too small for its type or above the negotiated receive buffer ends the
/// stream with the Part 6 status. One buffer of the largest chunk, made at the first bytes (so a
/// connection slot that never serves a client holds none) and kept; nothing allocated per chunk.
/// </summary>
public sealed class UaChunkReassembler
{
    /// <summary>The smallest Hello: its header, five UInt32 and an EndpointUrl length.</summary>
    public const int HelloBytesMin = UaTcpHeader.Bytes + 24;

    /// <summary>The smallest secured chunk: header and SecureChannelId.</summary>
    public const int SecuredBytesMin = UaTcpHeader.Bytes + 4;

    private byte[] buffer = [];
    private int filled;
    private int expected;
    private bool complete;

    public UaChunkReassembler(int capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, HelloBytesMin);
        CapacityBytes = capacityBytes;
        ChunkBytesMax = capacityBytes;
    }

    /// <summary>The largest chunk this reassembler can hold: the size of its buffer once made.</summary>
    public int CapacityBytes { get; }

    /// <summary>Whether the buffer is made: false until the first <see cref="Append"/>.</summary>
    public bool HasBuffer => buffer.Length != 0;

    /// <summary>The largest chunk accepted now: the server's buffer before the Hello, the negotiated receive buffer after.</summary>
    public int ChunkBytesMax { get; private set; }

    /// <summary>The header of the chunk last completed.</summary>
    public UaTcpHeader Header { get; private set; }

    /// <summary>The chunk last completed, its header included; valid until the next <see cref="Append"/>. Writable so that a security policy can decrypt in place.</summary>
    public Span<byte> Chunk => complete ? buffer.AsSpan(0, expected) : [];

    public bool Faulted => ErrorStatus != 0;

    /// <summary>The status for the Error message once <see cref="Faulted"/>.</summary>
    public uint ErrorStatus { get; private set; }

    public string ErrorReason { get; private set; } = "";

    /// <summary>Lowers the chunk limit to the negotiated receive buffer.</summary>
    public void Limit(int chunkBytesMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytesMax, HelloBytesMin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkBytesMax, CapacityBytes);
        ChunkBytesMax = chunkBytesMax;
    }

    /// <summary>For the next connection: empty, unfaulted, the limit back at the buffer's size.</summary>
    public void Reset()
    {
        filled = expected = 0;
        complete = false;
        ErrorStatus = 0;
        ErrorReason = "";
        ChunkBytesMax = CapacityBytes;
    }

    /// <summary>Takes bytes up to the end of the current chunk; see <see cref="UaReassemblyStatus"/>.</summary>
    public UaReassemblyStep Append(ReadOnlySpan<byte> data)
    {
        if (Faulted)
        {
            return new UaReassemblyStep(UaReassemblyStatus.Error, 0);
        }

        if (complete)
        {
            complete = false;
            filled = expected = 0;
        }

        if (buffer.Length == 0)
        {
            buffer = new byte[CapacityBytes];
        }

        var consumed = 0;
        if (filled < UaTcpHeader.Bytes)
        {
            consumed = Fill(data, UaTcpHeader.Bytes);
            if (filled < UaTcpHeader.Bytes)
            {
                return new UaReassemblyStep(UaReassemblyStatus.NeedMore, consumed);
            }

            if (!Judge(UaTcpHeader.Read(buffer)))
            {
                return new UaReassemblyStep(UaReassemblyStatus.Error, consumed);
            }
        }

        consumed += Fill(data[consumed..], expected);
        Debug.Assert(filled <= expected, "a chunk never takes bytes past its MessageSize");
        if (filled < expected)
        {
            return new UaReassemblyStep(UaReassemblyStatus.NeedMore, consumed);
        }

        complete = true;
        return new UaReassemblyStep(UaReassemblyStatus.Chunk, consumed);
    }

    private int Fill(ReadOnlySpan<byte> data, int until)
    {
        var take = Math.Min(data.Length, until - filled);
        data[..take].CopyTo(buffer.AsSpan(filled));
        filled += take;
        return take;
    }

    private bool Judge(UaTcpHeader header)
    {
        Header = header;
        if (!UaTcpHeader.IsFromClient(header.MessageType))
        {
            return Fail(StatusCodes.BadTcpMessageTypeInvalid, $"message type 0x{(uint)header.MessageType:X6} is not one a client sends to a server (HEL, OPN, MSG, CLO)");
        }

        var secured = UaTcpHeader.IsSecured(header.MessageType);
        if (header.ChunkType is not (UaChunkType.Final or UaChunkType.Intermediate or UaChunkType.Abort) || (!secured && header.ChunkType != UaChunkType.Final))
        {
            return Fail(StatusCodes.BadTcpMessageTypeInvalid, $"chunk type 0x{(byte)header.ChunkType:X2} of a {Name(header.MessageType)} is not {(secured ? "F, C or A" : "F")}");
        }

        var minimum = secured ? SecuredBytesMin : HelloBytesMin;
        if (header.MessageSize < minimum)
        {
            return Fail(StatusCodes.BadTcpInternalError, $"a {Name(header.MessageType)} of {header.MessageSize} bytes is shorter than its {minimum} bytes of headers");
        }

        if (header.MessageSize > (uint)ChunkBytesMax)
        {
            return Fail(StatusCodes.BadTcpMessageTooLarge, $"a {Name(header.MessageType)} chunk of {header.MessageSize} bytes exceeds the receive buffer of {ChunkBytesMax} bytes");
        }

        expected = (int)header.MessageSize;
        return true;
    }

    private bool Fail(uint status, string reason)
    {
        ErrorStatus = status;
        ErrorReason = reason;
        return false;
    }

    /// <summary>The three letters of a message type, for reasons.</summary>
    public static string Name(UaMessageType type) => type switch
    {
        UaMessageType.Hello => "HEL",
        UaMessageType.Acknowledge => "ACK",
        UaMessageType.Error => "ERR",
        UaMessageType.ReverseHello => "RHE",
        UaMessageType.Message => "MSG",
        UaMessageType.Open => "OPN",
        UaMessageType.Close => "CLO",
        _ => "message",
    };
}
