using Neokernel.Kernel.Regions;

namespace Neokernel.Hil.Plants;

/// <summary>A simulated instrument's output: the value and how far to trust it.</summary>
public readonly record struct SignalReading(double Value, Quality Quality);

/// <summary>One stage of a simulated sensor or actuator: takes a finite sample, returns the next.</summary>
public interface ISignalStage
{
    /// <summary>One sample, <paramref name="dtSeconds"/> after the previous one.</summary>
    double Process(double value, double dtSeconds);
}

/// <summary>
/// A simulated sensor or actuator as a chain of stages, in the order given: in front of a model it
/// is an actuator (command → saturation → slew → delay → model input), behind it a sensor
/// (model output → delay → bias → noise → quantization → saturation). Each sample passes every
/// stage once, without allocation. A sample that is no number, or that a stage turns into none,
/// stops there: the chain holds its last output and grades it Bad (a broken signal line), and no
/// later stage sees it. A sample that a <see cref="SaturationStage"/> had to clamp is Uncertain, as
/// a transmitter at the end of its range is.
/// </summary>
public sealed class SignalChain
{
    /// <summary>A longer chain is a configuration error: six kinds of stage exist.</summary>
    public const int StagesMax = 16;

    private readonly ISignalStage[] stages;
    private readonly SaturationStage[] saturations;

    /// <param name="initialValue">What the chain holds before its first good sample; within every saturation's limits.</param>
    /// <param name="stages">The stages, first to last.</param>
    public SignalChain(double initialValue, params ISignalStage[] stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        if (stages.Length > StagesMax)
        {
            throw new ArgumentOutOfRangeException(nameof(stages), stages.Length, $"a chain has at most {StagesMax} stages");
        }

        if (Array.IndexOf(stages, null) >= 0)
        {
            throw new ArgumentException("a chain's stages must not be null", nameof(stages));
        }

        this.stages = (ISignalStage[])stages.Clone();
        saturations = this.stages.OfType<SaturationStage>().ToArray();
        foreach (var saturation in saturations)
        {
            if (!double.IsFinite(initialValue) || initialValue < saturation.Min || initialValue > saturation.Max)
            {
                throw new ArgumentOutOfRangeException(nameof(initialValue), initialValue, $"must be within the saturation {saturation.Min}..{saturation.Max}");
            }
        }

        Last = new SignalReading(initialValue, Quality.Good);
    }

    /// <summary>The last output.</summary>
    public SignalReading Last { get; private set; }

    /// <summary>One sample through every stage.</summary>
    public SignalReading Process(double value, double dtSeconds)
    {
        foreach (var stage in stages)
        {
            if (!double.IsFinite(value))
            {
                break;
            }

            value = stage.Process(value, dtSeconds);
        }

        if (!double.IsFinite(value))
        {
            Last = Last with { Quality = Quality.Bad };
            return Last;
        }

        var quality = Quality.Good;
        foreach (var saturation in saturations)
        {
            if (saturation.Clamped)
            {
                quality = Quality.Uncertain;
            }
        }

        Last = new SignalReading(value, quality);
        return Last;
    }
}
