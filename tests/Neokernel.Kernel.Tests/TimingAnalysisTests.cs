using Neokernel.Kernel.Analysis;

namespace Neokernel.Kernel.Tests;

public sealed class TimingAnalysisTests
{
    private const long Us = 1_000;

    [Fact]
    public void ResponseTime_ClassicExample_MatchesHandComputation()
    {
        // Three tasks (C, T): (1, 4), (2, 6), (3, 12) in rate-monotonic order: the lowest one's
        // response is 10 (Buttazzo's textbook example).
        var higher = new[] { new TimedTask("a", 3, 4 * Us, 4 * Us, 1 * Us), new TimedTask("b", 2, 6 * Us, 6 * Us, 2 * Us) };
        Assert.Equal(10 * Us, TimingAnalysis.ResponseTimeNs(3 * Us, 12 * Us, higher));
        Assert.Null(TimingAnalysis.ResponseTimeNs(3 * Us, 9 * Us, higher));
    }

    [Fact]
    public void NeededPriority_LightTask_NeedsOnlyTheLowest()
    {
        var task = new TimedTask("loop", 80, 10_000 * Us, 10_000 * Us, 50 * Us);
        var others = new[] { new TimedTask("driver", 70, 10_000 * Us, 2_000 * Us, 30 * Us) };
        Assert.Equal(1, TimingAnalysis.NeededPriority(task, others));
    }

    [Fact]
    public void NeededPriority_TightDeadline_MustStayAboveTheHeavyTask()
    {
        var task = new TimedTask("fast", 90, 1_000 * Us, 200 * Us, 100 * Us);
        var others = new[] { new TimedTask("heavy", 50, 10_000 * Us, 10_000 * Us, 500 * Us) };
        Assert.Equal(51, TimingAnalysis.NeededPriority(task, others));
    }

    [Fact]
    public void NeededPriority_Infeasible_IsNull()
    {
        var task = new TimedTask("greedy", 10, 1_000 * Us, 1_000 * Us, 900 * Us);
        var others = new[] { new TimedTask("top", 99, 1_000 * Us, 1_000 * Us, 500 * Us) };
        Assert.Null(TimingAnalysis.NeededPriority(task, others));
    }
}
