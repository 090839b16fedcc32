namespace Neokernel.Kernel.Regions;

/// <summary>
/// A sequence lock over plain memory (Linux's seqlock), for one writer and any number of readers
/// that may sit in other processes: the writer makes the sequence odd, copies, makes it even; a
/// reader that saw an odd sequence, or a different one after copying, copies again, a bounded
/// number of times. A reader never sees a torn copy and the writer never waits for a reader. It
/// works on a shared mapping, where a lock object would not. <see cref="Region"/> and the
/// simulated device banks both use it.
/// </summary>
/// <remarks>
/// The .NET memory model lets ARM64 reorder plain loads and stores more than x64 does, so each
/// ordering the protocol needs is written out:
/// <list type="bullet">
/// <item>Writer: the odd sequence is stored with <c>Interlocked.Exchange</c>,
/// a full fence. A release store would only keep earlier accesses before it; the payload stores
/// that follow could become visible first, and a reader would copy half a write under an even
/// sequence.</item>
/// <item>Writer: the even sequence is a <c>Volatile.Write</c> (release): every
/// payload store before it is visible before it.</item>
/// <item>Reader: the first sequence read is a <c>Volatile.Read</c> (acquire): no
/// payload load moves before it.</item>
/// <item>Reader: a full fence (<see cref="Interlocked.MemoryBarrier"/>) separates the copy from the
/// second sequence read. An acquire read would only keep later loads after it; the payload loads
/// before it could move past it and read what a newer write stored.</item>
/// </list>
/// The single writer reads its own sequence without a fence: nobody else stores it.
/// </remarks>
public static class SeqLock
{
    /// <summary>A reader gives up after this many torn attempts and reports the copy as not taken.</summary>
    public const int ReadAttemptsMax = 64;

    /// <summary>Longest spin, as a power of two, while a reader waits for a write in progress.</summary>
    private const int SpinShiftMax = 6;

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="destination"/> as one atomic update
    /// and returns the new (even) sequence. One writer only. Allocation-free.
    /// </summary>
    public static long Write(ref long sequence, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // Odd before a write: the previous writer (another process, killed) died mid-write. Its
        // sequence already tells readers to wait; this write completes it instead of inverting it.
        var odd = sequence | 1;
        Interlocked.Exchange(ref sequence, odd);
        source.CopyTo(destination);
        Volatile.Write(ref sequence, odd + 1);
        return odd + 1;
    }

    /// <summary>
    /// Copies a consistent <paramref name="source"/> into <paramref name="destination"/> (at least
    /// as long) and gives the sequence it showed. False, with -1, when all
    /// <see cref="ReadAttemptsMax"/> attempts saw a write in progress or a torn copy. Allocation-free.
    /// </summary>
    public static bool TryRead(ref long sequence, ReadOnlySpan<byte> source, Span<byte> destination, out long sequenceSeen)
    {
        for (var attempt = 0; attempt < ReadAttemptsMax; attempt++)
        {
            var before = Volatile.Read(ref sequence);
            if ((before & 1) != 0)
            {
                Thread.SpinWait(1 << Math.Min(attempt, SpinShiftMax));
                continue;
            }

            source.CopyTo(destination);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref sequence) == before)
            {
                sequenceSeen = before;
                return true;
            }
        }

        sequenceSeen = -1;
        return false;
    }
}
