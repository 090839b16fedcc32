using System.Globalization;

namespace Neokernel.Controllers.Blocks;

/// <summary>
/// Reads IEC 61131-3 literals for the type a pin or parameter declares, for the manifest loader:
/// BOOL as TRUE or FALSE (or 1, 0), REAL as an invariant-culture finite number, DINT as a whole
/// number, TIME as T#1h2m3s, T#1.5s, T#250ms (TIME# too, or no prefix; units d, h, m, s, ms, us, ns,
/// underscores between digits allowed, a leading minus sign). A failure says what was expected.
/// </summary>
public static class BlockValueParser
{
    private static readonly (string Unit, long Nanoseconds)[] TimeUnits =
    [
        ("ms", 1_000_000), ("us", 1_000), ("ns", 1), ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
    ];

    public static bool TryParse(string text, BlockValueType type, out BlockValue value, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        value = default;
        error = string.Empty;
        var parsed = type switch
        {
            BlockValueType.Bool => TryParseBool(trimmed, out value),
            BlockValueType.Real => TryParseReal(trimmed, out value),
            BlockValueType.Dint => TryParseDint(trimmed, out value),
            _ => TryParseTime(trimmed, out value),
        };
        if (!parsed)
        {
            error = $"'{text}' is not a {BlockValue.TypeName(type)}: {Expected(type)}";
        }

        return parsed;
    }

    public static string Expected(BlockValueType type) => type switch
    {
        BlockValueType.Bool => "write TRUE or FALSE",
        BlockValueType.Real => "write a finite number such as 1.5 or -2e3",
        BlockValueType.Dint => $"write a whole number from {int.MinValue} to {int.MaxValue}",
        _ => "write a duration such as T#1h2m3s, T#1.5s or T#250ms (units d, h, m, s, ms, us, ns)",
    };

    private static bool TryParseBool(string text, out BlockValue value)
    {
        var on = text.Equals("TRUE", StringComparison.OrdinalIgnoreCase) || text == "1";
        value = BlockValue.Bool(on);
        return on || text.Equals("FALSE", StringComparison.OrdinalIgnoreCase) || text == "0";
    }

    private static bool TryParseReal(string text, out BlockValue value)
    {
        var parsed = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number);
        value = BlockValue.Real(number);
        return parsed;
    }

    private static bool TryParseDint(string text, out BlockValue value)
    {
        var parsed = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number);
        value = BlockValue.Dint(number);
        return parsed;
    }

    private static bool TryParseTime(string text, out BlockValue value)
    {
        value = default;
        var rest = StripPrefix(text.Replace("_", string.Empty, StringComparison.Ordinal));
        var negative = rest.StartsWith('-');
        rest = negative ? rest[1..] : rest;
        if (rest.Length == 0)
        {
            return false;
        }

        decimal total = 0;
        while (rest.Length > 0)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || !decimal.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            rest = rest[digits..];
            var unit = Array.FindIndex(TimeUnits, u => rest.StartsWith(u.Unit, StringComparison.OrdinalIgnoreCase));
            // Above long.MaxValue nanoseconds is out of range anyway; stopping there keeps decimal from overflowing.
            if (unit < 0 || amount > long.MaxValue / TimeUnits[unit].Nanoseconds || total > long.MaxValue)
            {
                return false;
            }

            total += amount * TimeUnits[unit].Nanoseconds;
            rest = rest[TimeUnits[unit].Unit.Length..];
        }

        total = decimal.Round(total, MidpointRounding.ToEven);
        if (total > long.MaxValue)
        {
            return false;
        }

        value = BlockValue.Time(negative ? -(long)total : (long)total);
        return true;
    }

    private static string StripPrefix(string text)
    {
        foreach (var prefix in (ReadOnlySpan<string>)["TIME#", "T#"])
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return text[prefix.Length..];
            }
        }

        return text;
    }
}
