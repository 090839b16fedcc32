namespace Neokernel.Controllers.Blocks;

/// <summary>The alarm's states in the sense of ISA-18.2 (its DINT output STATE).</summary>
public enum AlarmState
{
    /// <summary>No limit active, nothing to acknowledge.</summary>
    Normal = 0,

    /// <summary>A limit is active and the operator has not acknowledged it.</summary>
    Unacknowledged = 1,

    /// <summary>A limit is active and acknowledged.</summary>
    Acknowledged = 2,

    /// <summary>The limits have cleared, but the alarm was never acknowledged: latched until ACK.</summary>
    ReturnedUnacknowledged = 3,
}

/// <summary>
/// One limit of an alarm: active once the value has been beyond the limit for the on-delay, and
/// clear once it is back inside by more than the deadband (hysteresis on clearing). A NaN input
/// neither raises nor clears a limit, and restarts its on-delay.
/// </summary>
internal struct AlarmLimit
{
    private OnDelay beyond;

    public bool Active { get; private set; }

    /// <summary>Updates the limit; true when it became active in this cycle.</summary>
    public bool Update(bool isBeyond, bool isClear, long delayNanoseconds, long dtNanoseconds)
    {
        if (Active)
        {
            Active = !isClear;
            return false;
        }

        Active = beyond.Update(isBeyond, delayNanoseconds, dtNanoseconds);
        if (Active)
        {
            beyond.Update(false, delayNanoseconds, dtNanoseconds);
        }

        return Active;
    }
}

/// <summary>
/// ALARM: high-high, high, low and low-low limits on IN. A limit is raised when IN lies beyond it
/// (above HH_LIMIT or H_LIMIT, below L_LIMIT or LL_LIMIT) for DELAY, and clears when IN is back by
/// more than DEADBAND. The alarm as a whole follows ISA-18.2: a limit that becomes active makes it
/// Unacknowledged; a rising edge of ACK acknowledges it (Acknowledged while still active, Normal if
/// it had cleared); an alarm that clears unacknowledged stays latched as ReturnedUnacknowledged
/// until ACK. LEVEL is 2 for HH, 1 for H, −1 for L, −2 for LL, 0 for none (the most severe active).
/// </summary>
public sealed class Alarm : Block
{
    public const int In = 0;
    public const int Ack = 1;
    public const int HighHigh = 0;
    public const int High = 1;
    public const int Low = 2;
    public const int LowLow = 3;
    public const int Active = 4;
    public const int Unacknowledged = 5;
    public const int State = 6;
    public const int Level = 7;
    public const int HighHighLimit = 0;
    public const int HighLimit = 1;
    public const int LowLimit = 2;
    public const int LowLowLimit = 3;
    public const int Deadband = 4;
    public const int Delay = 5;

    public static readonly BlockDescriptor Type = new(
        "ALARM",
        "alarm: HH, H, L and LL limits with deadband, on-delay and acknowledge (ISA-18.2 states)",
        [PinDescriptor.Real("IN", "the value watched"), PinDescriptor.Bool("ACK", "acknowledge, on its rising edge")],
        [
            PinDescriptor.Bool("HH", "the high-high limit is active"),
            PinDescriptor.Bool("H", "the high limit is active"),
            PinDescriptor.Bool("L", "the low limit is active"),
            PinDescriptor.Bool("LL", "the low-low limit is active"),
            PinDescriptor.Bool("ACTIVE", "any limit is active"),
            PinDescriptor.Bool("UNACKED", "the alarm waits for acknowledgement"),
            PinDescriptor.Dint("STATE", "0 normal, 1 unacknowledged, 2 acknowledged, 3 returned to normal unacknowledged"),
            PinDescriptor.Dint("LEVEL", "the most severe active limit: 2 HH, 1 H, 0 none, -1 L, -2 LL"),
        ],
        [
            ParameterDescriptor.AnyReal("HH_LIMIT", 100.0, tunable: true, "the high-high limit, at least H_LIMIT"),
            ParameterDescriptor.AnyReal("H_LIMIT", 90.0, tunable: true, "the high limit, at least L_LIMIT"),
            ParameterDescriptor.AnyReal("L_LIMIT", 10.0, tunable: true, "the low limit, at least LL_LIMIT"),
            ParameterDescriptor.AnyReal("LL_LIMIT", 0.0, tunable: true, "the low-low limit"),
            ParameterDescriptor.Real("DEADBAND", 0.0, 0.0, double.MaxValue, tunable: true, "how far IN must come back inside a limit to clear it"),
            ParameterDescriptor.Time("DELAY", 0, tunable: true, "how long IN must stay beyond a limit to raise it"),
        ],
        IsDelay: false);

