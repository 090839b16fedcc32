namespace Neokernel.Hil;

/// <summary>
/// Limits how fast a value may change, as a pump's drive ramps its speed: the output moves toward
/// the target by at most rate · dt per step. A rate of 0 means no limit.
/// </summary>
public sealed class SlewRateLimiter
{
    public SlewRateLimiter(double ratePerSecond, double initialValue)
    {
        if (!double.IsFinite(ratePerSecond) || ratePerSecond < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "must be zero (no limit) or positive");
        }

        if (!double.IsFinite(initialValue))
        {
            throw new ArgumentOutOfRangeException(nameof(initialValue), initialValue, "must be finite");
        }

        RatePerSecond = ratePerSecond;
        Value = initialValue;
    }

    public double RatePerSecond { get; }

    public double Value { get; private set; }

    /// <summary>Moves toward <paramref name="target"/> for <paramref name="dtSeconds"/>; returns the new value.</summary>
    public double Step(double target, double dtSeconds)
    {
        if (!double.IsFinite(target))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "must be finite");
        }

        if (!double.IsFinite(dtSeconds) || dtSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, "must be zero or positive and finite");
        }

        if (RatePerSecond == 0)
        {
            Value = target;
            return Value;
        }

        var maxChange = RatePerSecond * dtSeconds;
        Value += Math.Clamp(target - Value, -maxChange, maxChange);
        return Value;
    }
}
