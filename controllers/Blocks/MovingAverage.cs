namespace Neokernel.Controllers.Blocks;

/// <summary>
/// MOVAVG: OUT is the mean of the last WINDOW finite inputs (of fewer until WINDOW have come); a
/// non-finite IN is skipped. The ring buffer is allocated when the block is built. The running sum
/// is compensated (Neumaier) and recomputed from the buffer each time the ring wraps, so rounding
/// can never pile up past one window; the recompute costs WINDOW additions once per WINDOW cycles.
/// Inputs so large that their sum overflows (near ±1.8e308) give an infinite or NaN mean until
/// they have left the window.
/// </summary>
public sealed class MovingAverage : Block
{
    public const int In = 0;
    public const int Out = 0;
    public const int Window = 0;

    public static readonly BlockDescriptor Type = new(
        "MOVAVG",
        "moving average: OUT is the mean of the last WINDOW inputs",
        [PinDescriptor.Real("IN", "the input")],
        [PinDescriptor.Real("OUT", "the mean of the window")],
        [ParameterDescriptor.Dint("WINDOW", 10, 1, BlockLimits.MovingAverageWindowMax, tunable: false, "the number of samples averaged")],
        IsDelay: false);

    private readonly double[] samples;
    private int next;
    private int count;
    private double sum;
    private double compensation;

    public MovingAverage(BlockParameters parameters)
        : base(parameters) => samples = new double[parameters.Dint(Window)];

    public override void Evaluate(BlockValues values, long dtNanoseconds)
    {
        var input = ReadReal(values, In);
        if (double.IsFinite(input))
        {
            Take(input);
        }

        WriteReal(values, Out, count == 0 ? 0.0 : (sum + compensation) / count);
    }

    private void Take(double input)
    {
        if (count == samples.Length)
        {
            Add(-samples[next]);
        }
        else
        {
            count++;
        }

        samples[next] = input;
        Add(input);
        next++;
        if (next == samples.Length)
        {
            next = 0;
            Recompute();
        }
    }

    private void Add(double value)
    {
        var total = sum + value;
        compensation += Math.Abs(sum) >= Math.Abs(value) ? (sum - total) + value : (value - total) + sum;
        sum = total;
    }

    private void Recompute()
    {
        sum = 0;
        compensation = 0;
        for (var i = 0; i < count; i++)
        {
            Add(samples[i]);
        }
    }
}
