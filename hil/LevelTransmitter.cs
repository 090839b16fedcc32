using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Hil;

/// <summary>A transmitter's reading: the value it publishes and how far to trust it.</summary>
public readonly record struct LevelReading(double LevelMeters, Quality Quality);

/// <summary>
/// The signal conditioning of a level transmitter, without the kernel: the true level plus
/// Gaussian noise, quantised to the converter's step, clamped to the calibrated range. A reading
/// the transmitter had to clamp is Uncertain (the true value lies beyond what it can say); a
/// level that is no number at all is Bad. Exact arithmetic only (Math.Round is exact), so a seed
/// gives the same readings on every CPU.
/// </summary>
public sealed class LevelTransmitter
{
    public LevelTransmitter(double noiseStdDevMeters, double quantizationMeters, double rangeMinMeters, double rangeMaxMeters)
    {
        if (!double.IsFinite(noiseStdDevMeters) || noiseStdDevMeters < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(noiseStdDevMeters), noiseStdDevMeters, "must be zero or positive");
        }

        if (!double.IsFinite(quantizationMeters) || quantizationMeters < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(quantizationMeters), quantizationMeters, "must be zero (none) or positive");
        }

        if (!double.IsFinite(rangeMinMeters) || !double.IsFinite(rangeMaxMeters) || rangeMinMeters >= rangeMaxMeters)
        {
            throw new ArgumentException($"the range {rangeMinMeters}..{rangeMaxMeters} must be finite and not empty", nameof(rangeMinMeters));
        }

        NoiseStdDevMeters = noiseStdDevMeters;
        QuantizationMeters = quantizationMeters;
        RangeMinMeters = rangeMinMeters;
        RangeMaxMeters = rangeMaxMeters;
    }

    public double NoiseStdDevMeters { get; }

    public double QuantizationMeters { get; }

    public double RangeMinMeters { get; }

    public double RangeMaxMeters { get; }

    /// <summary>One reading; draws one Gaussian from <paramref name="random"/> when there is noise, none otherwise.</summary>
    public LevelReading Measure(double trueLevelMeters, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var noiseMeters = NoiseStdDevMeters > 0 ? NoiseStdDevMeters * random.NextGaussian() : 0.0;
        return Condition(trueLevelMeters, noiseMeters);
    }

    /// <summary>The deterministic part: adds <paramref name="noiseMeters"/>, quantises, clamps, grades.</summary>
    public LevelReading Condition(double trueLevelMeters, double noiseMeters)
    {
        if (!double.IsFinite(trueLevelMeters) || !double.IsFinite(noiseMeters))
        {
            return new LevelReading(RangeMinMeters, Quality.Bad);
        }

        var level = Quantize(trueLevelMeters + noiseMeters);
        if (level < RangeMinMeters || level > RangeMaxMeters)
        {
            return new LevelReading(Math.Clamp(level, RangeMinMeters, RangeMaxMeters), Quality.Uncertain);
        }

        return new LevelReading(level, Quality.Good);
    }

    private double Quantize(double levelMeters) => Plants.QuantizationStage.Quantize(levelMeters, QuantizationMeters);
}
