using Neokernel.Rt.Simulation.Faults;

namespace Neokernel.Rt.Tests.Faults;

/// <summary>What the RTU line's faults know of Modbus over Serial Line: reply lengths and the CRC.</summary>
public sealed class RtuFramingTests
{
    /// <summary>The lengths the line's framing gives each reply, by the specification's function codes.</summary>
    [Theory]
    [InlineData(new byte[] { 3, 0x83, 2 }, 5)]
    [InlineData(new byte[] { 3, 3, 8 }, 13)]
    [InlineData(new byte[] { 3, 1, 1 }, 6)]
    [InlineData(new byte[] { 3, 6 }, 8)]
    [InlineData(new byte[] { 3, 16 }, 8)]
    [InlineData(new byte[] { 3, 22 }, 10)]
    [InlineData(new byte[] { 3, 43, 14, 1, 1, 0, 0, 2, 0, 3, (byte)'A', (byte)'c', (byte)'m', 1, 1, (byte)'X' }, 18)]
    [InlineData(new byte[] { 3, 8 }, -1)]
    public void ReplyLength_FollowsTheFunctionCode(byte[] frame, int length) =>
        Assert.Equal(length, SimulationFaults.RtuReplyLength(frame, frame.Length));

    [Fact]
    public void ReplyLength_AsksForTheByteThatDecidesIt()
    {
        Assert.Equal(2, SimulationFaults.RtuReplyLength([3], 1));
        Assert.Equal(3, SimulationFaults.RtuReplyLength([3, 3], 2));
        Assert.Equal(8, SimulationFaults.RtuReplyLength([3, 43, 14], 3));
        Assert.Equal(-1, SimulationFaults.RtuReplyLength([3, 3, 255], 3)); // beyond an ADU's 256 bytes
    }

    /// <summary>The specification's example: 01 03 00 00 00 0A goes out as ... C5 CD.</summary>
    [Fact]
    public void Crc_IsModbusCrc16()
    {
        var crc = SimulationFaults.RtuCrc([0x01, 0x03, 0x00, 0x00, 0x00, 0x0A]);
        Assert.Equal((0xC5, 0xCD), ((byte)crc, (byte)(crc >> 8)));
    }
}
