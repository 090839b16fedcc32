using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

public sealed class FrameTests
{
    [Fact]
    public void TcpEncode_WritesMbapHeaderThenPdu()
    {
        var frame = new byte[ModbusLimits.TcpAduBytesMax];
        var length = TcpFrame.Encode(0x0015, 0x11, Hex.Bytes("03 00 6B 00 03"), frame);
        Assert.Equal("00 15 00 00 00 06 11 03 00 6B 00 03", Hex.Of(frame.AsSpan(0, length)));
    }

    [Fact]
    public void TcpDecode_SplitsHeaderAndPdu()
    {
        var result = TcpFrame.Decode(Hex.Bytes("00 15 00 00 00 06 11 03 00 6B 00 03"));
        Assert.True(result.IsFrame);
        Assert.Equal(0x0015, result.TransactionId);
        Assert.Equal(0x11, result.Unit);
        Assert.Equal("03 00 6B 00 03", Hex.Of(result.Pdu));
    }

    [Theory]
    [InlineData("00 01 00 01 00 06 11 03 00 6B 00 03", ModbusError.TcpProtocolIdNotZero)]
    [InlineData("00 01 00 00 00 01 11", ModbusError.TcpLengthTooSmall)]
    [InlineData("00 01 00 00 00 00", ModbusError.TcpFrameTruncated)]
    [InlineData("00 01 00 00 00 FF 11 03", ModbusError.TcpLengthTooLarge)]
    [InlineData("00 01 00 00 01 00 11 03", ModbusError.TcpLengthTooLarge)]
    [InlineData("00 01 00 00 00 06 11 03 00 6B 00", ModbusError.TcpFrameTruncated)]
    [InlineData("00 01 00 00 00 06 11 03 00 6B 00 03 00", ModbusError.TcpLengthMismatch)]
    public void TcpDecode_BadHeader_NamesTheError(string hex, ModbusError error)
    {
        Assert.Equal(error, TcpFrame.Decode(Hex.Bytes(hex)).Error);
    }

    [Fact]
    public void TcpDecode_LargestLength_IsAccepted()
    {
        var frame = new byte[ModbusLimits.TcpAduBytesMax];
        var length = TcpFrame.Encode(1, 1, new byte[ModbusLimits.PduBytesMax], frame);
        Assert.Equal(ModbusLimits.TcpAduBytesMax, length);
        Assert.Equal(ModbusLimits.MbapLengthMax, (frame[4] << 8) | frame[5]);
        Assert.True(TcpFrame.Decode(frame).IsFrame);
    }

    [Fact]
    public void RtuEncode_AppendsCrcLowByteFirst()
    {
        var frame = new byte[ModbusLimits.RtuAduBytesMax];
        var length = RtuFrame.Encode(0x11, Hex.Bytes("03 00 6B 00 03"), frame);
        Assert.Equal("11 03 00 6B 00 03 76 87", Hex.Of(frame.AsSpan(0, length)));
    }

    [Fact]
    public void RtuDecode_ChecksCrcAndSplitsAddress()
    {
        var result = RtuFrame.Decode(Hex.Bytes("11 03 00 6B 00 03 76 87"));
        Assert.True(result.IsFrame);
        Assert.False(result.IsBroadcast);
        Assert.Equal(0x11, result.Unit);
        Assert.Equal("03 00 6B 00 03", Hex.Of(result.Pdu));
    }

    [Theory]
    [InlineData("11 03 00 6B 00 03 87 76", ModbusError.RtuCrcMismatch)]
    [InlineData("11 03 76", ModbusError.RtuFrameTooShort)]
    [InlineData("", ModbusError.RtuFrameTooShort)]
    public void RtuDecode_BadFrame_NamesTheError(string hex, ModbusError error)
    {
        Assert.Equal(error, RtuFrame.Decode(Hex.Bytes(hex)).Error);
    }

    [Fact]
    public void RtuDecode_LongerThan256_IsTooLong()
    {
        Assert.Equal(ModbusError.RtuFrameTooLong, RtuFrame.Decode(new byte[ModbusLimits.RtuAduBytesMax + 1]).Error);
    }

