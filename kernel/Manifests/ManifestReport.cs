using System.Globalization;
using System.Text;

namespace Neokernel.Kernel.Manifests;

/// <summary>Formats diagnostics the way compilers do, so editors and terminals can jump to each one.</summary>
public static class ManifestReport
{
    /// <summary>
    /// One line per diagnostic (<c>FILE:LINE:COL: error: FIELD: PROBLEM; allowed: ...</c>), sorted by
    /// file, line and column, then a count line such as <c>3 errors in 2 files</c>.
    /// </summary>
    public static string Format(IReadOnlyList<ManifestDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        var sorted = diagnostics
            .OrderBy(d => d.Location.File, StringComparer.Ordinal)
            .ThenBy(d => d.Location.Line)
            .ThenBy(d => d.Location.Column)
            .ToList();
        var text = new StringBuilder();
        foreach (var diagnostic in sorted)
        {
            text.Append(diagnostic.ToString()).Append('\n');
        }

        text.Append(Count(sorted));
        return text.ToString();
    }

    private static string Count(List<ManifestDiagnostic> diagnostics)
    {
        if (diagnostics.Count == 0)
        {
            return "no errors";
        }

        var files = diagnostics.Select(d => d.Location.File).Distinct(StringComparer.Ordinal).Count();
        var errors = diagnostics.Count == 1 ? "1 error" : diagnostics.Count.ToString(CultureInfo.InvariantCulture) + " errors";
        var inFiles = files == 1 ? "1 file" : files.ToString(CultureInfo.InvariantCulture) + " files";
        return $"{errors} in {inFiles}";
    }
}
