using System.Diagnostics;

namespace Neokernel.Controllers.Blocks;

/// <summary>
/// The flat value table of one network: one array per type, each pin and constant a slot in the
/// array of its type, assigned when the network is built. A wire is two pins sharing one slot,
/// so nothing is copied between blocks. The hosting service writes its inputs' slots before a
/// cycle and reads its outputs' slots after it (see <see cref="NetworkPort"/>).
/// </summary>
public sealed class BlockValues
{
    private readonly bool[] bools;
    private readonly double[] reals;
    private readonly int[] dints;
    private readonly long[] times;

    public BlockValues(int boolCount, int realCount, int dintCount, int timeCount)
    {
        bools = new bool[boolCount];
        reals = new double[realCount];
        dints = new int[dintCount];
        times = new long[timeCount];
    }

    public Span<bool> Bools => bools;

    public Span<double> Reals => reals;

    public Span<int> Dints => dints;

    /// <summary>TIME slots, in nanoseconds.</summary>
    public Span<long> Times => times;

    public int Count(BlockValueType type) => type switch
    {
        BlockValueType.Bool => bools.Length,
        BlockValueType.Real => reals.Length,
        BlockValueType.Dint => dints.Length,
        _ => times.Length,
    };

    /// <summary>Stores <paramref name="value"/> in slot <paramref name="slot"/> of its type's array.</summary>
    public void Set(int slot, BlockValue value)
    {
        switch (value.Type)
        {
            case BlockValueType.Bool: bools[slot] = value.AsBool; break;
            case BlockValueType.Real: reals[slot] = value.AsReal; break;
            case BlockValueType.Dint: dints[slot] = value.AsDint; break;
            default: times[slot] = value.AsTimeNanoseconds; break;
        }
    }

    /// <summary>Refreshes a feedback input's slot from its output's.</summary>
    internal void Copy(FeedbackCopy copy)
    {
        switch (copy.Type)
        {
            case BlockValueType.Bool: bools[copy.To] = bools[copy.From]; break;
            case BlockValueType.Real: reals[copy.To] = reals[copy.From]; break;
            case BlockValueType.Dint: dints[copy.To] = dints[copy.From]; break;
            default: times[copy.To] = times[copy.From]; break;
        }
    }

    /// <summary>
    /// Writes a region point's value (a double) into an external input, converted to the port's
    /// type: BOOL is on for any value other than 0 (NaN is off); DINT is rounded to the nearest
    /// integer (halves to even) and held at the ends of DINT (NaN is 0); TIME takes seconds, rounded
    /// to whole nanoseconds and held at the ends of TIME (NaN is 0). Allocation-free, for the host's cycle.
    /// </summary>
    public void SetFromPointValue(NetworkPort port, double value)
    {
        switch (port.Type)
        {
            case BlockValueType.Bool: bools[port.Slot] = value != 0 && !double.IsNaN(value); break;
            case BlockValueType.Real: reals[port.Slot] = value; break;
            case BlockValueType.Dint: dints[port.Slot] = double.IsNaN(value) ? 0 : (int)Math.Clamp(Math.Round(value), int.MinValue, int.MaxValue); break;
            default: times[port.Slot] = double.IsNaN(value) ? 0 : SaturatingNanoseconds(value); break;
        }
    }

    /// <summary>An external output's value as a region point's double: BOOL as 1 or 0, DINT as is, TIME in seconds.</summary>
    public double GetPointValue(NetworkPort port) => PointValue(Get(port.Type, port.Slot));

    /// <summary>A value as a region point's double: BOOL as 1 or 0, DINT as is, TIME in seconds. Allocation-free.</summary>
    public static double PointValue(BlockValue value) => value.Type switch
    {
        BlockValueType.Bool => value.AsBool ? 1.0 : 0.0,
        BlockValueType.Real => value.AsReal,
        BlockValueType.Dint => value.AsDint,
        _ => value.AsTimeNanoseconds * 1e-9,
    };

    /// <summary>The value in slot <paramref name="slot"/> of <paramref name="type"/>'s array (control plane: for tools and tests).</summary>
    public BlockValue Get(BlockValueType type, int slot) => type switch
    {
        BlockValueType.Bool => BlockValue.Bool(bools[slot]),
        BlockValueType.Real => BlockValue.Real(reals[slot]),
        BlockValueType.Dint => BlockValue.Dint(dints[slot]),
        _ => BlockValue.Time(times[slot]),
    };

