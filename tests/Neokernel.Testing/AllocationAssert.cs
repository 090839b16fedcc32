using Xunit;

namespace Neokernel.Testing;

/// <summary>
/// Asserts that data-plane code allocates nothing. GC.GetAllocatedBytesForCurrentThread counts
/// the unused rest of the thread's allocation context as allocated when a collection triggered by
/// another thread retires it, so a window that saw a collection proves nothing either way: it is
/// measured again, up to <see cref="AttemptsMax"/> times.
/// </summary>
public static class AllocationAssert
{
    public const int AttemptsMax = 20;

    /// <summary>Runs <paramref name="body"/> <paramref name="iterations"/> times after one warm-up pass and asserts zero bytes allocated.</summary>
    public static void NoAllocations(int iterations, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        for (var i = 0; i < iterations; i++)
        {
            body(i);
        }

        long allocated = 0;
        for (var attempt = 0; attempt < AttemptsMax; attempt++)
        {
            var collections = GC.CollectionCount(0);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < iterations; i++)
            {
                body(i);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (GC.CollectionCount(0) == collections)
            {
                Assert.True(allocated == 0, $"{allocated} bytes allocated over {iterations} iterations of data-plane code");
                return;
            }
        }

        Assert.Fail($"every one of {AttemptsMax} measurements overlapped a garbage collection; last saw {allocated} bytes");
    }
}

/// <summary>
/// The collection of tests that measure timing or start processes: they run alone, after the
/// parallel ones. xunit reads a collection definition only in the test assembly itself, so each
/// test project declares <c>[CollectionDefinition(SerialCollection.Name, DisableParallelization = true)]</c>
/// on a class of its own.
/// </summary>
public static class SerialCollection
{
    public const string Name = "serial";
}
