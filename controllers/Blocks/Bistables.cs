namespace Neokernel.Controllers.Blocks;

/// <summary>SR, set-dominant bistable: Q1 := S1 OR (NOT R AND Q1). Q1 starts off.</summary>
public sealed class SetDominantLatch(BlockParameters parameters) : Block(parameters)
{
    public const int S1 = 0;
    public const int R = 1;
    public const int Q1 = 0;

    public static readonly BlockDescriptor Type = new(
        "SR",
        "set-dominant bistable: S1 sets Q1, R resets it, S1 wins when both are on",
        [PinDescriptor.Bool("S1", "set, dominant"), PinDescriptor.Bool("R", "reset")],
        [PinDescriptor.Bool("Q1", "the latched state")],
        [],
        IsDelay: false);

    private bool state;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        state = ReadBool(values, S1) || (!ReadBool(values, R) && state);
        WriteBool(values, Q1, state);
    }
}

/// <summary>RS, reset-dominant bistable: Q1 := NOT R1 AND (S OR Q1). Q1 starts off.</summary>
public sealed class ResetDominantLatch(BlockParameters parameters) : Block(parameters)
{
    public const int S = 0;
    public const int R1 = 1;
    public const int Q1 = 0;

    public static readonly BlockDescriptor Type = new(
        "RS",
        "reset-dominant bistable: S sets Q1, R1 resets it, R1 wins when both are on",
        [PinDescriptor.Bool("S", "set"), PinDescriptor.Bool("R1", "reset, dominant")],
        [PinDescriptor.Bool("Q1", "the latched state")],
        [],
        IsDelay: false);

    private bool state;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        state = !ReadBool(values, R1) && (ReadBool(values, S) || state);
        WriteBool(values, Q1, state);
    }
}
