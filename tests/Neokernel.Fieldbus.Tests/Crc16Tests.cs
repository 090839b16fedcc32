using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

public sealed class Crc16Tests
{
    /// <summary>Modbus over Serial Line V1.02, 6.2.2: address 0x02, function 0x07 gives CRC low 0x41, high 0x12.</summary>
    [Fact]
    public void Compute_SerialLineSpecExample()
    {
        Assert.Equal(0x1241, Crc16.Compute(Hex.Bytes("02 07")));
    }

    [Theory]
    [InlineData("01 03 00 00 00 0A", 0xCDC5)]
    [InlineData("01 03 00 00 00 01", 0x0A84)]
    [InlineData("11 03 00 6B 00 03", 0x8776)]
    [InlineData("", 0xFFFF)]
    public void Compute_KnownAnswers(string hex, int crc)
    {
        Assert.Equal((ushort)crc, Crc16.Compute(Hex.Bytes(hex)));
    }

    /// <summary>A reflected CRC appended low byte first makes the CRC of the whole frame zero: how a receiver can check in one pass.</summary>
    [Fact]
    public void Compute_OverFrameWithItsCrc_IsZero()
    {
        var frame = new byte[ModbusLimits.RtuAduBytesMax];
        var random = new Random(8);
        for (var length = 1; length <= ModbusLimits.PduBytesMax; length++)
        {
            var pdu = new byte[length];
            random.NextBytes(pdu);
            var written = RtuFrame.Encode((byte)length, pdu, frame);
            Assert.Equal(0, Crc16.Compute(frame.AsSpan(0, written)));
        }
    }
}
