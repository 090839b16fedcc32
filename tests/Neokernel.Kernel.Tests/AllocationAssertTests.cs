using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class AllocationAssertTests
{
    private static object? sink;

    [Fact]
    public void NoAllocations_CodeThatAllocatesEveryIteration_Fails() =>
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AllocationAssert.NoAllocations(1_000, i => sink = new byte[16 + (i % 2)]));

    [Fact]
    public void NoAllocations_CodeThatAllocatesNothing_Passes()
    {
        var total = 0L;
        AllocationAssert.NoAllocations(1_000, i => total += i);
        Assert.True(total > 0);
        Assert.Null(sink is string ? sink : null);
    }

    /// <summary>
    /// Other tests of the assembly allocate on their own threads and start collections; a CI run
    /// once saw every window of an allocation-free body spoiled that way. The no-GC region keeps
    /// the windows clean.
    /// </summary>
    [Fact]
    public void NoAllocations_WhileAnotherThreadAllocatesHard_Passes()
    {
        using var stop = new CancellationTokenSource();
        var churn = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                sink = new byte[256 << 10];
            }
        }) { IsBackground = true };
        churn.Start();
        try
        {
            var total = 0L;
            AllocationAssert.NoAllocations(2_000_000, i => total += i);
            Assert.True(total > 0);
        }
        finally
        {
            stop.Cancel();
            churn.Join();
        }
    }
}
