using System.Diagnostics;
using Neokernel.Kernel.Regions;

namespace Neokernel.Testing.Stress;

/// <summary>What a torn-read run saw: the writer's publishes, the readers' consistent copies, and the torn ones among them.</summary>
public readonly record struct TornReadOutcome(long Publishes, long Reads, long Torn);

/// <summary>
/// The region concurrency test's logic, shared by the kernel tests (x64, JIT) and
/// <c>neokernel-torn-read</c> (NativeAOT, run for linux-arm64 under qemu by the build): one writer
/// thread publishes every point with the same value and timestamp, and reader threads check that
/// no copy they took mixes two publishes. Only the region's public API is used, so the logic is
/// the same in both.
/// </summary>
public static class TornReadStress
{
    /// <summary>
    /// Runs for <paramref name="duration"/>. <paramref name="publishAll"/> sets every point to its
    /// argument and publishes (writer thread only); <paramref name="tryRead"/> takes a snapshot,
    /// called by every reader with its own snapshot.
    /// </summary>
    public static TornReadOutcome Run(int points, Action<long> publishAll, Func<RegionSnapshot, bool> tryRead, int readers, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(readers, 1);
        ArgumentNullException.ThrowIfNull(publishAll);
        ArgumentNullException.ThrowIfNull(tryRead);
        using var stop = new CancellationTokenSource();
        long publishes = 0, reads = 0, torn = 0;
        var writer = new Thread(() =>
        {
            for (long k = 1; !stop.IsCancellationRequested; k++)
            {
                publishAll(k);
                publishes = k;
            }
        });
        var readerThreads = Enumerable.Range(0, readers).Select(_ => new Thread(() =>
        {
            var snapshot = new RegionSnapshot(points);
            while (!stop.IsCancellationRequested)
            {
                if (!tryRead(snapshot))
                {
                    continue;
                }

                Interlocked.Increment(ref reads);
                if (!IsWhole(snapshot, points))
                {
                    Interlocked.Increment(ref torn);
                }
            }
        })).ToArray();

        var started = Stopwatch.StartNew();
        writer.Start();
        Array.ForEach(readerThreads, r => r.Start());
        Thread.Sleep(duration - started.Elapsed > TimeSpan.Zero ? duration - started.Elapsed : TimeSpan.Zero);
        stop.Cancel();
        writer.Join();
        Array.ForEach(readerThreads, r => r.Join());
        return new TornReadOutcome(publishes, Interlocked.Read(ref reads), Interlocked.Read(ref torn));
    }

    /// <summary>Every point carries the value and timestamp of one publish.</summary>
    private static bool IsWhole(RegionSnapshot snapshot, int points)
    {
        var value = snapshot.Value(0);
        var timestampNs = snapshot.TimestampNs(0);
        for (var i = 1; i < points; i++)
        {
            if (snapshot.Value(i) != value || snapshot.TimestampNs(i) != timestampNs)
            {
                return false;
            }
        }

        return true;
    }
}
