using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux;

/// <summary>
/// CLOCK_MONOTONIC and absolute clock_nanosleep through libc: the clock and the wake-up a
/// cyclic loop needs. Absolute sleeps do not drift: each wake-up aims at a point on the grid,
/// not "period after whenever the last one ended". Neither call allocates.
/// </summary>
public static partial class LinuxTime
{
    public const int ClockRealtime = 0;
    public const int ClockMonotonic = 1;
    public const int TimerAbsolute = 1;
    private const int EINTR = 4;

    public static long MonotonicNs()
    {
        if (clock_gettime(ClockMonotonic, out var ts) != 0)
        {
            throw new InvalidOperationException($"clock_gettime(CLOCK_MONOTONIC) failed with errno {Marshal.GetLastSystemError()}");
        }

        return (ts.Seconds * 1_000_000_000L) + ts.Nanoseconds;
    }

    /// <summary>
    /// The wall clock (CLOCK_REALTIME, ns since the Unix epoch) at the moment CLOCK_MONOTONIC read
    /// <paramref name="originNs"/>: both clocks read back to back, once. What a paced platform keeps
    /// as its <c>WallClockAtZeroUnixNs</c>.
    /// </summary>
    public static long WallClockAt(long originNs)
    {
        var monotonicNs = MonotonicNs();
        if (clock_gettime(ClockRealtime, out var ts) != 0)
        {
            throw new InvalidOperationException($"clock_gettime(CLOCK_REALTIME) failed with errno {Marshal.GetLastSystemError()}");
        }

        return (ts.Seconds * 1_000_000_000L) + ts.Nanoseconds - (monotonicNs - originNs);
    }

    /// <summary>Sleeps until the monotonic clock reads <paramref name="deadlineNs"/>, retrying on signals.</summary>
    public static void SleepUntil(long deadlineNs)
    {
        var ts = new TimeSpec { Seconds = deadlineNs / 1_000_000_000L, Nanoseconds = deadlineNs % 1_000_000_000L };
        int result;
        do
        {
            result = clock_nanosleep(ClockMonotonic, TimerAbsolute, in ts, IntPtr.Zero);
        }
        while (result == EINTR);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // The clock is read right after each wake-up, before anything else of the cycle: no GC mode
    // transition and no errno bookkeeping around it (a vDSO read that neither blocks nor calls
    // back, the case SuppressGCTransition is for), so the few cache lines and pages the wake-up
    // path touches are only the ones cyclictest's touches too. errno is read only on failure.
    [LibraryImport("libc")]
    [SuppressGCTransition]
    private static partial int clock_gettime(int clockId, out TimeSpec time);

    [LibraryImport("libc")]
    private static partial int clock_nanosleep(int clockId, int flags, in TimeSpec request, IntPtr remaining);
}
