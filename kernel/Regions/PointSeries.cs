using System.Globalization;

namespace Neokernel.Kernel.Regions;

/// <summary>
/// Numbered point names: <see cref="Prefix"/> followed by the numbers <see cref="First"/> ..
/// First + Count - 1, each zero-padded to <see cref="Digits"/> (<c>s</c>, 0, 4096, 4: s0000 ..
/// s4095). Manifests declare large regions this way (<c>numberedPoints</c>), and the hosted-spec
/// codec sends runs of such names as one entry, so 100,000 points cost a few bytes to grant.
/// A name is always exactly <c>Prefix + number.ToString("D" + Digits)</c>, so a series expands
/// back to the very strings it was made from.
/// </summary>
public readonly record struct PointSeries
{
    /// <summary>The widest number a series writes: nine digits keep every number an int.</summary>
    public const int DigitsMax = 9;

    /// <summary>The largest number a series may reach: the largest with <see cref="DigitsMax"/> digits.</summary>
    public const int NumberMax = 999_999_999;

    public PointSeries(string prefix, int first, int count, int digits)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Region.PointsMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)first + count - 1, NumberMax, nameof(count));
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, DigitsOf(first + count - 1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, DigitsMax);
        Prefix = prefix;
        First = first;
        Count = count;
        Digits = digits;
    }

    public string Prefix { get; }

    public int First { get; }

    public int Count { get; }

    public int Digits { get; }

    /// <summary>The last number of the series.</summary>
    public int Last => First + Count - 1;

    /// <summary>The name of the <paramref name="index"/>-th point of the series (0-based).</summary>
    public string NameAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Format(Prefix, First + index, Digits);
    }

    /// <summary>Every name of the series, in order.</summary>
    public IEnumerable<string> Names()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return NameAt(i);
        }
    }

    /// <summary>How many decimal digits <paramref name="number"/> has (1 for 0).</summary>
    public static int DigitsOf(long number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        var digits = 1;
        while (number >= 10)
        {
            number /= 10;
            digits++;
        }

        return digits;
    }

    public static string Format(string prefix, int number, int digits) =>
        prefix + number.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>
    /// Splits <paramref name="name"/> into a prefix and its trailing decimal number with the
    /// number's written width (leading zeros kept): <c>s0042</c> is (s, 42, 4). False when the
    /// name does not end in 1..<see cref="DigitsMax"/> digits.
    /// </summary>
    public static bool TrySplit(string name, out string prefix, out int number, out int digits)
    {
        ArgumentNullException.ThrowIfNull(name);
        var start = name.Length;
        while (start > 0 && char.IsAsciiDigit(name[start - 1]))
        {
            start--;
        }

        digits = name.Length - start;
        prefix = name[..start];
        number = 0;
        if (digits is 0 or > DigitsMax)
        {
            return false;
        }

        number = int.Parse(name.AsSpan(start), NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }
}
