using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;
using static Neokernel.Gateway.Tests.Transport.UaWire;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>The chunk reassembler on hand-made streams: split headers, several chunks in one read, and each way a header is refused.</summary>
public sealed class ReassemblerTests
{
    [Fact]
    public void Append_ByteByByte_CompletesTheChunkOnItsLastByte()
    {
        var reassembler = new UaChunkReassembler(8192);
        var hello = Hello();

        for (var index = 0; index < hello.Length - 1; index++)
        {
            Assert.Equal(new ReassemblyStep(ReassemblyStatus.NeedMore, 1), reassembler.Append(hello.AsSpan(index, 1)));
        }

        Assert.Equal(new ReassemblyStep(ReassemblyStatus.Chunk, 1), reassembler.Append(hello.AsSpan(hello.Length - 1)));
        Assert.Equal(hello, reassembler.Chunk.ToArray());
        Assert.Equal(UaMessageType.Hello, reassembler.Header.MessageType);
    }

    [Fact]
    public void Append_TwoChunksInOneRead_TakesOneAtATime()
    {
        var reassembler = new UaChunkReassembler(8192);
        var first = Symmetric("MSG", 'C', 1, 1, 2, 3, [1, 2, 3]);
        var second = Symmetric("MSG", 'F', 1, 1, 3, 3, [4]);
        byte[] stream = [.. first, .. second];

        var step = reassembler.Append(stream);
        Assert.Equal(new ReassemblyStep(ReassemblyStatus.Chunk, first.Length), step);
        Assert.Equal(first, reassembler.Chunk.ToArray());

        step = reassembler.Append(stream.AsSpan(first.Length));
        Assert.Equal(new ReassemblyStep(ReassemblyStatus.Chunk, second.Length), step);
        Assert.Equal(UaChunkType.Final, reassembler.Header.ChunkType);
        Assert.Equal(second, reassembler.Chunk.ToArray());
    }

    [Fact]
    public void Append_AChunkOverTheReceiveBuffer_IsBadTcpMessageTooLarge()
    {
        var reassembler = new UaChunkReassembler(65_535);
        reassembler.Limit(8192);

        var step = reassembler.Append(Hex("4D534746 01200000"));

        Assert.Equal(ReassemblyStatus.Error, step.Status);
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, reassembler.ErrorStatus);
        Assert.Contains("8193", reassembler.ErrorReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("41434B46 20000000", "ACK")]
    [InlineData("45525246 20000000", "ERR")]
    [InlineData("52484546 20000000", "RHE")]
    [InlineData("47455420 2F204854", "GET")]
    public void Append_AMessageTypeNoClientSends_IsBadTcpMessageTypeInvalid(string header, string what)
    {
        var reassembler = new UaChunkReassembler(8192);

        Assert.Equal(ReassemblyStatus.Error, reassembler.Append(Hex(header)).Status);
        Assert.Equal(StatusCodes.BadTcpMessageTypeInvalid, reassembler.ErrorStatus);
        Assert.False(string.IsNullOrEmpty(reassembler.ErrorReason), what);
    }

    [Theory]
    [InlineData("48454C43 20000000")]
    [InlineData("4D534758 20000000")]
    public void Append_AChunkTypeNotAllowed_IsBadTcpMessageTypeInvalid(string header)
    {
        var reassembler = new UaChunkReassembler(8192);

        Assert.Equal(ReassemblyStatus.Error, reassembler.Append(Hex(header)).Status);
        Assert.Equal(StatusCodes.BadTcpMessageTypeInvalid, reassembler.ErrorStatus);
    }

    [Fact]
    public void Append_ASizeSmallerThanItsHeaders_IsRefused()
    {
        var reassembler = new UaChunkReassembler(8192);

        Assert.Equal(ReassemblyStatus.Error, reassembler.Append(Hex("4D534746 0B000000")).Status);
        Assert.Equal(StatusCodes.BadTcpInternalError, reassembler.ErrorStatus);
    }

    [Fact]
    public void Append_AfterAnError_StaysFaultedUntilReset()
    {
        var reassembler = new UaChunkReassembler(8192);
        reassembler.Append(Hex("41434B46 20000000"));

        Assert.Equal(new ReassemblyStep(ReassemblyStatus.Error, 0), reassembler.Append(Hello()));
        reassembler.Reset();
        Assert.Equal(ReassemblyStatus.Chunk, reassembler.Append(Hello()).Status);
    }
}
