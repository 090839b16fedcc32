using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Neokernel.Interop.Tests.Support;

/// <summary>One message the server sent on a raw UA-TCP connection: its type (ACK, ERR, OPN, MSG), chunk type and whole bytes; or that the server closed the connection.</summary>
public sealed record UaTcpReply(string Type, char ChunkType, byte[] Bytes)
{
    public static readonly UaTcpReply Closed = new("closed", ' ', []);

    public bool IsClosed => ReferenceEquals(this, Closed);

    /// <summary>An ERR's status code (Part 6 §7.1.2.5).</summary>
    public uint ErrorStatus => Type == "ERR" ? BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(8)) : throw new InvalidOperationException($"a {Type} has no error status");

    /// <summary>An ERR's reason.</summary>
    public string ErrorReason => Type == "ERR" ? Encoding.UTF8.GetString(Bytes, 16, Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(12)))) : "";

    /// <summary>A field of an ACK (0 ProtocolVersion, 1 ReceiveBufferSize, 2 SendBufferSize, 3 MaxMessageSize, 4 MaxChunkCount).</summary>
    public uint AcknowledgeField(int index) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(8 + (4 * index)));

    public override string ToString() => Type == "ERR" ? $"ERR 0x{ErrorStatus:X8} '{ErrorReason}'" : $"{Type}{ChunkType} of {Bytes.Length} bytes";
}

/// <summary>
/// A hand-written UA-TCP client for hostile input: it writes whatever bytes a test gives it, and
/// knows just enough of Part 6 to say Hello, open a SecurityPolicy None channel and send MSG
/// chunks with the right channel, token and sequence numbers, so that a test can reach each
/// stage of the server's decoder with a malformed or oversized message. Nothing here comes from
/// the gateway's own codec: the bytes are laid out from the specification.
/// </summary>
public sealed class UaTcpProbe : IDisposable
{
    /// <summary>A Hello's sizes that any server accepts: 64 KiB chunks both ways, no message or chunk count limit.</summary>
    public const uint BufferBytes = 65_535;

    private const string PolicyNone = "http://opcfoundation.org/UA/SecurityPolicy#None";
    private const ushort OpenSecureChannelRequestId = 446;
    private readonly TcpClient client;
    private readonly NetworkStream stream;
    private uint sequenceNumber;

    private UaTcpProbe(TcpClient client)
    {
        this.client = client;
        stream = client.GetStream();
    }

    public uint ChannelId { get; private set; }

    public uint TokenId { get; private set; }

    public static UaTcpProbe Connect(int port, TimeSpan timeout)
    {
        var client = new TcpClient { NoDelay = true, ReceiveTimeout = (int)timeout.TotalMilliseconds, SendTimeout = (int)timeout.TotalMilliseconds };
        client.Connect("127.0.0.1", port);
        return new UaTcpProbe(client);
    }

    /// <summary>A whole HEL message; <paramref name="urlBytes"/> overrides the EndpointUrl's length field (a lie about it).</summary>
    public static byte[] Hello(uint receiveBytes, uint sendBytes, uint messageBytesMax, uint chunkCountMax, string url = "opc.tcp://127.0.0.1:4840", int? urlBytes = null)
    {
        var urlUtf8 = Encoding.UTF8.GetBytes(url);
        var message = new byte[8 + 20 + 4 + urlUtf8.Length];
        Header(message, "HELF", (uint)message.Length);
        var body = message.AsSpan(8);
        BinaryPrimitives.WriteUInt32LittleEndian(body, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], receiveBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(body[8..], sendBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(body[12..], messageBytesMax);
        BinaryPrimitives.WriteUInt32LittleEndian(body[16..], chunkCountMax);
        BinaryPrimitives.WriteInt32LittleEndian(body[20..], urlBytes ?? urlUtf8.Length);
        urlUtf8.CopyTo(body[24..]);
        return message;
    }

    /// <summary>Writes a message header: three type letters and the chunk type, then the whole size.</summary>
    public static void Header(Span<byte> destination, string typeAndChunk, uint size)
    {
        Encoding.ASCII.GetBytes(typeAndChunk, destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], size);
    }

