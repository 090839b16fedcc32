using Neokernel.Kernel.Platform;
using Neokernel.Rt.Cyclic;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

public sealed class OverrunStepTests
{
    private const long PeriodNs = 10_000;
    private const long DeadlineNs = 4_000;
    private const long PhaseNs = 1_000;

    [Theory]
    [InlineData(OverrunPolicy.Skip)]
    [InlineData(OverrunPolicy.CatchUp)]
    [InlineData(OverrunPolicy.Fault)]
    public void After_EndByDeadline_IsOnTimeOnePeriodOn(OverrunPolicy policy)
    {
        var step = new OverrunStep(Spec(policy));
        var decision = step.After(PhaseNs, PhaseNs + DeadlineNs);
        Assert.Equal(new OverrunDecision(CycleVerdict.OnTime, 0, 0, PhaseNs + PeriodNs), decision);
        Assert.Equal(CycleOutcome.OnTime, decision.Outcome);
    }

    /// <summary>Skip: a cycle released at 1 µs that ends at 25.5 µs drops the releases at 11 and 21 µs and goes on at 31 µs.</summary>
    [Fact]
    public void After_SkipOverrun_DropsMissedReleases()
    {
        var step = new OverrunStep(Spec(OverrunPolicy.Skip));
        var decision = step.After(PhaseNs, 25_500);
        Assert.Equal(new OverrunDecision(CycleVerdict.Overrun, 25_500 - PhaseNs - DeadlineNs, 1, 31_000), decision);
        Assert.Equal(CycleOutcome.Overrun, decision.Outcome);
    }

    /// <summary>Catch-up: the same late cycle keeps every release: the next is at 11 µs, already due.</summary>
    [Fact]
    public void After_CatchUpOverrun_RunsNextReleaseAtOnce()
    {
        var step = new OverrunStep(Spec(OverrunPolicy.CatchUp));
        Assert.Equal(new OverrunDecision(CycleVerdict.Overrun, 20_500, 1, 11_000), step.After(PhaseNs, 25_500));
        Assert.Equal(new OverrunDecision(CycleVerdict.Overrun, 11_000, 2, 21_000), step.After(11_000, 26_000));
        Assert.Equal(CycleVerdict.OnTime, step.After(21_000, 22_000).Verdict);
        Assert.Equal(0, step.ConsecutiveOverruns);
    }

    /// <summary>Fault: below the limit an overrun skips like Skip; the limit-th overrun in a row trips the watchdog.</summary>
    [Fact]
    public void After_FaultAtOverrunsMax_TripsWatchdog()
    {
        var step = new OverrunStep(Spec(OverrunPolicy.Fault, overrunsMax: 3));
        Assert.Equal(new OverrunDecision(CycleVerdict.Overrun, 1_000, 1, 11_000), step.After(PhaseNs, 6_000));
        Assert.Equal(new OverrunDecision(CycleVerdict.Overrun, 1_000, 2, 21_000), step.After(11_000, 16_000));
        var tripped = step.After(21_000, 26_000);
        Assert.Equal(new OverrunDecision(CycleVerdict.Watchdog, 1_000, 3, -1), tripped);
        Assert.True(tripped.IsOverrun);
    }

    /// <summary>Only overruns in a row count toward the watchdog: a cycle on time starts the count again.</summary>
    [Fact]
    public void After_FaultWithOnTimeCycleBetween_CountsAgain()
    {
        var step = new OverrunStep(Spec(OverrunPolicy.Fault, overrunsMax: 2));
        Assert.Equal(CycleVerdict.Overrun, step.After(PhaseNs, 6_000).Verdict);
        Assert.Equal(CycleVerdict.OnTime, step.After(11_000, 12_000).Verdict);
        Assert.Equal(CycleVerdict.Overrun, step.After(21_000, 26_000).Verdict);
        Assert.Equal(CycleVerdict.Watchdog, step.After(31_000, 36_000).Verdict);
    }

    [Fact]
    public void After_SteadyState_AllocatesNothing()
    {
        var step = new OverrunStep(Spec(OverrunPolicy.Skip));
        AllocationAssert.NoAllocations(10_000, i => step.After(PhaseNs + (i * PeriodNs), PhaseNs + (i * PeriodNs) + ((i % 2) * 2 * DeadlineNs)));
    }

    [Fact]
    public void Constructor_NonPositivePeriod_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OverrunStep(Spec(OverrunPolicy.Skip) with { PeriodNs = 0 }));
    }

    private static CyclicTaskSpec Spec(OverrunPolicy policy, int overrunsMax = 3) =>
        new("svc", TimingClass.BestEffort, 0, null, PeriodNs, PhaseNs, DeadlineNs, DeadlineNs, policy, overrunsMax);
}
