namespace Neokernel.Fieldbus.Modbus;

/// <summary>The exception codes in words (application protocol section 7), for people reading a tool's output or a log.</summary>
public static class ModbusExceptions
{
    /// <summary>The spec's name, e.g. "illegal data address".</summary>
    public static string Name(ExceptionCode code) => code switch
    {
        ExceptionCode.IllegalFunction => "illegal function",
        ExceptionCode.IllegalDataAddress => "illegal data address",
        ExceptionCode.IllegalDataValue => "illegal data value",
        ExceptionCode.ServerDeviceFailure => "server device failure",
        ExceptionCode.Acknowledge => "acknowledge",
        ExceptionCode.ServerDeviceBusy => "server device busy",
        ExceptionCode.MemoryParityError => "memory parity error",
        ExceptionCode.GatewayPathUnavailable => "gateway path unavailable",
        ExceptionCode.GatewayTargetFailedToRespond => "gateway target device failed to respond",
        _ => "unknown exception",
    };

    /// <summary>What the slave means by it and what to check.</summary>
    public static string Meaning(ExceptionCode code) => code switch
    {
        ExceptionCode.IllegalFunction => "the slave does not support this function code for this unit",
        ExceptionCode.IllegalDataAddress => "the address range is not in the slave's map; check the address (zero-based here) and the count",
        ExceptionCode.IllegalDataValue => "the slave refuses a value in the request: a count beyond its limit, or a value it cannot take",
        ExceptionCode.ServerDeviceFailure => "the slave failed while carrying out the request",
        ExceptionCode.Acknowledge => "the slave accepted a long-running request and is still working on it",
        ExceptionCode.ServerDeviceBusy => "the slave is busy with a long-running request; try again later",
        ExceptionCode.MemoryParityError => "the slave found a parity error in its memory",
        ExceptionCode.GatewayPathUnavailable => "the gateway has no path to the target unit; check the unit id and the gateway's routing",
        ExceptionCode.GatewayTargetFailedToRespond => "the gateway forwarded the request but the target unit did not answer",
        _ => "the code is not one the spec defines",
    };

    /// <summary>One line: <c>exception 02 illegal data address: the address range ...</c>.</summary>
    public static string Describe(ExceptionCode code) =>
        $"exception {(byte)code:X2} {Name(code)}: {Meaning(code)}";
}
