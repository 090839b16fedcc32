using Neokernel.Kernel.Services;

namespace Neokernel.Controllers;

/// <summary>Reading what a service's manifest says, with errors that name the service and the parameter.</summary>
internal static class ServiceSettings
{
    /// <summary>A parameter the program cannot run without.</summary>
    public static string RequiredString(IServiceContext context, string name)
    {
        var value = context.Parameters.GetString(name, "");
        if (value.Length == 0)
        {
            throw new ServiceConfigurationException(context.ServiceId, name, "is required");
        }

        return value;
    }

    /// <summary>The cyclic period the manifest grants, in seconds: the sample time the algorithms integrate over.</summary>
    public static double PeriodSeconds(IServiceContext context)
    {
        var periodUs = context.Manifest.Timing?.PeriodUs ?? 0;
        if (periodUs <= 0)
        {
            throw new ServiceConfigurationException(context.ServiceId, "timing.periodUs", "a cyclic program needs a timing section with a positive period");
        }

        return periodUs / 1_000_000.0;
    }

    /// <summary>Index of <paramref name="point"/> in a region, or a configuration error naming the parameter that chose it.</summary>
    public static int PointIndex(IServiceContext context, Kernel.Regions.Region region, string parameter, string point)
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
}
