namespace Neokernel.Controllers.Blocks;

/// <summary>
/// RAMP, setpoint ramp: OUT moves toward TARGET by at most RATE_UP·dt up and RATE_DOWN·dt down
/// per cycle, within [OUT_MIN, OUT_MAX], starting from INITIAL. A non-finite TARGET holds OUT.
/// </summary>
public sealed class Ramp : Block
{
    public const int Target = 0;
    public const int Out = 0;
    public const int Ramping = 1;
    public const int RateUp = 0;
    public const int RateDown = 1;
    public const int OutMin = 2;
    public const int OutMax = 3;
    public const int Initial = 4;

    public static readonly BlockDescriptor Type = new(
        "RAMP",
        "setpoint ramp: OUT follows TARGET at limited rates up and down, within OUT_MIN..OUT_MAX",
        [PinDescriptor.Real("TARGET", "where OUT should go")],
        [PinDescriptor.Real("OUT", "the ramped value"), PinDescriptor.Bool("RAMPING", "OUT has not reached the (clamped) TARGET")],
        [
            ParameterDescriptor.Real("RATE_UP", 1.0, 0.0, double.MaxValue, tunable: true, "the largest rise, in units per second", minimumExclusive: true),
            ParameterDescriptor.Real("RATE_DOWN", 1.0, 0.0, double.MaxValue, tunable: true, "the largest fall, in units per second", minimumExclusive: true),
            ParameterDescriptor.AnyReal("OUT_MIN", -1e9, tunable: true, "the lowest OUT"),
            ParameterDescriptor.AnyReal("OUT_MAX", 1e9, tunable: true, "the highest OUT"),
            ParameterDescriptor.AnyReal("INITIAL", 0.0, tunable: false, "OUT before the first cycle, within OUT_MIN..OUT_MAX"),
        ],
        IsDelay: false);

    private double rateUpPerSecond;
    private double rateDownPerSecond;
    private double outputMin;
    private double outputMax;
    private double output;
    private double goal;

    public Ramp(BlockParameters parameters)
        : base(parameters)
    {
        RequireConsistent();
        if (parameters.Real(Initial) < parameters.Real(OutMin) || parameters.Real(Initial) > parameters.Real(OutMax))
        {
            throw parameters.Invalid(Initial, $"within OUT_MIN..OUT_MAX ({parameters[OutMin]}..{parameters[OutMax]})");
        }

        Tune(parameters);
        output = parameters.Real(Initial);
        goal = output;
    }

    protected override ParameterConflict? Conflict(BlockParameters parameters) =>
        Below(parameters, OutMin, OutMax);

    /// <summary>New rates apply from the next cycle; new limits clamp OUT at the next cycle with a finite TARGET.</summary>
    protected override void Tune(BlockParameters parameters)
    {
        rateUpPerSecond = parameters.Real(RateUp);
        rateDownPerSecond = parameters.Real(RateDown);
        outputMin = parameters.Real(OutMin);
        outputMax = parameters.Real(OutMax);
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var target = ReadReal(values, Target);
        if (double.IsFinite(target))
        {
            goal = Math.Clamp(target, outputMin, outputMax);
            var dtSeconds = Seconds(dtNanoseconds);
            var stepUp = rateUpPerSecond * dtSeconds;
            var stepDown = rateDownPerSecond * dtSeconds;
            output = goal - output > stepUp ? output + stepUp
                : output - goal > stepDown ? output - stepDown
                : goal;
            output = Math.Clamp(output, outputMin, outputMax);
        }

        WriteReal(values, Out, output);
        WriteBool(values, Ramping, output != goal);
    }
}

/// <summary>
/// LAG, first-order lag T·dy/dt = u − y, discretised by backward Euler: y ← y + dt/(T+dt)·(u − y).
/// Backward Euler needs no exp() in the cycle (exact discretisation would, for every dt that
/// changes), is stable for every dt, and moves y only between its last value and u, so OUT never
/// leaves the range of the inputs seen. OUT takes the first finite input as it is; a non-finite
/// IN holds OUT. T = 0 passes IN through.
/// </summary>
public sealed class Lag : Block
{
    public const int In = 0;
    public const int Out = 0;
    public const int TimeConstant = 0;

    public static readonly BlockDescriptor Type = new(
        "LAG",
        "first-order lag: OUT follows IN with time constant TIME_CONSTANT (backward Euler)",
        [PinDescriptor.Real("IN", "the input")],
        [PinDescriptor.Real("OUT", "the lagged input")],
        [ParameterDescriptor.Time("TIME_CONSTANT", BlockLimits.NanosecondsPerSecond, tunable: true, "the time constant T")],
        IsDelay: false);

