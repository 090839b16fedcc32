using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;
using static Neokernel.Gateway.Tests.Transport.UaWire;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>The 8-byte header, Hello, Acknowledge, Error and the negotiation, against Part 6 §7.1.2 byte by byte.</summary>
public sealed class HandshakeTests
{
    [Fact]
    public void HeaderRead_HelloFinal_GivesTypeChunkAndSize()
    {
        var header = UaTcpHeader.Read(Hex("48454C46 20000000"));

        Assert.Equal(UaMessageType.Hello, header.MessageType);
        Assert.Equal(UaChunkType.Final, header.ChunkType);
        Assert.Equal(32u, header.MessageSize);
    }

    [Fact]
    public void HeaderWrite_MessageIntermediate_IsAsciiThenLittleEndianSize()
    {
        var bytes = new byte[8];
        new UaTcpHeader(UaMessageType.Message, UaChunkType.Intermediate, 0x0102).Write(bytes);

        Assert.Equal(Hex("4D534743 02010000"), bytes);
    }

    [Fact]
    public void TryDecodeHello_AWellFormedHello_GivesItsFields()
    {
        var hello = Hello(receiveBufferSize: 8192, sendBufferSize: 16384, maxMessageSize: 100_000, maxChunkCount: 7);

        var problem = UaTcpHandshake.TryDecodeHello(hello.AsSpan(8), out var decoded, out _);

        Assert.Null(problem);
        Assert.Equal(new UaHello(0, 8192, 16384, 100_000, 7, EndpointUrl), decoded);
    }

    [Fact]
    public void TryDecodeHello_EndpointUrlOver4096Bytes_IsBadTcpEndpointUrlInvalid()
    {
        var hello = Hello(url: new string('a', 4097));

        var problem = UaTcpHandshake.TryDecodeHello(hello.AsSpan(8), out _, out var status);

        Assert.Equal(StatusCodes.BadTcpEndpointUrlInvalid, status);
        Assert.Contains("4097", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecodeHello_TrailingOrMissingBytes_AreRefusedWithAReason()
    {
        var hello = Hello();

        Assert.NotNull(UaTcpHandshake.TryDecodeHello(hello.AsSpan(8, 23), out _, out _));
        Assert.Contains("malformed", UaTcpHandshake.TryDecodeHello([.. hello.AsSpan(8), 0], out _, out _), StringComparison.Ordinal);
        Assert.Contains("malformed", UaTcpHandshake.TryDecodeHello(hello.AsSpan(8, hello.Length - 9), out _, out _), StringComparison.Ordinal);
    }

    [Fact]
    public void TryNegotiate_ClientBuffersSmallerThanTheServers_LowerTheChunkSizes()
    {
        var hello = new UaHello(0, 8192, 16_000, 1000, 3, EndpointUrl);

        Assert.Null(UaTcpHandshake.TryNegotiate(hello, UaTcpLimits.Default, out var negotiation, out _));

        Assert.Equal(16_000, negotiation.ReceiveBufferBytes);
        Assert.Equal(8192, negotiation.SendBufferBytes);
        Assert.Equal(UaTcpLimits.Default.MessageBytesMax, negotiation.RequestBytesMax);
        Assert.Equal(UaTcpLimits.Default.ChunkCountMax, negotiation.RequestChunksMax);
        Assert.Equal(1000u, negotiation.ResponseBytesMax);
        Assert.Equal(3u, negotiation.ResponseChunksMax);
    }

    [Fact]
    public void TryNegotiate_ABufferUnder8192_IsBadTcpNotEnoughResources()
    {
        var hello = new UaHello(0, 8191, 65_535, 0, 0, EndpointUrl);

        var problem = UaTcpHandshake.TryNegotiate(hello, UaTcpLimits.Default, out _, out var status);

        Assert.Equal(StatusCodes.BadTcpNotEnoughResources, status);
        Assert.Contains("8191", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteAcknowledge_IsHeaderThenFiveUInt32()
    {
        var bytes = new byte[64];
        var length = UaTcpHandshake.WriteAcknowledge(bytes, new UaTcpNegotiation(8192, 16384, 65536, 4, 0, 0));

        Assert.Equal(Hex("41434B46 1C000000 00000000 00200000 00400000 00000100 04000000"), bytes[..length]);
    }

    [Fact]
    public void WriteError_IsStatusThenReasonString()
    {
        var bytes = new byte[64];
        var length = UaTcpHandshake.WriteError(bytes, StatusCodes.BadTcpMessageTooLarge, "big");

        Assert.Equal(Hex("45525246 13000000 00008080 03000000 626967"), bytes[..length]);
        Assert.Equal(length, UaTcpHandshake.ErrorBytes("big"));
    }

    [Fact]
    public void WriteError_AReasonOver4096Bytes_IsShortenedToFit()
    {
        var reason = new string('x', 10_000);
        var bytes = new byte[UaTcpHandshake.ErrorBytes(reason)];

        var length = UaTcpHandshake.WriteError(bytes, StatusCodes.BadTcpInternalError, reason);

        Assert.True(length - 16 <= UaTcpLimits.ReasonBytesMax, $"{length - 16} reason bytes");
        Assert.Equal(bytes.Length, length);
    }

    [Fact]
    public void Validate_ABufferUnder8192_NamesTheField()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => (UaTcpLimits.Default with { SendBufferBytes = 4096 }).Validate());

        Assert.Contains(nameof(UaTcpLimits.SendBufferBytes), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, 3_600_000u)]
    [InlineData(1u, 10_000u)]
    [InlineData(60_000u, 60_000u)]
    [InlineData(uint.MaxValue, 3_600_000u)]
    public void ReviseLifetimeMs_ClampsToTheConfiguredRange(uint requested, uint revised)
    {
        Assert.Equal(revised, UaTcpLimits.Default.ReviseLifetimeMs(requested));
    }
}
