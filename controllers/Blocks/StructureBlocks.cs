namespace Neokernel.Controllers.Blocks;

/// <summary>
/// MIN_SEL and MAX_SEL, the selectors of override control: OUT is the lowest (highest) of the
/// finite inputs among the first COUNT of IN1..IN4, SEL its number (the lowest number on a tie).
/// An input that is not finite (a controller on Bad input) is never selected; when none is
/// finite, OUT holds and SEL is 0. Wire OUT back to every PID's RESET_FB, with EXT_RESET, so the
/// controllers not selected do not wind up.
/// </summary>
public sealed class Selector : Block
{
    public const int InputsMax = 4;
    public const int Out = 0;
    public const int Selected = 1;
    public const int Count = 0;

    public static readonly BlockDescriptor MinType = Describe("MIN_SEL", "low selector: OUT is the lowest of IN1..IN<COUNT>, SEL which (override control)", "lowest");

    public static readonly BlockDescriptor MaxType = Describe("MAX_SEL", "high selector: OUT is the highest of IN1..IN<COUNT>, SEL which (override control)", "highest");

    private readonly bool high;
    private readonly int count;
    private double output;
    private int selected;

    public Selector(BlockParameters parameters)
        : base(parameters)
    {
        high = ReferenceEquals(parameters.Descriptor, MaxType);
        count = parameters.Dint(Count);
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var best = double.NaN;
        var which = 0;
        for (var i = 0; i < count; i++)
        {
            var value = ReadReal(values, i);
            if (double.IsFinite(value) && (which == 0 || (high ? value > best : value < best)))
            {
                best = value;
                which = i + 1;
            }
        }

        if (which > 0)
        {
            output = best;
        }

        selected = which;
        WriteReal(values, Out, output);
        WriteDint(values, Selected, selected);
    }

    private static BlockDescriptor Describe(string name, string description, string which) => new(
        name,
        description,
        [
            PinDescriptor.Real("IN1", "the first candidate"),
            PinDescriptor.Real("IN2", "the second candidate"),
            PinDescriptor.Real("IN3", "the third candidate, with COUNT 3 or 4"),
            PinDescriptor.Real("IN4", "the fourth candidate, with COUNT 4"),
        ],
        [
            PinDescriptor.Real("OUT", $"the {which} finite candidate; held when none is finite"),
            PinDescriptor.Dint("SEL", "which input OUT is (1..COUNT); 0 when none is finite"),
        ],
        [ParameterDescriptor.Dint("COUNT", 2, 2, InputsMax, tunable: false, "how many of IN1..IN4 take part")],
        IsDelay: false);
}

/// <summary>
/// RATIO, ratio control: OUT = IN · RATIO + BIAS within OUT_MIN..OUT_MAX, the setpoint of a flow
/// that must follow a wild one (IN) at a ratio an operator or an outer loop sets. A non-finite
/// input holds OUT.
/// </summary>
public sealed class RatioStation : Block
{
    public const int In = 0;
    public const int RatioPin = 1;
    public const int Bias = 2;
    public const int Out = 0;
    public const int Limited = 1;
    public const int OutMin = 0;
    public const int OutMax = 1;

    public static readonly BlockDescriptor Type = new(
        "RATIO",
        "ratio station: OUT = IN * RATIO + BIAS within OUT_MIN..OUT_MAX",
        [
            PinDescriptor.Real("IN", "the wild value (a flow the other must follow)"),
            new PinDescriptor("RATIO", BlockValueType.Real, BlockValue.Real(1.0), "the ratio"),
            PinDescriptor.Real("BIAS", "added after the ratio"),
        ],
        [PinDescriptor.Real("OUT", "the ratioed value, a setpoint for the controlled flow"), PinDescriptor.Bool("LIMITED", "OUT is held at OUT_MIN or OUT_MAX")],
        [
            ParameterDescriptor.AnyReal("OUT_MIN", -1e9, tunable: true, "the lowest OUT"),
            ParameterDescriptor.AnyReal("OUT_MAX", 1e9, tunable: true, "the highest OUT, above OUT_MIN"),
        ],
        IsDelay: false);

    private double outputMin;
    private double outputMax;
    private double output;
    private bool limited;

    public RatioStation(BlockParameters parameters)
        : base(parameters)
    {
        RequireConsistent();
        Tune(parameters);
        output = Math.Clamp(0.0, outputMin, outputMax);
    }

    protected override ParameterConflict? Conflict(BlockParameters parameters) =>
        Below(parameters, OutMin, OutMax);

