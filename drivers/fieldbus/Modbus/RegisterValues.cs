namespace Neokernel.Fieldbus.Modbus;

/// <summary>How a value spreads over 16-bit registers. Bits are their own tables, not a register type.</summary>
public enum RegisterType : byte
{
    Int16,
    UInt16,
    Int32,
    UInt32,
    Float32,
    Float64,
}

/// <summary>
/// The order of a multi-register value's words. Each register is big-endian on the wire; the
/// spec says nothing about values wider than one register, and devices differ, so it is chosen
/// per point: <see cref="HighFirst"/> ("ABCD", the common default) or <see cref="LowFirst"/> ("CDAB").
/// </summary>
public enum WordOrder : byte
{
    HighFirst,
    LowFirst,
}

/// <summary>Values to and from registers, as pure functions over spans (no allocation).</summary>
public static class RegisterValues
{
    /// <summary>Registers one value of <paramref name="type"/> takes.</summary>
    public static int Words(RegisterType type) => type switch
    {
        RegisterType.Int16 or RegisterType.UInt16 => 1,
        RegisterType.Int32 or RegisterType.UInt32 or RegisterType.Float32 => 2,
        RegisterType.Float64 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a register type"),
    };

    public static bool IsInteger(RegisterType type) => type is not (RegisterType.Float32 or RegisterType.Float64);

    /// <summary>The smallest and largest value <paramref name="type"/> holds (floats: their finite range).</summary>
    public static (double Min, double Max) Range(RegisterType type) => type switch
    {
        RegisterType.Int16 => (short.MinValue, short.MaxValue),
        RegisterType.UInt16 => (0, ushort.MaxValue),
        RegisterType.Int32 => (int.MinValue, int.MaxValue),
        RegisterType.UInt32 => (0, uint.MaxValue),
        RegisterType.Float32 => (float.MinValue, float.MaxValue),
        _ => (double.MinValue, double.MaxValue),
    };

    /// <summary>Reads one value from the first <see cref="Words"/> registers of <paramref name="words"/>.</summary>
    public static double Read(ReadOnlySpan<ushort> words, RegisterType type, WordOrder order)
    {
        var bits = Combine(words, Words(type), order);
        return type switch
        {
            RegisterType.Int16 => (short)bits,
            RegisterType.UInt16 => (ushort)bits,
            RegisterType.Int32 => (int)bits,
            RegisterType.UInt32 => (uint)bits,
            RegisterType.Float32 => BitConverter.UInt32BitsToSingle((uint)bits),
            _ => BitConverter.UInt64BitsToDouble(bits),
        };
    }

    /// <summary>Writes <paramref name="value"/> (already in range, integers whole) into the first <see cref="Words"/> registers of <paramref name="words"/>.</summary>
    public static void Write(double value, RegisterType type, WordOrder order, Span<ushort> words)
    {
        var (min, max) = Range(type);
        if ((double.IsNaN(value) && IsInteger(type)) || value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"outside {type}'s range {min}..{max}");
        }

        var bits = type switch
        {
            RegisterType.Int16 => (ushort)(short)value,
            RegisterType.UInt16 => (ushort)value,
            RegisterType.Int32 => (uint)(int)value,
            RegisterType.UInt32 => (uint)value,
            RegisterType.Float32 => BitConverter.SingleToUInt32Bits((float)value),
            _ => BitConverter.DoubleToUInt64Bits(value),
        };
        Split(bits, Words(type), order, words);
    }

    private static ulong Combine(ReadOnlySpan<ushort> words, int count, WordOrder order)
    {
        if (words.Length < count)
        {
            throw new ArgumentException($"{words.Length} registers hold no {count}-register value", nameof(words));
        }

        var bits = 0UL;
        for (var i = 0; i < count; i++)
        {
            var word = order == WordOrder.HighFirst ? words[i] : words[count - 1 - i];
            bits = (bits << 16) | word;
        }

        return bits;
    }

    private static void Split(ulong bits, int count, WordOrder order, Span<ushort> words)
    {
        if (words.Length < count)
        {
            throw new ArgumentException($"{words.Length} registers hold no {count}-register value", nameof(words));
        }

        for (var i = 0; i < count; i++)
        {
            var word = (ushort)(bits >> (16 * (count - 1 - i)));
            words[order == WordOrder.HighFirst ? i : count - 1 - i] = word;
        }
    }
}
