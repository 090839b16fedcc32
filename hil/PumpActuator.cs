using Neokernel.Kernel.Regions;

namespace Neokernel.Hil;

/// <summary>
/// A pump drive without the kernel: takes the controller's command (0..100 %), falls back to the
/// safe output when the command is Bad or no number, clamps to 0..100 and ramps at the slew limit.
/// Starts at the safe output: a drive powers up in its safe state, not at a stale command.
/// </summary>
public sealed class PumpActuator
{
    public const double OutputMinPercent = 0.0;
    public const double OutputMaxPercent = 100.0;

    private readonly SlewRateLimiter limiter;

    public PumpActuator(double slewPercentPerSecond, double safeOutputPercent)
    {
        if (!double.IsFinite(safeOutputPercent) || safeOutputPercent < OutputMinPercent || safeOutputPercent > OutputMaxPercent)
        {
            throw new ArgumentOutOfRangeException(nameof(safeOutputPercent), safeOutputPercent, "must be within 0..100 %");
        }

        SafeOutputPercent = safeOutputPercent;
        limiter = new SlewRateLimiter(slewPercentPerSecond, safeOutputPercent);
    }

    public double SafeOutputPercent { get; }

    public double SlewPercentPerSecond => limiter.RatePerSecond;

    public double OutputPercent => limiter.Value;

    /// <summary>True while the last command was unusable and the drive heads for the safe output.</summary>
    public bool InSafeState { get; private set; } = true;

    /// <summary>One cycle: returns the speed command for the pump.</summary>
    public double Step(double commandPercent, Quality commandQuality, double dtSeconds)
    {
        InSafeState = commandQuality == Quality.Bad || !double.IsFinite(commandPercent);
        var target = InSafeState ? SafeOutputPercent : Math.Clamp(commandPercent, OutputMinPercent, OutputMaxPercent);
        return Math.Clamp(limiter.Step(target, dtSeconds), OutputMinPercent, OutputMaxPercent);
    }
}