    /// <summary>New limits apply from the next cycle with a finite IN·RATIO+BIAS.</summary>
    protected override void Tune(BlockParameters parameters)
    {
        outputMin = parameters.Real(OutMin);
        outputMax = parameters.Real(OutMax);
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var wanted = (ReadReal(values, In) * ReadReal(values, RatioPin)) + ReadReal(values, Bias);
        if (double.IsFinite(wanted))
        {
            output = Math.Clamp(wanted, outputMin, outputMax);
            limited = output != wanted;
        }

        WriteReal(values, Out, output);
        WriteBool(values, Limited, limited);
    }
}

/// <summary>
/// SPLIT, split-range: one controller output drives two actuators in sequence (a cooling valve
/// below the middle, a heating valve above it). OUT_A goes from OUT_MIN to OUT_MAX while IN goes
/// from A_START to A_END, and is held at the ends outside; OUT_B likewise over B_START..B_END.
/// A start above its end gives a falling ramp (a valve that opens as IN drops). Ranges may overlap
/// or leave a gap. A non-finite IN holds both.
/// </summary>
public sealed class SplitRange : Block
{
    public const int In = 0;
    public const int OutA = 0;
    public const int OutB = 1;
    public const int AStart = 0;
    public const int AEnd = 1;
    public const int BStart = 2;
    public const int BEnd = 3;
    public const int OutMin = 4;
    public const int OutMax = 5;

    public static readonly BlockDescriptor Type = new(
        "SPLIT",
        "split range: IN over A_START..A_END drives OUT_A, over B_START..B_END drives OUT_B, each from OUT_MIN to OUT_MAX",
        [PinDescriptor.Real("IN", "the controller's output")],
        [PinDescriptor.Real("OUT_A", "the first actuator"), PinDescriptor.Real("OUT_B", "the second actuator")],
        [
            ParameterDescriptor.AnyReal("A_START", 0.0, tunable: true, "IN where OUT_A is OUT_MIN"),
            ParameterDescriptor.AnyReal("A_END", 50.0, tunable: true, "IN where OUT_A is OUT_MAX, not A_START"),
            ParameterDescriptor.AnyReal("B_START", 50.0, tunable: true, "IN where OUT_B is OUT_MIN"),
            ParameterDescriptor.AnyReal("B_END", 100.0, tunable: true, "IN where OUT_B is OUT_MAX, not B_START"),
            ParameterDescriptor.AnyReal("OUT_MIN", 0.0, tunable: true, "each output's lowest value"),
            ParameterDescriptor.AnyReal("OUT_MAX", 100.0, tunable: true, "each output's highest value, above OUT_MIN"),
        ],
        IsDelay: false);

    private double aStart;
    private double aEnd;
    private double bStart;
    private double bEnd;
    private double outputMin;
    private double outputMax;
    private double outputA;
    private double outputB;

    public SplitRange(BlockParameters parameters)
        : base(parameters)
    {
        RequireConsistent();
        Tune(parameters);
        outputA = outputMin;
        outputB = outputMin;
    }

    protected override ParameterConflict? Conflict(BlockParameters parameters) =>
        parameters.Real(AStart) == parameters.Real(AEnd) ? new ParameterConflict(AEnd, $"other than A_START ({parameters[AStart]})")
        : parameters.Real(BStart) == parameters.Real(BEnd) ? new ParameterConflict(BEnd, $"other than B_START ({parameters[BStart]})")
        : Below(parameters, OutMin, OutMax);

    /// <summary>New ranges and limits apply from the next cycle with a finite IN.</summary>
    protected override void Tune(BlockParameters parameters)
    {
        aStart = parameters.Real(AStart);
        aEnd = parameters.Real(AEnd);
        bStart = parameters.Real(BStart);
        bEnd = parameters.Real(BEnd);
        outputMin = parameters.Real(OutMin);
        outputMax = parameters.Real(OutMax);
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadReal(values, In);
        if (double.IsFinite(input))
        {
            outputA = Ramp(input, aStart, aEnd);
            outputB = Ramp(input, bStart, bEnd);
        }

        WriteReal(values, OutA, outputA);
        WriteReal(values, OutB, outputB);
    }

    private double Ramp(double input, double start, double end)
    {
        // Halves, so no difference of finite values overflows to an infinity (and ∞/∞ to NaN).
        var fraction = Math.Clamp(((input / 2) - (start / 2)) / ((end / 2) - (start / 2)), 0.0, 1.0);
        return Math.Clamp(outputMin + ((outputMax - outputMin) * fraction), outputMin, outputMax);
    }
}
