using System.Buffers.Binary;
using System.Text;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>
/// A client's side of UA-TCP written out field by field, as Part 6 lays the messages out, so the
/// tests check the server against the specification's layout rather than against itself.
/// </summary>
internal static class UaWire
{
    public const string EndpointUrl = "opc.tcp://127.0.0.1:4840";

    public static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] Hello(uint receiveBufferSize = 65_535, uint sendBufferSize = 65_535, uint maxMessageSize = 0, uint maxChunkCount = 0, string url = EndpointUrl)
    {
        var body = new List<byte>();
        foreach (var value in new[] { 0u, receiveBufferSize, sendBufferSize, maxMessageSize, maxChunkCount })
        {
            body.AddRange(UInt32(value));
        }

        body.AddRange(UaString(url));
        return Frame("HEL", 'F', [], body.ToArray());
    }

    /// <summary>An OPN chunk: SecureChannelId, asymmetric header (policy, null certificate, null thumbprint), sequence header, body.</summary>
    public static byte[] Open(uint channelId, uint sequenceNumber, uint requestId, SecurityTokenRequestType type, uint lifetimeMs = 60_000, uint requestHandle = 1, string policy = UaSecurityNone.Uri, MessageSecurityMode mode = MessageSecurityMode.None)
    {
        var request = new OpenSecureChannelRequest
        {
            ClientProtocolVersion = 0,
            RequestType = type,
            SecurityMode = mode,
            ClientNonce = [],
            RequestedLifetime = lifetimeMs,
        };
        request.RequestHeader.RequestHandle = requestHandle;
        request.RequestHeader.TimeoutHint = 10_000;
        var header = new List<byte>();
        header.AddRange(UInt32(channelId));
        header.AddRange(UaString(policy));
        header.AddRange(UInt32(uint.MaxValue));
        header.AddRange(UInt32(uint.MaxValue));
        header.AddRange(UInt32(sequenceNumber));
        header.AddRange(UInt32(requestId));
        return Frame("OPN", 'F', header.ToArray(), Body(OpenSecureChannelRequest.EncodingId, request));
    }

    /// <summary>A MSG or CLO chunk: SecureChannelId, TokenId, SequenceNumber, RequestId, body.</summary>
    public static byte[] Symmetric(string type, char chunkType, uint channelId, uint tokenId, uint sequenceNumber, uint requestId, byte[] body)
    {
        var header = new List<byte>();
        header.AddRange(UInt32(channelId));
        header.AddRange(UInt32(tokenId));
        header.AddRange(UInt32(sequenceNumber));
        header.AddRange(UInt32(requestId));
        return Frame(type, chunkType, header.ToArray(), body);
    }

    public static byte[] Close(uint channelId, uint tokenId, uint sequenceNumber, uint requestId)
    {
        return Symmetric("CLO", 'F', channelId, tokenId, sequenceNumber, requestId, Body(CloseSecureChannelRequest.EncodingId, new CloseSecureChannelRequest()));
    }

    /// <summary>A service request body: a CloseSession-like test request of <paramref name="payloadBytes"/> bytes after a RequestHeader with the handle.</summary>
    public static byte[] Request(uint requestHandle, int payloadBytes = 0, uint typeId = 471)
    {
        var header = new RequestHeader { RequestHandle = requestHandle };
        var encoder = new UaEncoder();
        encoder.WriteNodeId(new NodeId(typeId));
        header.Encode(encoder);
        for (var index = 0; index < payloadBytes; index++)
        {
            encoder.WriteByte((byte)index);
        }

        return encoder.Written.ToArray();
    }

    public static byte[] Body(uint encodingId, IEncodeable value)
    {
        var encoder = new UaEncoder();
        encoder.WriteNodeId(new NodeId(encodingId));
        value.Encode(encoder);
        return encoder.Written.ToArray();
    }

    public static byte[] Frame(string type, char chunkType, byte[] headers, byte[] body)
    {
        var message = new byte[8 + headers.Length + body.Length];
        System.Text.Encoding.ASCII.GetBytes(type, message);
        message[3] = (byte)chunkType;
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)message.Length);
        headers.CopyTo(message, 8);
        body.CopyTo(message, 8 + headers.Length);
        return message;
    }

    public static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] UaString(string value)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(value);
        return [.. UInt32((uint)text.Length), .. text];
    }

    /// <summary>Cuts what the server sent into its chunks.</summary>
    public static List<ServerChunk> Chunks(ReadOnlySpan<byte> bytes)
    {
        var chunks = new List<ServerChunk>();
        while (bytes.Length >= 8)
        {
            var header = UaTcpHeader.Read(bytes);
            Assert.True(header.MessageSize >= 8 && header.MessageSize <= bytes.Length, $"a whole chunk, not {header.MessageSize} of {bytes.Length} bytes");
            chunks.Add(new ServerChunk(header, bytes[..(int)header.MessageSize].ToArray()));
            bytes = bytes[(int)header.MessageSize..];
        }

        Assert.True(bytes.IsEmpty, $"{bytes.Length} bytes after the last whole chunk");
        return chunks;
    }
}

/// <summary>One chunk the server sent, with readers for its fields.</summary>
internal sealed record ServerChunk(UaTcpHeader Header, byte[] Bytes)
{
    public UaMessageType Type => Header.MessageType;

    public uint UInt32At(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(offset));

    public uint ChannelId => UInt32At(8);

    /// <summary>ERR: the status.</summary>
    public uint ErrorStatus => UInt32At(8);

    public string ErrorReason => System.Text.Encoding.UTF8.GetString(Bytes, 16, (int)UInt32At(12));

    /// <summary>MSG: token, sequence number, request id, body.</summary>
    public uint TokenId => UInt32At(12);

    public uint SequenceNumber => UInt32At(16);

    public uint RequestId => UInt32At(20);

    public byte[] MessageBody => Bytes[24..];

    /// <summary>OPN: the sequence header and the body after the asymmetric header.</summary>
    public int OpenBodyAt => 12 + 4 + (int)UInt32At(12) + 8 + 8;

    public uint OpenSequenceNumber => UInt32At(OpenBodyAt - 8);

    public OpenSecureChannelResponse OpenResponse()
    {
        var decoder = new UaDecoder(Bytes.AsSpan(OpenBodyAt));
        Assert.Equal(new NodeId(OpenSecureChannelResponse.EncodingId), decoder.ReadNodeId());
        var response = OpenSecureChannelResponse.Decode(ref decoder);
        decoder.ExpectEnd("the OpenSecureChannelResponse");
        return response;
    }

    /// <summary>A MSG body's type id and its ResponseHeader (a ServiceFault or any response).</summary>
    public (NodeId TypeId, ResponseHeader Header) Response(byte[]? body = null)
    {
        var decoder = new UaDecoder(body ?? MessageBody);
        return (decoder.ReadNodeId(), ResponseHeader.Decode(ref decoder));
    }
}
