using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>
/// Every function code our master speaks, against a slave that serves the known map of the
/// interop peers (holding[i] = i + base, input[i] = 1000 + i, coils and discrete inputs odd).
/// </summary>
internal static class MasterFunctionCodes
{
    public static void ReadsAndWritesEveryFunction(PacedMaster master, byte unit, ushort holdingBase = 0)
    {
        Assert.Equal([holdingBase, (ushort)(holdingBase + 1), (ushort)(holdingBase + 2)], master.Registers(unit, ModbusRequest.ReadHoldingRegisters(0, 3)));
        Assert.Equal([(ushort)1010, (ushort)1011], master.Registers(unit, ModbusRequest.ReadInputRegisters(10, 2)));
        Assert.Equal([false, true, false, true], master.Bits(unit, ModbusRequest.ReadCoils(0, 4)));
        Assert.Equal([true, false, true], master.Bits(unit, ModbusRequest.ReadDiscreteInputs(5, 3)));

        master.Good(unit, ModbusRequest.WriteSingleRegister(50, 0xBEEF));
        master.Good(unit, ModbusRequest.WriteSingleCoil(60, on: true));
        var data = new byte[16];
        var words = ModbusValues.WriteRegisters([11, 22, 33], data);
        master.Good(unit, ModbusRequest.WriteMultipleRegisters(51, 3), data.AsSpan(0, words));
        var bits = ModbusValues.WriteBits([true, true, false, true, true, false, true, true, true], data);
        master.Good(unit, ModbusRequest.WriteMultipleCoils(61, 9), data.AsSpan(0, bits));
        Assert.Equal([(ushort)0xBEEF, (ushort)11, (ushort)22, (ushort)33], master.Registers(unit, ModbusRequest.ReadHoldingRegisters(50, 4)));
        Assert.Equal([true, true, true, false, true, true, false, true, true, true], master.Bits(unit, ModbusRequest.ReadCoils(60, 10)));

        // FC22: (0xBEEF AND 0xFF00) OR (0x0012 AND NOT 0xFF00) = 0xBE12.
        master.Good(unit, ModbusRequest.MaskWriteRegister(50, 0xFF00, 0x0012));
        Assert.Equal([(ushort)0xBE12], master.Registers(unit, ModbusRequest.ReadHoldingRegisters(50, 1)));

        // FC23: the write happens before the read.
        words = ModbusValues.WriteRegisters([7, 8], data);
        var both = master.Good(unit, ModbusRequest.ReadWriteMultipleRegisters(70, 3, 71, 2), data.AsSpan(0, words));
        var read = new ushort[3];
        ModbusValues.ReadRegisters(both, read);
        Assert.Equal([(ushort)(holdingBase + 70), (ushort)7, (ushort)8], read);
    }

    public static void OutsideTheMap_AnswersIllegalDataAddress(PacedMaster master, byte unit)
    {
        var (result, _) = master.Do(unit, ModbusRequest.ReadHoldingRegisters(199, 5));
        Assert.Equal(ModbusStatus.Exception, result.Status);
        Assert.Equal(ExceptionCode.IllegalDataAddress, result.Exception);
    }
}
