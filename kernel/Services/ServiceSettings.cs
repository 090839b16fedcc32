using Neokernel.Kernel.Regions;

namespace Neokernel.Kernel.Services;

/// <summary>
/// Reading what a service's manifest says, for programs: every error names the service and the
/// parameter, so a wrong manifest is fixed from the message alone. Control plane.
/// </summary>
public static class ServiceSettings
{
    /// <summary>A text parameter the program cannot run without: declared required, so validated present; empty text is refused here.</summary>
    public static string RequiredString(IServiceContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        var value = context.Parameters.Text(name);
        if (value.Length == 0)
        {
            throw new ServiceConfigurationException(context.ServiceId, name, "must not be empty");
        }

        return value;
    }

    /// <summary>The cyclic period the manifest grants, in seconds: the step the models integrate over.</summary>
    public static double PeriodSeconds(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var periodUs = context.Spec.Timing?.PeriodUs ?? 0;
        if (periodUs <= 0)
        {
            throw new ServiceConfigurationException(context.ServiceId, "timing.periodUs", "a cyclic program needs a timing section with a positive period");
        }

        return periodUs / 1_000_000.0;
    }

    /// <summary>Index of <paramref name="point"/> in a region, or a configuration error naming the parameter that chose it.</summary>
    public static int PointIndex(IServiceContext context, Region region, string parameter, string point)
    {
        if (!region.HasPoint(point))
        {
            throw new ServiceConfigurationException(
                context.ServiceId,
                parameter,
                $"region '{region.Name}' has no point '{point}'; it has: {string.Join(", ", region.PointNames)}");
        }

        return region.IndexOf(point);
    }

    /// <summary>
    /// Runs a plain class's validation and turns its <see cref="ArgumentException"/> into a
    /// configuration error; member names map to parameter names by lower-casing the first letter.
    /// </summary>
    public static T Checked<T>(IServiceContext context, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException exception)
        {
            var member = exception.ParamName ?? "parameters";
            var parameter = string.Concat(member[..1].ToLowerInvariant(), member[1..]);
            throw new ServiceConfigurationException(context.ServiceId, parameter, exception.Message);
        }
    }
}
