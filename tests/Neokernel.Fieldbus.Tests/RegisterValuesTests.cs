using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

/// <summary>Values over registers: known words for each type and word order, and round trips.</summary>
public sealed class RegisterValuesTests
{
    [Theory]
    [InlineData(RegisterType.Int16, WordOrder.HighFirst, -2.0, new ushort[] { 0xFFFE })]
    [InlineData(RegisterType.UInt16, WordOrder.HighFirst, 65535.0, new ushort[] { 0xFFFF })]
    [InlineData(RegisterType.Int32, WordOrder.HighFirst, -65536.0, new ushort[] { 0xFFFF, 0x0000 })]
    [InlineData(RegisterType.UInt32, WordOrder.LowFirst, 0x12345678u, new ushort[] { 0x5678, 0x1234 })]
    [InlineData(RegisterType.Float32, WordOrder.HighFirst, 3.1415927410125732, new ushort[] { 0x4049, 0x0FDB })]
    [InlineData(RegisterType.Float32, WordOrder.LowFirst, 3.1415927410125732, new ushort[] { 0x0FDB, 0x4049 })]
    [InlineData(RegisterType.Float64, WordOrder.HighFirst, 1.0, new ushort[] { 0x3FF0, 0, 0, 0 })]
    [InlineData(RegisterType.Float64, WordOrder.LowFirst, 1.0, new ushort[] { 0, 0, 0, 0x3FF0 })]
    public void WriteRead_KnownValue_GivesTheSpecWordsAndBack(RegisterType type, WordOrder order, double value, ushort[] words)
    {
        var written = new ushort[RegisterValues.Words(type)];

        RegisterValues.Write(value, type, order, written);

        Assert.Equal(words, written);
        Assert.Equal(value, RegisterValues.Read(words, type, order));
    }

    [Theory]
    [InlineData(RegisterType.Int16, 40_000.0)]
    [InlineData(RegisterType.UInt16, -1.0)]
    [InlineData(RegisterType.UInt32, 4_294_967_296.0)]
    public void Write_OutOfRange_Throws(RegisterType type, double value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RegisterValues.Write(value, type, WordOrder.HighFirst, new ushort[4]));
}
