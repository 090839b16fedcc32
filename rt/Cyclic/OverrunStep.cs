using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Cyclic;

/// <summary>What <see cref="OverrunStep"/> decided about one completed cycle.</summary>
public enum CycleVerdict : byte
{
    /// <summary>The cycle ended by its deadline; the next release is one period on.</summary>
    OnTime,

    /// <summary>The cycle ended past its deadline; the policy set the next release.</summary>
    Overrun,

    /// <summary>The cycle ended past its deadline and, under <see cref="OverrunPolicy.Fault"/>, was the last overrun in a row allowed: the task ends.</summary>
    Watchdog,
}

/// <summary>One cycle's verdict, how late it ended, the overruns in a row and the next release (-1 after a watchdog trip).</summary>
public readonly record struct OverrunDecision(CycleVerdict Verdict, long LateNs, long ConsecutiveOverruns, long NextReleaseNs)
{
    /// <summary>True for an overrun, whether or not it tripped the watchdog.</summary>
    public bool IsOverrun => Verdict != CycleVerdict.OnTime;

    /// <summary>The outcome the statistics count.</summary>
    public CycleOutcome Outcome => IsOverrun ? CycleOutcome.Overrun : CycleOutcome.OnTime;
}

/// <summary>
/// The step every cyclic executor takes after a body run, in one place so the event-loop executor
/// (<see cref="TimerCyclicExecutor"/>) and the real-time thread (RealtimeCyclicExecutor) cannot
/// drift apart: compare the end with release + deadline, count overruns in a row, trip the
/// watchdog under <see cref="OverrunPolicy.Fault"/> at <see cref="CyclicTaskSpec.OverrunsMax"/>,
/// and place the next release on the grid: catch-up runs the next release at once, skip (and fault
/// below its limit) drops the missed ones. The caller records statistics and tells its observer.
/// Allocation-free; one instance per task, used from the task's one thread.
/// </summary>
public sealed class OverrunStep
{
    private readonly CyclicTaskSpec spec;
    private long consecutiveOverruns;

    public OverrunStep(CyclicTaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(spec.PeriodNs, 0);
        this.spec = spec;
    }

    /// <summary>Overruns since the last cycle on time.</summary>
    public long ConsecutiveOverruns => consecutiveOverruns;

    /// <summary>Decides about the cycle released at <paramref name="releaseNs"/> that ended at <paramref name="endNs"/>.</summary>
    public OverrunDecision After(long releaseNs, long endNs)
    {
        var lateNs = endNs - (releaseNs + spec.DeadlineNs);
        if (lateNs <= 0)
        {
            consecutiveOverruns = 0;
            return new OverrunDecision(CycleVerdict.OnTime, 0, 0, releaseNs + spec.PeriodNs);
        }

        var consecutive = ++consecutiveOverruns;
        if (spec.OverrunPolicy == OverrunPolicy.Fault && consecutive >= spec.OverrunsMax)
        {
            return new OverrunDecision(CycleVerdict.Watchdog, lateNs, consecutive, -1);
        }

        var nextNs = spec.OverrunPolicy == OverrunPolicy.CatchUp ? releaseNs + spec.PeriodNs : ReleaseGrid.FirstReleaseAfter(spec, endNs);
        return new OverrunDecision(CycleVerdict.Overrun, lateNs, consecutive, nextNs);
    }
}
