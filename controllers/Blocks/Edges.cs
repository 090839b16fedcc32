namespace Neokernel.Controllers.Blocks;

/// <summary>
/// Edge detection as IEC 61131-3 defines it (R_TRIG: Q := CLK AND NOT M; M := CLK, with M
/// initially FALSE; F_TRIG: Q := NOT CLK AND NOT M; M := NOT CLK, with M initially TRUE): before
/// the first cycle CLK counts as FALSE, so CLK TRUE in the first cycle is a rising edge, and CLK
/// FALSE in the first cycle is no falling edge. Q is on for exactly one cycle per edge.
/// </summary>
public static class EdgePins
{
    public const int Clk = 0;
    public const int Q = 0;

    internal static BlockDescriptor Describe(string typeName, string description) => new(
        typeName,
        description,
        [PinDescriptor.Bool("CLK", "the signal watched")],
        [PinDescriptor.Bool("Q", "on for the one cycle of an edge")],
        [],
        IsDelay: false);
}

/// <summary>The rising-edge memory the counters share with R_TRIG.</summary>
internal struct RisingEdge
{
    private bool previous;

    public bool Detect(bool clock)
    {
        var rising = clock && !previous;
        previous = clock;
        return rising;
    }
}

/// <summary>R_TRIG: Q is on for one cycle when CLK turns on.</summary>
public sealed class RisingEdgeTrigger(BlockParameters parameters) : Block(parameters)
{
    public static readonly BlockDescriptor Type = EdgePins.Describe("R_TRIG", "rising edge: Q on for one cycle when CLK turns on");

    private RisingEdge edge;

    public override void Evaluate(BlockValues values, long dtNanoseconds) =>
        WriteBool(values, EdgePins.Q, edge.Detect(ReadBool(values, EdgePins.Clk)));
}

/// <summary>F_TRIG: Q is on for one cycle when CLK turns off.</summary>
public sealed class FallingEdgeTrigger(BlockParameters parameters) : Block(parameters)
{
    public static readonly BlockDescriptor Type = EdgePins.Describe("F_TRIG", "falling edge: Q on for one cycle when CLK turns off");

    // M of the standard's definition: NOT CLK of the cycle before, TRUE before the first cycle.
    private bool memory = true;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var clock = ReadBool(values, EdgePins.Clk);
        WriteBool(values, EdgePins.Q, !clock && !memory);
        memory = !clock;
    }
}
