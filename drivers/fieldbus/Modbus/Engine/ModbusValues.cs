using System.Buffers.Binary;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// Between the wire's bytes and a caller's values: packed bits (least significant bit first, as
/// FC01/02/15 carry them) and big-endian registers. Spans only, no allocation.
/// </summary>
public static class ModbusValues
{
    /// <summary>Unpacks <paramref name="destination"/>.Length registers from <paramref name="data"/>.</summary>
    public static void ReadRegisters(ReadOnlySpan<byte> data, Span<ushort> destination)
    {
        if (data.Length < 2 * destination.Length)
        {
            throw new ArgumentException($"{data.Length} data bytes hold fewer than {destination.Length} registers", nameof(data));
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * i)..]);
        }
    }

    /// <summary>Unpacks <paramref name="destination"/>.Length bits from <paramref name="data"/>.</summary>
    public static void ReadBits(ReadOnlySpan<byte> data, Span<bool> destination)
    {
        if (data.Length < PduChecks.BitBytes(destination.Length))
        {
            throw new ArgumentException($"{data.Length} data bytes hold fewer than {destination.Length} bits", nameof(data));
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (data[i >> 3] & (1 << (i & 7))) != 0;
        }
    }

    /// <summary>Packs registers big-endian; returns the bytes written.</summary>
    public static int WriteRegisters(ReadOnlySpan<ushort> registers, Span<byte> destination)
    {
        PduChecks.RequireRoom(destination, 2 * registers.Length);
        for (var i = 0; i < registers.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(2 * i)..], registers[i]);
        }

        return 2 * registers.Length;
    }

    /// <summary>Packs bits, least significant first, unused high bits zero; returns the bytes written.</summary>
    public static int WriteBits(ReadOnlySpan<bool> bits, Span<byte> destination)
    {
        var bytes = PduChecks.BitBytes(bits.Length);
        PduChecks.RequireRoom(destination, bytes);
        destination[..bytes].Clear();
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i])
            {
                destination[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        return bytes;
    }
}