    private double timeConstantSeconds;
    private bool started;
    private double output;

    public Lag(BlockParameters parameters)
        : base(parameters) => Tune(parameters);

    protected override void Tune(BlockParameters parameters) => timeConstantSeconds = Seconds(parameters.TimeNanoseconds(TimeConstant));

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadReal(values, In);
        if (double.IsFinite(input))
        {
            output = started ? Step(output, input, Seconds(dtNanoseconds)) : input;
            started = true;
        }

        WriteReal(values, Out, output);
    }

    private double Step(double previous, double input, double dtSeconds)
    {
        var denominator = timeConstantSeconds + dtSeconds;
        if (denominator <= 0)
        {
            return input;
        }

        // The weighted form (1 − w)·y + w·u rather than y + w·(u − y): u − y can overflow to an
        // infinity, and 0·∞ would make y NaN for good. Rounding must not carry y past u or back
        // past its last value, hence the clamp.
        var weight = dtSeconds / denominator;
        var next = ((1.0 - weight) * previous) + (weight * input);
        return Math.Clamp(next, Math.Min(previous, input), Math.Max(previous, input));
    }
}

/// <summary>
/// DEADBAND: OUT is CENTER while IN lies within WIDTH of it (inclusive) and IN itself outside, so
/// small deviations (noise around a setpoint) are suppressed. Stateless; a non-finite IN passes through.
/// </summary>
public sealed class DeadBand : Block
{
    public const int In = 0;
    public const int Out = 0;
    public const int Inside = 1;
    public const int Center = 0;
    public const int Width = 1;

    public static readonly BlockDescriptor Type = new(
        "DEADBAND",
        "dead band: OUT holds CENTER while IN is within WIDTH of it, else follows IN",
        [PinDescriptor.Real("IN", "the input")],
        [PinDescriptor.Real("OUT", "CENTER inside the band, IN outside"), PinDescriptor.Bool("INSIDE", "IN is within the band")],
        [
            ParameterDescriptor.AnyReal("CENTER", 0.0, tunable: true, "the middle of the band"),
            ParameterDescriptor.Real("WIDTH", 0.0, 0.0, double.MaxValue, tunable: true, "the half-width of the band"),
        ],
        IsDelay: false);

    private double center;
    private double width;

    public DeadBand(BlockParameters parameters)
        : base(parameters) => Tune(parameters);

    protected override void Tune(BlockParameters parameters)
    {
        center = parameters.Real(Center);
        width = parameters.Real(Width);
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadReal(values, In);
        var inside = Math.Abs(input - center) <= width;
        WriteReal(values, Out, inside ? center : input);
        WriteBool(values, Inside, inside);
    }
}

/// <summary>
/// HYSTERESIS, on/off control: Q turns on at IN ≥ HIGH and off at IN ≤ LOW, holding between
/// (REVERSE swaps them: on at IN ≤ LOW, off at IN ≥ HIGH, as for a heater). Q starts off; a
/// non-finite IN holds Q.
/// </summary>
public sealed class Hysteresis : Block
{
    public const int In = 0;
    public const int Q = 0;
    public const int Low = 0;
    public const int High = 1;
    public const int Reverse = 2;

    public static readonly BlockDescriptor Type = new(
        "HYSTERESIS",
        "on/off with hysteresis: Q on at IN >= HIGH, off at IN <= LOW (REVERSE: the other way round)",
        [PinDescriptor.Real("IN", "the measured value")],
        [PinDescriptor.Bool("Q", "the switch")],
        [
            ParameterDescriptor.AnyReal("LOW", 0.0, tunable: true, "the lower switching point"),
            ParameterDescriptor.AnyReal("HIGH", 1.0, tunable: true, "the upper switching point, above LOW"),
            ParameterDescriptor.Bool("REVERSE", false, tunable: false, "on below LOW and off above HIGH instead"),
        ],
        IsDelay: false);

    private readonly bool reverse;
    private double low;
    private double high;
    private bool state;

    public Hysteresis(BlockParameters parameters)
        : base(parameters)
    {
        RequireConsistent();
        Tune(parameters);
        reverse = parameters.Bool(Reverse);
    }

    protected override ParameterConflict? Conflict(BlockParameters parameters) =>
        Below(parameters, Low, High);

