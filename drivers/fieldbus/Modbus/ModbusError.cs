namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// What is wrong with a frame or a PDU. Decoders return one of these instead of throwing, so a
/// driver can count, log and drop bad input from the line without a try block on its data path.
/// <see cref="ModbusErrors.Describe"/> says in a sentence what each means and what to do.
/// </summary>
public enum ModbusError : byte
{
    None = 0,

    // TCP (MBAP)
    TcpFrameTruncated,
    TcpProtocolIdNotZero,
    TcpLengthTooSmall,
    TcpLengthTooLarge,
    TcpLengthMismatch,

    // RTU
    RtuFrameTooShort,
    RtuFrameTooLong,
    RtuCrcMismatch,

    // PDU, either direction
    PduEmpty,
    PduTooLong,
    FunctionUnknown,
    PduLengthWrong,
    CountOutOfRange,
    ByteCountMismatch,
    CoilValueInvalid,
    AddressRangeOverflow,
    MeiTypeUnsupported,
    DeviceIdCodeInvalid,
    MoreFollowsInvalid,
    DeviceIdObjectsMalformed,

    // a response checked against the request it answers
    ResponseFunctionMismatch,
    ResponseByteCountMismatch,
    ResponseEchoMismatch,
}

/// <summary>Sentences for <see cref="ModbusError"/>: what is wrong, and what the reader can do about it.</summary>
public static class ModbusErrors
{
    public static string Describe(ModbusError error) => error switch
    {
        ModbusError.None => "no error",
        ModbusError.TcpFrameTruncated => "the Modbus TCP frame is shorter than its 7-byte MBAP header or than its length field says; the peer closed mid-frame or the buffer was cut",
        ModbusError.TcpProtocolIdNotZero => "the MBAP protocol id is not 0 (Modbus): the peer speaks another protocol, or the stream lost its frame boundary; close the connection",
        ModbusError.TcpLengthTooSmall => "the MBAP length field is below 2 (unit id and function code); the peer's framing is broken; close the connection",
        ModbusError.TcpLengthTooLarge => "the MBAP length field is above 254 (unit id and a 253-byte PDU); the peer's framing is broken or it is not Modbus; close the connection",
        ModbusError.TcpLengthMismatch => "the Modbus TCP frame holds more bytes than its MBAP length field says",
        ModbusError.RtuFrameTooShort => "the RTU frame is shorter than 4 bytes (address, function, CRC): noise on the line or a frame split by a pause longer than 1.5 characters",
        ModbusError.RtuFrameTooLong => "the RTU frame is longer than 256 bytes: two frames without 3.5 characters of silence between them, or the wrong baud rate",
        ModbusError.RtuCrcMismatch => "the RTU frame's CRC-16 does not match its bytes: noise, or a baud rate, parity or stop-bit setting that differs from the peer's",
        ModbusError.PduEmpty => "the PDU is empty: there is no function code",
        ModbusError.PduTooLong => "the PDU is longer than the 253 bytes the spec allows",
        ModbusError.FunctionUnknown => "the function code is not one this codec serves (1-6, 15, 16, 22, 23, 43/14); a slave answers exception 01",
        ModbusError.PduLengthWrong => "the PDU's length does not fit its function code (truncated, or trailing bytes); a slave answers exception 03",
        ModbusError.CountOutOfRange => "the quantity is outside the spec's range (1-2000 bits or 1-125 registers per read, 1-1968 bits or 1-123 registers per write, 1-121 for FC23's write); a slave answers exception 03",
        ModbusError.ByteCountMismatch => "the byte count does not match the quantity or the bytes that follow it; a slave answers exception 03",
        ModbusError.CoilValueInvalid => "a single-coil write (FC05) carries a value other than 0x0000 (off) or 0xFF00 (on); a slave answers exception 03",
        ModbusError.AddressRangeOverflow => "the starting address plus the quantity runs past address 65535; a slave answers exception 02",
        ModbusError.MeiTypeUnsupported => "the FC43 MEI type is not 14 (read device identification); a slave answers exception 01",
        ModbusError.DeviceIdCodeInvalid => "the read device id code is not 1 (basic), 2 (regular), 3 (extended) or 4 (one object); a slave answers exception 03",
        ModbusError.MoreFollowsInvalid => "the device identification response's more-follows byte is neither 0x00 nor 0xFF",
        ModbusError.DeviceIdObjectsMalformed => "the device identification objects do not fill the PDU as their count and lengths say",
        ModbusError.ResponseFunctionMismatch => "the response's function code is not the request's: a late reply to an earlier request, or a confused slave",
        ModbusError.ResponseByteCountMismatch => "the response's byte count does not match the quantity the request asked for",
        ModbusError.ResponseEchoMismatch => "the write response does not echo the request's address, quantity or value",
        _ => $"unknown Modbus error {(byte)error}",
    };

    /// <summary>The exception a slave answers for a request that failed with <paramref name="error"/> (spec 6.x state diagrams).</summary>
    public static ExceptionCode ExceptionFor(ModbusError error) => error switch
    {
        ModbusError.FunctionUnknown or ModbusError.MeiTypeUnsupported => ExceptionCode.IllegalFunction,
        ModbusError.AddressRangeOverflow => ExceptionCode.IllegalDataAddress,
        _ => ExceptionCode.IllegalDataValue,
    };
}
