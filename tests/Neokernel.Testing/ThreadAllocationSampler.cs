namespace Neokernel.Testing;

/// <summary>
/// Samples, once per cycle on a cyclic task's own thread, that thread's allocation counter and the
/// collections so far, into preallocated arrays: for code that runs on a thread the test does not
/// drive, where <see cref="AllocationAssert"/> cannot wrap the loop. A pair of consecutive samples
/// with a collection between them proves nothing (the collection retires the thread's allocation
/// context, which counts as allocated) and is left out.
/// </summary>
public sealed class ThreadAllocationSampler(int capacity)
{
    private readonly long[] allocatedBytes = new long[capacity];
    private readonly int[] collections = new int[capacity];
    private int count;

    public int Capacity => allocatedBytes.Length;

    /// <summary>Samples taken so far; readable from any thread.</summary>
    public int Count => Volatile.Read(ref count);

    /// <summary>On the sampled thread. Allocation-free; ignored once the arrays are full.</summary>
    public void Sample()
    {
        var index = count;
        if (index >= allocatedBytes.Length)
        {
            return;
        }

        allocatedBytes[index] = GC.GetAllocatedBytesForCurrentThread();
        collections[index] = GC.CollectionCount(0);
        Volatile.Write(ref count, index + 1);
    }

    /// <summary>Bytes the thread allocated between consecutive samples after the first <paramref name="warmUp"/>, over pairs without a collection.</summary>
    public long AllocatedAfter(int warmUp)
    {
        var total = 0L;
        for (var i = warmUp + 1; i < Count; i++)
        {
            total += collections[i] == collections[i - 1] ? allocatedBytes[i] - allocatedBytes[i - 1] : 0;
        }

        return total;
    }
}
