using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;

namespace Neokernel.Fieldbus.Tests.Slave;

/// <summary>A model that serves some registers read-only: writes there answer exception 02, reads do not.</summary>
public sealed class ModbusSlaveWritableTests
{
    [Theory]
    [InlineData(new byte[] { 0x06, 0x00, 0x01, 0x00, 0x07 })]                   // FC06 register 1
    [InlineData(new byte[] { 0x10, 0x00, 0x00, 0x00, 0x02, 0x04, 0, 1, 0, 2 })]  // FC16 registers 0-1
    [InlineData(new byte[] { 0x16, 0x00, 0x01, 0xFF, 0x00, 0x00, 0x01 })]       // FC22 register 1
    [InlineData(new byte[] { 0x17, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x02, 0, 9 })] // FC23 writes register 1
    [InlineData(new byte[] { 0x05, 0x00, 0x01, 0xFF, 0x00 })]                   // FC05 coil 1
    public void Write_ToAReadOnlyAddress_AnswersIllegalDataAddressAndChangesNothing(byte[] request)
    {
        var model = new ReadOnlyAboveZero(new ModbusRegisterMap(4));
        var slave = new ModbusSlave(model);
        var response = new byte[ModbusLimits.PduBytesMax];

        var length = slave.Answer(request, response);

        Assert.Equal(new byte[] { (byte)(request[0] | 0x80), (byte)ExceptionCode.IllegalDataAddress }, response[..length]);
        Assert.Equal(0, model.Map.HoldingRegister(1));
        Assert.False(model.Map.Coil(1));
    }

    [Fact]
    public void ReadAndWrite_WhereAllowed_Answer()
    {
        var model = new ReadOnlyAboveZero(new ModbusRegisterMap(4));
        var slave = new ModbusSlave(model);
        var response = new byte[ModbusLimits.PduBytesMax];

        Assert.Equal(5, slave.Answer([0x06, 0x00, 0x00, 0x00, 0x07], response));
        Assert.Equal(7, model.Map.HoldingRegister(0));
        Assert.Equal(2 + (2 * 4), slave.Answer([0x03, 0x00, 0x00, 0x00, 0x04], response));
    }

    /// <summary>Every table readable; only address 0 of coils and holding registers writable.</summary>
    private sealed class ReadOnlyAboveZero(ModbusRegisterMap map) : IModbusDataModel
    {
        public ModbusRegisterMap Map => map;

        public bool Contains(ModbusTable table, int address, int count) => map.Contains(table, address, count);

        public bool IsWritable(ModbusTable table, int address, int count) => address == 0 && count == 1 && Contains(table, address, count);

        public void ReadBits(ModbusTable table, int address, int count, Span<byte> packed) => map.ReadBits(table, address, count, packed);

        public void ReadRegisters(ModbusTable table, int address, int count, Span<byte> bigEndian) => map.ReadRegisters(table, address, count, bigEndian);

        public void WriteCoils(int address, int count, ReadOnlySpan<byte> packed) => map.WriteCoils(address, count, packed);

        public void WriteHoldingRegisters(int address, int count, ReadOnlySpan<byte> bigEndian) => map.WriteHoldingRegisters(address, count, bigEndian);
    }
}