    public void Send(ReadOnlySpan<byte> bytes) => stream.Write(bytes);

    /// <summary>Says Hello with <see cref="BufferBytes"/> both ways and expects an ACK.</summary>
    public void HelloAcknowledged()
    {
        Send(Hello(BufferBytes, BufferBytes, 0, 0));
        var reply = Receive();
        if (reply.Type != "ACK")
        {
            throw new InvalidOperationException($"Hello answered {reply}, not ACK");
        }
    }

    /// <summary>Hello, then OpenSecureChannel (Issue, SecurityPolicy None); keeps the channel and token the server granted.</summary>
    public void OpenChannel()
    {
        HelloAcknowledged();
        var body = new List<byte>();
        Add(body, [0x01, 0x00]);
        AddUInt16(body, OpenSecureChannelRequestId);
        AddRequestHeader(body, requestHandle: 1);
        AddUInt32(body, 0); // ClientProtocolVersion
        AddUInt32(body, 0); // RequestType Issue
        AddUInt32(body, 1); // SecurityMode None
        AddInt32(body, -1); // ClientNonce null
        AddUInt32(body, 600_000); // RequestedLifetime
        var headers = new List<byte>();
        AddUInt32(headers, 0); // SecureChannelId
        AddInt32(headers, PolicyNone.Length);
        Add(headers, Encoding.ASCII.GetBytes(PolicyNone));
        AddInt32(headers, -1); // SenderCertificate
        AddInt32(headers, -1); // ReceiverCertificateThumbprint
        AddUInt32(headers, ++sequenceNumber);
        AddUInt32(headers, 1); // RequestId
        var message = new byte[8 + headers.Count + body.Count];
        Header(message, "OPNF", (uint)message.Length);
        headers.CopyTo(message, 8);
        body.CopyTo(message, 8 + headers.Count);
        Send(message);
        ReadOpenResponse(Receive());
    }

