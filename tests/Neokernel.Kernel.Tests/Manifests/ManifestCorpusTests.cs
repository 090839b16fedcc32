using Neokernel.Kernel.Manifests;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests.Manifests;

/// <summary>
/// Runs the corpus of broken manifests. Each case states, in <c># expect: LINE:COL FIELD: PROBLEM</c>
/// comments inside the file the error is in, exactly which diagnostics it must produce: no more,
/// no fewer, so a check that stops firing or an error that cascades both fail.
/// <list type="bullet">
/// <item><c>Corpus/service/NAME.yaml</c>: one service file, loaded with <see cref="ManifestLoader.LoadService"/>.</item>
/// <item><c>Corpus/system/NAME/system.yaml</c>: a system and its service files, loaded with <see cref="ManifestLoader.LoadSystem"/>.</item>
/// </list>
/// </summary>
public sealed class ManifestCorpusTests
{
    private static string CorpusDirectory => Path.Combine(TestPrograms.ManifestsDirectory, "Corpus");

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(CorpusDirectory, "service"), "*.yaml").Order(StringComparer.Ordinal))
        {
            cases.Add("service/" + Path.GetFileNameWithoutExtension(file));
        }

        foreach (var directory in Directory.EnumerateDirectories(Path.Combine(CorpusDirectory, "system")).Order(StringComparer.Ordinal))
        {
            cases.Add("system/" + Path.GetFileName(directory));
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Load_CorpusCase_ProducesExactlyTheExpectedDiagnostics(string name)
    {
        var (diagnostics, files) = Load(name);
        ManifestExpectations.AssertExactly(name, diagnostics, files);
    }

    [Fact]
    public void Corpus_EveryCase_HasExpectations()
    {
        Assert.True(Cases().Count >= 100, $"the corpus should cover every check; it has {Cases().Count} cases");
    }

    private static (IReadOnlyList<ManifestDiagnostic> Diagnostics, IReadOnlyList<string> Files) Load(string name)
    {
        var path = Path.Combine(CorpusDirectory, name);
        var catalog = TestPrograms.Catalog();
        if (name.StartsWith("service/", StringComparison.Ordinal))
        {
            var file = path + ".yaml";
            var (manifest, diagnostics) = ManifestLoader.LoadService(file, new FileManifestSource(), catalog);
            Assert.Null(manifest);
            return (diagnostics, [file]);
        }

        var result = ManifestLoader.LoadSystem(Path.Combine(path, "system.yaml"), new FileManifestSource(), catalog);
        Assert.False(result.Succeeded);
        Assert.Null(result.System);
        return (result.Diagnostics, Directory.GetFiles(path, "*.yaml", SearchOption.AllDirectories));
    }
}
