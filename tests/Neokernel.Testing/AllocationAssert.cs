using System.Runtime;
using Xunit;

namespace Neokernel.Testing;

/// <summary>
/// Asserts that data-plane code allocates nothing. GC.GetAllocatedBytesForCurrentThread counts
/// the unused rest of the thread's allocation context as allocated when a collection triggered by
/// another thread retires it, so a window that saw a collection proves nothing either way: it is
/// measured again, up to <see cref="AttemptsMax"/> times. Each window runs in a no-GC region where
/// the runtime grants one, so that the other tests of the assembly, allocating on their own threads,
/// cannot start a collection in every window (a CI run once saw 20 windows in a row spoiled that way).
/// A window that shows zero bytes proves the point even if a collection overlapped it. Code that
/// allocates per iteration fails in every window; only <see cref="WindowsThatMayAllocateMax"/>
/// windows with a one-time allocation are forgiven.
/// </summary>
public static class AllocationAssert
{
    public const int AttemptsMax = 20;

    /// <summary>Windows without a collection that may show bytes before the assertion fails.</summary>
    public const int WindowsThatMayAllocateMax = 3;

    /// <summary>What a window's no-GC region allows all threads to allocate before a collection may run.</summary>
    public const long NoGcRegionBytes = 64L << 20;

    // One no-GC region at a time in a process: tests of one assembly run in parallel.
    private static readonly Lock NoGcRegionLock = new();

    /// <summary>Runs <paramref name="body"/> <paramref name="iterations"/> times after one warm-up pass and asserts zero bytes allocated.</summary>
    public static void NoAllocations(int iterations, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        for (var i = 0; i < iterations; i++)
        {
            body(i);
        }

        var seen = new List<long>();
        for (var attempt = 0; attempt < AttemptsMax; attempt++)
        {
            var (allocated, collected) = MeasureWindow(iterations, body);
            if (allocated == 0)
            {
                return;
            }

            if (collected)
            {
                continue;
            }

            // A window may hold a one-time event of the runtime (a lazily created object, a thread
            // pool worker's first use). Data-plane code that allocates per cycle allocates in every
            // window, so it still fails below.
            seen.Add(allocated);
            if (seen.Count >= WindowsThatMayAllocateMax)
            {
                Assert.Fail($"{string.Join(", ", seen)} bytes allocated in consecutive windows of {iterations} iterations of data-plane code");
            }
        }

        Assert.Fail($"every one of {AttemptsMax} measurements overlapped a garbage collection or allocated: {string.Join(", ", seen)} bytes");
    }

    private static (long Allocated, bool Collected) MeasureWindow(int iterations, Action<int> body)
    {
        lock (NoGcRegionLock)
        {
            var inRegion = TryStartNoGcRegion();
            try
            {
                var collections = GC.CollectionCount(0);
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < iterations; i++)
                {
                    body(i);
                }

                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                return (allocated, GC.CollectionCount(0) != collections);
            }
            finally
            {
                if (inRegion && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                {
                    GC.EndNoGCRegion();
                }
            }
        }
    }

    private static bool TryStartNoGcRegion()
    {
        try
        {
            return GCSettings.LatencyMode != GCLatencyMode.NoGCRegion && GC.TryStartNoGCRegion(NoGcRegionBytes);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
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