    private static long SaturatingNanoseconds(double seconds)
    {
        var nanoseconds = Math.Round(seconds * BlockLimits.NanosecondsPerSecond);

        // (double)long.MaxValue is 2^63, one above long.MaxValue: compare with >= so the cast never overflows.
        return nanoseconds >= long.MaxValue ? long.MaxValue : nanoseconds <= long.MinValue ? long.MinValue : (long)nanoseconds;
    }
}

/// <summary>One parameter's new value, by its index in the descriptor.</summary>
public readonly record struct ParameterChange(int Index, BlockValue Value);

/// <summary>Parameters that each lie in their own range but do not fit together: the one to name, and what it must be.</summary>
public readonly record struct ParameterConflict(int Index, string Allowed);

/// <summary>
/// One instance of a block type. It reads its inputs from and writes its outputs to the network's
/// <see cref="BlockValues"/>, through slot indices the builder binds once; an evaluation is one
/// virtual call with no allocation. Blocks never read a clock: the cycle's dt comes in as an
/// argument, so the same inputs give the same outputs in simulation and on the board. Cycle code
/// uses only + − * / and comparisons, which IEEE 754 makes bit-identical on every CPU.
/// </summary>
public abstract class Block
{
    private int[] inputSlots = [];
    private int[] outputSlots = [];

    protected Block(BlockParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters;
    }

    public string Name => Parameters.BlockName;

    public BlockDescriptor Descriptor => Parameters.Descriptor;

    public BlockParameters Parameters { get; }

    /// <summary>The slot each input pin reads, in the descriptor's order.</summary>
    public ReadOnlySpan<int> InputSlots => inputSlots;

    /// <summary>The slot each output pin writes, in the descriptor's order.</summary>
    public ReadOnlySpan<int> OutputSlots => outputSlots;

    /// <summary>One cycle: read the inputs, advance the state by <paramref name="dtNanoseconds"/> (≥ 0), write the outputs.</summary>
    public abstract void Evaluate(BlockValues values, long dtNanoseconds);

    /// <summary>
    /// For a delay element only: writes the outputs from the state of earlier cycles. The network
    /// calls it for every delay block before any block's <see cref="Evaluate"/>, which for a delay
    /// block then only takes in its inputs for the next cycle.
    /// </summary>
    public virtual void Publish(BlockValues values)
    {
    }

    /// <summary>State <paramref name="index"/> of the descriptor's <see cref="BlockDescriptor.State"/>, for the retain store. Allocation-free.</summary>
    public virtual BlockValue GetState(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"block type {Descriptor.TypeName} has no retainable state");

