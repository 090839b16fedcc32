namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// The RTU frame check: CRC-16 with the reflected polynomial 0xA001, initial value 0xFFFF, sent low
/// byte first (Modbus over Serial Line V1.02, 2.5.1.2 and 6.2.2). Table-driven: one lookup per byte,
/// the table built once at type load.
/// </summary>
public static class Crc16
{
    public const ushort Polynomial = 0xA001;
    public const ushort Initial = 0xFFFF;

    private static readonly ushort[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="bytes"/>, as the 16-bit value whose low byte goes on the wire first.</summary>
    public static ushort Compute(ReadOnlySpan<byte> bytes)
    {
        var crc = Initial;
        var table = Table;
        foreach (var b in bytes)
        {
            crc = (ushort)((crc >> 8) ^ table[(crc ^ b) & 0xFF]);
        }
        return crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (var index = 0; index < table.Length; index++)
        {
            var crc = (ushort)index;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (ushort)((crc >> 1) ^ Polynomial) : (ushort)(crc >> 1);
            }
            table[index] = crc;
        }
        return table;
    }
}