    /// <summary>New switching points apply from the next cycle; Q holds until IN crosses one.</summary>
    protected override void Tune(BlockParameters parameters)
    {
        low = parameters.Real(Low);
        high = parameters.Real(High);
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadReal(values, In);
        if (input >= high)
        {
            state = !reverse;
        }
        else if (input <= low)
        {
            state = reverse;
        }

        WriteBool(values, Q, state);
    }
}

/// <summary>
/// SCALE: linear map of IN from RAW_MIN..RAW_MAX to ENG_MIN..ENG_MAX (either range may run
/// downward). With CLAMP, an IN outside the raw range gives the engineering end on its side, so OUT
/// stays within the engineering range. OUT_OF_RANGE tells an IN outside the raw range; a non-finite
/// IN holds OUT and sets OUT_OF_RANGE.
/// </summary>
public sealed class Scale : Block
{
    public const int In = 0;
    public const int Out = 0;
    public const int OutOfRange = 1;
    public const int RawMin = 0;
    public const int RawMax = 1;
    public const int EngMin = 2;
    public const int EngMax = 3;
    public const int ClampOutput = 4;

    public static readonly BlockDescriptor Type = new(
        "SCALE",
        "scaling: OUT = IN mapped linearly from RAW_MIN..RAW_MAX to ENG_MIN..ENG_MAX, clamped with CLAMP",
        [PinDescriptor.Real("IN", "the raw value")],
        [PinDescriptor.Real("OUT", "the engineering value"), PinDescriptor.Bool("OUT_OF_RANGE", "IN lies outside the raw range or is not a number")],
        [
            ParameterDescriptor.AnyReal("RAW_MIN", 0.0, tunable: true, "the raw value that maps to ENG_MIN"),
            ParameterDescriptor.AnyReal("RAW_MAX", 100.0, tunable: true, "the raw value that maps to ENG_MAX, not RAW_MIN"),
            ParameterDescriptor.AnyReal("ENG_MIN", 0.0, tunable: true, "the engineering value at RAW_MIN"),
            ParameterDescriptor.AnyReal("ENG_MAX", 100.0, tunable: true, "the engineering value at RAW_MAX"),
            ParameterDescriptor.Bool("CLAMP", true, tunable: false, "keep OUT within the engineering range"),
        ],
        IsDelay: false);

    private readonly bool clamp;
    private double rawMin;
    private double rawLow;
    private double rawHigh;
    private double engineeringMin;
    private double engineeringAtRawLow;
    private double engineeringAtRawHigh;
    private double gain;
    private double output;

    public Scale(BlockParameters parameters)
        : base(parameters)
    {
        RequireConsistent();
        Tune(parameters);
        clamp = parameters.Bool(ClampOutput);
        output = engineeringMin;
    }

    protected override ParameterConflict? Conflict(BlockParameters parameters)
    {
        var rawSpan = parameters.Real(RawMax) - parameters.Real(RawMin);
        if (rawSpan == 0 || !double.IsFinite(rawSpan))
        {
            return new ParameterConflict(RawMax, $"different from RAW_MIN ({parameters[RawMin]}) by a finite amount");
        }

        return double.IsFinite(parameters.Real(EngMax) - parameters.Real(EngMin)) ? null : new ParameterConflict(EngMax, $"within a finite distance of ENG_MIN ({parameters[EngMin]})");
    }

    /// <summary>A new range maps from the next cycle; OUT holds until then.</summary>
    protected override void Tune(BlockParameters parameters)
    {
        rawMin = parameters.Real(RawMin);
        var rawMax = parameters.Real(RawMax);
        engineeringMin = parameters.Real(EngMin);
        var engineeringMax = parameters.Real(EngMax);
        gain = (engineeringMax - engineeringMin) / (rawMax - rawMin);
        var rising = rawMin < rawMax;
        rawLow = rising ? rawMin : rawMax;
        rawHigh = rising ? rawMax : rawMin;
        engineeringAtRawLow = rising ? engineeringMin : engineeringMax;
        engineeringAtRawHigh = rising ? engineeringMax : engineeringMin;
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadReal(values, In);
        var outside = !(input >= rawLow && input <= rawHigh);
        if (double.IsFinite(input))
        {
            output = !clamp ? Map(input)
                : input < rawLow ? engineeringAtRawLow
                : input > rawHigh ? engineeringAtRawHigh
                : Math.Clamp(Map(input), Math.Min(engineeringAtRawLow, engineeringAtRawHigh), Math.Max(engineeringAtRawLow, engineeringAtRawHigh));
        }

        WriteReal(values, Out, output);
        WriteBool(values, OutOfRange, outside);
    }

    private double Map(double input) => engineeringMin + ((input - rawMin) * gain);
}