    /// <summary>Restores state <paramref name="index"/> (of its declared type) before the first cycle; the next evaluation writes the outputs from it.</summary>
    public virtual void SetState(int index, BlockValue value) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"block type {Descriptor.TypeName} has no retainable state");

    /// <summary>The value parameter <paramref name="index"/> has now: the manifest's, or the last accepted <see cref="Retune(int, BlockValue)"/>.</summary>
    public BlockValue Parameter(int index) => Parameters[index];

    /// <summary>
    /// Changes one tunable parameter while the network runs; null when it took, else why not
    /// (naming the block, the parameter, the value and what is allowed), with nothing changed.
    /// See <see cref="Retune(ReadOnlySpan{ParameterChange})"/>.
    /// </summary>
    public string? Retune(int index, BlockValue value) => Retune([new ParameterChange(index, value)]);

    /// <summary>
    /// Changes tunable parameters together, between cycles (control plane: an operator's command,
    /// a restore from the retain store): each must be tunable and in its range, and all of them,
    /// with the parameters not changed, must fit together (a low limit below a high one) as the
    /// constructor requires. Then the block takes them in at once, without a bump where the block
    /// keeps state (a PID's integrator absorbs the change). Null when they took; otherwise why not,
    /// with every parameter as it was. Taking a change allocates nothing.
    /// </summary>
    public string? Retune(ReadOnlySpan<ParameterChange> changes)
    {
        foreach (var change in changes)
        {
            if ((uint)change.Index >= (uint)Descriptor.Parameters.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(changes), change.Index, $"block type {Descriptor.TypeName} has {Descriptor.Parameters.Length} parameters");
            }

            var parameter = Descriptor.Parameters[change.Index];
            if (!parameter.Tunable)
            {
                return $"block '{Name}' ({Descriptor.TypeName}): parameter {parameter.Name} shapes the block, so only the manifest sets it";
            }

            if (!parameter.Allows(change.Value))
            {
                return BlockParameters.Describe(Descriptor, Name, parameter, change.Value, parameter.AllowedRange);
            }
        }

        const int StackChangesMax = 16;
        Span<BlockValue> previous = changes.Length <= StackChangesMax ? stackalloc BlockValue[StackChangesMax] : new BlockValue[changes.Length];
        for (var i = 0; i < changes.Length; i++)
        {
            previous[i] = Parameters[changes[i].Index];
            Parameters.Set(changes[i].Index, changes[i].Value);
        }

        if (Conflict(Parameters) is { } conflict)
        {
            var problem = BlockParameters.Describe(Descriptor, Name, Descriptor.Parameters[conflict.Index], Parameters[conflict.Index], conflict.Allowed);
            for (var i = changes.Length - 1; i >= 0; i--)
            {
                Parameters.Set(changes[i].Index, previous[i]);
            }

            return problem;
        }

        Tune(Parameters);
        return null;
    }

    /// <summary>
    /// The first way <paramref name="parameters"/>, each in its own range, do not fit together (a
    /// low limit above a high one), or null when they fit. Allocation-free when they fit.
    /// </summary>
    protected virtual ParameterConflict? Conflict(BlockParameters parameters) => null;

    /// <summary>Takes the tunable parameters into the block's working values: from its constructor, and after each accepted retune.</summary>
    protected virtual void Tune(BlockParameters parameters)
    {
    }

    /// <summary>A conflict unless REAL parameter <paramref name="lower"/> lies strictly below <paramref name="upper"/> (OUT_MIN below OUT_MAX), naming the upper one and its value.</summary>
    protected static ParameterConflict? Below(BlockParameters parameters, int lower, int upper) =>
        parameters.Real(lower) >= parameters.Real(upper) ? new ParameterConflict(lower, $"below {parameters.Descriptor.Parameters[upper].Name} ({parameters[upper]})") : null;

    /// <summary>A conflict unless REAL parameter <paramref name="lower"/> is at most <paramref name="upper"/> (alarm limits, which may meet).</summary>
    protected static ParameterConflict? AtMost(BlockParameters parameters, int lower, int upper) =>
        parameters.Real(lower) > parameters.Real(upper) ? new ParameterConflict(lower, $"at most {parameters.Descriptor.Parameters[upper].Name} ({parameters[upper]})") : null;

    /// <summary>For constructors: throws an <see cref="ArgumentException"/> naming the first <see cref="Conflict"/> of the manifest's parameters.</summary>
    protected void RequireConsistent()
    {
        if (Conflict(Parameters) is { } conflict)
        {
            throw Parameters.Invalid(conflict.Index, conflict.Allowed);
        }
    }

    internal void Bind(int[] inputs, int[] outputs)
    {
        Debug.Assert(inputs.Length == Descriptor.Inputs.Length, "one slot per input pin");
        Debug.Assert(outputs.Length == Descriptor.Outputs.Length, "one slot per output pin");
        inputSlots = inputs;
        outputSlots = outputs;
    }

    protected bool ReadBool(BlockValues values, int pin) => values.Bools[inputSlots[pin]];

    protected double ReadReal(BlockValues values, int pin) => values.Reals[inputSlots[pin]];

    protected int ReadDint(BlockValues values, int pin) => values.Dints[inputSlots[pin]];

    protected long ReadTime(BlockValues values, int pin) => values.Times[inputSlots[pin]];

    protected void WriteBool(BlockValues values, int pin, bool value) => values.Bools[outputSlots[pin]] = value;

    protected void WriteReal(BlockValues values, int pin, double value) => values.Reals[outputSlots[pin]] = value;

    protected void WriteDint(BlockValues values, int pin, int value) => values.Dints[outputSlots[pin]] = value;

    protected void WriteTime(BlockValues values, int pin, long value) => values.Times[outputSlots[pin]] = value;

    /// <summary>A cycle's dt in seconds, for the process blocks whose rates are per second.</summary>
    protected static double Seconds(long nanoseconds) => nanoseconds * 1e-9;
}
