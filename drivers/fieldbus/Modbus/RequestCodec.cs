using System.Buffers.Binary;

namespace Neokernel.Fieldbus.Modbus;

public enum DecodeStatus : byte
{
    /// <summary>A well-formed request or response.</summary>
    Decoded,

    /// <summary>A request a slave must refuse with <c>Exception</c>; or, decoding a response, the slave's exception reply.</summary>
    Exception,

    /// <summary>Not Modbus at all (empty, too long, or a response that does not parse): drop it.</summary>
    Invalid,
}

/// <summary>
/// A request as a slave decodes it. A malformed request a slave can answer is
/// <see cref="DecodeStatus.Exception"/>, with the exception to send and the error that caused it:
/// the slave encodes the reply with <see cref="ResponseEncoder.EncodeException"/> and the raw
/// <see cref="FunctionByte"/>, which may be a function this codec does not know.
/// </summary>
public readonly ref struct RequestDecodeResult
{
    public RequestDecodeResult(DecodeStatus status, byte functionByte, ModbusRequest request, ReadOnlySpan<byte> data, ExceptionCode exception, ModbusError error)
    {
        Status = status;
        FunctionByte = functionByte;
        Request = request;
        Data = data;
        Exception = exception;
        Error = error;
    }

    public DecodeStatus Status { get; }

    public byte FunctionByte { get; }

    public ModbusRequest Request { get; }

    /// <summary>FC15's packed bits, FC16's and FC23's big-endian registers: a view into the PDU.</summary>
    public ReadOnlySpan<byte> Data { get; }

    public ExceptionCode Exception { get; }

    public ModbusError Error { get; }
}

/// <summary>Writes request PDUs (the master's side). Arguments outside the spec's limits throw: they are the caller's bug.</summary>
public static class RequestEncoder
{
    /// <summary>Writes <paramref name="request"/> and its <paramref name="data"/> (see <see cref="ModbusRequest.DataBytes"/>); returns the PDU's length.</summary>
    public static int Encode(in ModbusRequest request, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        RequestLimits.Require(request);
        PduChecks.RequireDataLength(data, request.DataBytes, request.Function);
        var length = RequestLimits.PduBytes(request);
        PduChecks.RequireRoom(destination, length);

        destination[0] = (byte)request.Function;
        switch (request.Function)
        {
            case FunctionCode.WriteSingleCoil or FunctionCode.WriteSingleRegister:
                WriteWords(destination, request.Address, request.Value);
                break;
            case FunctionCode.WriteMultipleCoils or FunctionCode.WriteMultipleRegisters:
                WriteWords(destination, request.Address, request.Count);
                destination[5] = (byte)data.Length;
                data.CopyTo(destination[6..]);
                break;
            case FunctionCode.MaskWriteRegister:
                WriteWords(destination, request.Address, request.AndMask);
                BinaryPrimitives.WriteUInt16BigEndian(destination[5..], request.OrMask);
                break;
            case FunctionCode.ReadWriteMultipleRegisters:
                WriteWords(destination, request.Address, request.Count);
                BinaryPrimitives.WriteUInt16BigEndian(destination[5..], request.WriteAddress);
                BinaryPrimitives.WriteUInt16BigEndian(destination[7..], request.WriteCount);
                destination[9] = (byte)data.Length;
                data.CopyTo(destination[10..]);
                break;
            case FunctionCode.EncapsulatedInterface:
                destination[1] = DeviceIdentification.MeiType;
                destination[2] = (byte)request.DeviceIdCode;
                destination[3] = request.ObjectId;
                break;
            default:
                WriteWords(destination, request.Address, request.Count);
                break;
        }
        return length;
    }

    private static void WriteWords(Span<byte> destination, ushort first, ushort second)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], first);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], second);
    }
}

