using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>
/// One UA-TCP connection and its secure channel, reused for the next connection once this one
/// closes. Bytes read go through the chunk reassembler; Hello is answered with Acknowledge, OPN
/// opens or renews the channel, CLO closes it, and MSG chunks are assembled into requests for the
/// service layer. Responses are chunked into a bounded send queue that is written before more
/// input is read (so a client that does not read its answers stops being read), and a response
/// that would take the queue past its limit closes the connection instead. Anything malformed ends
/// this connection with an Error message naming the Part 6 status and what was wrong; nothing
/// thrown leaves a callback.
/// <para>
/// Memory: the slot (its state and timer) is made at the server's start, its buffers when it first
/// serves a client, and they stay with the slot for the next one. The send queue starts at two
/// send buffers and doubles, as responses need, up to <see cref="UaTcpLimits.SendQueueBytes"/>;
/// the request buffer likewise up to the negotiated MaxMessageSize. So the server holds buffers
/// for the most connections it has served at once, each as large as its largest traffic, never
/// more than the limits; a slot that reached its size serves without allocating.
/// </para>
/// </summary>
internal sealed class UaTcpConnection : IStreamHandler, ITimerCallback
{
    /// <summary>Header, SecureChannelId, TokenId, SequenceNumber, RequestId.</summary>
    private const int SymmetricHeadersBytes = UaTcpHeader.Bytes + 16;
    private const int SequenceHeaderBytes = 8;
    private const int InputBytes = 16 * 1024;

    /// <summary>The request buffer's first size: most requests are one small chunk.</summary>
    private const int RequestBytesInitial = UaTcpLimits.BufferBytesMin;

    private readonly UaTcpServer owner;
    private readonly UaTcpLimits limits;
    private readonly UaChunkReassembler reassembler;
    private readonly UaMessageAssembler assembler;
    private readonly UaSecureChannel channel;
    private readonly UaEncoder control;
    private readonly UaChannelMessages messages = new();
    private byte[] input = [];
    private byte[] output = [];
    private readonly IPlatformTimer timer;
    private IStreamChannel? current;
    private UaTcpNegotiation negotiation;
    private bool helloDone;
    private bool pumping;
    private uint generation;
    private int inputStart;
    private int inputEnd;
    private int outputStart;
    private int outputEnd;

    public UaTcpConnection(UaTcpServer owner, int index)
    {
        this.owner = owner;
        Index = index;
        limits = owner.Limits;
        reassembler = new UaChunkReassembler(limits.ReceiveBufferBytes);
        assembler = new UaMessageAssembler(Math.Min(RequestBytesInitial, limits.MessageBytesMax), limits.MessageBytesMax, limits.ChunkCountMax);
        channel = new UaSecureChannel(limits);
        control = new UaEncoder(1024);
        timer = owner.Loop.CreateTimer(this);
    }

    public int Index { get; }

    public bool IsOpen => current is not null;

    /// <summary>Bytes of this slot's buffers now (input, chunk, request, send queue): 0 until it first serves a client.</summary>
    public long BufferBytes => (long)input.Length + output.Length + (reassembler.HasBuffer ? reassembler.CapacityBytes : 0) + assembler.CapacityBytes;

    /// <summary>Bytes of the send queue now: between two send buffers and <see cref="UaTcpLimits.SendQueueBytes"/> once the slot served a client.</summary>
    public int SendQueueCapacityBytes => output.Length;

    private long NowNs => owner.Loop.Clock.NowNs;

    public void Attach(IStreamChannel connection)
    {
        Debug.Assert(current is null, "a pooled connection serves one channel at a time");
        current = connection;
        if (input.Length == 0)
        {
            input = new byte[InputBytes];
            output = new byte[2 * limits.SendBufferBytes];
        }

        reassembler.Reset();
        assembler.Reset(limits.MessageBytesMax, limits.ChunkCountMax);
        channel.Reset();
        helloDone = false;
        inputStart = inputEnd = outputStart = outputEnd = 0;
        timer.ArmAt(NowNs + limits.HelloTimeoutNs);
    }

