namespace Neokernel.Fieldbus.Modbus;

/// <summary>The four data tables of the Modbus data model, each with the function that reads it.</summary>
public enum ModbusTable : byte
{
    /// <summary>Read-write bits (FC01 read, FC05/FC15 write).</summary>
    Coils,

    /// <summary>Read-only bits (FC02).</summary>
    DiscreteInputs,

    /// <summary>Read-write 16-bit registers (FC03 read, FC06/FC16 write).</summary>
    HoldingRegisters,

    /// <summary>Read-only 16-bit registers (FC04).</summary>
    InputRegisters,
}

/// <summary>What each table holds and how it is read.</summary>
public static class ModbusTables
{
    /// <summary>Bits (coils, discrete inputs) or registers.</summary>
    public static bool IsBits(ModbusTable table) => table is ModbusTable.Coils or ModbusTable.DiscreteInputs;

    /// <summary>Coils and holding registers can be written; inputs cannot.</summary>
    public static bool IsWritable(ModbusTable table) => table is ModbusTable.Coils or ModbusTable.HoldingRegisters;

    /// <summary>The most points one read of <paramref name="table"/> may ask for.</summary>
    public static int ReadCountMax(ModbusTable table) => IsBits(table) ? ModbusLimits.ReadBitsCountMax : ModbusLimits.ReadRegistersCountMax;

    /// <summary>The read request of <paramref name="count"/> points from <paramref name="address"/>.</summary>
    public static ModbusRequest Read(ModbusTable table, ushort address, ushort count) => table switch
    {
        ModbusTable.Coils => ModbusRequest.ReadCoils(address, count),
        ModbusTable.DiscreteInputs => ModbusRequest.ReadDiscreteInputs(address, count),
        ModbusTable.HoldingRegisters => ModbusRequest.ReadHoldingRegisters(address, count),
        ModbusTable.InputRegisters => ModbusRequest.ReadInputRegisters(address, count),
        _ => throw new ArgumentOutOfRangeException(nameof(table), table, "not a Modbus table"),
    };
}
