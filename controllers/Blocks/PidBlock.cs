namespace Neokernel.Controllers.Blocks;

/// <summary>
/// PID, the complete controller (<see cref="PidController"/>, ISA form) as a block, so loops are
/// wired in a manifest like any other block. Its mode follows its inputs each cycle, in this order:
/// TRACK (the output follows TRACK_VAL: an override selector's choice, an interlock), then BKCAL_ON
/// (the loop it feeds does not follow its setpoint, so the output follows BKCAL_VAL, that loop's
/// setpoint in use, and resumes from there without a bump), then MAN (the output goes to MAN_OUT),
/// else auto. Every change of mode is bumpless, as the controller's own.
///
/// A cascade is two PID blocks: the outer's OUT wired to the inner's SP, and the inner's
/// SP_BLOCK_HI, SP_BLOCK_LO, OPEN and SP_USED back to the outer's BLOCK_HI, BLOCK_LO, BKCAL_ON and
/// BKCAL_VAL. Those four are feedback inputs (<see cref="PinDescriptor.Feedback"/>): they read the
/// previous cycle's values, so the wires back close no algebraic loop. While the inner output is
/// held by a limit, the outer integrator stops in the direction that would push it further: windup
/// propagates back.
///
/// Override selection: each PID's OUT into a MIN_SEL or MAX_SEL block, whose OUT drives the
/// actuator and comes back to every PID's RESET_FB, with EXT_RESET set. The integral of each is
/// then a lag of the selected output (<see cref="PidInputs.ExternalReset"/>): the selected one
/// integrates as usual, the others hold their proportional demand next to it and take over without
/// windup when theirs becomes the selected one.
///
/// The first cycle (dt 0) and any cycle with a non-finite PV, SP, FF or (tracking) TRACK_VAL hold
/// the output, as the controller does on bad input.
/// </summary>
public sealed class PidBlock : Block
{
    public const int Pv = 0;
    public const int Sp = 1;
    public const int Ff = 2;
    public const int Man = 3;
    public const int ManOut = 4;
    public const int Track = 5;
    public const int TrackVal = 6;
    public const int BlockHigh = 7;
    public const int BlockLow = 8;
    public const int BackCalculationOn = 9;
    public const int BackCalculationValue = 10;
    public const int ResetFeedback = 11;

    public const int Out = 0;
    public const int LimitHigh = 1;
    public const int LimitLow = 2;
    public const int SetpointBlockHigh = 3;
    public const int SetpointBlockLow = 4;
    public const int Open = 5;
    public const int SetpointUsed = 6;

    public const int Kc = 0;
    public const int Ti = 1;
    public const int Td = 2;
    public const int DerivativeFilter = 3;
    public const int TrackingTime = 4;
    public const int OutMin = 5;
    public const int OutMax = 6;
    public const int SetpointWeightP = 7;
    public const int SetpointWeightD = 8;
    public const int Clamping = 9;
    public const int RateUp = 10;
    public const int RateDown = 11;
    public const int Initial = 12;
    public const int ExternalReset = 13;

