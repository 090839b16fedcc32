using System.Buffers.Binary;

namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// A response as a master decodes it: a normal response, the slave's exception
/// (<see cref="DecodeStatus.Exception"/> with its code), or bytes that are not a response
/// (<see cref="DecodeStatus.Invalid"/> with the error).
/// </summary>
public readonly ref struct ResponseDecodeResult
{
    public ResponseDecodeResult(DecodeStatus status, ModbusResponse response, ReadOnlySpan<byte> data, ExceptionCode exception, ModbusError error)
    {
        Status = status;
        Response = response;
        Data = data;
        Exception = exception;
        Error = error;
    }

    public DecodeStatus Status { get; }

    /// <summary>For an exception, only <see cref="ModbusResponse.Function"/> is set: the function refused.</summary>
    public ModbusResponse Response { get; }

    /// <summary>Read data (packed bits; big-endian registers) or FC43/14's object list: a view into the PDU.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The slave's exception code, which may be one the spec does not define (vendors add their own).</summary>
    public ExceptionCode Exception { get; }

    public ModbusError Error { get; }
}

/// <summary>Writes response PDUs (the slave's side). Arguments outside the spec's limits throw: they are the caller's bug.</summary>
public static class ResponseEncoder
{
    public const int ExceptionPduBytes = 2;

    private const int DeviceIdHeaderBytes = 7;

    /// <summary>Writes <paramref name="response"/> with its <paramref name="data"/>; returns the PDU's length.</summary>
    public static int Encode(in ModbusResponse response, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        switch (response.Function)
        {
            case FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs:
                return EncodeRead(response.Function, data, PduChecks.BitBytes(ModbusLimits.ReadBitsCountMax), 1, destination);
            case FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters or FunctionCode.ReadWriteMultipleRegisters:
                return EncodeRead(response.Function, data, 2 * ModbusLimits.ReadRegistersCountMax, 2, destination);
            case FunctionCode.EncapsulatedInterface:
                return EncodeDeviceIdentification(response, data, destination);
            default:
                return EncodeEcho(response, data, destination);
        }
    }

    /// <summary>The reply to a request the slave refuses: the function with its high bit set, then the code.</summary>
    public static int EncodeException(byte functionByte, ExceptionCode exception, Span<byte> destination)
    {
        if (exception == ExceptionCode.None || functionByte >= 0x80)
        {
            throw new ArgumentOutOfRangeException(nameof(exception), exception, "an exception reply needs a code and a function below 0x80");
        }
        PduChecks.RequireRoom(destination, ExceptionPduBytes);
        destination[0] = (byte)(functionByte | 0x80);
        destination[1] = (byte)exception;
        return ExceptionPduBytes;
    }

    private static int EncodeRead(FunctionCode function, ReadOnlySpan<byte> data, int bytesMax, int unitBytes, Span<byte> destination)
    {
        if (data.IsEmpty || data.Length > bytesMax || data.Length % unitBytes != 0)
        {
            throw new ArgumentException($"{function} answers 1..{bytesMax} data bytes in units of {unitBytes}, not {data.Length}", nameof(data));
        }
        PduChecks.RequireRoom(destination, 2 + data.Length);
        destination[0] = (byte)function;
        destination[1] = (byte)data.Length;
        data.CopyTo(destination[2..]);
        return 2 + data.Length;
    }

