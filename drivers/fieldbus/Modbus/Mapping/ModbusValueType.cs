using System.Buffers.Binary;

namespace Neokernel.Fieldbus.Modbus.Mapping;

/// <summary>How a value sits in Modbus registers or bits. Registers are big-endian on the wire; multi-register values follow a <see cref="WordOrder"/>.</summary>
public enum ModbusValueType : byte
{
    /// <summary>One coil or discrete input, or one bit of a register (0 or 1).</summary>
    Bit,

    Int16,
    UInt16,
    Int32,
    UInt32,

    /// <summary>IEEE 754 single precision in two registers.</summary>
    Float32,

    /// <summary>IEEE 754 double precision in four registers.</summary>
    Float64,
}

/// <summary>What writing a value into a raw type did: exact, rounded, clamped to the type's range, or refused.</summary>
public enum EncodeOutcome : byte
{
    Exact,

    /// <summary>An integer type took the value rounded to the nearest whole number.</summary>
    Rounded,

    /// <summary>The value lay outside the type's range; the nearest end of the range was written.</summary>
    Clamped,

    /// <summary>NaN or infinity for an integer type: nothing was written.</summary>
    NotFinite,
}

/// <summary>
/// Raw register values to and from doubles, for each <see cref="ModbusValueType"/>. Pure functions
/// over spans: no allocation, no state, so a driver calls them per point per poll.
/// </summary>
public static class ModbusValueTypes
{
    /// <summary>The manifest words, in enum order.</summary>
    public static readonly string[] Words = ["bit", "int16", "uint16", "int32", "uint32", "float32", "float64"];

    /// <summary>The manifest words of <see cref="WordOrder"/>, in enum order.</summary>
    public static readonly string[] WordOrderWords = ["high-first", "low-first"];

    public static bool TryParse(string word, out ModbusValueType type)
    {
        var index = Array.IndexOf(Words, word);
        type = (ModbusValueType)Math.Max(index, 0);
        return index >= 0;
    }

    public static bool TryParseWordOrder(string word, out WordOrder order)
    {
        var index = Array.IndexOf(WordOrderWords, word);
        order = (WordOrder)Math.Max(index, 0);
        return index >= 0;
    }

    public static string Word(ModbusValueType type) => Words[(int)type];

    /// <summary>Registers one value occupies: 1 for bit (one bit of one register), int16 and uint16; 2 for 32-bit types; 4 for float64.</summary>
    public static int Registers(ModbusValueType type) => type switch
    {
        ModbusValueType.Int32 or ModbusValueType.UInt32 or ModbusValueType.Float32 => 2,
        ModbusValueType.Float64 => 4,
        _ => 1,
    };

    /// <summary>The raw value held in <paramref name="registers"/> (at least <see cref="Registers"/> of them). <paramref name="bit"/> picks the bit of a <see cref="ModbusValueType.Bit"/>.</summary>
    public static double Decode(ReadOnlySpan<ushort> registers, ModbusValueType type, WordOrder order, int bit = 0)
    {
        return type switch
        {
            ModbusValueType.Bit => (registers[0] >> bit) & 1,
            ModbusValueType.Int16 => (short)registers[0],
            ModbusValueType.UInt16 => registers[0],
            ModbusValueType.Int32 => (int)Word32(registers, order),
            ModbusValueType.UInt32 => Word32(registers, order),
            ModbusValueType.Float32 => BitConverter.UInt32BitsToSingle(Word32(registers, order)),
            ModbusValueType.Float64 => BitConverter.UInt64BitsToDouble(Word64(registers, order)),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a Modbus value type"),
        };
    }

