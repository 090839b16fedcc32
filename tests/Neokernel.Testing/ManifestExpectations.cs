using System.Globalization;
using System.Text.RegularExpressions;
using Neokernel.Kernel.Manifests;
using Xunit;

namespace Neokernel.Testing;

/// <summary>
/// The expectations of a corpus of broken manifests: each file states, in <c># expect: LINE:COL FIELD: PROBLEM</c>
/// comments, exactly which diagnostics loading it must produce (PROBLEM a part of the message).
/// <see cref="AssertExactly"/> fails on one missing and on one more, so a check that stops firing
/// and an error that cascades both fail. The kernel's corpus and the programs' corpora share it.
/// </summary>
public static partial class ManifestExpectations
{
    /// <summary>Asserts that <paramref name="diagnostics"/> are exactly those the files of a case expect, and that they expect some.</summary>
    public static void AssertExactly(string name, IReadOnlyList<ManifestDiagnostic> diagnostics, IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        ArgumentNullException.ThrowIfNull(files);
        var expected = files.SelectMany(Read).ToList();
        Assert.NotEmpty(expected);

        var unmatched = diagnostics.ToList();
        var missing = new List<string>();
        foreach (var expectation in expected)
        {
            var match = unmatched.FirstOrDefault(expectation.Matches);
            if (match is null)
            {
                missing.Add(expectation.ToString());
            }
            else
            {
                unmatched.Remove(match);
            }
        }

        Assert.True(
            missing.Count == 0 && unmatched.Count == 0,
            $"case {name}\nmissing:\n  {string.Join("\n  ", missing)}\nunexpected:\n  {string.Join("\n  ", unmatched)}\nall:\n{ManifestReport.Format(diagnostics)}");
    }

    private static IEnumerable<Expectation> Read(string file)
    {
        foreach (var line in File.ReadLines(file))
        {
            var match = ExpectLine().Match(line);
            if (match.Success)
            {
                yield return new Expectation(
                    Path.GetFullPath(file),
                    int.Parse(match.Groups["line"].Value, CultureInfo.InvariantCulture),
                    int.Parse(match.Groups["column"].Value, CultureInfo.InvariantCulture),
                    match.Groups["field"].Value,
                    match.Groups["problem"].Value.Trim());
            }
        }
    }

    [GeneratedRegex(@"^#\s*expect:\s*(?<line>\d+):(?<column>\d+)\s+(?<field>\S+):\s*(?<problem>.+)$")]
    private static partial Regex ExpectLine();

    private sealed record Expectation(string File, int Line, int Column, string Field, string Problem)
    {
        public bool Matches(ManifestDiagnostic diagnostic) =>
            Path.GetFullPath(diagnostic.Location.File) == File
            && diagnostic.Location.Line == Line
            && diagnostic.Location.Column == Column
            && diagnostic.Field == Field
            && diagnostic.Problem.Contains(Problem, StringComparison.Ordinal);

        public override string ToString() => $"{File}:{Line}:{Column}: {Field}: ...{Problem}...";
    }
}
