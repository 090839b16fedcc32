using System.Collections.Immutable;

namespace Neokernel.Controllers.Blocks;

/// <summary>
/// One input or output pin of a block type. An input that no wire feeds reads <see cref="Default"/>;
/// an output holds <see cref="Default"/> until the block's first evaluation.
/// </summary>
public sealed record PinDescriptor(string Name, BlockValueType Type, BlockValue Default, string Description)
{
    /// <summary>
    /// A feedback input (an inner loop's windup or back-calculation signals, read by its outer
    /// loop): wired to another block's output, it reads that output as the previous cycle left it,
    /// and the wire adds no dependency. So the loop of wires it closes is no algebraic loop, and
    /// the value it reads does not depend on the order the blocks are evaluated in.
    /// </summary>
    public bool Feedback { get; init; }

    public static PinDescriptor Bool(string name, string description) => new(name, BlockValueType.Bool, BlockValue.Bool(false), description);

    public static PinDescriptor Real(string name, string description) => new(name, BlockValueType.Real, BlockValue.Real(0), description);

    public static PinDescriptor Dint(string name, string description) => new(name, BlockValueType.Dint, BlockValue.Dint(0), description);

    public static PinDescriptor Time(string name, string description) => new(name, BlockValueType.Time, BlockValue.Time(0), description);
}

/// <summary>
/// One configuration parameter of a block type, with its default, its valid range (inclusive;
/// <see cref="MinimumExclusive"/> makes the lower end open) and whether it is tuning
/// (<see cref="Tunable"/>: gains, limits, rates, which a manifest may let operators change while
/// the network runs, through <see cref="Block.Retune(int, BlockValue)"/>, and retain) rather than
/// structure (a window length, an anti-windup method, a starting value), which the manifest fixes.
/// </summary>
public sealed record ParameterDescriptor(
    string Name,
    BlockValueType Type,
    BlockValue Default,
    BlockValue Minimum,
    BlockValue Maximum,
    bool MinimumExclusive,
    bool Tunable,
    string Description)
{
    public static ParameterDescriptor Real(string name, double defaultValue, double minimum, double maximum, bool tunable, string description, bool minimumExclusive = false) =>
        new(name, BlockValueType.Real, BlockValue.Real(defaultValue), BlockValue.Real(minimum), BlockValue.Real(maximum), minimumExclusive, tunable, description);

    public static ParameterDescriptor AnyReal(string name, double defaultValue, bool tunable, string description) =>
        Real(name, defaultValue, -double.MaxValue, double.MaxValue, tunable, description);

    public static ParameterDescriptor Dint(string name, int defaultValue, int minimum, int maximum, bool tunable, string description) =>
        new(name, BlockValueType.Dint, BlockValue.Dint(defaultValue), BlockValue.Dint(minimum), BlockValue.Dint(maximum), false, tunable, description);

    public static ParameterDescriptor Bool(string name, bool defaultValue, bool tunable, string description) =>
        new(name, BlockValueType.Bool, BlockValue.Bool(defaultValue), BlockValue.Bool(false), BlockValue.Bool(true), false, tunable, description);

    public static ParameterDescriptor Time(string name, long defaultNanoseconds, bool tunable, string description) =>
        new(name, BlockValueType.Time, BlockValue.Time(defaultNanoseconds), BlockValue.Time(0), BlockValue.Time(BlockLimits.TimeNanosecondsMax), false, tunable, description);

    /// <summary>What values are allowed, in words, for error messages and the docs.</summary>
    public string AllowedRange
    {
        get
        {
            var type = BlockValue.TypeName(Type);
            var noLower = Type == BlockValueType.Real && Minimum.AsDouble == -double.MaxValue;
            var noUpper = Type == BlockValueType.Real && Maximum.AsDouble == double.MaxValue;
            var lower = MinimumExclusive ? $"above {Minimum}" : $"of at least {Minimum}";
            return Type switch
            {
                BlockValueType.Bool => "TRUE or FALSE",
                BlockValueType.Real when noLower && noUpper => "any finite REAL",
                BlockValueType.Real when noUpper => $"a finite REAL {lower}",
                _ => $"a {type} {(MinimumExclusive ? "above" : "from")} {Minimum} {(MinimumExclusive ? "up to" : "to")} {Maximum}",
            };
        }
    }

    /// <summary>Whether <paramref name="value"/> (of this parameter's type) lies in the range.</summary>
    public bool Allows(BlockValue value)
    {
        if (value.Type != Type)
        {
            return false;
        }

        var number = value.AsDouble;
        if (!double.IsFinite(number) || number > Maximum.AsDouble)
        {
            return false;
        }

        return MinimumExclusive ? number > Minimum.AsDouble : number >= Minimum.AsDouble;
    }
}

/// <summary>
/// What tools, manifests and the network builder know about a block type: its IEC name, what it
/// does, its pins and parameters in evaluation order (a block reads its pins by these indices), and
/// whether it is a delay element: a block whose outputs depend only on state from earlier cycles,
/// so a feedback loop through it is not an algebraic loop. Names of types, pins and parameters are
/// matched without regard to case, as IEC 61131-3 identifiers are.
/// </summary>
public sealed record BlockDescriptor(
    string TypeName,
    string Description,
    ImmutableArray<PinDescriptor> Inputs,
    ImmutableArray<PinDescriptor> Outputs,
    ImmutableArray<ParameterDescriptor> Parameters,
    bool IsDelay)
{
    /// <summary>
    /// The state a manifest may retain (<c>retain</c>): values the block keeps between cycles that
    /// a restart should not lose, such as a counter's count or a totalizer's total, read and
    /// restored through <see cref="Block.GetState"/> and <see cref="Block.SetState"/>.
    /// </summary>
    public ImmutableArray<PinDescriptor> State { get; init; } = [];

    public int InputIndex(string name) => IndexOf(Inputs, name);

    public int StateIndex(string name) => IndexOf(State, name);

    public int OutputIndex(string name) => IndexOf(Outputs, name);

    public int ParameterIndex(string name)
    {
        for (var i = 0; i < Parameters.Length; i++)
        {
            if (string.Equals(Parameters[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The names of <paramref name="pins"/>, comma-separated, for error messages.</summary>
    public static string Names(ImmutableArray<PinDescriptor> pins) => pins.IsEmpty ? "none" : string.Join(", ", pins.Select(p => p.Name));

    public string ParameterNames => Parameters.IsEmpty ? "none" : string.Join(", ", Parameters.Select(p => p.Name));

    private static int IndexOf(ImmutableArray<PinDescriptor> pins, string name)
    {
        for (var i = 0; i < pins.Length; i++)
        {
            if (string.Equals(pins[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
