namespace Neokernel.Controllers.Blocks;

/// <summary>
/// DELAY (Z⁻¹), the unit delay: OUT is IN of the cycle before (INITIAL in the first cycle). It is
/// the network's delay element: its output depends on no input of the same cycle, so a feedback
/// loop through it is not an algebraic loop.
/// </summary>
public sealed class UnitDelay : Block
{
    public const int In = 0;
    public const int Out = 0;
    public const int Initial = 0;

    public static readonly BlockDescriptor Type = new(
        "DELAY",
        "unit delay (Z^-1): OUT is IN of the previous cycle; breaks algebraic loops",
        [PinDescriptor.Real("IN", "the value to hand to the next cycle")],
        [PinDescriptor.Real("OUT", "IN of the previous cycle")],
        [ParameterDescriptor.AnyReal("INITIAL", 0.0, tunable: false, "OUT in the first cycle")],
        IsDelay: true);

    private double state;

    public UnitDelay(BlockParameters parameters)
        : base(parameters) => state = parameters.Real(Initial);

    public override void Publish(BlockValues values) => WriteReal(values, Out, state);

    public override void Evaluate(BlockValues values, long dtNanoseconds) => state = ReadReal(values, In);
}