    private static int EncodeEcho(in ModbusResponse response, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        PduChecks.RequireDataLength(data, 0, response.Function);
        var (second, third) = response.Function switch
        {
            FunctionCode.WriteSingleCoil when response.Value is ModbusRequest.CoilOn or ModbusRequest.CoilOff => (response.Value, (ushort)0),
            FunctionCode.WriteSingleRegister => (response.Value, (ushort)0),
            FunctionCode.WriteMultipleCoils when response.Count is >= 1 and <= ModbusLimits.WriteBitsCountMax => (response.Count, (ushort)0),
            FunctionCode.WriteMultipleRegisters when response.Count is >= 1 and <= ModbusLimits.WriteRegistersCountMax => (response.Count, (ushort)0),
            FunctionCode.MaskWriteRegister => (response.AndMask, response.OrMask),
            _ => throw new ArgumentOutOfRangeException(nameof(response), response, "not a response this codec encodes, or a value outside the spec's limits"),
        };
        var length = response.Function == FunctionCode.MaskWriteRegister ? 7 : 5;
        PduChecks.RequireRoom(destination, length);
        destination[0] = (byte)response.Function;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], response.Address);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], second);
        if (length == 7)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[5..], third);
        }
        return length;
    }

    private static int EncodeDeviceIdentification(in ModbusResponse response, ReadOnlySpan<byte> objects, Span<byte> destination)
    {
        if (objects.Length > DeviceIdObjectWriter.ObjectBytesMax || !DeviceIdObjectReader.IsWellFormed(objects, response.ObjectCount))
        {
            throw new ArgumentException($"the object list must be {response.ObjectCount} whole objects in at most {DeviceIdObjectWriter.ObjectBytesMax} bytes", nameof(objects));
        }
        if (response.DeviceIdCode is < DeviceIdCode.Basic or > DeviceIdCode.Specific)
        {
            throw new ArgumentOutOfRangeException(nameof(response), response.DeviceIdCode, "the read device id code is 1..4");
        }
        var length = DeviceIdHeaderBytes + objects.Length;
        PduChecks.RequireRoom(destination, length);
        destination[0] = (byte)FunctionCode.EncapsulatedInterface;
        destination[1] = DeviceIdentification.MeiType;
        destination[2] = (byte)response.DeviceIdCode;
        destination[3] = response.ConformityLevel;
        destination[4] = response.MoreFollows ? DeviceIdentification.MoreFollows : (byte)0;
        destination[5] = response.NextObjectId;
        destination[6] = response.ObjectCount;
        objects.CopyTo(destination[DeviceIdHeaderBytes..]);
        return length;
    }
}

/// <summary>
/// Decodes response PDUs (the master's side). <see cref="Decode(ReadOnlySpan{byte}, in ModbusRequest)"/>
/// also checks the response against the request it should answer: same function, the byte count the
/// quantity implies, the echo of a write. A master uses that one; the other only parses.
/// </summary>
public static class ResponseDecoder
{
    public static ResponseDecodeResult Decode(ReadOnlySpan<byte> pdu)
    {
        if (pdu.IsEmpty)
        {
            return Invalid(ModbusError.PduEmpty);
        }
        if (pdu.Length > ModbusLimits.PduBytesMax)
        {
            return Invalid(ModbusError.PduTooLong);
        }
        if (pdu[0] >= 0x80)
        {
            return DecodeException(pdu);
        }

        return (FunctionCode)pdu[0] switch
        {
            FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs => DecodeRead(pdu, PduChecks.BitBytes(ModbusLimits.ReadBitsCountMax), 1),
            FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters or FunctionCode.ReadWriteMultipleRegisters =>
                DecodeRead(pdu, 2 * ModbusLimits.ReadRegistersCountMax, 2),
            FunctionCode.WriteSingleCoil or FunctionCode.WriteSingleRegister or FunctionCode.WriteMultipleCoils or FunctionCode.WriteMultipleRegisters =>
                DecodeEcho(pdu),
            FunctionCode.MaskWriteRegister => DecodeMaskWrite(pdu),
            FunctionCode.EncapsulatedInterface => DecodeDeviceIdentification(pdu),
            _ => Invalid(ModbusError.FunctionUnknown),
        };
    }

    /// <summary>Decodes <paramref name="pdu"/> and checks that it answers <paramref name="request"/>.</summary>
    public static ResponseDecodeResult Decode(ReadOnlySpan<byte> pdu, in ModbusRequest request)
    {
        var result = Decode(pdu);
        if (result.Status == DecodeStatus.Invalid)
        {
            return result;
        }
        if (result.Response.Function != request.Function)
        {
            return Invalid(ModbusError.ResponseFunctionMismatch);
        }
        if (result.Status == DecodeStatus.Exception)
        {
            return result;
        }
        var error = Mismatch(result.Response, result.Data.Length, request);
        return error == ModbusError.None ? result : Invalid(error);
    }

    private static ModbusError Mismatch(in ModbusResponse response, int dataBytes, in ModbusRequest request) => request.Function switch
    {
        FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs or FunctionCode.ReadHoldingRegisters
            or FunctionCode.ReadInputRegisters or FunctionCode.ReadWriteMultipleRegisters =>
            dataBytes == request.ResponseDataBytes ? ModbusError.None : ModbusError.ResponseByteCountMismatch,
        FunctionCode.EncapsulatedInterface =>
            response.DeviceIdCode == request.DeviceIdCode ? ModbusError.None : ModbusError.ResponseEchoMismatch,
        _ => response == ModbusResponse.Echo(request) ? ModbusError.None : ModbusError.ResponseEchoMismatch,
    };

