namespace Neokernel.Fieldbus.Modbus;

/// <summary>The public function codes this codec speaks. Any other byte decodes as unknown (exception 01).</summary>
public enum FunctionCode : byte
{
    ReadCoils = 0x01,
    ReadDiscreteInputs = 0x02,
    ReadHoldingRegisters = 0x03,
    ReadInputRegisters = 0x04,
    WriteSingleCoil = 0x05,
    WriteSingleRegister = 0x06,
    WriteMultipleCoils = 0x0F,
    WriteMultipleRegisters = 0x10,
    MaskWriteRegister = 0x16,
    ReadWriteMultipleRegisters = 0x17,

    /// <summary>Encapsulated interface transport; only its MEI type 14, read device identification, is supported.</summary>
    EncapsulatedInterface = 0x2B,
}

/// <summary>The exception codes a slave answers with (spec section 7).</summary>
public enum ExceptionCode : byte
{
    None = 0x00,
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    MemoryParityError = 0x08,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetFailedToRespond = 0x0B,
}

/// <summary>Read device identification codes of FC43/14: a category stream, or one object.</summary>
public enum DeviceIdCode : byte
{
    Basic = 0x01,
    Regular = 0x02,
    Extended = 0x03,
    Specific = 0x04,
}

/// <summary>Constants of the encapsulated interface transport (FC43).</summary>
public static class DeviceIdentification
{
    /// <summary>The MEI type of read device identification.</summary>
    public const byte MeiType = 0x0E;

    /// <summary>The more-follows byte when the objects continue in a further transaction.</summary>
    public const byte MoreFollows = 0xFF;

    /// <summary>Objects 0..2 (vendor, product code, revision) are the basic category; mandatory.</summary>
    public const byte BasicObjectIdMax = 0x02;

    /// <summary>Objects 3..0x7F are the regular category.</summary>
    public const byte RegularObjectIdMax = 0x7F;
}