    /// <summary>One MSG chunk on the open channel: symmetric headers with the next sequence number, then <paramref name="body"/>.</summary>
    public void SendChunk(char chunkType, uint requestId, ReadOnlySpan<byte> body)
    {
        var chunk = new byte[24 + body.Length];
        Header(chunk, "MSG" + chunkType, (uint)chunk.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(8), ChannelId);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(12), TokenId);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(16), ++sequenceNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(20), requestId);
        body.CopyTo(chunk.AsSpan(24));
        Send(chunk);
    }

    /// <summary>The start of a ReadRequest body (its type id and RequestHeader with <paramref name="requestHandle"/>), padded with zeros to <paramref name="bytes"/>.</summary>
    public static byte[] RequestPrefix(uint requestHandle, int bytes)
    {
        var body = new List<byte>();
        Add(body, [0x01, 0x00]);
        AddUInt16(body, 631); // ReadRequest_Encoding_DefaultBinary
        AddRequestHeader(body, requestHandle);
        var padded = new byte[Math.Max(bytes, body.Count)];
        body.CopyTo(padded);
        return padded;
    }

    /// <summary>A MSG answer's ServiceResult and RequestHandle, read from its ResponseHeader (after the four-byte type id).</summary>
    public static (uint RequestHandle, uint ServiceResult) ResponseHeader(UaTcpReply reply)
    {
        if (reply.Type != "MSG" || reply.Bytes.Length < 44)
        {
            throw new InvalidOperationException($"expected a MSG response, got {reply}");
        }

        return (BinaryPrimitives.ReadUInt32LittleEndian(reply.Bytes.AsSpan(36)), BinaryPrimitives.ReadUInt32LittleEndian(reply.Bytes.AsSpan(40)));
    }

    /// <summary>The server's next message, or <see cref="UaTcpReply.Closed"/> when it closed the connection first. Throws on the timeout.</summary>
    public UaTcpReply Receive()
    {
        var header = new byte[8];
        if (!ReadExactly(header))
        {
            return UaTcpReply.Closed;
        }

        var size = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        if (size < 8 || size > 16 << 20)
        {
            throw new InvalidOperationException($"the server sent a message header of size {size}");
        }

        var bytes = new byte[size];
        header.CopyTo(bytes, 0);
        if (!ReadExactly(bytes.AsSpan(8)))
        {
            return UaTcpReply.Closed;
        }

        return new UaTcpReply(Encoding.ASCII.GetString(bytes, 0, 3), (char)bytes[3], bytes);
    }

    /// <summary>True once the server has closed the connection (reads end), within the receive timeout; whatever it sends before is skipped.</summary>
    public bool ClosedByServer()
    {
        var sink = new byte[4096];
        try
        {
            while (stream.Read(sink) > 0)
            {
            }

            return true;
        }
        catch (IOException error) when (error.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return true;
        }
    }

    public void Dispose()
    {
        stream.Dispose();
        client.Dispose();
    }

    private bool ReadExactly(Span<byte> destination)
    {
        try
        {
            return stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) == destination.Length;
        }
        catch (IOException error) when (error.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return false;
        }
    }

    /// <summary>OPN: header, channel id, policy uri, two null byte strings, sequence header, the type id, ResponseHeader, protocol version, then the token.</summary>
    private void ReadOpenResponse(UaTcpReply reply)
    {
        if (reply.Type != "OPN")
        {
            throw new InvalidOperationException($"OpenSecureChannel answered {reply}, not OPN");
        }

        var at = 12;
        at += 4 + Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(reply.Bytes.AsSpan(at)));
        at += 4 + Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(reply.Bytes.AsSpan(at)));
        at += 4 + Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(reply.Bytes.AsSpan(at)));
        at += 8 + 4; // sequence header, type id (four-byte encoding)
        at += 8 + 4; // Timestamp, RequestHandle
        var serviceResult = BinaryPrimitives.ReadUInt32LittleEndian(reply.Bytes.AsSpan(at));
        at += 4;
        if (serviceResult != 0 || reply.Bytes[at] != 0)
        {
            throw new InvalidOperationException($"OpenSecureChannel answered ServiceResult 0x{serviceResult:X8} (diagnostics mask {reply.Bytes[at]})");
        }

        at += 1;
        at += 4 + (4 * Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(reply.Bytes.AsSpan(at)))); // StringTable: none expected
        at += 3; // AdditionalHeader: a null ExtensionObject (two-byte NodeId, encoding byte)
        at += 4; // ServerProtocolVersion
        ChannelId = BinaryPrimitives.ReadUInt32LittleEndian(reply.Bytes.AsSpan(at));
        TokenId = BinaryPrimitives.ReadUInt32LittleEndian(reply.Bytes.AsSpan(at + 4));
    }

    /// <summary>A RequestHeader: null authentication token, timestamp 0, the handle, no diagnostics, no audit id, no timeout, no additional header.</summary>
    private static void AddRequestHeader(List<byte> body, uint requestHandle)
    {
        Add(body, [0x00, 0x00]);
        Add(body, new byte[8]);
        AddUInt32(body, requestHandle);
        AddUInt32(body, 0);
        AddInt32(body, -1);
        AddUInt32(body, 0);
        Add(body, [0x00, 0x00, 0x00]);
    }

    private static void Add(List<byte> list, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            list.Add(b);
        }
    }

    private static void AddUInt16(List<byte> list, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        Add(list, bytes);
    }

    private static void AddUInt32(List<byte> list, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        Add(list, bytes);
    }

    private static void AddInt32(List<byte> list, int value) => AddUInt32(list, unchecked((uint)value));
}