/// <summary>
/// Decodes request PDUs (the slave's side), in the order of the spec's state diagrams: an unknown
/// function is exception 01; a bad quantity, byte count or length is 03; an address range past
/// 65535 is 02. Whether the addresses exist in the slave's map is the slave's question, not the codec's.
/// </summary>
public static class RequestDecoder
{
    public static RequestDecodeResult Decode(ReadOnlySpan<byte> pdu)
    {
        if (pdu.IsEmpty)
        {
            return Invalid(0, ModbusError.PduEmpty);
        }
        if (pdu.Length > ModbusLimits.PduBytesMax)
        {
            return Invalid(pdu[0], ModbusError.PduTooLong);
        }
        if (pdu[0] >= 0x80)
        {
            // Function codes are 1..127; a high bit marks an exception reply, which no master sends.
            return Invalid(pdu[0], ModbusError.FunctionUnknown);
        }

        return (FunctionCode)pdu[0] switch
        {
            FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs => DecodeRead(pdu, ModbusLimits.ReadBitsCountMax),
            FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters => DecodeRead(pdu, ModbusLimits.ReadRegistersCountMax),
            FunctionCode.WriteSingleCoil or FunctionCode.WriteSingleRegister => DecodeWriteSingle(pdu),
            FunctionCode.WriteMultipleCoils or FunctionCode.WriteMultipleRegisters => DecodeWriteMultiple(pdu),
            FunctionCode.MaskWriteRegister => DecodeMaskWrite(pdu),
            FunctionCode.ReadWriteMultipleRegisters => DecodeReadWrite(pdu),
            FunctionCode.EncapsulatedInterface => DecodeDeviceIdentification(pdu),
            _ => Refuse(pdu[0], ModbusError.FunctionUnknown),
        };
    }

    private static RequestDecodeResult DecodeRead(ReadOnlySpan<byte> pdu, int countMax)
    {
        if (pdu.Length != 5)
        {
            return Refuse(pdu[0], ModbusError.PduLengthWrong);
        }
        var request = new ModbusRequest { Function = (FunctionCode)pdu[0], Address = Word(pdu, 1), Count = Word(pdu, 3) };
        return Checked(pdu[0], request, default, CheckRange(request.Address, request.Count, countMax));
    }

    private static RequestDecodeResult DecodeWriteSingle(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length != 5)
        {
            return Refuse(pdu[0], ModbusError.PduLengthWrong);
        }
        var request = new ModbusRequest { Function = (FunctionCode)pdu[0], Address = Word(pdu, 1), Value = Word(pdu, 3) };
        var coilBad = request.Function == FunctionCode.WriteSingleCoil && request.Value is not (ModbusRequest.CoilOn or ModbusRequest.CoilOff);
        return Checked(pdu[0], request, default, coilBad ? ModbusError.CoilValueInvalid : ModbusError.None);
    }

    private static RequestDecodeResult DecodeWriteMultiple(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length < 6)
        {
            return Refuse(pdu[0], ModbusError.PduLengthWrong);
        }
        var request = new ModbusRequest { Function = (FunctionCode)pdu[0], Address = Word(pdu, 1), Count = Word(pdu, 3) };
        var countMax = request.Function == FunctionCode.WriteMultipleCoils ? ModbusLimits.WriteBitsCountMax : ModbusLimits.WriteRegistersCountMax;
        var data = pdu[6..];
        var error = CheckWriteData(request.Count, countMax, pdu[5], request.DataBytes, data.Length);
        if (error == ModbusError.None)
        {
            error = CheckRange(request.Address, request.Count, countMax);
        }
        return Checked(pdu[0], request, data, error);
    }

    private static RequestDecodeResult DecodeMaskWrite(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length != 7)
        {
            return Refuse(pdu[0], ModbusError.PduLengthWrong);
        }
        var request = ModbusRequest.MaskWriteRegister(Word(pdu, 1), Word(pdu, 3), Word(pdu, 5));
        return Checked(pdu[0], request, default, ModbusError.None);
    }

    private static RequestDecodeResult DecodeReadWrite(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length < 10)
        {
            return Refuse(pdu[0], ModbusError.PduLengthWrong);
        }
        var request = ModbusRequest.ReadWriteMultipleRegisters(Word(pdu, 1), Word(pdu, 3), Word(pdu, 5), Word(pdu, 7));
        var data = pdu[10..];
        var error = request.Count is < 1 or > ModbusLimits.ReadWriteReadCountMax
            ? ModbusError.CountOutOfRange
            : CheckWriteData(request.WriteCount, ModbusLimits.ReadWriteWriteCountMax, pdu[9], request.DataBytes, data.Length);
        if (error == ModbusError.None)
        {
            error = CheckRange(request.Address, request.Count, ModbusLimits.ReadWriteReadCountMax);
        }
        if (error == ModbusError.None)
        {
            error = CheckRange(request.WriteAddress, request.WriteCount, ModbusLimits.ReadWriteWriteCountMax);
        }
        return Checked(pdu[0], request, data, error);
    }

    private static RequestDecodeResult DecodeDeviceIdentification(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length >= 2 && pdu[1] != DeviceIdentification.MeiType)
        {
            return Refuse(pdu[0], ModbusError.MeiTypeUnsupported);
        }
        if (pdu.Length != 4)
        {
            return Refuse(pdu[0], ModbusError.PduLengthWrong);
        }
        var request = ModbusRequest.ReadDeviceIdentification((DeviceIdCode)pdu[2], pdu[3]);
        var codeBad = pdu[2] is < (byte)DeviceIdCode.Basic or > (byte)DeviceIdCode.Specific;
        return Checked(pdu[0], request, default, codeBad ? ModbusError.DeviceIdCodeInvalid : ModbusError.None);
    }

    /// <summary>The spec checks the quantity and the byte count together (exception 03) before the addresses.</summary>
    private static ModbusError CheckWriteData(int count, int countMax, int byteCount, int expectedBytes, int dataBytes)
    {
        if (count < 1 || count > countMax)
        {
            return ModbusError.CountOutOfRange;
        }
        return byteCount != expectedBytes || dataBytes != byteCount ? ModbusError.ByteCountMismatch : ModbusError.None;
    }

    private static ModbusError CheckRange(int address, int count, int countMax)
    {
        if (count < 1 || count > countMax)
        {
            return ModbusError.CountOutOfRange;
        }
        return address + count > 0x10000 ? ModbusError.AddressRangeOverflow : ModbusError.None;
    }

    private static RequestDecodeResult Checked(byte functionByte, ModbusRequest request, ReadOnlySpan<byte> data, ModbusError error) =>
        error == ModbusError.None
            ? new RequestDecodeResult(DecodeStatus.Decoded, functionByte, request, data, ExceptionCode.None, ModbusError.None)
            : Refuse(functionByte, error);

    private static RequestDecodeResult Refuse(byte functionByte, ModbusError error) =>
        new(DecodeStatus.Exception, functionByte, default, default, ModbusErrors.ExceptionFor(error), error);

    private static RequestDecodeResult Invalid(byte functionByte, ModbusError error) =>
        new(DecodeStatus.Invalid, functionByte, default, default, ExceptionCode.None, error);

    private static ushort Word(ReadOnlySpan<byte> pdu, int offset) => BinaryPrimitives.ReadUInt16BigEndian(pdu[offset..]);
}

