using Neokernel.Kernel.Platform;

namespace Neokernel.Hil.Plants;

/// <summary>A constant offset, as a miscalibrated transmitter adds: value + bias.</summary>
public sealed class BiasStage : ISignalStage
{
    public BiasStage(double bias)
    {
        if (!double.IsFinite(bias))
        {
            throw new ArgumentOutOfRangeException(nameof(bias), bias, "must be finite");
        }

        Bias = bias;
    }

    public double Bias { get; }

    public double Process(double value, double dtSeconds) => value + Bias;
}

/// <summary>
/// Gaussian measurement noise of a given standard deviation, from the stream it was given (a
/// service's <c>context.Random</c> or a fork of it, a test's seeded one): never shared state nor the
/// clock, so a seed gives the same noise on every CPU. One draw per sample when there is noise.
/// </summary>
public sealed class NoiseStage : ISignalStage
{
    private readonly DeterministicRandom random;

    public NoiseStage(double standardDeviation, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!double.IsFinite(standardDeviation) || standardDeviation < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "must be zero or positive and finite");
        }

        StandardDeviation = standardDeviation;
        this.random = random;
    }

    public double StandardDeviation { get; }

    public double Process(double value, double dtSeconds) =>
        StandardDeviation > 0 ? value + (StandardDeviation * random.NextGaussian()) : value;
}

/// <summary>A converter's resolution: the value rounded to the nearest whole step (Math.Round is exact); a step of 0 is none.</summary>
public sealed class QuantizationStage : ISignalStage
{
    public QuantizationStage(double step)
    {
        if (!double.IsFinite(step) || step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "must be zero (none) or positive and finite");
        }

        Step = step;
    }

    public double Step { get; }

    /// <summary>The rounding itself, shared with <see cref="LevelTransmitter"/>.</summary>
    public static double Quantize(double value, double step) =>
        step > 0 ? Math.Round(value / step) * step : value;

    public double Process(double value, double dtSeconds) => Quantize(value, Step);
}

/// <summary>The range of an instrument: values beyond it are clamped, and the chain grades them Uncertain.</summary>
public sealed class SaturationStage : ISignalStage
{
    public SaturationStage(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max)
        {
            throw new ArgumentException($"the saturation {min}..{max} must be finite and not empty", nameof(min));
        }

        Min = min;
        Max = max;
    }

    public double Min { get; }

    public double Max { get; }

    /// <summary>True when the last sample lay outside the range.</summary>
    public bool Clamped { get; private set; }

    public double Process(double value, double dtSeconds)
    {
        Clamped = value < Min || value > Max;
        return Math.Clamp(value, Min, Max);
    }
}

/// <summary>A rate limit, as a drive's ramp or a stem's travel: <see cref="SlewRateLimiter"/> as a stage.</summary>
public sealed class SlewStage : ISignalStage
{
    private readonly SlewRateLimiter limiter;

    public SlewStage(double ratePerSecond, double initialValue)
    {
        limiter = new SlewRateLimiter(ratePerSecond, initialValue);
    }

    public double RatePerSecond => limiter.RatePerSecond;

    public double Process(double value, double dtSeconds) => limiter.Step(value, dtSeconds);
}

/// <summary>
/// A transport delay (a sample line, a slow fieldbus): each sample comes out a fixed number of
/// samples later, delay / step rounded to the nearest, from a <see cref="DelayLine"/>. It is sized
/// for one sample period, so a sample at another period is refused rather than delayed wrongly.
/// </summary>
public sealed class DelayStage : ISignalStage
{
    private readonly DelayLine line;
    private readonly FixedStep fixedStep;

    public DelayStage(double delaySeconds, double stepSeconds, double initialValue)
    {
        fixedStep = new FixedStep(stepSeconds);
        line = new DelayLine(DelayLine.LengthFor(delaySeconds, stepSeconds, nameof(delaySeconds)), initialValue);
    }

    public double DelayEffectiveSeconds => line.LengthSamples * fixedStep.Seconds;

    public double Process(double value, double dtSeconds)
    {
        if (fixedStep.StepsIn(dtSeconds) != 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, "a delay stage takes one sample per configured step");
        }

        return line.Shift(value);
    }
}