    [Fact]
    public void RtuDecode_UnitZero_IsBroadcast()
    {
        var frame = new byte[ModbusLimits.RtuAduBytesMax];
        var length = RtuFrame.Encode(0, Hex.Bytes("06 00 01 00 03"), frame);
        Assert.True(RtuFrame.Decode(frame.AsSpan(0, length)).IsBroadcast);
    }

    [Fact]
    public void Encode_EmptyOrOversizedPdu_Throws()
    {
        var frame = new byte[512];
        Assert.Throws<ArgumentException>(() => TcpFrame.Encode(1, 1, [], frame));
        Assert.Throws<ArgumentException>(() => RtuFrame.Encode(1, new byte[ModbusLimits.PduBytesMax + 1], frame));
        Assert.Throws<ArgumentException>(() => RtuFrame.Encode(1, new byte[5], new byte[7]));
    }

    [Fact]
    public void Reassembler_TwoFramesInOneChunk_YieldsBothInOrder()
    {
        var reassembler = new TcpFrameReassembler();
        var stream = Hex.Bytes("00 01 00 00 00 06 11 03 00 6B 00 03 00 02 00 00 00 06 11 06 00 01 00 03");
        var first = reassembler.Append(stream);
        Assert.Equal(new Reassembly(ReassemblyStatus.Frame, 12, ModbusError.None), first);
        Assert.Equal(1, reassembler.Frame.TransactionId);
        var second = reassembler.Append(stream.AsSpan(12));
        Assert.Equal(new Reassembly(ReassemblyStatus.Frame, 12, ModbusError.None), second);
        Assert.Equal(2, reassembler.Frame.TransactionId);
        Assert.Equal("06 00 01 00 03", Hex.Of(reassembler.Frame.Pdu));
    }

    [Fact]
    public void Reassembler_OneByteAtATime_YieldsTheFrameAtItsLastByte()
    {
        var reassembler = new TcpFrameReassembler();
        var stream = Hex.Bytes("00 01 00 00 00 06 11 03 00 6B 00 03");
        for (var index = 0; index < stream.Length - 1; index++)
        {
            Assert.Equal(ReassemblyStatus.NeedMore, reassembler.Append(stream.AsSpan(index, 1)).Status);
            Assert.Equal(index + 1, reassembler.BufferedBytes);
        }
        Assert.Equal(ReassemblyStatus.Frame, reassembler.Append(stream.AsSpan(stream.Length - 1)).Status);
        Assert.Equal("03 00 6B 00 03", Hex.Of(reassembler.Frame.Pdu));
    }

    [Fact]
    public void Reassembler_BadProtocolId_FaultsUntilReset()
    {
        var reassembler = new TcpFrameReassembler();
        var result = reassembler.Append(Hex.Bytes("00 01 00 05 00 06 11 03 00 6B 00 03"));
        Assert.Equal(new Reassembly(ReassemblyStatus.Error, 7, ModbusError.TcpProtocolIdNotZero), result);
        Assert.Equal(ModbusError.TcpProtocolIdNotZero, reassembler.Append(Hex.Bytes("00")).Error);
        Assert.False(reassembler.Frame.IsFrame);
        reassembler.Reset();
        Assert.Equal(ReassemblyStatus.Frame, reassembler.Append(Hex.Bytes("00 01 00 00 00 06 11 03 00 6B 00 03")).Status);
    }

    [Fact]
    public void Reassembler_LengthBeyond254_IsAProtocolError()
    {
        var reassembler = new TcpFrameReassembler();
        Assert.Equal(ModbusError.TcpLengthTooLarge, reassembler.Append(Hex.Bytes("00 01 00 00 00 FF 11")).Error);
    }

    [Fact]
    public void Describe_EveryError_HasASentence()
    {
        foreach (var error in Enum.GetValues<ModbusError>().Where(error => error != ModbusError.None))
        {
            var text = ModbusErrors.Describe(error);
            Assert.DoesNotContain("unknown Modbus error", text, StringComparison.Ordinal);
            Assert.True(text.Length > 10, $"{error} has a description of {text.Length} characters");
        }
    }
}
