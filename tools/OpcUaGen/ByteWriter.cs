using System.Buffers.Binary;
using System.Text;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>Little-endian bytes appended to a growing buffer: the blob and the Variant values in it.</summary>
internal sealed class ByteWriter
{
    private readonly List<byte> bytes = [];

    public int Length => bytes.Count;

    public void Byte(byte value) => bytes.Add(value);

    public void Bytes(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            bytes.Add(b);
        }
    }

    public void UInt16(ushort value) => Fixed(stackalloc byte[2], span => BinaryPrimitives.WriteUInt16LittleEndian(span, value));

    public void Int16(short value) => Fixed(stackalloc byte[2], span => BinaryPrimitives.WriteInt16LittleEndian(span, value));

    public void UInt32(uint value) => Fixed(stackalloc byte[4], span => BinaryPrimitives.WriteUInt32LittleEndian(span, value));

    public void Int32(int value) => Fixed(stackalloc byte[4], span => BinaryPrimitives.WriteInt32LittleEndian(span, value));

    public void UInt64(ulong value) => Fixed(stackalloc byte[8], span => BinaryPrimitives.WriteUInt64LittleEndian(span, value));

    public void Int64(long value) => Fixed(stackalloc byte[8], span => BinaryPrimitives.WriteInt64LittleEndian(span, value));

    public void Single(float value) => Fixed(stackalloc byte[4], span => BinaryPrimitives.WriteSingleLittleEndian(span, value));

    public void Double(double value) => Fixed(stackalloc byte[8], span => BinaryPrimitives.WriteDoubleLittleEndian(span, value));

    /// <summary>A UA Binary String: Int32 byte length and UTF-8, or -1 for a null string.</summary>
    public void UaString(string? value)
    {
        if (value is null)
        {
            Int32(-1);
            return;
        }

        var utf8 = Encoding.UTF8.GetBytes(value);
        Int32(utf8.Length);
        Bytes(utf8);
    }

    /// <summary>Overwrites four bytes written earlier (a length or an offset known only later).</summary>
    public void PatchUInt32(int position, uint value)
    {
        Span<byte> span = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        for (var i = 0; i < 4; i++)
        {
            bytes[position + i] = span[i];
        }
    }

    public byte[] ToArray() => [.. bytes];

    private delegate void SpanAction(Span<byte> span);

    private void Fixed(Span<byte> span, SpanAction write)
    {
        write(span);
        Bytes(span);
    }
}
