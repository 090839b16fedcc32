using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>
/// The release grid every cyclic executor follows: phase + k × period on the platform clock,
/// never drifting. Where the next release falls after an overrun is <see cref="OverrunStep"/>'s.
/// </summary>
internal static class ReleaseGrid
{
    public static void CheckStart(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(observer);
        if (spec.PeriodNs <= 0)
        {
            throw new ArgumentException($"service '{spec.ServiceId}': period must be positive", nameof(spec));
        }
    }

    /// <summary>The first point of the grid phase + k × period strictly after <paramref name="nowNs"/>.</summary>
    public static long FirstReleaseAfter(CyclicTaskSpec spec, long nowNs)
    {
        var phase = spec.PhaseNs % spec.PeriodNs;
        if (nowNs < phase)
        {
            return phase;
        }

        var k = ((nowNs - phase) / spec.PeriodNs) + 1;
        return phase + (k * spec.PeriodNs);
    }
}
