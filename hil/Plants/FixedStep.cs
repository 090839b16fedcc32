namespace Neokernel.Hil.Plants;

/// <summary>
/// The integration step a plant model was configured for. A model advances only in whole steps of
/// this length: its discretisation (an exponential, a dead time's ring buffer) was computed for
/// it, so a call to Step(dt) must cover a whole number of them, and a dt that is not a multiple is
/// the caller's configuration error, not something to round away silently.
/// </summary>
public readonly record struct FixedStep
{
    /// <summary>More steps than this in one call is a configuration error, not a simulation.</summary>
    public const long StepsPerCallMax = 10_000_000;

    /// <summary>How far (relative) a dt may lie from a whole multiple of the step: a period in ns converted to seconds is not exact.</summary>
    public const double MultipleToleranceRelative = 1e-9;

    public FixedStep(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "the integration step must be positive and finite");
        }

        Seconds = seconds;
    }

    public double Seconds { get; }

    /// <summary>The number of steps in <paramref name="dtSeconds"/>, which must be a whole multiple of the step (0 included).</summary>
    public long StepsIn(double dtSeconds)
    {
        if (!double.IsFinite(dtSeconds) || dtSeconds < 0)
        {
            ThrowNotAStepMultiple(dtSeconds, "must be zero or positive and finite");
        }

        var steps = Math.Round(dtSeconds / Seconds);
        if (Math.Abs((steps * Seconds) - dtSeconds) > MultipleToleranceRelative * Math.Max(dtSeconds, Seconds))
        {
            ThrowNotAStepMultiple(dtSeconds, "must be a whole multiple of the model's fixed step");
        }

        if (steps > StepsPerCallMax)
        {
            ThrowNotAStepMultiple(dtSeconds, "needs more steps than StepsPerCallMax in one call");
        }

        return (long)steps;
    }

    private static void ThrowNotAStepMultiple(double dtSeconds, string rule) =>
        throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, rule);
}