    public bool IsLive(uint requestGeneration, uint channelId) => current is not null && requestGeneration == generation && channel.IsOpen && channel.ChannelId == channelId;

    /// <summary>Closes the connection and its channel without an Error (CLO, the peer gone, the server stopping).</summary>
    public void Close()
    {
        if (current is null)
        {
            return;
        }

        var channelId = channel.IsOpen ? channel.ChannelId : 0;
        timer.Cancel();
        generation++;
        channel.Reset();
        var closing = current;
        current = null;
        closing.Dispose();
        owner.Release(this);
        if (channelId != 0)
        {
            NotifyClosed(channelId);
        }
    }

    public void OnLinkChanged(IStreamChannel link, LinkState state, DeviceError reason)
    {
        if (state == LinkState.Down && ReferenceEquals(link, current))
        {
            Close();
        }
    }

    public void OnReadable(IStreamChannel link)
    {
        if (ReferenceEquals(link, current))
        {
            Pump();
        }
    }

    public void OnWritable(IStreamChannel link)
    {
        if (ReferenceEquals(link, current))
        {
            Pump();
        }
    }

    /// <summary>The Hello deadline before the channel opens; the channel's expiry after.</summary>
    public void OnTimer(long nowNs)
    {
        if (current is null)
        {
            return;
        }

        if (!channel.IsOpen)
        {
            owner.Counters.TimeoutClose();
            Fail(StatusCodes.BadTimeout, $"no {(helloDone ? "OpenSecureChannel" : "Hello")} within {limits.HelloTimeoutNs / 1_000_000} ms of connecting", counted: false);
            return;
        }

        if (nowNs < channel.ExpiresAtNs)
        {
            timer.ArmAt(channel.ExpiresAtNs);
            return;
        }

        owner.Counters.TimeoutClose();
        Fail(StatusCodes.BadSecureChannelTokenUnknown, $"secure channel {channel.ChannelId}'s token {channel.Current.TokenId} expired ({channel.Current.RevisedLifetimeMs} ms and its grace) without a renewal", counted: false);
    }

    /// <summary>Sends a response, or the ServiceFault that replaces one too large for the client; see <see cref="UaSendResult"/>.</summary>
    public UaSendResult Respond(uint requestGeneration, uint channelId, uint requestId, ReadOnlySpan<byte> body)
    {
        if (!IsLive(requestGeneration, channelId))
        {
            return UaSendResult.ChannelGone;
        }

        var result = UaSendResult.Sent;
        if (!FitsClient(body))
        {
            owner.Counters.ResponseTooLarge();
            body = Fault(UaRequestHandles.OfResponse(body), StatusCodes.BadResponseTooLarge);
            result = UaSendResult.ResponseTooLarge;
        }

        if (!Enqueue(UaMessageType.Message, requestId, body))
        {
            return UaSendResult.QueueFull;
        }

        if (!pumping)
        {
            Pump();
        }

        return result;
    }

    /// <summary>Writes what is pending, handles what is buffered, reads more; until the channel would block or closes.</summary>
    private void Pump()
    {
        pumping = true;
        try
        {
            while (current is not null)
            {
                if (!Flush())
                {
                    return;
                }

                if (inputStart < inputEnd)
                {
                    HandleBuffered();
                    continue;
                }

                var read = current.Read(input);
                if (read.IsDone)
                {
                    inputStart = 0;
                    inputEnd = read.Bytes;
                    continue;
                }

                if (read.Status != IoStatus.WouldBlock)
                {
                    Close();
                }

                return;
            }
        }
        finally
        {
            pumping = false;
        }
    }

