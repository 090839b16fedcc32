namespace Neokernel.Controllers.Blocks;

/// <summary>
/// The IEC 61131-3 timers. Time is counted from the cycle in which the timer starts (ET = 0 in
/// that cycle) by adding each later cycle's dt, which is the time since the cycle before; ET is
/// the elapsed time clamped to the current PT, so a PT changed while timing takes effect at once,
/// as in the standard's definition ET = now − start, limited to PT. A negative PT counts as 0.
/// </summary>
public static class TimerPins
{
    public const int In = 0;
    public const int Pt = 1;
    public const int Q = 0;
    public const int Et = 1;

    internal static BlockDescriptor Describe(string typeName, string description, string qDescription) => new(
        typeName,
        description,
        [PinDescriptor.Bool("IN", "the timer's input"), PinDescriptor.Time("PT", "the preset time")],
        [PinDescriptor.Bool("Q", qDescription), PinDescriptor.Time("ET", "the elapsed time, at most PT")],
        [],
        IsDelay: false);
}

/// <summary>
/// Time since a condition began, counted per cycle: 0 in the cycle it begins, then each cycle's dt
/// added, held at <see cref="long.MaxValue"/>. The timers' one mechanism.
/// </summary>
internal struct ElapsedTime
{
    private bool running;

    public long Nanoseconds { get; private set; }

    public readonly bool Running => running;

    /// <summary>Counts this cycle: starts at 0 when not yet running, else adds <paramref name="dtNanoseconds"/>.</summary>
    public void Advance(long dtNanoseconds)
    {
        if (!running)
        {
            running = true;
            Nanoseconds = 0;
        }
        else
        {
            Nanoseconds = Nanoseconds > long.MaxValue - dtNanoseconds ? long.MaxValue : Nanoseconds + dtNanoseconds;
        }
    }

    public void Stop()
    {
        running = false;
        Nanoseconds = 0;
    }
}

/// <summary>The on-delay both TON and TOF are made of: true once a condition has held for the preset.</summary>
internal struct OnDelay
{
    private ElapsedTime held;

    /// <summary>ET: how long the condition has held, at most <paramref name="presetNanoseconds"/>.</summary>
    public readonly long Elapsed(long presetNanoseconds) => Math.Min(held.Nanoseconds, presetNanoseconds);

    /// <summary>Counts this cycle; true when <paramref name="condition"/> holds and has held for the preset.</summary>
    public bool Update(bool condition, long presetNanoseconds, long dtNanoseconds)
    {
        if (!condition)
        {
            held.Stop();
            return false;
        }

        held.Advance(dtNanoseconds);
        return held.Nanoseconds >= presetNanoseconds;
    }
}

/// <summary>TON, on-delay: Q turns on when IN has been on for PT, and off with IN.</summary>
public sealed class OnDelayTimer(BlockParameters parameters) : Block(parameters)
{
    public static readonly BlockDescriptor Type = TimerPins.Describe("TON", "on-delay timer: Q follows IN on after PT, off at once", "IN has been on for PT");

    private OnDelay delay;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var preset = Math.Max(0, ReadTime(values, TimerPins.Pt));
        WriteBool(values, TimerPins.Q, delay.Update(ReadBool(values, TimerPins.In), preset, dtNanoseconds));
        WriteTime(values, TimerPins.Et, delay.Elapsed(preset));
    }
}

/// <summary>
/// TOF, off-delay: Q turns on with IN, and off when IN has been off for PT (an on-delay of NOT IN);
/// ET then holds PT until IN turns on again. Before IN was ever on, Q is off and ET is 0.
/// </summary>
public sealed class OffDelayTimer(BlockParameters parameters) : Block(parameters)
{
    public static readonly BlockDescriptor Type = TimerPins.Describe("TOF", "off-delay timer: Q follows IN on at once, off after PT", "IN is on or went off less than PT ago");

    private bool wasOn;
    private OnDelay delay;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadBool(values, TimerPins.In);
        var preset = Math.Max(0, ReadTime(values, TimerPins.Pt));
        wasOn |= input;
        var expired = delay.Update(wasOn && !input, preset, dtNanoseconds);
        WriteBool(values, TimerPins.Q, input || (wasOn && !expired));
        WriteTime(values, TimerPins.Et, delay.Elapsed(preset));
    }
}

/// <summary>
/// TP, pulse: a rising edge of IN while no pulse runs starts a pulse; Q is on for PT from that
/// cycle, whatever IN does meanwhile (edges during a pulse are ignored). After the pulse ET holds
/// PT while IN stays on, and returns to 0 once IN is off. With PT = 0 a rising edge gives no pulse.
/// Before the first cycle IN counts as off, so IN on in the first cycle starts a pulse.
/// </summary>
public sealed class PulseTimer(BlockParameters parameters) : Block(parameters)
{
    public static readonly BlockDescriptor Type = TimerPins.Describe("TP", "pulse timer: a rising edge of IN gives a pulse of length PT on Q", "the pulse is running");

    private bool previousInput;
    private bool ended;
    private ElapsedTime sinceStart;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadBool(values, TimerPins.In);
        var preset = Math.Max(0, ReadTime(values, TimerPins.Pt));
        var rising = input && !previousInput;
        previousInput = input;
        if (sinceStart.Running || (rising && !ended))
        {
            sinceStart.Advance(dtNanoseconds);
            if (sinceStart.Nanoseconds >= preset)
            {
                sinceStart.Stop();
                ended = input;
                WriteBool(values, TimerPins.Q, false);
                WriteTime(values, TimerPins.Et, preset);
                return;
            }

            WriteBool(values, TimerPins.Q, true);
            WriteTime(values, TimerPins.Et, sinceStart.Nanoseconds);
            return;
        }

        ended = ended && input;
        WriteBool(values, TimerPins.Q, false);
        WriteTime(values, TimerPins.Et, ended ? preset : 0);
    }
}