    /// <summary>
    /// Writes <paramref name="value"/> as <paramref name="type"/> into <paramref name="registers"/>.
    /// Integer types round to nearest (half away from zero) and clamp to their range; a NaN or
    /// infinity is refused for them. A bit is 1 for any value of 0.5 or more. For
    /// <see cref="ModbusValueType.Bit"/> only <paramref name="bit"/> of <c>registers[0]</c> changes.
    /// </summary>
    public static EncodeOutcome Encode(double value, ModbusValueType type, WordOrder order, Span<ushort> registers, int bit = 0)
    {
        switch (type)
        {
            case ModbusValueType.Float32:
                Put32(BitConverter.SingleToUInt32Bits((float)value), order, registers);
                return EncodeOutcome.Exact;
            case ModbusValueType.Float64:
                Put64(BitConverter.DoubleToUInt64Bits(value), order, registers);
                return EncodeOutcome.Exact;
        }

        if (!double.IsFinite(value))
        {
            return EncodeOutcome.NotFinite;
        }

        if (type == ModbusValueType.Bit)
        {
            var mask = (ushort)(1 << bit);
            registers[0] = value >= 0.5 ? (ushort)(registers[0] | mask) : (ushort)(registers[0] & ~mask);
            return value is 0 or 1 ? EncodeOutcome.Exact : EncodeOutcome.Rounded;
        }

        var (min, max) = Range(type);
        var rounded = Math.Round(value, MidpointRounding.AwayFromZero);
        var outcome = rounded != value ? EncodeOutcome.Rounded : EncodeOutcome.Exact;
        if (rounded < min || rounded > max)
        {
            rounded = Math.Clamp(rounded, min, max);
            outcome = EncodeOutcome.Clamped;
        }

        switch (type)
        {
            case ModbusValueType.Int16:
                registers[0] = (ushort)(short)rounded;
                break;
            case ModbusValueType.UInt16:
                registers[0] = (ushort)rounded;
                break;
            case ModbusValueType.Int32:
                Put32((uint)(int)rounded, order, registers);
                break;
            default:
                Put32((uint)rounded, order, registers);
                break;
        }

        return outcome;
    }

    /// <summary>The smallest and largest value a type holds: its integers, a bit's 0..1, a float's finite range.</summary>
    public static (double Min, double Max) Range(ModbusValueType type) => type switch
    {
        ModbusValueType.Bit => (0, 1),
        ModbusValueType.Int16 => (short.MinValue, short.MaxValue),
        ModbusValueType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        ModbusValueType.Int32 => (int.MinValue, int.MaxValue),
        ModbusValueType.UInt32 => (uint.MinValue, uint.MaxValue),
        ModbusValueType.Float32 => (float.MinValue, float.MaxValue),
        _ => (double.MinValue, double.MaxValue),
    };

    /// <summary>Whole numbers only: every type but the two floats.</summary>
    public static bool IsInteger(ModbusValueType type) => type is not (ModbusValueType.Float32 or ModbusValueType.Float64);

    private static uint Word32(ReadOnlySpan<ushort> r, WordOrder order) =>
        order == WordOrder.HighFirst ? ((uint)r[0] << 16) | r[1] : ((uint)r[1] << 16) | r[0];

    private static ulong Word64(ReadOnlySpan<ushort> r, WordOrder order) =>
        order == WordOrder.HighFirst
            ? ((ulong)r[0] << 48) | ((ulong)r[1] << 32) | ((ulong)r[2] << 16) | r[3]
            : ((ulong)r[3] << 48) | ((ulong)r[2] << 32) | ((ulong)r[1] << 16) | r[0];

    private static void Put32(uint value, WordOrder order, Span<ushort> r)
    {
        var (high, low) = ((ushort)(value >> 16), (ushort)value);
        (r[0], r[1]) = order == WordOrder.HighFirst ? (high, low) : (low, high);
    }

    private static void Put64(ulong value, WordOrder order, Span<ushort> r)
    {
        for (var i = 0; i < 4; i++)
        {
            var word = (ushort)(value >> (48 - (16 * i)));
            r[order == WordOrder.HighFirst ? i : 3 - i] = word;
        }
    }
}
