using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>
/// The release grid every cyclic executor follows: phase + k × period on the platform clock,
/// never drifting, and where the next release falls after an overrun under each policy.
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

    /// <summary>After a cycle that ended at <paramref name="endNs"/> past its deadline: catch-up runs the next release at once, skip and fault drop the missed ones.</summary>
    public static long AfterOverrun(CyclicTaskSpec spec, long releaseNs, long endNs) =>
        spec.OverrunPolicy == OverrunPolicy.CatchUp ? releaseNs + spec.PeriodNs : FirstReleaseAfter(spec, endNs);
}
