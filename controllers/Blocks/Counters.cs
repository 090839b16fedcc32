namespace Neokernel.Controllers.Blocks;

/// <summary>
/// The IEC 61131-3 counters on DINT. CU and CD count on their rising edges (R_EDGE in the
/// standard, so CU on in the first cycle counts); the edges are detected every cycle, also while
/// R or LD holds the count. CV stops at the ends of DINT instead of wrapping (PVmax, PVmin).
/// </summary>
internal static class CounterPins
{
    internal static PinDescriptor Preset => PinDescriptor.Dint("PV", "the preset value");

    internal static PinDescriptor Count => PinDescriptor.Dint("CV", "the current count");

    /// <summary>The state a manifest may retain: the count, restored before the first cycle.</summary>
    internal static PinDescriptor CountState => PinDescriptor.Dint("CV", "the count, kept over a restart when retained");

    internal static int Up(int count) => count < int.MaxValue ? count + 1 : count;

    internal static int Down(int count) => count > int.MinValue ? count - 1 : count;
}

/// <summary>CTU: counts up on CU, R resets to 0; Q := CV ≥ PV.</summary>
public sealed class UpCounter(BlockParameters parameters) : Block(parameters)
{
    public const int Cu = 0;
    public const int R = 1;
    public const int Pv = 2;
    public const int Q = 0;
    public const int Cv = 1;

    public static readonly BlockDescriptor Type = new(
        "CTU",
        "up counter: CV counts rising edges of CU, R resets it; Q when CV reaches PV",
        [PinDescriptor.Bool("CU", "count up, on its rising edge"), PinDescriptor.Bool("R", "reset CV to 0"), CounterPins.Preset],
        [PinDescriptor.Bool("Q", "CV >= PV"), CounterPins.Count],
        [],
        IsDelay: false)
    {
        State = [CounterPins.CountState],
    };

    private RisingEdge up;
    private int count;

    public override BlockValue GetState(int index) => index == 0 ? BlockValue.Dint(count) : base.GetState(index);

    public override void SetState(int index, BlockValue value)
    {
        if (index != 0)
        {
            base.SetState(index, value);
        }

        count = value.AsDint;
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var counting = up.Detect(ReadBool(values, Cu));
        if (ReadBool(values, R))
        {
            count = 0;
        }
        else if (counting)
        {
            count = CounterPins.Up(count);
        }

        WriteBool(values, Q, count >= ReadDint(values, Pv));
        WriteDint(values, Cv, count);
    }
}

/// <summary>CTD: counts down on CD, LD loads PV; Q := CV ≤ 0.</summary>
public sealed class DownCounter(BlockParameters parameters) : Block(parameters)
{
    public const int Cd = 0;
    public const int Ld = 1;
    public const int Pv = 2;
    public const int Q = 0;
    public const int Cv = 1;

    public static readonly BlockDescriptor Type = new(
        "CTD",
        "down counter: CV counts down on rising edges of CD, LD loads PV; Q when CV reaches 0",
        [PinDescriptor.Bool("CD", "count down, on its rising edge"), PinDescriptor.Bool("LD", "load PV into CV"), CounterPins.Preset],
        [PinDescriptor.Bool("Q", "CV <= 0"), CounterPins.Count],
        [],
        IsDelay: false)
    {
        State = [CounterPins.CountState],
    };

    private RisingEdge down;
    private int count;

    public override BlockValue GetState(int index) => index == 0 ? BlockValue.Dint(count) : base.GetState(index);

    public override void SetState(int index, BlockValue value)
    {
        if (index != 0)
        {
            base.SetState(index, value);
        }

        count = value.AsDint;
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var counting = down.Detect(ReadBool(values, Cd));
        if (ReadBool(values, Ld))
        {
            count = ReadDint(values, Pv);
        }
        else if (counting)
        {
            count = CounterPins.Down(count);
        }

        WriteBool(values, Q, count <= 0);
        WriteDint(values, Cv, count);
    }
}

/// <summary>
/// CTUD: counts up on CU and down on CD (neither when both edges come in one cycle); R resets to
/// 0 and wins over LD, which loads PV. QU := CV ≥ PV, QD := CV ≤ 0.
/// </summary>
public sealed class UpDownCounter(BlockParameters parameters) : Block(parameters)
{
    public const int Cu = 0;
    public const int Cd = 1;
    public const int R = 2;
    public const int Ld = 3;
    public const int Pv = 4;
    public const int Qu = 0;
    public const int Qd = 1;
    public const int Cv = 2;

    public static readonly BlockDescriptor Type = new(
        "CTUD",
        "up-down counter: CU counts up, CD down, R resets to 0, LD loads PV; QU at PV, QD at 0",
        [
            PinDescriptor.Bool("CU", "count up, on its rising edge"),
            PinDescriptor.Bool("CD", "count down, on its rising edge"),
            PinDescriptor.Bool("R", "reset CV to 0, before LD"),
            PinDescriptor.Bool("LD", "load PV into CV"),
            CounterPins.Preset,
        ],
        [PinDescriptor.Bool("QU", "CV >= PV"), PinDescriptor.Bool("QD", "CV <= 0"), CounterPins.Count],
        [],
        IsDelay: false)
    {
        State = [CounterPins.CountState],
    };

    private RisingEdge up;
    private RisingEdge down;
    private int count;

    public override BlockValue GetState(int index) => index == 0 ? BlockValue.Dint(count) : base.GetState(index);

    public override void SetState(int index, BlockValue value)
    {
        if (index != 0)
        {
            base.SetState(index, value);
        }

        count = value.AsDint;
    }

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var countUp = up.Detect(ReadBool(values, Cu));
        var countDown = down.Detect(ReadBool(values, Cd));
        var preset = ReadDint(values, Pv);
        if (ReadBool(values, R))
        {
            count = 0;
        }
        else if (ReadBool(values, Ld))
        {
            count = preset;
        }
        else if (countUp && !countDown)
        {
            count = CounterPins.Up(count);
        }
        else if (countDown && !countUp)
        {
            count = CounterPins.Down(count);
        }

        WriteBool(values, Qu, count >= preset);
        WriteBool(values, Qd, count <= 0);
        WriteDint(values, Cv, count);
    }
}
