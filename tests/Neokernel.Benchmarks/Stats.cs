using System.Diagnostics;

namespace Neokernel.Benchmarks;

internal static class Stats
{
    public static double Nanoseconds(long ticks) => ticks * 1e9 / Stopwatch.Frequency;

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Nearest-rank percentile of already sorted samples.</summary>
    public static long Percentile(long[] sorted, double percent)
    {
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no samples", nameof(sorted));
        }

        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
