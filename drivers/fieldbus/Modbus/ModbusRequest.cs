namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// The fixed fields of one request, by function; the values of a multiple write travel beside it as
/// bytes (packed bits for FC15, big-endian registers for FC16 and FC23), so the struct stays small
/// and copyable. Fields a function does not use stay zero, which makes two requests equal exactly
/// when they mean the same thing.
/// </summary>
public readonly record struct ModbusRequest
{
    public const ushort CoilOn = 0xFF00;
    public const ushort CoilOff = 0x0000;

    public FunctionCode Function { get; init; }

    /// <summary>The starting address; FC22's reference address; FC23's read address.</summary>
    public ushort Address { get; init; }

    /// <summary>The quantity of bits or registers; FC23's read quantity.</summary>
    public ushort Count { get; init; }

    /// <summary>FC05's coil value (0x0000 or 0xFF00) or FC06's register value.</summary>
    public ushort Value { get; init; }

    public ushort AndMask { get; init; }

    public ushort OrMask { get; init; }

    public ushort WriteAddress { get; init; }

    public ushort WriteCount { get; init; }

    public DeviceIdCode DeviceIdCode { get; init; }

    public byte ObjectId { get; init; }

    public static ModbusRequest ReadCoils(ushort address, ushort count) => Read(FunctionCode.ReadCoils, address, count);

    public static ModbusRequest ReadDiscreteInputs(ushort address, ushort count) => Read(FunctionCode.ReadDiscreteInputs, address, count);

    public static ModbusRequest ReadHoldingRegisters(ushort address, ushort count) => Read(FunctionCode.ReadHoldingRegisters, address, count);

    public static ModbusRequest ReadInputRegisters(ushort address, ushort count) => Read(FunctionCode.ReadInputRegisters, address, count);

    public static ModbusRequest WriteSingleCoil(ushort address, bool on) =>
        new() { Function = FunctionCode.WriteSingleCoil, Address = address, Value = on ? CoilOn : CoilOff };

    public static ModbusRequest WriteSingleRegister(ushort address, ushort value) =>
        new() { Function = FunctionCode.WriteSingleRegister, Address = address, Value = value };

    public static ModbusRequest WriteMultipleCoils(ushort address, ushort count) =>
        new() { Function = FunctionCode.WriteMultipleCoils, Address = address, Count = count };

    public static ModbusRequest WriteMultipleRegisters(ushort address, ushort count) =>
        new() { Function = FunctionCode.WriteMultipleRegisters, Address = address, Count = count };

    /// <summary>FC22: register = (register AND andMask) OR (orMask AND NOT andMask).</summary>
    public static ModbusRequest MaskWriteRegister(ushort address, ushort andMask, ushort orMask) =>
        new() { Function = FunctionCode.MaskWriteRegister, Address = address, AndMask = andMask, OrMask = orMask };

    /// <summary>FC23: the write happens before the read.</summary>
    public static ModbusRequest ReadWriteMultipleRegisters(ushort readAddress, ushort readCount, ushort writeAddress, ushort writeCount) =>
        new()
        {
            Function = FunctionCode.ReadWriteMultipleRegisters,
            Address = readAddress,
            Count = readCount,
            WriteAddress = writeAddress,
            WriteCount = writeCount,
        };

    public static ModbusRequest ReadDeviceIdentification(DeviceIdCode code, byte objectId) =>
        new() { Function = FunctionCode.EncapsulatedInterface, DeviceIdCode = code, ObjectId = objectId };

    /// <summary>Data bytes that travel with this request: FC15's packed bits, FC16's and FC23's registers.</summary>
    public int DataBytes => Function switch
    {
        FunctionCode.WriteMultipleCoils => PduChecks.BitBytes(Count),
        FunctionCode.WriteMultipleRegisters => 2 * Count,
        FunctionCode.ReadWriteMultipleRegisters => 2 * WriteCount,
        _ => 0,
    };

    /// <summary>Data bytes the matching response carries: packed bits for FC01/02, registers for FC03/04/23.</summary>
    public int ResponseDataBytes => Function switch
    {
        FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs => PduChecks.BitBytes(Count),
        FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters or FunctionCode.ReadWriteMultipleRegisters => 2 * Count,
        _ => 0,
    };

    private static ModbusRequest Read(FunctionCode function, ushort address, ushort count) =>
        new() { Function = function, Address = address, Count = count };
}
