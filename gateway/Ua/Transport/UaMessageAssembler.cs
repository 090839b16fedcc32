using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>What one chunk did to the message being assembled.</summary>
public enum UaAssemblyStatus
{
    /// <summary>An intermediate chunk was added (or a chunk of a request already refused was dropped).</summary>
    Incomplete,

    /// <summary>A final chunk completed the message in <see cref="UaMessageAssembler.Body"/>.</summary>
    Message,

    /// <summary>The client aborted the message (an A chunk); nothing is answered.</summary>
    Aborted,

    /// <summary>The message exceeds MaxMessageSize or MaxChunkCount: answer it with Bad_RequestTooLarge; its further chunks are dropped.</summary>
    TooLarge,

    /// <summary>A chunk of another request came before the current one's final chunk; the stream is broken.</summary>
    Interleaved,
}

/// <summary>
/// Joins the bodies of a request's chunks (after their sequence headers) into one message body:
/// C chunks gather, the F chunk completes, an A chunk discards. Bounded by the negotiated
/// MaxMessageSize and MaxChunkCount: past either the request is refused once
/// (<see cref="UaAssemblyStatus.TooLarge"/>) and its remaining chunks dropped, while the gathered
/// prefix stays in <see cref="Body"/> so the refusal can name the request handle. The buffer is
/// made at the first body (<c>initialBytes</c>) and grows by doubling up to the limit, so a
/// connection reaches its largest message once and then assembles without allocating, and an
/// idle connection slot holds no buffer at all.
/// </summary>
public sealed class UaMessageAssembler
{
    private readonly int initialBytes;
    private byte[] buffer = [];
    private int length;
    private int chunks;
    private bool inProgress;
    private bool dropping;

    public UaMessageAssembler(int initialBytes, int bytesMax, int chunksMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesMax, initialBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunksMax);
        this.initialBytes = initialBytes;
        BytesMax = bytesMax;
        ChunksMax = chunksMax;
    }

    public int BytesMax { get; private set; }

    public int ChunksMax { get; private set; }

    /// <summary>Bytes of the buffer now: 0 until the first body, then the largest message's size rounded up by doubling.</summary>
    public int CapacityBytes => buffer.Length;

    /// <summary>The request id of the message in progress or last completed.</summary>
    public uint RequestId { get; private set; }

    /// <summary>The completed message, or the gathered prefix of one refused; valid until the next <see cref="Append"/>.</summary>
    public ReadOnlySpan<byte> Body => buffer.AsSpan(0, length);

    /// <summary>True while chunks of a request are being gathered or dropped.</summary>
    public bool InProgress => inProgress;

    /// <summary>Sets the negotiated limits (no larger than construction's) and drops any message in progress.</summary>
    public void Reset(int bytesMax, int chunksMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunksMax);
        BytesMax = bytesMax;
        ChunksMax = chunksMax;
        Clear();
    }

    public UaAssemblyStatus Append(UaChunkType chunkType, uint requestId, ReadOnlySpan<byte> body)
    {
        Debug.Assert(chunkType is UaChunkType.Final or UaChunkType.Intermediate or UaChunkType.Abort, "the reassembler passes only F, C and A chunks");
        if (inProgress && requestId != RequestId)
        {
            return UaAssemblyStatus.Interleaved;
        }

        if (chunkType == UaChunkType.Abort)
        {
            Clear();
            RequestId = requestId;
            return UaAssemblyStatus.Aborted;
        }

        if (!inProgress)
        {
            Clear();
            inProgress = true;
            RequestId = requestId;
        }

        if (dropping)
        {
            FinishIf(chunkType);
            return UaAssemblyStatus.Incomplete;
        }

        chunks++;
        if (chunks > ChunksMax || (long)length + body.Length > BytesMax)
        {
            dropping = true;
            Add(body[..Math.Min(body.Length, BytesMax - length)]);
            FinishIf(chunkType);
            return UaAssemblyStatus.TooLarge;
        }

        Add(body);
        if (chunkType == UaChunkType.Intermediate)
        {
            return UaAssemblyStatus.Incomplete;
        }

        inProgress = false;
        return UaAssemblyStatus.Message;
    }

    private void FinishIf(UaChunkType chunkType)
    {
        if (chunkType == UaChunkType.Final)
        {
            inProgress = false;
            dropping = false;
        }
    }

    private void Add(ReadOnlySpan<byte> body)
    {
        if (length + body.Length > buffer.Length)
        {
            var grown = Math.Max(buffer.Length, initialBytes);
            while (grown < length + body.Length)
            {
                grown = (int)Math.Min(2L * grown, BytesMax);
            }

            Array.Resize(ref buffer, grown);
        }

        body.CopyTo(buffer.AsSpan(length));
        length += body.Length;
    }

    private void Clear()
    {
        length = chunks = 0;
        inProgress = dropping = false;
    }
}
