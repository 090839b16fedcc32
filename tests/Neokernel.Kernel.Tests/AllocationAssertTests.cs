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
}
