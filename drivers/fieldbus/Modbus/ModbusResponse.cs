namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// The fixed fields of one normal response; read data (packed bits, registers) and FC43's object
/// list travel beside it as bytes. Unused fields stay zero, as in <see cref="ModbusRequest"/>.
/// </summary>
public readonly record struct ModbusResponse
{
    public FunctionCode Function { get; init; }

    /// <summary>The address a write response echoes.</summary>
    public ushort Address { get; init; }

    /// <summary>The quantity FC15 and FC16 responses echo.</summary>
    public ushort Count { get; init; }

    /// <summary>The value FC05 and FC06 responses echo.</summary>
    public ushort Value { get; init; }

    public ushort AndMask { get; init; }

    public ushort OrMask { get; init; }

    public DeviceIdCode DeviceIdCode { get; init; }

    /// <summary>FC43/14: the identification level the device supports (0x01..0x03, 0x81..0x83 with single-object access).</summary>
    public byte ConformityLevel { get; init; }

    /// <summary>FC43/14: the objects did not fit; ask again from <see cref="NextObjectId"/>.</summary>
    public bool MoreFollows { get; init; }

    public byte NextObjectId { get; init; }

    public byte ObjectCount { get; init; }

    /// <summary>A read's response: its data (bits or registers) goes beside it.</summary>
    public static ModbusResponse Read(FunctionCode function) => new() { Function = function };

    /// <summary>The response a slave sends after carrying out a write: it echoes the request's fields.</summary>
    public static ModbusResponse Echo(in ModbusRequest request) => new()
    {
        Function = request.Function,
        Address = request.Address,
        Count = request.Function is FunctionCode.WriteMultipleCoils or FunctionCode.WriteMultipleRegisters ? request.Count : (ushort)0,
        Value = request.Value,
        AndMask = request.AndMask,
        OrMask = request.OrMask,
    };

    public static ModbusResponse DeviceIdentification(DeviceIdCode code, byte conformityLevel, bool moreFollows, byte nextObjectId, byte objectCount) => new()
    {
        Function = FunctionCode.EncapsulatedInterface,
        DeviceIdCode = code,
        ConformityLevel = conformityLevel,
        MoreFollows = moreFollows,
        NextObjectId = nextObjectId,
        ObjectCount = objectCount,
    };
}