    public static readonly BlockDescriptor Type = new(
        "PID",
        "PID controller (ISA form, derivative on measurement by default, anti-windup, output and rate limits, feedforward, manual, tracking and cascade back-calculation)",
        [
            PinDescriptor.Real("PV", "the process value"),
            PinDescriptor.Real("SP", "the setpoint (in a cascade, the outer loop's OUT)"),
            PinDescriptor.Real("FF", "feedforward, added to the output in auto"),
            PinDescriptor.Bool("MAN", "manual: the output goes to MAN_OUT"),
            PinDescriptor.Real("MAN_OUT", "the manual output"),
            PinDescriptor.Bool("TRACK", "tracking: the output follows TRACK_VAL (before everything else)"),
            PinDescriptor.Real("TRACK_VAL", "the value tracked"),
            PinDescriptor.Bool("BLOCK_HI", "the loop fed cannot follow a higher OUT (its SP_BLOCK_HI)") with { Feedback = true },
            PinDescriptor.Bool("BLOCK_LO", "the loop fed cannot follow a lower OUT (its SP_BLOCK_LO)") with { Feedback = true },
            PinDescriptor.Bool("BKCAL_ON", "the loop fed does not follow its setpoint (its OPEN); OUT follows BKCAL_VAL") with { Feedback = true },
            PinDescriptor.Real("BKCAL_VAL", "the setpoint the loop fed uses (its SP_USED)") with { Feedback = true },
            PinDescriptor.Real("RESET_FB", "with EXT_RESET: the output used downstream (an override selector's OUT)") with { Feedback = true },
        ],
        [
            PinDescriptor.Real("OUT", "the output, within OUT_MIN..OUT_MAX"),
            PinDescriptor.Bool("LIMIT_HI", "the output is held by its upper or rate-up limit"),
            PinDescriptor.Bool("LIMIT_LO", "the output is held by its lower or rate-down limit"),
            PinDescriptor.Bool("SP_BLOCK_HI", "a higher SP would push the output further into a limit: wire to the outer loop's BLOCK_HI"),
            PinDescriptor.Bool("SP_BLOCK_LO", "a lower SP would push the output further into a limit: wire to the outer loop's BLOCK_LO"),
            PinDescriptor.Bool("OPEN", "not in auto (manual, tracking, back-calculation): wire to the outer loop's BKCAL_ON"),
            PinDescriptor.Real("SP_USED", "the setpoint of the last update: wire to the outer loop's BKCAL_VAL"),
        ],
        [
            ParameterDescriptor.Real("KC", 1.0, -double.MaxValue, double.MaxValue, tunable: true, "controller gain, nonzero; negative for reverse action"),
            ParameterDescriptor.Time("TI", 0, tunable: true, "integral time; T#0s turns the integral action off"),
            ParameterDescriptor.Time("TD", 0, tunable: true, "derivative time; T#0s turns the derivative action off"),
            ParameterDescriptor.Real("N", 10.0, 0.0, double.MaxValue, tunable: true, "derivative filter: the derivative's lag is TD/N", minimumExclusive: true),
            ParameterDescriptor.Time("TT", 0, tunable: true, "anti-windup tracking time; T#0s derives it from TI and TD"),
            ParameterDescriptor.AnyReal("OUT_MIN", 0.0, tunable: true, "the lowest output"),
            ParameterDescriptor.AnyReal("OUT_MAX", 100.0, tunable: true, "the highest output, above OUT_MIN"),
            ParameterDescriptor.Real("B", 1.0, 0.0, 1.0, tunable: true, "setpoint weight of the proportional action"),
            ParameterDescriptor.Real("C", 0.0, 0.0, 1.0, tunable: true, "setpoint weight of the derivative action (0: derivative on measurement)"),
            ParameterDescriptor.Bool("CLAMPING", false, tunable: false, "anti-windup by clamping (conditional integration) instead of back-calculation"),
            ParameterDescriptor.Real("RATE_UP", 0.0, 0.0, double.MaxValue, tunable: true, "the largest rise of the output per second; 0 for none"),
            ParameterDescriptor.Real("RATE_DOWN", 0.0, 0.0, double.MaxValue, tunable: true, "the largest fall of the output per second; 0 for none"),
            ParameterDescriptor.AnyReal("INITIAL", 0.0, tunable: false, "the output before the first update, clamped to OUT_MIN..OUT_MAX"),
            ParameterDescriptor.Bool("EXT_RESET", false, tunable: false, "external reset feedback: the integral is a lag (time constant TI) of RESET_FB, for override selection"),
        ],
        IsDelay: false);

    private readonly PidController controller;
    private readonly bool externalReset;

