using System.Globalization;
using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Cli;

/// <summary>One point of the process image as a display shows it.</summary>
internal readonly record struct PointStatus(string Region, string Point, double Value, Quality Quality);

/// <summary>
/// What the live display shows, captured at one instant on the kernel's thread. <c>Collections</c>:
/// per isolated service with a running process, what that process collected after its service started.
/// </summary>
internal sealed record StatusFrame(long TimeNs, IReadOnlyList<ServiceStatus> Services, IReadOnlyList<PointStatus> Points, IReadOnlyDictionary<string, ProcessCollections> Collections)
{
    /// <summary>Points of the process image left out of <see cref="Points"/>, beyond <see cref="StatusBoard.PointsShownMax"/>.</summary>
    public int PointsNotShown { get; init; }

    /// <summary>Faults struck live (<c>neokernel fault inject</c>) and what became of their services, the latest last.</summary>
    public IReadOnlyList<Rt.Linux.Faults.LiveInjectionStatus> Injections { get; init; } = [];
}

/// <summary>
/// Captures the kernel's status on the event-loop thread every <see cref="IntervalNs"/> and
/// publishes it as an immutable frame, so a display thread reads it without touching the
/// kernel. Control plane: a frame allocates, a few times a second.
/// </summary>
internal sealed class StatusBoard(SystemKernel kernel, CollectionLedger? collections = null) : ITimerCallback
{
    public const long IntervalNs = 250_000_000;

    private IPlatformTimer? timer;
    private StatusFrame? latest;

    public StatusFrame? Latest => Volatile.Read(ref latest);

    /// <summary>The live injections at a time, captured with each frame on the kernel's thread; none when null.</summary>
    public Func<long, IReadOnlyList<Rt.Linux.Faults.LiveInjectionStatus>>? Injections { get; init; }

    public void Start(IPlatform platform)
    {
        timer = platform.CreateTimer(this);
        timer.ArmAt(platform.Clock.NowNs);
    }

    public void OnTimer(long nowNs)
    {
        var frame = Capture(kernel, nowNs, collections);
        Volatile.Write(ref latest, Injections is null ? frame : frame with { Injections = Injections(nowNs) });
        timer!.ArmAt(nowNs + IntervalNs);
    }

    /// <summary>One line: every service's state (an isolated one's with its process's collections after start, <c>(gc 0)</c>), then the process image.</summary>
    public static string StatusLine(StatusFrame frame)
    {
        var services = string.Join(" ", frame.Services.Select(s => $"{s.Id}:{s.State}{(s.Restarts > 0 ? $"(restarts {s.Restarts})" : "")}{(s.InSafeState ? "(safe)" : "")}{CollectionsTag(frame, s.Id)}"));
        return $"{services} | {PointsLine(frame)}";
    }

    /// <summary>The collections of a service's process after its start, e.g. <c>0</c> or <c>3 (gen0 3, gen1 1, gen2 0)</c>; empty for a service in the kernel's process.</summary>
    public static string Collections(ProcessCollections counts) =>
        counts.Collections == 0 ? "0" : $"{counts.Collections} (gen0 {counts.Gen0}, gen1 {counts.Gen1}, gen2 {counts.Gen2})";

    private static string CollectionsTag(StatusFrame frame, string serviceId) =>
        frame.Collections.TryGetValue(serviceId, out var counts) ? $"(gc {Collections(counts)})" : "";

    /// <summary>A display shows the first this many points of the process image (a benchmark's 10,000 would drown it) and counts the rest.</summary>
    public const int PointsShownMax = 64;

    /// <summary>The process image: region.point=value, with the quality where it is not good.</summary>
    public static string PointsLine(StatusFrame frame) =>
        string.Join(" ", frame.Points.Select(p => $"{p.Region}.{p.Point}={Format.Number(p.Value, "0.000")}{(p.Quality == Quality.Good ? "" : "(" + p.Quality.ToString().ToLowerInvariant() + ")")}"))
        + (frame.PointsNotShown > 0 ? $" ... and {frame.PointsNotShown.ToString(CultureInfo.InvariantCulture)} more points" : "");

    public static StatusFrame Capture(SystemKernel kernel, long nowNs, CollectionLedger? collections = null)
    {
        var points = new List<PointStatus>();
        var notShown = 0;
        foreach (var region in kernel.Regions.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var snapshot = new RegionSnapshot(region.PointCount);
            if (!kernel.TryInspect(region, snapshot))
            {
                continue;
            }

            var shown = Math.Min(region.PointCount, PointsShownMax - points.Count);
            for (var i = 0; i < shown; i++)
            {
                points.Add(new PointStatus(region.Name, region.PointNames[i], snapshot.Value(i), snapshot.Quality(i)));
            }

            notShown += region.PointCount - shown;
        }

        return new StatusFrame(nowNs, kernel.CaptureStatus(), points, collections?.Running ?? new Dictionary<string, ProcessCollections>()) { PointsNotShown = notShown };
    }
}
