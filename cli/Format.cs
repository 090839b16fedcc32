using System.Globalization;

namespace Neokernel.Cli;

/// <summary>Numbers for people: invariant culture, units spelt out.</summary>
internal static class Format
{
    public static string Seconds(long ns) => (ns / 1e9).ToString("0.000", CultureInfo.InvariantCulture) + " s";

    public static string Millis(long ns) => (ns / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Micros(long ns) => (ns / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " us";

    public static string Number(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A duration as the user would type it back: 10m, 30s, 250ms.</summary>
    public static string Duration(long ns)
    {
        if (ns % 60_000_000_000 == 0)
        {
            return $"{ns / 60_000_000_000}m";
        }

        if (ns % 1_000_000_000 == 0)
        {
            return $"{ns / 1_000_000_000}s";
        }

        return $"{ns / 1_000_000}ms";
    }
}
