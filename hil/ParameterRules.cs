namespace Neokernel.Hil;

/// <summary>
/// The checks a plant's parameters record makes in its Validate(): each throws
/// <see cref="ArgumentException"/> naming the parameter, its value and what is allowed. Kept out of
/// the records so that every model says the same thing in the same words.
/// </summary>
internal static class ParameterRules
{
    public static void Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentException($"{name} must be positive and finite, is {value}", name);
        }
    }

    public static void NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentException($"{name} must be zero or positive and finite, is {value}", name);
        }
    }

    public static void Within(double value, double min, double max, string name)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            throw new ArgumentException($"{name} must be within {min}..{max}, is {value}", name);
        }
    }

    /// <summary>A temperature of a thermal model: above absolute zero and short of a typing error.</summary>
    public static void Temperature(double value, string name) =>
        Within(value, Plants.HeatedTankParameters.TemperatureMinCelsius, Plants.HeatedTankParameters.TemperatureMaxCelsius, name);
}