    /// <summary>Handles whole chunks of the buffered input until it is used up, output is pending or the connection closed.</summary>
    private void HandleBuffered()
    {
        while (current is not null && inputStart < inputEnd && outputStart == outputEnd)
        {
            var step = reassembler.Append(input.AsSpan(inputStart, inputEnd - inputStart));
            inputStart += step.Consumed;
            if (step.Status == UaReassemblyStatus.Error)
            {
                Fail(reassembler.ErrorStatus, reassembler.ErrorReason);
                return;
            }

            if (step.Status == UaReassemblyStatus.Chunk)
            {
                HandleChunkGuarded();
            }
        }
    }

    /// <summary>The boundary: a fault of the codec, the channel or the service layer ends this connection, never the loop.</summary>
    private void HandleChunkGuarded()
    {
        try
        {
            HandleChunk(reassembler.Header, reassembler.Chunk);
        }
        catch (UaCodecException error)
        {
            Fail(error.Status.Code, $"{UaChunkReassembler.Name(reassembler.Header.MessageType)}: {error.Message}");
        }
#pragma warning disable CA1031 // The boundary of one connection: whatever the upper layers throw ends it, not the service.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Fail(StatusCodes.BadTcpInternalError, $"handling a {UaChunkReassembler.Name(reassembler.Header.MessageType)} failed: {error.GetType().Name}: {error.Message}");
        }
    }

    private void HandleChunk(UaTcpHeader header, Span<byte> chunk)
    {
        if (header.MessageType == UaMessageType.Hello)
        {
            Hello(chunk[UaTcpHeader.Bytes..]);
            return;
        }

        if (!helloDone)
        {
            Fail(StatusCodes.BadTcpMessageTypeInvalid, $"a {UaChunkReassembler.Name(header.MessageType)} before the Hello; a connection starts with HEL");
            return;
        }

        if (header.MessageType == UaMessageType.Open)
        {
            Open(header, chunk);
            return;
        }

        Symmetric(header, chunk);
    }

    private void Hello(ReadOnlySpan<byte> body)
    {
        if (helloDone)
        {
            Fail(StatusCodes.BadTcpMessageTypeInvalid, "a second Hello on one connection");
            return;
        }

        var problem = UaTcpHandshake.TryDecodeHello(body, out var hello, out var status)
            ?? UaTcpHandshake.TryNegotiate(hello!, limits, out negotiation, out status);
        if (problem is not null)
        {
            Fail(status, problem);
            return;
        }

        helloDone = true;
        reassembler.Limit(negotiation.ReceiveBufferBytes);
        assembler.Reset(negotiation.RequestBytesMax, negotiation.RequestChunksMax);
        outputEnd += UaTcpHandshake.WriteAcknowledge(output.AsSpan(outputEnd), negotiation);
    }

    /// <summary>OPN: header, SecureChannelId, asymmetric security header, sequence header, OpenSecureChannelRequest.</summary>
    private void Open(UaTcpHeader header, Span<byte> chunk)
    {
        if (header.ChunkType != UaChunkType.Final)
        {
            Fail(StatusCodes.BadTcpMessageTooLarge, $"an OPN in several chunks; this server takes OpenSecureChannel in one chunk of up to {negotiation.ReceiveBufferBytes} bytes");
            return;
        }

        var headerChannelId = BinaryPrimitives.ReadUInt32LittleEndian(chunk[UaTcpHeader.Bytes..]);
        var decoder = new UaDecoder(chunk[(UaTcpHeader.Bytes + 4)..]);
        var policyUri = decoder.ReadString();
        decoder.ReadByteStringSpan(out _);
        decoder.ReadByteStringSpan(out _);
        var plainHeaderBytes = UaTcpHeader.Bytes + 4 + decoder.Position + SequenceHeaderBytes;
        if (plainHeaderBytes > chunk.Length)
        {
            Fail(StatusCodes.BadTcpInternalError, $"an OPN chunk of {chunk.Length} bytes is shorter than its {plainHeaderBytes} bytes of headers");
            return;
        }

        if (!channel.Security.Unsecure(UaSecurityScope.Asymmetric, chunk, plainHeaderBytes, out var bodyBytes))
        {
            Fail(StatusCodes.BadSecurityChecksFailed, "the OPN chunk does not verify under its security policy");
            return;
        }

        var sequenceNumber = decoder.ReadUInt32();
        var requestId = decoder.ReadUInt32();
        var request = UaChannelMessages.DecodeOpen(chunk.Slice(plainHeaderBytes, bodyBytes));
        var problem = channel.CheckSequence(sequenceNumber, first: !channel.IsOpen, out var status)
            ?? channel.Open(request, headerChannelId, policyUri, channel.IsOpen ? channel.ChannelId : owner.NextChannelId(), NowNs, owner.Loop.UtcNowUaTicks, out status);
        if (problem is not null)
        {
            Fail(status, problem);
            return;
        }

        Count(request.RequestType);
        timer.ArmAt(channel.ExpiresAtNs);
        control.Reset();
        messages.EncodeOpenResponse(control, request.RequestHeader.RequestHandle, owner.Loop.UtcNowUaTicks, channel.Current);
        Enqueue(UaMessageType.Open, requestId, control.Written);
    }

    private void Count(SecurityTokenRequestType type)
    {
        if (type == SecurityTokenRequestType.Issue)
        {
            owner.Counters.ChannelOpened();
        }
        else
        {
            owner.Counters.Renewed();
        }
    }

    /// <summary>MSG and CLO: header, SecureChannelId, TokenId, SequenceNumber, RequestId, body.</summary>
    private void Symmetric(UaTcpHeader header, Span<byte> chunk)
    {
        if (chunk.Length < SymmetricHeadersBytes)
        {
            Fail(StatusCodes.BadTcpInternalError, $"a {UaChunkReassembler.Name(header.MessageType)} chunk of {chunk.Length} bytes is shorter than its {SymmetricHeadersBytes} bytes of headers");
            return;
        }

        var channelId = BinaryPrimitives.ReadUInt32LittleEndian(chunk[8..]);
        var tokenId = BinaryPrimitives.ReadUInt32LittleEndian(chunk[12..]);
        var problem = channel.CheckToken(channelId, tokenId, NowNs, out var status);
        var bodyBytes = 0;
        if (problem is null && !channel.Security.Unsecure(UaSecurityScope.Symmetric, chunk, SymmetricHeadersBytes, out bodyBytes))
        {
            (problem, status) = ("the chunk does not verify under its security policy", StatusCodes.BadSecurityChecksFailed);
        }

        problem ??= channel.CheckSequence(BinaryPrimitives.ReadUInt32LittleEndian(chunk[16..]), first: false, out status);
        if (problem is not null)
        {
            Fail(status, problem);
            return;
        }

        var requestId = BinaryPrimitives.ReadUInt32LittleEndian(chunk[20..]);
        var body = chunk.Slice(SymmetricHeadersBytes, bodyBytes);
        if (header.MessageType == UaMessageType.Close)
        {
            CloseChannel(header, body);
            return;
        }

        Assemble(header.ChunkType, requestId, body);
    }

    private void CloseChannel(UaTcpHeader header, ReadOnlySpan<byte> body)
    {
        if (header.ChunkType != UaChunkType.Final || !UaChannelMessages.IsCloseRequest(body))
        {
            Fail(StatusCodes.BadTcpMessageTypeInvalid, "a CLO that is not one chunk holding a CloseSecureChannelRequest");
            return;
        }

        Flush();
        Close();
    }

    private void Assemble(UaChunkType chunkType, uint requestId, ReadOnlySpan<byte> body)
    {
        switch (assembler.Append(chunkType, requestId, body))
        {
            case UaAssemblyStatus.Message:
                owner.Counters.Request();
                owner.Services.OnRequest(new UaRequestContext(this, generation, channel.ChannelId, requestId), assembler.Body);
                return;
            case UaAssemblyStatus.Aborted:
                owner.Counters.Abort();
                return;
            case UaAssemblyStatus.TooLarge:
                owner.Counters.RequestTooLarge();
                Enqueue(UaMessageType.Message, requestId, Fault(UaRequestHandles.OfRequest(assembler.Body), StatusCodes.BadRequestTooLarge));
                return;
            case UaAssemblyStatus.Interleaved:
                Fail(StatusCodes.BadTcpInternalError, $"a chunk of request {requestId} before the final chunk of request {assembler.RequestId}; this server takes a message's chunks in a row");
                return;
        }
    }

    /// <summary>True if the response fits the client's MaxMessageSize and MaxChunkCount (0: no limit).</summary>
    private bool FitsClient(ReadOnlySpan<byte> body)
    {
        var chunks = ChunksFor(UaSecurityScope.Symmetric, SymmetricHeadersBytes, body.Length, out _);
        return (negotiation.ResponseBytesMax == 0 || (uint)body.Length <= negotiation.ResponseBytesMax)
            && (negotiation.ResponseChunksMax == 0 || (uint)chunks <= negotiation.ResponseChunksMax);
    }

    private ReadOnlySpan<byte> Fault(uint requestHandle, uint status)
    {
        control.Reset();
        messages.EncodeServiceFault(control, requestHandle, owner.Loop.UtcNowUaTicks, status);
        return control.Written;
    }

    private int ChunksFor(UaSecurityScope scope, int plainHeaderBytes, int bodyBytes, out int bodyBytesPerChunk)
    {
        bodyBytesPerChunk = channel.Security.BodyBytesMax(scope, negotiation.SendBufferBytes, plainHeaderBytes);
        Debug.Assert(bodyBytesPerChunk > 0, "a negotiated send buffer of 8192 bytes leaves room for a body");
        return Math.Max(1, (bodyBytes + bodyBytesPerChunk - 1) / bodyBytesPerChunk);
    }

    /// <summary>Writes a message as chunks into the send queue; false (the connection closed) if the queue has no room for all of it.</summary>
    private bool Enqueue(UaMessageType type, uint requestId, ReadOnlySpan<byte> body)
    {
        var scope = type == UaMessageType.Open ? UaSecurityScope.Asymmetric : UaSecurityScope.Symmetric;
        var policyBytes = Encoding.UTF8.GetByteCount(channel.Security.PolicyUri);
        var plainHeaderBytes = scope == UaSecurityScope.Asymmetric ? UaTcpHeader.Bytes + 4 + 12 + policyBytes + SequenceHeaderBytes : SymmetricHeadersBytes;
        var chunks = ChunksFor(scope, plainHeaderBytes, body.Length, out var perChunk);
        if (!MakeRoom((long)chunks * negotiation.SendBufferBytes))
        {
            owner.Counters.SendQueueFullClose();
            Fail(StatusCodes.BadTcpNotEnoughResources, $"the send queue of {limits.SendQueueBytes} bytes is full: the client does not read its responses", counted: false, sendError: false);
            return false;
        }

        for (var index = 0; index < chunks; index++)
        {
            var part = body.Slice(index * perChunk, Math.Min(perChunk, body.Length - (index * perChunk)));
            var chunkType = index == chunks - 1 ? UaChunkType.Final : UaChunkType.Intermediate;
            outputEnd += WriteChunk(output.AsSpan(outputEnd), type, chunkType, scope, plainHeaderBytes, requestId, part);
        }

        return true;
    }

    private int WriteChunk(Span<byte> destination, UaMessageType type, UaChunkType chunkType, UaSecurityScope scope, int plainHeaderBytes, uint requestId, ReadOnlySpan<byte> part)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], channel.ChannelId);
        var at = 12;
        if (scope == UaSecurityScope.Asymmetric)
        {
            var policy = channel.Security.PolicyUri;
            BinaryPrimitives.WriteInt32LittleEndian(destination[at..], Encoding.UTF8.GetByteCount(policy));
            at += 4 + Encoding.UTF8.GetBytes(policy, destination[(at + 4)..]);
            BinaryPrimitives.WriteInt32LittleEndian(destination[at..], -1);
            BinaryPrimitives.WriteInt32LittleEndian(destination[(at + 4)..], -1);
            at += 8;
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], channel.SendTokenId);
            at += 4;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], channel.NextSendSequence());
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(at + 4)..], requestId);
        Debug.Assert(at + SequenceHeaderBytes == plainHeaderBytes, "the headers written are the headers counted");
        part.CopyTo(destination[plainHeaderBytes..]);
        var length = channel.Security.Secure(scope, destination, plainHeaderBytes, part.Length);
        new UaTcpHeader(type, chunkType, (uint)length).Write(destination);
        return length;
    }

    /// <summary>
    /// Makes <paramref name="bytes"/> of room at the end of the send queue: by moving pending output
    /// to the front, then by doubling the queue up to <see cref="UaTcpLimits.SendQueueBytes"/>;
    /// false if even that is not enough.
    /// </summary>
    private bool MakeRoom(long bytes)
    {
        if (output.Length - outputEnd >= bytes)
        {
            return true;
        }

        if (outputStart > 0)
        {
            output.AsSpan(outputStart, outputEnd - outputStart).CopyTo(output);
            outputEnd -= outputStart;
            outputStart = 0;
        }

        if (output.Length - outputEnd >= bytes)
        {
            return true;
        }

        return Grow(outputEnd + bytes);
    }

    /// <summary>Doubles the send queue until it holds <paramref name="bytesNeeded"/>, never past the limit; false (unchanged) if the limit is smaller.</summary>
    private bool Grow(long bytesNeeded)
    {
        if (bytesNeeded > limits.SendQueueBytes)
        {
            return false;
        }

        long grown = Math.Max(output.Length, 1);
        while (grown < bytesNeeded)
        {
            grown = Math.Min(2 * grown, limits.SendQueueBytes);
        }

        Debug.Assert(grown <= limits.SendQueueBytes && grown >= bytesNeeded, "the queue grows to what is needed, within the limit");
        var larger = new byte[grown];
        output.AsSpan(0, outputEnd).CopyTo(larger);
        output = larger;
        return true;
    }

    /// <summary>True when nothing is left to write; false when the rest waits for <see cref="OnWritable"/> or the link closed.</summary>
    private bool Flush()
    {
        while (current is not null && outputStart < outputEnd)
        {
            var written = current.Write(output.AsSpan(outputStart, outputEnd - outputStart));
            if (!written.IsDone)
            {
                if (written.Status != IoStatus.WouldBlock)
                {
                    Close();
                }

                return false;
            }

            outputStart += written.Bytes;
        }

        outputStart = outputEnd = 0;
        return current is not null;
    }

    /// <summary>Ends the connection with an Error message (sent as far as the link takes it at once), traced with its reason.</summary>
    private void Fail(uint status, string reason, bool counted = true, bool sendError = true)
    {
        if (current is null)
        {
            return;
        }

        if (counted)
        {
            owner.Counters.ErrorClose();
        }

        if (sendError && MakeRoom(UaTcpHandshake.ErrorBytes(reason)))
        {
            outputEnd += UaTcpHandshake.WriteError(output.AsSpan(outputEnd), status, reason);
        }

        var peer = current.Peer;
        if (sendError)
        {
            Flush();
        }

        Close();
        owner.Trace?.ConnectionClosed(peer, status, reason);
    }

    private void NotifyClosed(uint channelId)
    {
        try
        {
            owner.Services.OnChannelClosed(channelId);
        }
#pragma warning disable CA1031 // The service layer's fault on a closed channel must not reach the loop either.
        catch (Exception error)
#pragma warning restore CA1031
        {
            owner.Trace?.ConnectionClosed("", StatusCodes.BadTcpInternalError, $"the service layer failed on channel {channelId} closing: {error.GetType().Name}: {error.Message}");
        }
    }
}
