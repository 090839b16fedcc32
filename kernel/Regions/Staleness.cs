using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;

namespace Neokernel.Kernel.Regions;

/// <summary>
/// When a point reads as stale. Judged on the reader's side, at each read: a Good point whose
/// source timestamp is older than <see cref="StalePeriods"/> of its writer's periods (at least
/// <see cref="StaleAfterNsMin"/>) reads as Uncertain in the reader's snapshot, whatever state the
/// writer is in: running but hung, stopped by a signal, or slow. The shared region is not touched,
/// so every reader judges for itself against the same clock (an isolated child's clock has the
/// kernel's origin), and on virtual time the judgement is as deterministic as the clock. A writer
/// without a cyclic task has no period to judge by, so its points are never judged stale.
/// </summary>
internal readonly struct Staleness
{
    /// <summary>N: a point not refreshed for this many of its writer's periods reads as Uncertain.</summary>
    public const int StalePeriods = 3;

    /// <summary>
    /// The least age that counts as stale, whatever the period: the floor of the default heartbeat
    /// timeout, so that a fast writer's scheduling jitter on a loaded machine does not flap quality.
    /// </summary>
    public const long StaleAfterNsMin = 50_000_000;

    private readonly IClock? clock;

    private Staleness(IClock clock, long staleAfterNs)
    {
        this.clock = clock;
        StaleAfterNs = staleAfterNs;
    }

    /// <summary>The age past which a Good point reads as Uncertain; 0 when points are never judged stale.</summary>
    public long StaleAfterNs { get; }

    /// <summary>The judgement for points written by <paramref name="writer"/>: none without a cyclic task.</summary>
    public static Staleness For(IClock clock, ServiceSpec? writer) => For(clock, writer?.Timing?.PeriodUs ?? 0);

    /// <summary>The judgement for a writer of period <paramref name="writerPeriodUs"/>: none when it is 0 (no cyclic task).</summary>
    public static Staleness For(IClock clock, long writerPeriodUs)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfNegative(writerPeriodUs);
        return writerPeriodUs == 0 ? default : new Staleness(clock, Math.Max(StalePeriods * writerPeriodUs * 1_000, StaleAfterNsMin));
    }

    /// <summary>Marks the stale Good points of a fresh copy Uncertain. Allocation-free.</summary>
    public void Apply(Span<byte> payload, int pointCount)
    {
        if (clock is null)
        {
            return;
        }

        var nowNs = clock.NowNs;
        for (var point = 0; point < pointCount; point++)
        {
            if (RegionLayout.QualityOf(payload, point) == Quality.Good && nowNs - RegionLayout.Timestamp(payload, point) > StaleAfterNs)
            {
                RegionLayout.SetQuality(payload, point, Quality.Uncertain);
            }
        }
    }
}
