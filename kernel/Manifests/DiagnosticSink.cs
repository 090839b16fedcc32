using System.Globalization;

namespace Neokernel.Kernel.Manifests;

/// <summary>Collects diagnostics, placing each at the written position of its field.</summary>
internal sealed class DiagnosticSink
{
    /// <summary>Lists of names in "allowed:" text stop here so a message stays one readable line.</summary>
    private const int NamesShown = 24;

    public List<ManifestDiagnostic> Items { get; } = [];

    public int Count => Items.Count;

    /// <summary>A problem with the value of <paramref name="path"/>.</summary>
    public void At(ManifestPositions positions, string path, string problem, string allowed = "") =>
        Items.Add(new ManifestDiagnostic(positions.Value(path), path, problem, allowed));

    /// <summary>A problem with the field itself (missing, unknown), placed at its key.</summary>
    public void AtKey(ManifestPositions positions, string path, string problem, string allowed = "") =>
        Items.Add(new ManifestDiagnostic(positions.Key(path), path, problem, allowed));

    /// <summary>Reports a required text field that is empty; true if it was.</summary>
    public bool Missing(ManifestPositions positions, string path, string? value, string allowed)
    {
        if (!string.IsNullOrEmpty(value))
        {
            return false;
        }

        if (positions.Has(path))
        {
            At(positions, path, "must not be empty", allowed);
        }
        else
        {
            AtKey(positions, path, "required field is missing", allowed);
        }

        return true;
    }

    /// <summary>Reports a word outside <paramref name="words"/>.</summary>
    public void OneOf(ManifestPositions positions, string path, string value, IReadOnlyList<string> words)
    {
        if (!words.Contains(value, StringComparer.Ordinal))
        {
            At(positions, path, $"'{value}' is not allowed", ManifestRules.OneOf(words));
        }
    }

    /// <summary>Reports a number outside min..max; true if it was inside.</summary>
    public bool InRange(ManifestPositions positions, string path, long value, long min, long max, string? unit = null)
    {
        if (value >= min && value <= max)
        {
            return true;
        }

        var limit = max == long.MaxValue ? $"{min.ToString(CultureInfo.InvariantCulture)} or more" : ManifestRules.Range(min, max);
        At(positions, path, $"{value.ToString(CultureInfo.InvariantCulture)} is out of range", limit + (unit is null ? "" : " " + unit));
        return false;
    }

    /// <summary>Names for "allowed:" text: sorted, at most <see cref="NamesShown"/>, or a phrase when there are none.</summary>
    public static string Names(IEnumerable<string> names, string none)
    {
        var sorted = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (sorted.Count == 0)
        {
            return none;
        }

        return sorted.Count <= NamesShown
            ? string.Join(", ", sorted)
            : string.Join(", ", sorted.Take(NamesShown)) + $", ... ({sorted.Count.ToString(CultureInfo.InvariantCulture)} in all)";
    }
}
