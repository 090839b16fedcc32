namespace Neokernel.Controllers.Blocks;

/// <summary>
/// TOTAL, a totalizer: OUT accumulates IN·dt each cycle (a flow in units per second becomes a
/// volume), by the backward rectangle rule: this cycle's IN over the time since the last cycle.
/// RESET sets the total to 0 (and wins over everything), HOLD stops the accumulation. A
/// non-finite IN, or a sum that would leave the finite doubles, holds the total. The total is
/// the block's state: retained, it survives a restart (<c>retain: TOTAL</c>).
/// </summary>
public sealed class Totalizer(BlockParameters parameters) : Block(parameters)
{
    public const int In = 0;
    public const int Reset = 1;
    public const int Hold = 2;
    public const int Out = 0;

    public static readonly BlockDescriptor Type = new(
        "TOTAL",
        "totalizer: OUT accumulates IN (per second) times the cycle's time; RESET to 0, HOLD stops it",
        [
            PinDescriptor.Real("IN", "the rate accumulated, in units per second"),
            PinDescriptor.Bool("RESET", "set the total to 0"),
            PinDescriptor.Bool("HOLD", "stop accumulating"),
        ],
        [PinDescriptor.Real("OUT", "the total")],
        [],
        IsDelay: false)
    {
        State = [PinDescriptor.Real("TOTAL", "the total, kept over a restart when retained")],
    };

    private double total;

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        if (ReadBool(values, Reset))
        {
            total = 0;
        }
        else if (!ReadBool(values, Hold))
        {
            var next = total + (ReadReal(values, In) * Seconds(dtNanoseconds));
            total = double.IsFinite(next) ? next : total;
        }

        WriteReal(values, Out, total);
    }

    public override BlockValue GetState(int index) => index == 0 ? BlockValue.Real(total) : base.GetState(index);

    public override void SetState(int index, BlockValue value)
    {
        if (index != 0)
        {
            base.SetState(index, value);
        }

        total = double.IsFinite(value.AsReal) ? value.AsReal : 0;
    }
}
