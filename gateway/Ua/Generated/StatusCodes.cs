namespace Neokernel.Gateway.Ua;

/// <summary>The look-ups over the generated table of status codes (StatusCodes.g.cs).</summary>
public static partial class StatusCodes
{
    /// <summary>The low 16 bits of a status code carry info bits (overflow, limits, structure changed), not the code.</summary>
    private const uint CodeMask = 0xFFFF0000;

    /// <summary>The symbolic name of <paramref name="code"/> (e.g. "BadNodeIdUnknown"), its info bits ignored; null for a code the table does not know.</summary>
    public static string? NameOf(uint code)
    {
        var index = IndexOf(code);
        return index < 0 ? null : SortedNames[index];
    }

    /// <summary>The specification's description of <paramref name="code"/>, its info bits ignored; null for a code the table does not know.</summary>
    public static string? DescriptionOf(uint code)
    {
        var index = IndexOf(code);
        return index < 0 ? null : SortedDescriptions[index];
    }

    /// <summary>Binary search over the sorted codes: no allocation, log2(count) steps.</summary>
    private static int IndexOf(uint code)
    {
        var key = code & CodeMask;
        var codes = SortedCodes;
        var low = 0;
        var high = codes.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var candidate = codes[middle];
            if (candidate == key)
            {
                return middle;
            }

            if (candidate < key)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }
}
