using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Arrays of exactly the length asked for, kept for the next request that asks the same length:
/// the generated structures carry their operations as arrays whose length is the count, so a
/// polling client whose requests have one size (or a few) reuses the same array each time. At most
/// <see cref="KeptMax"/> lengths are kept, the least recently asked one replaced, and an array
/// longer than the <c>lengthMax</c> it was made with is never kept, so what stays is bounded.
/// </summary>
/// <remarks>
/// A rented array is the same one the next rent of its length gets: it is for what lives until the
/// request it serves has been answered at once (decoded, served, encoded), never for what is kept.
/// Its elements are what the last user left; the user writes every one. One event loop only.
/// </remarks>
internal sealed class ExactLengthArrays<T>
{
    /// <summary>Lengths kept at once.</summary>
    public const int KeptMax = 4;

    private readonly T[]?[] kept = new T[KeptMax][];
    private readonly long[] lastRented = new long[KeptMax];
    private readonly int lengthMax;
    private long rents;

    public ExactLengthArrays(int lengthMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lengthMax);
        this.lengthMax = lengthMax;
    }

    /// <summary>An array of <paramref name="length"/> elements: a kept one, or a new one kept in place of the least recently rented.</summary>
    public T[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            return [];
        }

        if (length > lengthMax)
        {
            return new T[length];
        }

        rents++;
        var oldest = 0;
        for (var i = 0; i < KeptMax; i++)
        {
            if (kept[i] is { } array && array.Length == length)
            {
                lastRented[i] = rents;
                return array;
            }

            if (lastRented[i] < lastRented[oldest])
            {
                oldest = i;
            }
        }

        var made = new T[length];
        kept[oldest] = made;
        lastRented[oldest] = rents;
        Debug.Assert(KeptLengthsDistinct(), "each length is kept once");
        return made;
    }

    private bool KeptLengthsDistinct()
    {
        for (var i = 0; i < KeptMax; i++)
        {
            for (var j = i + 1; j < KeptMax; j++)
            {
                if (kept[i] is { } a && kept[j] is { } b && a.Length == b.Length)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
