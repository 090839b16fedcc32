using System.Buffers.Binary;
using System.Globalization;

namespace Neokernel.Kernel.Services;

/// <summary>
/// One record of a retain store, as it lies in a slot (little-endian):
/// <code>
///  0  u32  magic "NKRV"
///  4  u16  format version (1)
///  6  u16  reserved, 0
///  8  u64  sequence: one more for every record the store writes, so the newer of two slots wins
/// 16  u32  payload length n
/// 20  n    payload: the service's snapshot, its own format
/// 20+n u32 CRC-32C (Castagnoli) of bytes 0 .. 20+n
/// </code>
/// Pure computation: the media (rt/) store the bytes, the kernel judges them. Decoding never
/// throws on bad bytes; it says what is wrong in words that name the field.
/// </summary>
public static class RetainRecord
{
    public const int HeaderBytes = 20;

    public const int ChecksumBytes = 4;

    /// <summary>What a record adds to its payload.</summary>
    public const int OverheadBytes = HeaderBytes + ChecksumBytes;

    /// <summary>The format this runtime writes and reads.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>What a store's two slots are called, in its directory and in messages.</summary>
    public static readonly IReadOnlyList<string> SlotNames = ["retain-a.nkr", "retain-b.nkr"];

    /// <summary>"NKRV" as a little-endian u32.</summary>
    public const uint Magic = 0x56524B4E;

    /// <summary>Writes a record of <paramref name="payload"/> at <paramref name="sequence"/> into <paramref name="destination"/>; returns its length. Allocation-free.</summary>
    public static int Encode(ulong sequence, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var length = OverheadBytes + payload.Length;
        if (destination.Length < length)
        {
            throw new ArgumentException($"a record of {payload.Length} payload bytes takes {length} bytes; the destination has {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], (uint)payload.Length);
        payload.CopyTo(destination[HeaderBytes..]);
        var body = HeaderBytes + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[body..], Crc32C.Compute(destination[..body]));
        return length;
    }

    /// <summary>
    /// Judges <paramref name="record"/>: true with its sequence and where its payload lies, or
    /// false with <paramref name="problem"/> saying what is wrong (too short, not a record, a
    /// format this runtime does not read, a length that does not match, a payload over
    /// <paramref name="payloadBytesMax"/>, a checksum mismatch).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> record, int payloadBytesMax, out ulong sequence, out Range payload, out string problem)
    {
        sequence = 0;
        payload = default;
        if (record.Length < OverheadBytes)
        {
            problem = $"{Text(record.Length)} bytes, shorter than a record's {Text(OverheadBytes)} bytes of header and checksum (truncated)";
            return false;
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(record);
        if (magic != Magic)
        {
            problem = $"starts with 0x{magic.ToString("x8", CultureInfo.InvariantCulture)}, not a retain record's magic 0x{Magic.ToString("x8", CultureInfo.InvariantCulture)} (\"NKRV\")";
            return false;
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(record[4..]);
        if (version != FormatVersion)
        {
            problem = $"format version {Text(version)}; this runtime reads version {Text(FormatVersion)}";
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        if (length > (uint)payloadBytesMax)
        {
            problem = $"says its payload is {length.ToString(CultureInfo.InvariantCulture)} bytes, more than the store's bytesMax of {Text(payloadBytesMax)}";
            return false;
        }

        var body = HeaderBytes + (int)length;
        if (record.Length != body + ChecksumBytes)
        {
            problem = $"says its payload is {Text((int)length)} bytes, so {Text(body + ChecksumBytes)} in all, but holds {Text(record.Length)} (truncated or extended)";
            return false;
        }

        var stored = BinaryPrimitives.ReadUInt32LittleEndian(record[body..]);
        var computed = Crc32C.Compute(record[..body]);
        if (stored != computed)
        {
            problem = $"checksum mismatch: CRC-32C stored 0x{stored.ToString("x8", CultureInfo.InvariantCulture)}, computed 0x{computed.ToString("x8", CultureInfo.InvariantCulture)} (bit rot or a torn write)";
            return false;
        }

        sequence = BinaryPrimitives.ReadUInt64LittleEndian(record[8..]);
        payload = HeaderBytes..body;
        problem = "";
        return true;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial and final value 0xFFFFFFFF), as
/// iSCSI, ext4 and SSE4.2's crc32 instruction compute it: "123456789" gives 0xE3069283. A table,
/// one byte at a time: records are small and written off the cyclic path.
/// </summary>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var i = 0u; i < 256; i++)
        {
            var entry = i;
            for (var bit = 0; bit < 8; bit++)
            {
                entry = (entry & 1) != 0 ? (entry >> 1) ^ 0x82F63B78u : entry >> 1;
            }

            table[i] = entry;
        }

        return table;
    }
}