    private double highHighLimit;
    private double highLimit;
    private double lowLimit;
    private double lowLowLimit;
    private double deadband;
    private long delayNanoseconds;
    private AlarmLimit highHigh;
    private AlarmLimit high;
    private AlarmLimit low;
    private AlarmLimit lowLow;
    private RisingEdge acknowledge;
    private AlarmState state;

    public Alarm(BlockParameters parameters)
        : base(parameters)
    {
        RequireConsistent();
        Tune(parameters);
    }

    protected override ParameterConflict? Conflict(BlockParameters parameters) =>
        AtMost(parameters, HighLimit, HighHighLimit)
        ?? AtMost(parameters, LowLimit, HighLimit)
        ?? AtMost(parameters, LowLowLimit, LowLimit);

    /// <summary>
    /// New limits, deadband and delay apply from the next cycle: a limit now crossed raises after
    /// the delay (counted from when it was first crossed, if that was before), one no longer crossed
    /// clears by the deadband; the acknowledgement state carries over.
    /// </summary>
    protected override void Tune(BlockParameters parameters)
    {
        highHighLimit = parameters.Real(HighHighLimit);
        highLimit = parameters.Real(HighLimit);
        lowLimit = parameters.Real(LowLimit);
        lowLowLimit = parameters.Real(LowLowLimit);
        deadband = parameters.Real(Deadband);
        delayNanoseconds = parameters.TimeNanoseconds(Delay);
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadReal(values, In);
        var raised = highHigh.Update(input > highHighLimit, input < highHighLimit - deadband, delayNanoseconds, dtNanoseconds);
        raised |= high.Update(input > highLimit, input < highLimit - deadband, delayNanoseconds, dtNanoseconds);
        raised |= low.Update(input < lowLimit, input > lowLimit + deadband, delayNanoseconds, dtNanoseconds);
        raised |= lowLow.Update(input < lowLowLimit, input > lowLowLimit + deadband, delayNanoseconds, dtNanoseconds);
        var active = highHigh.Active || high.Active || low.Active || lowLow.Active;
        state = Next(state, raised, active, acknowledge.Detect(ReadBool(values, Ack)));
        WriteBool(values, HighHigh, highHigh.Active);
        WriteBool(values, High, high.Active);
        WriteBool(values, Low, low.Active);
        WriteBool(values, LowLow, lowLow.Active);
        WriteBool(values, Active, active);
        WriteBool(values, Unacknowledged, state is AlarmState.Unacknowledged or AlarmState.ReturnedUnacknowledged);
        WriteDint(values, State, (int)state);
        WriteDint(values, Level, highHigh.Active ? 2 : high.Active ? 1 : lowLow.Active ? -2 : low.Active ? -1 : 0);
    }

    /// <summary>The ISA-18.2 transition: raising first, then clearing, then the operator's acknowledgement.</summary>
    private static AlarmState Next(AlarmState state, bool raised, bool active, bool acknowledged)
    {
        if (raised)
        {
            state = AlarmState.Unacknowledged;
        }
        else if (!active)
        {
            state = state switch
            {
                AlarmState.Unacknowledged => AlarmState.ReturnedUnacknowledged,
                AlarmState.Acknowledged => AlarmState.Normal,
                _ => state,
            };
        }

        if (acknowledged)
        {
            state = state switch
            {
                AlarmState.Unacknowledged => AlarmState.Acknowledged,
                AlarmState.ReturnedUnacknowledged => AlarmState.Normal,
                _ => state,
            };
        }

        return state;
    }
}
