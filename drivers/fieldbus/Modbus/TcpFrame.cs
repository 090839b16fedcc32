using System.Buffers.Binary;

namespace Neokernel.Fieldbus.Modbus;

/// <summary>A Modbus TCP ADU taken apart: the MBAP header's transaction and unit, and the PDU (a view).</summary>
public readonly ref struct TcpFrameResult
{
    public TcpFrameResult(ModbusError error, ushort transactionId, byte unit, ReadOnlySpan<byte> pdu)
    {
        Error = error;
        TransactionId = transactionId;
        Unit = unit;
        Pdu = pdu;
    }

    public ModbusError Error { get; }

    /// <summary>Chosen by the master, echoed by the slave: what pairs a reply with its request when several are in flight.</summary>
    public ushort TransactionId { get; }

    public byte Unit { get; }

    public ReadOnlySpan<byte> Pdu { get; }

    public bool IsFrame => Error == ModbusError.None;
}

/// <summary>
/// Modbus TCP framing (Messaging on TCP/IP V1.0b, 3.1.3): the 7-byte MBAP header (transaction id,
/// protocol id 0, length of what follows, unit id), then the PDU. TCP checks the bytes, so there is
/// no CRC; the length field is the only frame boundary, which is why a bad one ends the connection.
/// </summary>
public static class TcpFrame
{
    private const int LengthFieldOffset = 4;

    /// <summary>Bytes of the MBAP header before the length field's count starts (transaction, protocol, length).</summary>
    public const int BytesBeforeUnit = 6;

    /// <summary>Writes the MBAP header and the PDU into <paramref name="destination"/>; returns the ADU's length.</summary>
    public static int Encode(ushort transactionId, byte unit, ReadOnlySpan<byte> pdu, Span<byte> destination)
    {
        PduChecks.RequireEncodable(pdu);
        var length = ModbusLimits.MbapHeaderBytes + pdu.Length;
        PduChecks.RequireRoom(destination, length);
        BinaryPrimitives.WriteUInt16BigEndian(destination, transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[LengthFieldOffset..], (ushort)(1 + pdu.Length));
        destination[BytesBeforeUnit] = unit;
        pdu.CopyTo(destination[ModbusLimits.MbapHeaderBytes..]);
        return length;
    }

    /// <summary>Decodes exactly one ADU: header checked, and the bytes must be exactly as many as its length says.</summary>
    public static TcpFrameResult Decode(ReadOnlySpan<byte> adu)
    {
        if (adu.Length < ModbusLimits.MbapHeaderBytes)
        {
            return new TcpFrameResult(ModbusError.TcpFrameTruncated, 0, 0, default);
        }
        var error = CheckHeader(adu, out var frameBytes);
        if (error != ModbusError.None)
        {
            return new TcpFrameResult(error, 0, 0, default);
        }
        if (adu.Length < frameBytes)
        {
            return new TcpFrameResult(ModbusError.TcpFrameTruncated, 0, 0, default);
        }
        if (adu.Length > frameBytes)
        {
            return new TcpFrameResult(ModbusError.TcpLengthMismatch, 0, 0, default);
        }
        return new TcpFrameResult(
            ModbusError.None,
            BinaryPrimitives.ReadUInt16BigEndian(adu),
            adu[BytesBeforeUnit],
            adu[ModbusLimits.MbapHeaderBytes..frameBytes]);
    }

    /// <summary>Checks the protocol id and length of a complete 7-byte header; gives the whole ADU's length.</summary>
    internal static ModbusError CheckHeader(ReadOnlySpan<byte> header, out int frameBytes)
    {
        frameBytes = 0;
        if (BinaryPrimitives.ReadUInt16BigEndian(header[2..]) != 0)
        {
            return ModbusError.TcpProtocolIdNotZero;
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[LengthFieldOffset..]);
        if (length < ModbusLimits.MbapLengthMin)
        {
            return ModbusError.TcpLengthTooSmall;
        }
        if (length > ModbusLimits.MbapLengthMax)
        {
            return ModbusError.TcpLengthTooLarge;
        }
        frameBytes = BytesBeforeUnit + length;
        return ModbusError.None;
    }
}
