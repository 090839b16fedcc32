using System.Globalization;

namespace Neokernel.Controllers.Blocks;

/// <summary>
/// The IEC 61131-3 elementary types a block pin or parameter carries. TIME is held as a whole
/// number of nanoseconds (<see cref="long"/>): timers then add and compare exactly, with no rounding
/// that could differ between CPUs, and the cycle's dt arrives in the same unit.
/// </summary>
public enum BlockValueType : byte
{
    Bool,
    Real,
    Dint,
    Time,
}

/// <summary>Named limits of the block model (bounded everything).</summary>
public static class BlockLimits
{
    /// <summary>The longest TIME a parameter or constant may hold: 365 days, in nanoseconds.</summary>
    public const long TimeNanosecondsMax = 365L * 24 * 3600 * 1_000_000_000;

    /// <summary>The most blocks one network may hold.</summary>
    public const int BlocksMax = 1024;

    /// <summary>The most external inputs, and separately the most external outputs, of one network.</summary>
    public const int ExternalsMax = 1024;

    /// <summary>The longest moving-average window, in samples.</summary>
    public const int MovingAverageWindowMax = 4096;

    public const long NanosecondsPerSecond = 1_000_000_000;
}

/// <summary>
/// One typed value: a constant on a wire, a default, a parameter or a limit of its range.
/// BOOL, DINT and TIME are held in the integer part (TIME in nanoseconds), REAL in the double.
/// </summary>
public readonly record struct BlockValue
{
    private readonly double real;
    private readonly long integer;

    private BlockValue(BlockValueType type, double real, long integer)
    {
        Type = type;
        this.real = real;
        this.integer = integer;
    }

    public BlockValueType Type { get; }

    public static BlockValue Bool(bool value) => new(BlockValueType.Bool, 0, value ? 1 : 0);

    public static BlockValue Real(double value) => new(BlockValueType.Real, value, 0);

    public static BlockValue Dint(int value) => new(BlockValueType.Dint, 0, value);

    public static BlockValue Time(long nanoseconds) => new(BlockValueType.Time, 0, nanoseconds);

    public static BlockValue TimeFromSeconds(double seconds) => Time(checked((long)Math.Round(seconds * BlockLimits.NanosecondsPerSecond)));

    public bool AsBool => Expect(BlockValueType.Bool).integer != 0;

    public double AsReal => Expect(BlockValueType.Real).real;

    public int AsDint => (int)Expect(BlockValueType.Dint).integer;

    public long AsTimeNanoseconds => Expect(BlockValueType.Time).integer;

    /// <summary>The value on one numeric axis, for range checks: BOOL as 0/1, TIME in nanoseconds.</summary>
    public double AsDouble => Type == BlockValueType.Real ? real : integer;

    /// <summary>The value written as an IEC literal: TRUE, 1.5, 42, T#1500000000ns.</summary>
    public override string ToString() => Type switch
    {
        BlockValueType.Bool => integer != 0 ? "TRUE" : "FALSE",
        BlockValueType.Real => real.ToString("R", CultureInfo.InvariantCulture),
        BlockValueType.Dint => integer.ToString(CultureInfo.InvariantCulture),
        _ => FormatTime(integer),
    };

    /// <summary>A TIME as an IEC literal in nanoseconds, or in seconds when it is a whole number of milliseconds.</summary>
    public static string FormatTime(long nanoseconds) =>
        nanoseconds % 1_000_000 == 0
            ? "T#" + (nanoseconds / 1e9).ToString("R", CultureInfo.InvariantCulture) + "s"
            : "T#" + nanoseconds.ToString(CultureInfo.InvariantCulture) + "ns";

    public static string TypeName(BlockValueType type) => type switch
    {
        BlockValueType.Bool => "BOOL",
        BlockValueType.Real => "REAL",
        BlockValueType.Dint => "DINT",
        BlockValueType.Time => "TIME",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a block value type"),
    };

    private BlockValue Expect(BlockValueType expected)
    {
        if (Type != expected)
        {
            throw new InvalidOperationException($"the value {this} is {TypeName(Type)}, not {TypeName(expected)}");
        }

        return this;
    }
}
