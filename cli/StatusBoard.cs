using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Cli;

/// <summary>One point of the process image as a display shows it.</summary>
internal readonly record struct PointStatus(string Region, string Point, double Value, Quality Quality);

/// <summary>What the live display shows, captured at one instant on the kernel's thread.</summary>
internal sealed record StatusFrame(long TimeNs, IReadOnlyList<ServiceStatus> Services, IReadOnlyList<PointStatus> Points);

/// <summary>
/// Captures the kernel's status on the event-loop thread every <see cref="IntervalNs"/> and
/// publishes it as an immutable frame, so a display thread reads it without touching the
/// kernel. Control plane: a frame allocates, a few times a second.
/// </summary>
internal sealed class StatusBoard(SystemKernel kernel) : ITimerCallback
{
    public const long IntervalNs = 250_000_000;

    private IPlatformTimer? timer;
    private StatusFrame? latest;

    public StatusFrame? Latest => Volatile.Read(ref latest);

    public void Start(IPlatform platform)
    {
        timer = platform.CreateTimer(this);
        timer.ArmAt(platform.Clock.NowNs);
    }

    public void OnTimer(long nowNs)
    {
        Volatile.Write(ref latest, Capture(kernel, nowNs));
        timer!.ArmAt(nowNs + IntervalNs);
    }

    /// <summary>One line: every service's state, then the process image.</summary>
    public static string StatusLine(StatusFrame frame)
    {
        var services = string.Join(" ", frame.Services.Select(s => $"{s.Id}:{s.State}{(s.Restarts > 0 ? $"(restarts {s.Restarts})" : "")}{(s.InSafeState ? "(safe)" : "")}"));
        return $"{services} | {PointsLine(frame)}";
    }

    /// <summary>The process image: region.point=value, with the quality where it is not good.</summary>
    public static string PointsLine(StatusFrame frame) =>
        string.Join(" ", frame.Points.Select(p => $"{p.Region}.{p.Point}={Format.Number(p.Value, "0.000")}{(p.Quality == Quality.Good ? "" : "(" + p.Quality.ToString().ToLowerInvariant() + ")")}"));

    public static StatusFrame Capture(SystemKernel kernel, long nowNs)
    {
        var points = new List<PointStatus>();
        foreach (var region in kernel.Regions.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var snapshot = new RegionSnapshot(region.PointCount);
            if (!kernel.TryInspect(region, snapshot))
            {
                continue;
            }

            for (var i = 0; i < region.PointCount; i++)
            {
                points.Add(new PointStatus(region.Name, region.PointNames[i], snapshot.Value(i), snapshot.Quality(i)));
            }
        }

        return new StatusFrame(nowNs, kernel.CaptureStatus(), points);
    }
}
