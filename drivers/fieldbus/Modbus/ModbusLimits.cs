namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// The sizes and counts the Modbus Application Protocol Specification V1.1b3 fixes. They follow
/// from one number: a PDU is at most 253 bytes (the 256-byte RS-485 ADU less address and CRC),
/// so a read answers at most 250 data bytes (2000 bits or 125 registers) and a write carries at
/// most 246 (1968 bits or 123 registers).
/// </summary>
public static class ModbusLimits
{
    /// <summary>Function code and data: the same on every transport.</summary>
    public const int PduBytesMax = 253;

    /// <summary>Seven-byte MBAP header (transaction, protocol, length, unit) then the PDU.</summary>
    public const int MbapHeaderBytes = 7;

    /// <summary>MBAP header plus the largest PDU.</summary>
    public const int TcpAduBytesMax = MbapHeaderBytes + PduBytesMax;

    /// <summary>The MBAP length field counts the unit id and the PDU: at least a unit and a function code.</summary>
    public const int MbapLengthMin = 2;

    /// <summary>The MBAP length field's largest value: the unit id and the largest PDU.</summary>
    public const int MbapLengthMax = 1 + PduBytesMax;

    /// <summary>Address, function code, CRC: the shortest RTU frame.</summary>
    public const int RtuAduBytesMin = 4;

    /// <summary>Address, the largest PDU, CRC.</summary>
    public const int RtuAduBytesMax = 1 + PduBytesMax + 2;

    public const int ReadBitsCountMax = 2000;
    public const int WriteBitsCountMax = 1968;
    public const int ReadRegistersCountMax = 125;
    public const int WriteRegistersCountMax = 123;

    /// <summary>FC23 reads up to 125 registers and writes up to 121 in one request.</summary>
    public const int ReadWriteReadCountMax = 125;

    /// <summary>FC23's write half: the request also carries both addresses and the read count.</summary>
    public const int ReadWriteWriteCountMax = 121;

    /// <summary>RTU unit 0 is the broadcast address: every slave acts on it and none answers.</summary>
    public const byte BroadcastUnit = 0;

    /// <summary>The highest individual RTU slave address; 248 to 255 are reserved.</summary>
    public const byte UnitMax = 247;
}
