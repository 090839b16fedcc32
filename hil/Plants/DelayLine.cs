namespace Neokernel.Hil.Plants;

/// <summary>
/// A transport delay of a whole number of samples: a ring buffer, sized once at construction, that
/// gives back each value the given number of shifts after it went in. The heated tank's dead time
/// and a sensor's or actuator's transport delay are the same mechanism.
/// </summary>
public sealed class DelayLine
{
    /// <summary>A longer delay is a configuration error (a million samples is 8 MB).</summary>
    public const int LengthMax = 1_000_000;

    private readonly double[] samples;
    private int next;

    /// <param name="lengthSamples">Shifts between a value going in and coming out; 0 passes values straight through.</param>
    /// <param name="initialValue">What comes out during the first <paramref name="lengthSamples"/> shifts.</param>
    public DelayLine(int lengthSamples, double initialValue)
    {
        if (lengthSamples < 0 || lengthSamples > LengthMax)
        {
            throw new ArgumentOutOfRangeException(nameof(lengthSamples), lengthSamples, $"must be within 0..{LengthMax}");
        }

        if (!double.IsFinite(initialValue))
        {
            throw new ArgumentOutOfRangeException(nameof(initialValue), initialValue, "must be finite");
        }

        samples = new double[lengthSamples];
        Array.Fill(samples, initialValue);
    }

    public int LengthSamples => samples.Length;

    /// <summary>The number of samples in <paramref name="delaySeconds"/> at <paramref name="stepSeconds"/>, rounded to the nearest; throws naming <paramref name="parameterName"/> when it is no delay or too long.</summary>
    public static int LengthFor(double delaySeconds, double stepSeconds, string parameterName)
    {
        if (!double.IsFinite(delaySeconds) || delaySeconds < 0)
        {
            throw new ArgumentException($"{parameterName} must be zero or positive and finite, is {delaySeconds}", parameterName);
        }

        var length = Math.Round(delaySeconds / stepSeconds);
        if (!(length <= LengthMax))
        {
            throw new ArgumentException($"{parameterName} of {delaySeconds} s is {length} steps of {stepSeconds} s, more than the {LengthMax} a delay may hold", parameterName);
        }

        return (int)length;
    }

    /// <summary>Puts <paramref name="value"/> in and returns the value put in <see cref="LengthSamples"/> shifts ago.</summary>
    public double Shift(double value)
    {
        if (samples.Length == 0)
        {
            return value;
        }

        var oldest = samples[next];
        samples[next] = value;
        next = next + 1 == samples.Length ? 0 : next + 1;
        return oldest;
    }
}
