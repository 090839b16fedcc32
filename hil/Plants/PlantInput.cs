namespace Neokernel.Hil.Plants;

/// <summary>The check of an input a caller sets on a model: a command outside its range is the caller's bug, said at once.</summary>
internal static class PlantInput
{
    public static double InRange(double value, double min, double max, string rule) =>
        double.IsFinite(value) && value >= min && value <= max ? value : throw new ArgumentOutOfRangeException(nameof(value), value, rule);
}
