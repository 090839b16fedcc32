using Neokernel.Kernel.Platform;

namespace Neokernel.Hil;

/// <summary>The shapes the signal generator writes, each between -1 and +1 before amplitude and offset.</summary>
public enum Waveform
{
    /// <summary>sin(2π x): 0 at the start of a period, +1 at a quarter.</summary>
    Sine,

    /// <summary>A sawtooth: rises from -1 to +1 over the period, then drops back.</summary>
    Ramp,

    /// <summary>+1 for the first half of the period, -1 for the second.</summary>
    Square,

    /// <summary>-1 at the start, +1 at half the period, -1 again at its end.</summary>
    Triangle,

    /// <summary>Uniform in [-1, 1), a new draw every cycle from the service's deterministic random stream.</summary>
    Noise,
}

/// <summary>
/// Evaluates waveforms with basic arithmetic only (no Math.Sin: the C library's sine may differ in
/// the last bit between x64 and arm64, and the values end up in the trace digest), so a simulation
/// writes the same bits on every platform. Allocation-free.
/// </summary>
public static class Waveforms
{
    /// <summary>The words a manifest writes, in the order of <see cref="Waveform"/>.</summary>
    public static IReadOnlyList<string> Words { get; } = ["sine", "ramp", "square", "triangle", "noise"];

    public static bool TryParse(string word, out Waveform waveform)
    {
        ArgumentNullException.ThrowIfNull(word);
        for (var i = 0; i < Words.Count; i++)
        {
            if (Words[i] == word)
            {
                waveform = (Waveform)i;
                return true;
            }
        }

        waveform = Waveform.Sine;
        return false;
    }

    public static string Word(Waveform waveform) => Words[(int)waveform];

    /// <summary>
    /// The waveform at <paramref name="phase"/> (fraction of a period, 0 &lt;= phase &lt; 1), in [-1, 1];
    /// noise ignores the phase and draws from <paramref name="random"/>.
    /// </summary>
    public static double Evaluate(Waveform waveform, double phase, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return waveform switch
        {
            Waveform.Sine => SinTwoPi(phase),
            Waveform.Ramp => (2.0 * phase) - 1.0,
            Waveform.Square => phase < 0.5 ? 1.0 : -1.0,
            Waveform.Triangle => phase < 0.5 ? (4.0 * phase) - 1.0 : 3.0 - (4.0 * phase),
            _ => (2.0 * random.NextDouble()) - 1.0,
        };
    }

    /// <summary>
    /// sin(2π <paramref name="phase"/>) for 0 &lt;= phase &lt; 1: folded into a quarter period, then a
    /// Taylor polynomial of the sine or cosine there (error below 1e-11). Exact at every quarter.
    /// </summary>
    public static double SinTwoPi(double phase)
    {
        var quarters = phase * 4.0;
        var quadrant = (int)quarters;
        var angle = (quarters - quadrant) * (Math.PI / 2.0);
        return (quadrant & 3) switch
        {
            0 => SinQuarter(angle),
            1 => CosQuarter(angle),
            2 => -SinQuarter(angle),
            _ => -CosQuarter(angle),
        };
    }

    /// <summary>sin x for 0 &lt;= x &lt;= π/2, to x^17 (the next term is below 7e-12).</summary>
    private static double SinQuarter(double x)
    {
        var x2 = x * x;
        var sum = 1.0 / 355687428096000.0;
        sum = (sum * -x2) + (1.0 / 1307674368000.0);
        sum = (sum * -x2) + (1.0 / 6227020800.0);
        sum = (sum * -x2) + (1.0 / 39916800.0);
        sum = (sum * -x2) + (1.0 / 362880.0);
        sum = (sum * -x2) + (1.0 / 5040.0);
        sum = (sum * -x2) + (1.0 / 120.0);
        sum = (sum * -x2) + (1.0 / 6.0);
        sum = (sum * -x2) + 1.0;
        return x * sum;
    }

    /// <summary>cos x for 0 &lt;= x &lt;= π/2, to x^18 (the next term is below 1e-12).</summary>
    private static double CosQuarter(double x)
    {
        var x2 = x * x;
        var sum = 1.0 / 6402373705728000.0;
        sum = (sum * -x2) + (1.0 / 20922789888000.0);
        sum = (sum * -x2) + (1.0 / 87178291200.0);
        sum = (sum * -x2) + (1.0 / 479001600.0);
        sum = (sum * -x2) + (1.0 / 3628800.0);
        sum = (sum * -x2) + (1.0 / 40320.0);
        sum = (sum * -x2) + (1.0 / 720.0);
        sum = (sum * -x2) + (1.0 / 24.0);
        sum = (sum * -x2) + (1.0 / 2.0);
        sum = (sum * -x2) + 1.0;
        return sum;
    }
}
