using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Rt.Faults;

namespace Neokernel.Rt.Simulation.Faults;

/// <summary>
/// The region faults: the kernel hands each publish of a targeted region's writer through a
/// filter (<see cref="IRegionPublishFilter"/>) before readers see it. Stale withholds the
/// publish (or the point), so readers keep the last values and the kernel's staleness turns them
/// Uncertain as they age; corrupt puts the fault's value in place of what the writer published.
/// The writer is not changed and is not told: its own staging stays what it wrote.
/// </summary>
public sealed partial class SimulationFaults
{
    private readonly HashSet<string> regionTargets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RegionFilter> regionFilters = new(StringComparer.Ordinal);

    /// <summary>The filter between <paramref name="region"/>'s writer and its readers; null when no fault targets it. Control plane.</summary>
    public IRegionPublishFilter? RegionFilterFor(string region, IReadOnlyList<string> pointNames)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(pointNames);
        if (regionFilters.TryGetValue(region, out var made))
        {
            return made;
        }

        var lists = new List<List<int>>();
        var points = new int[injections.Count];
        for (var i = 0; i < injections.Count; i++)
        {
            var target = FaultTarget.Of(injections[i].Target);
            if (injections[i].Descriptor.Target != FaultTargetKind.Region || !string.Equals(target.Name, region, StringComparison.Ordinal))
            {
                continue;
            }

            points[i] = target.Part is null ? -1 : IndexOf(pointNames, target.Part, injections[i]);
            var list = activeByTarget[injections[i].Target];
            if (!lists.Contains(list))
            {
                lists.Add(list);
            }
        }

        if (lists.Count == 0)
        {
            return null;
        }

        var filter = new RegionFilter(this, [.. lists], points);
        regionFilters.Add(region, filter);
        return filter;
    }

    private static int IndexOf(IReadOnlyList<string> pointNames, string point, FaultInjection injection)
    {
        for (var i = 0; i < pointNames.Count; i++)
        {
            if (string.Equals(pointNames[i], point, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{injection}: the region has no point '{point}'; its points are {string.Join(", ", pointNames)} (check the schedule against the system first)");
    }

    /// <summary>One region's publishes under its faults. <c>points</c>: by injection, the point it targets (-1: every point).</summary>
    private sealed class RegionFilter(SimulationFaults faults, List<int>[] active, int[] points) : IRegionPublishFilter
    {
        public bool Acting => AnyActive(active);

        /// <summary>Stale of the whole region withholds the publish; corrupt values go in next, then stale points keep what readers had.</summary>
        public bool Filter(RegionPublish publish)
        {
            foreach (var list in active)
            {
                foreach (var index in list)
                {
                    if (faults.injections[index].Kind == FaultKind.RegionStale && points[index] < 0)
                    {
                        return false;
                    }
                }
            }

            foreach (var list in active)
            {
                foreach (var index in list)
                {
                    var injection = faults.injections[index];
                    if (injection.Kind == FaultKind.RegionCorrupt)
                    {
                        Corrupt(publish, points[index], injection.Value); // NaN when the schedule gives none
                    }
                }
            }

            foreach (var list in active)
            {
                foreach (var index in list)
                {
                    if (faults.injections[index].Kind == FaultKind.RegionStale)
                    {
                        publish.Withhold(points[index]);
                    }
                }
            }

            return true;
        }

        private static void Corrupt(RegionPublish publish, int point, double value)
        {
            if (point >= 0)
            {
                publish.SetValue(point, value);
                return;
            }

            for (var i = 0; i < publish.PointCount; i++)
            {
                publish.SetValue(i, value);
            }
        }
    }
}
