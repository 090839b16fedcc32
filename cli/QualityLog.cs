using System.Globalization;
using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Cli;

/// <summary>One quality change of a region point, as the kernel's process saw it.</summary>
internal readonly record struct QualityTransition(long ObservedNs, int Region, int Point, Quality Quality, long SourceNs, long Sequence);

/// <summary>
/// <c>neokernel run --quality-log FILE</c>: watches every point of every region from the event-loop
/// thread every <see cref="IntervalNs"/> and keeps each change of quality (when it was seen, the
/// point, the new quality and the point's source timestamp) in a preallocated ring, written to the
/// file when the run ends. It is how a benchmark outside the process learns when a restarted
/// driver's first good sample came: that sample's source timestamp is stamped by the driver on the
/// kernel's clock origin, so the watch only has to see each sample, not be on time for it; a driver
/// that publishes every 10 ms, as the demo's do, cannot slip a sample past a watch every
/// millisecond unless the event loop stalls, and the region's publish sequence, logged with each
/// change, shows whether it did (each publish adds 2). The watch copies region snapshots into
/// preallocated buffers and allocates nothing.
/// </summary>
internal sealed class QualityLog : ITimerCallback
{
    public const long IntervalNs = 1_000_000;

    /// <summary>Transitions kept; past it the oldest are overwritten and the file says how many.</summary>
    public const int CapacityDefault = 65_536;

    private const byte NotSeen = 0xFF;

    private readonly Region[] regions;
    private readonly RegionSnapshot[] snapshots;
    private readonly byte[][] lastQuality;
    private readonly QualityTransition[] ring;
    private readonly SystemKernel kernel;
    private IPlatformTimer? timer;
    private long count;

    /// <summary>Watches the regions <paramref name="kernel"/> has created: make it after Boot.</summary>
    public QualityLog(SystemKernel kernel, int capacity = CapacityDefault)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.kernel = kernel;
        regions = [.. kernel.Regions.OrderBy(r => r.Name, StringComparer.Ordinal)];
        snapshots = [.. regions.Select(r => new RegionSnapshot(r.PointCount))];
        lastQuality = [.. regions.Select(r => Enumerable.Repeat(NotSeen, r.PointCount).ToArray())];
        ring = new QualityTransition[capacity];
    }

    /// <summary>Transitions seen since the start, kept or not.</summary>
    public long Count => Volatile.Read(ref count);

    public void Start(IPlatform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        timer = platform.CreateTimer(this);
        timer.ArmAt(platform.Clock.NowNs);
    }

    /// <summary>One look at every point. Allocation-free.</summary>
    public void OnTimer(long nowNs)
    {
        for (var r = 0; r < regions.Length; r++)
        {
            var snapshot = snapshots[r];
            if (!kernel.TryInspect(regions[r], snapshot))
            {
                continue;
            }

            var last = lastQuality[r];
            for (var p = 0; p < last.Length; p++)
            {
                var quality = snapshot.Quality(p);
                if ((byte)quality != last[p])
                {
                    last[p] = (byte)quality;
                    ring[(int)(count % ring.Length)] = new QualityTransition(nowNs, r, p, quality, snapshot.TimestampNs(p), snapshot.Sequence);
                    Volatile.Write(ref count, count + 1);
                }
            }
        }

        timer!.ArmAt(nowNs + IntervalNs);
    }

    /// <summary>The kept transitions, oldest first. Control plane: call when the event loop has stopped.</summary>
    public IReadOnlyList<QualityTransition> Transitions()
    {
        var kept = (int)Math.Min(count, ring.Length);
        var first = count - kept;
        return [.. Enumerable.Range(0, kept).Select(i => ring[(int)((first + i) % ring.Length)])];
    }

    public string PointName(QualityTransition transition) =>
        $"{regions[transition.Region].Name}.{regions[transition.Region].PointNames[transition.Point]}";

    /// <summary>
    /// Writes the transitions with every time on CLOCK_MONOTONIC (platform time plus
    /// <paramref name="originNs"/>), the clock a benchmark reads when it kills a process.
    /// </summary>
    public void Write(TextWriter writer, long originNs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var transitions = Transitions();
        writer.WriteLine("# neokernel run --quality-log: each quality change of a region point, as the kernel's process saw it");
        writer.WriteLine(Inv($"# clock CLOCK_MONOTONIC, ns; origin-ns {originNs} (platform time zero: trace tNs + origin-ns = CLOCK_MONOTONIC)"));
        writer.WriteLine(Inv($"# watched every {IntervalNs / 1_000} us; {count - transitions.Count} older transitions dropped"));
        writer.WriteLine("# observed-ns point quality source-ns region-sequence (each publish of the region adds 2)");
        foreach (var t in transitions)
        {
            writer.WriteLine(Inv($"{originNs + t.ObservedNs} {PointName(t)} {t.Quality} {originNs + t.SourceNs} {t.Sequence}"));
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