    private static ResponseDecodeResult DecodeException(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length != ResponseEncoder.ExceptionPduBytes)
        {
            return Invalid(ModbusError.PduLengthWrong);
        }
        var response = new ModbusResponse { Function = (FunctionCode)(pdu[0] & 0x7F) };
        return new ResponseDecodeResult(DecodeStatus.Exception, response, default, (ExceptionCode)pdu[1], ModbusError.None);
    }

    private static ResponseDecodeResult DecodeRead(ReadOnlySpan<byte> pdu, int bytesMax, int unitBytes)
    {
        if (pdu.Length < 2 || pdu.Length != 2 + pdu[1])
        {
            return Invalid(ModbusError.PduLengthWrong);
        }
        var byteCount = pdu[1];
        if (byteCount == 0 || byteCount > bytesMax || byteCount % unitBytes != 0)
        {
            return Invalid(ModbusError.ByteCountMismatch);
        }
        return Decoded(ModbusResponse.Read((FunctionCode)pdu[0]), pdu[2..]);
    }

    private static ResponseDecodeResult DecodeEcho(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length != 5)
        {
            return Invalid(ModbusError.PduLengthWrong);
        }
        var function = (FunctionCode)pdu[0];
        var second = Word(pdu, 3);
        var single = function is FunctionCode.WriteSingleCoil or FunctionCode.WriteSingleRegister;
        var response = new ModbusResponse { Function = function, Address = Word(pdu, 1), Value = single ? second : (ushort)0, Count = single ? (ushort)0 : second };
        var countMax = function == FunctionCode.WriteMultipleCoils ? ModbusLimits.WriteBitsCountMax : ModbusLimits.WriteRegistersCountMax;
        if (function == FunctionCode.WriteSingleCoil && second is not (ModbusRequest.CoilOn or ModbusRequest.CoilOff))
        {
            return Invalid(ModbusError.CoilValueInvalid);
        }
        if (!single && (second < 1 || second > countMax))
        {
            return Invalid(ModbusError.CountOutOfRange);
        }
        return Decoded(response, default);
    }

    private static ResponseDecodeResult DecodeMaskWrite(ReadOnlySpan<byte> pdu) =>
        pdu.Length != 7
            ? Invalid(ModbusError.PduLengthWrong)
            : Decoded(ModbusResponse.Echo(ModbusRequest.MaskWriteRegister(Word(pdu, 1), Word(pdu, 3), Word(pdu, 5))), default);

    private static ResponseDecodeResult DecodeDeviceIdentification(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length >= 2 && pdu[1] != DeviceIdentification.MeiType)
        {
            return Invalid(ModbusError.MeiTypeUnsupported);
        }
        if (pdu.Length < 7)
        {
            return Invalid(ModbusError.PduLengthWrong);
        }
        if (pdu[2] is < (byte)DeviceIdCode.Basic or > (byte)DeviceIdCode.Specific)
        {
            return Invalid(ModbusError.DeviceIdCodeInvalid);
        }
        if (pdu[4] is not (0 or DeviceIdentification.MoreFollows))
        {
            return Invalid(ModbusError.MoreFollowsInvalid);
        }
        var objects = pdu[7..];
        if (!DeviceIdObjectReader.IsWellFormed(objects, pdu[6]))
        {
            return Invalid(ModbusError.DeviceIdObjectsMalformed);
        }
        var response = ModbusResponse.DeviceIdentification((DeviceIdCode)pdu[2], pdu[3], pdu[4] != 0, pdu[5], pdu[6]);
        return Decoded(response, objects);
    }

    private static ResponseDecodeResult Decoded(ModbusResponse response, ReadOnlySpan<byte> data) =>
        new(DecodeStatus.Decoded, response, data, ExceptionCode.None, ModbusError.None);

    private static ResponseDecodeResult Invalid(ModbusError error) =>
        new(DecodeStatus.Invalid, default, default, ExceptionCode.None, error);

    private static ushort Word(ReadOnlySpan<byte> pdu, int offset) => BinaryPrimitives.ReadUInt16BigEndian(pdu[offset..]);
}