/// <summary>The spec's limits on a request, for the encoder: one place that says what a valid request is.</summary>
internal static class RequestLimits
{
    public static void Require(in ModbusRequest request)
    {
        switch (request.Function)
        {
            case FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs:
                RequireRange(request.Address, request.Count, ModbusLimits.ReadBitsCountMax);
                break;
            case FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters:
                RequireRange(request.Address, request.Count, ModbusLimits.ReadRegistersCountMax);
                break;
            case FunctionCode.WriteSingleCoil when request.Value is not (ModbusRequest.CoilOn or ModbusRequest.CoilOff):
                throw new ArgumentOutOfRangeException(nameof(request), request.Value, "a single coil is written as 0x0000 or 0xFF00");
            case FunctionCode.WriteMultipleCoils:
                RequireRange(request.Address, request.Count, ModbusLimits.WriteBitsCountMax);
                break;
            case FunctionCode.WriteMultipleRegisters:
                RequireRange(request.Address, request.Count, ModbusLimits.WriteRegistersCountMax);
                break;
            case FunctionCode.ReadWriteMultipleRegisters:
                RequireRange(request.Address, request.Count, ModbusLimits.ReadWriteReadCountMax);
                RequireRange(request.WriteAddress, request.WriteCount, ModbusLimits.ReadWriteWriteCountMax);
                break;
            case FunctionCode.EncapsulatedInterface when request.DeviceIdCode is < DeviceIdCode.Basic or > DeviceIdCode.Specific:
                throw new ArgumentOutOfRangeException(nameof(request), request.DeviceIdCode, "the read device id code is 1..4");
            case FunctionCode.WriteSingleCoil or FunctionCode.WriteSingleRegister or FunctionCode.MaskWriteRegister or FunctionCode.EncapsulatedInterface:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.Function, "not a function code this codec encodes");
        }
    }

    public static int PduBytes(in ModbusRequest request) => request.Function switch
    {
        FunctionCode.WriteMultipleCoils or FunctionCode.WriteMultipleRegisters => 6 + request.DataBytes,
        FunctionCode.MaskWriteRegister => 7,
        FunctionCode.ReadWriteMultipleRegisters => 10 + request.DataBytes,
        FunctionCode.EncapsulatedInterface => 4,
        _ => 5,
    };

    private static void RequireRange(int address, int count, int countMax)
    {
        PduChecks.RequireCount(count, countMax, nameof(count));
        PduChecks.RequireAddressRange(address, count);
    }
}