    public PidBlock(BlockParameters parameters)
        : base(parameters)
    {
        RequireConsistent();
        var tuning = Tuning(parameters);
        controller = new PidController(tuning);
        controller.Reset(Math.Clamp(parameters.Real(Initial), tuning.OutputMin, tuning.OutputMax));
        externalReset = parameters.Bool(ExternalReset);
    }

    protected override ParameterConflict? Conflict(BlockParameters parameters)
    {
        if (parameters.Real(Kc) == 0)
        {
            return new ParameterConflict(Kc, "nonzero (negative for reverse action)");
        }

        // With these two, the parameters' own ranges are everything PidTuning.Validate asks.
        return Below(parameters, OutMin, OutMax);
    }

    /// <summary>Retunes the controller without a bump: its integrator absorbs the change, so OUT moves only if a new limit holds it.</summary>
    protected override void Tune(BlockParameters parameters) => controller.Retune(Tuning(parameters));

    /// <summary>The controller inside, for diagnostics and tests.</summary>
    public PidController Controller => controller;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var backCalculation = ReadBool(values, BackCalculationOn);
        var mode = ReadBool(values, Track) || backCalculation ? PidMode.Tracking
            : ReadBool(values, Man) ? PidMode.Manual
            : PidMode.Auto;
        controller.SetMode(mode);
        var manualOutput = ReadReal(values, ManOut);
        if (mode == PidMode.Manual && double.IsFinite(manualOutput))
        {
            controller.SetManualOutput(manualOutput);
        }

        if (dtNanoseconds > 0)
        {
            var blocked = (ReadBool(values, BlockHigh) ? PidLimit.High : PidLimit.None) | (ReadBool(values, BlockLow) ? PidLimit.Low : PidLimit.None);
            var inputs = new PidInputs(ReadReal(values, Sp), ReadReal(values, Pv))
            {
                Feedforward = ReadReal(values, Ff),
                TrackingValue = ReadBool(values, Track) ? ReadReal(values, TrackVal) : ReadReal(values, BackCalculationValue),
                OutputBlocked = blocked,
                ExternalReset = externalReset ? ReadReal(values, ResetFeedback) : double.NaN,
            };
            controller.Update(inputs, Seconds(dtNanoseconds));
        }

        var limit = controller.Limit;
        var setpointLimit = controller.SetpointLimit;
        WriteReal(values, Out, controller.Output);
        WriteBool(values, LimitHigh, (limit & PidLimit.High) != 0);
        WriteBool(values, LimitLow, (limit & PidLimit.Low) != 0);
        WriteBool(values, SetpointBlockHigh, (setpointLimit & PidLimit.High) != 0);
        WriteBool(values, SetpointBlockLow, (setpointLimit & PidLimit.Low) != 0);
        WriteBool(values, Open, mode != PidMode.Auto);
        WriteReal(values, SetpointUsed, controller.SetpointInUse);
    }

    private static PidTuning Tuning(BlockParameters p) =>
        new(
            p.Real(Kc),
            TuningSeconds(p.TimeNanoseconds(Ti)),
            TuningSeconds(p.TimeNanoseconds(Td)),
            p.Real(DerivativeFilter),
            p.Real(OutMin),
            p.Real(OutMax),
            TuningSeconds(p.TimeNanoseconds(TrackingTime)))
        {
            SetpointWeightProportional = p.Real(SetpointWeightP),
            SetpointWeightDerivative = p.Real(SetpointWeightD),
            AntiWindup = p.Bool(Clamping) ? AntiWindup.Clamping : AntiWindup.BackCalculation,
            OutputRateUpPerSecond = p.Real(RateUp),
            OutputRateDownPerSecond = p.Real(RateDown),
        };

    /// <summary>A TIME parameter in seconds by division, so T#120s is 120 exactly (the cycle's Seconds multiplies, which rounds).</summary>
    private static double TuningSeconds(long nanoseconds) => nanoseconds / (double)BlockLimits.NanosecondsPerSecond;
}
