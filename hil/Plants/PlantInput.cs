namespace Neokernel.Hil.Plants;

/// <summary>The check of an input a caller sets on a model: a command outside its range is the caller's bug, said at once.</summary>
internal static class PlantInput
{
    public static double InRange(double value, double min, double max, string rule) =>
        double.IsFinite(value) && value >= min && value <= max ? value : throw new ArgumentOutOfRangeException(nameof(value), value, rule);

    /// <summary>A heater command of the thermal models: 0..100 % of their maximum power.</summary>
    public static double HeaterPercent(double value) => InRange(value, 0, 100, "the heater command is 0..100 %");

    /// <summary>An ambient temperature of the thermal models, a disturbance input.</summary>
    public static double AmbientCelsius(double value) =>
        InRange(value, HeatedTankParameters.TemperatureMinCelsius, HeatedTankParameters.TemperatureMaxCelsius, "the ambient is a temperature above absolute zero");
}
