using System.Globalization;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// An IndexRange (Part 4 §7.22): "i" or "first:last" with first &lt; last, per dimension, dimensions
/// separated by commas. Read applies one dimension to a one-dimensional array, a String or a
/// ByteString; a range past the end answers BadIndexRangeNoData, and one that overlaps the end is
/// cut to it.
/// </summary>
public readonly record struct NumericRange(int First, int Last)
{
    /// <summary>Parses <paramref name="text"/>; false (BadIndexRangeInvalid) for any syntax or order error. Only the first dimension is kept in <paramref name="range"/>; <paramref name="dimensions"/> says how many there were.</summary>
    public static bool TryParse(string text, out NumericRange range, out int dimensions)
    {
        ArgumentNullException.ThrowIfNull(text);
        range = default;
        dimensions = 0;
        var rest = text.AsSpan();
        while (true)
        {
            var comma = rest.IndexOf(',');
            var part = comma < 0 ? rest : rest[..comma];
            if (!TryParseDimension(part, out var parsed))
            {
                return false;
            }

            if (dimensions++ == 0)
            {
                range = parsed;
            }

            if (comma < 0)
            {
                return true;
            }

            rest = rest[(comma + 1)..];
        }
    }

    private static bool TryParseDimension(ReadOnlySpan<char> part, out NumericRange range)
    {
        range = default;
        var colon = part.IndexOf(':');
        if (colon < 0)
        {
            if (!TryParseIndex(part, out var index))
            {
                return false;
            }

            range = new NumericRange(index, index);
            return true;
        }

        if (!TryParseIndex(part[..colon], out var first) || !TryParseIndex(part[(colon + 1)..], out var last) || first >= last)
        {
            return false;
        }

        range = new NumericRange(first, last);
        return true;
    }

    private static bool TryParseIndex(ReadOnlySpan<char> digits, out int index)
    {
        index = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return digits.Length > 0 && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>The part of <paramref name="value"/> in this range, or BadIndexRangeNoData when the value has no such elements.</summary>
    public StatusCode Apply(in Variant value, int dimensions, out Variant result)
    {
        result = Variant.Null;
        if (dimensions != 1)
        {
            return StatusCodes.BadIndexRangeNoData;
        }

        if (value.IsArray && value.Dimensions is null)
        {
            var array = value.Array!;
            if (!TryCut(array.Length, out var start, out var length))
            {
                return StatusCodes.BadIndexRangeNoData;
            }

            var slice = Array.CreateInstanceFromArrayType(array.GetType(), length);
            Array.Copy(array, start, slice, 0, length);
            result = Variant.FromArray(value.Type, slice);
            return StatusCode.Good;
        }

        return value.IsArray ? StatusCodes.BadIndexRangeNoData : ApplyToScalar(value, out result);
    }

    private StatusCode ApplyToScalar(in Variant value, out Variant result)
    {
        result = Variant.Null;
        if (value.Type == BuiltInType.String && value.AsString() is { } text && TryCut(text.Length, out var start, out var length))
        {
            result = new Variant(text.Substring(start, length));
            return StatusCode.Good;
        }

        if (value.Type == BuiltInType.ByteString && value.AsByteString() is { } bytes && TryCut(bytes.Length, out start, out length))
        {
            result = Variant.FromByteString(bytes.AsSpan(start, length).ToArray());
            return StatusCode.Good;
        }

        return StatusCodes.BadIndexRangeNoData;
    }

    private bool TryCut(int available, out int start, out int length)
    {
        start = First;
        length = Math.Min(Last, available - 1) - First + 1;
        return First < available && length > 0;
    }
}
