using Neokernel.Kernel.Manifests;

namespace Neokernel.Kernel.Tests.Manifests;

public sealed class ManifestReportTests
{
    [Fact]
    public void Format_Diagnostics_SortsByFileLineColumnAndCounts()
    {
        ManifestDiagnostic[] diagnostics =
        [
            new(new SourceLocation("b.yaml", 3, 1), "kind", "'x' is not allowed", "driver"),
            new(new SourceLocation("a.yaml", 9, 2), "id", "must not be empty", ""),
            new(new SourceLocation("a.yaml", 9, 1), "timing.periodUs", "99 is out of range", "100..10000000 µs"),
        ];

        var text = ManifestReport.Format(diagnostics);

        Assert.Equal(
            "a.yaml:9:1: error: timing.periodUs: 99 is out of range; allowed: 100..10000000 µs\n"
            + "a.yaml:9:2: error: id: must not be empty\n"
            + "b.yaml:3:1: error: kind: 'x' is not allowed; allowed: driver\n"
            + "3 errors in 2 files",
            text);
    }

    [Fact]
    public void Format_OneDiagnosticWithoutLine_NamesTheFileAlone()
    {
        var text = ManifestReport.Format([new ManifestDiagnostic(new SourceLocation("s.yaml", 0, 0), "(file)", "file not found: s.yaml", "")]);

        Assert.Equal("s.yaml: error: (file): file not found: s.yaml\n1 error in 1 file", text);
    }

    [Fact]
    public void Format_NoDiagnostics_SaysSo()
    {
        Assert.Equal("no errors", ManifestReport.Format([]));
    }
}
