using System.Buffers.Binary;

namespace Neokernel.Fieldbus.Modbus;

/// <summary>An RTU ADU taken apart: the slave address and the PDU, a view into the decoded bytes.</summary>
public readonly ref struct RtuFrameResult
{
    public RtuFrameResult(ModbusError error, byte unit, ReadOnlySpan<byte> pdu)
    {
        Error = error;
        Unit = unit;
        Pdu = pdu;
    }

    public ModbusError Error { get; }

    public byte Unit { get; }

    public ReadOnlySpan<byte> Pdu { get; }

    public bool IsFrame => Error == ModbusError.None;

    /// <summary>Unit 0: every slave acts on the request and none answers it.</summary>
    public bool IsBroadcast => IsFrame && Unit == ModbusLimits.BroadcastUnit;
}

/// <summary>
/// RTU framing: address, PDU, CRC-16 low byte first. The bytes of one frame are those between two
/// silences of 3.5 characters (<see cref="RtuTiming"/>); the driver cuts them there and hands them here.
/// </summary>
public static class RtuFrame
{
    public const int CrcBytes = 2;

    /// <summary>Writes address, PDU and CRC into <paramref name="destination"/>; returns the ADU's length.</summary>
    public static int Encode(byte unit, ReadOnlySpan<byte> pdu, Span<byte> destination)
    {
        PduChecks.RequireEncodable(pdu);
        var length = 1 + pdu.Length + CrcBytes;
        PduChecks.RequireRoom(destination, length);
        destination[0] = unit;
        pdu.CopyTo(destination[1..]);
        var crc = Crc16.Compute(destination[..(1 + pdu.Length)]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[(1 + pdu.Length)..], crc);
        return length;
    }

    /// <summary>Checks length and CRC of one whole frame; the PDU is a view into <paramref name="adu"/>.</summary>
    public static RtuFrameResult Decode(ReadOnlySpan<byte> adu)
    {
        if (adu.Length < ModbusLimits.RtuAduBytesMin)
        {
            return new RtuFrameResult(ModbusError.RtuFrameTooShort, 0, default);
        }
        if (adu.Length > ModbusLimits.RtuAduBytesMax)
        {
            return new RtuFrameResult(ModbusError.RtuFrameTooLong, 0, default);
        }

        var body = adu[..^CrcBytes];
        var sent = BinaryPrimitives.ReadUInt16LittleEndian(adu[^CrcBytes..]);
        if (Crc16.Compute(body) != sent)
        {
            return new RtuFrameResult(ModbusError.RtuCrcMismatch, 0, default);
        }
        return new RtuFrameResult(ModbusError.None, body[0], body[1..]);
    }
}
