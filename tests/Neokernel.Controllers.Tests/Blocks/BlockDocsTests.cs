using Neokernel.Controllers.Blocks;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class BlockDocsTests
{
    [Fact]
    public void DocsBlocksMd_is_the_generated_text()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "BLOCKS.md");
        if (Environment.GetEnvironmentVariable("NEOKERNEL_WRITE_BLOCKS_MD") == "1")
        {
            File.WriteAllText(path, BlockCatalogMarkdown.Generate());
        }

        Assert.True(File.Exists(path), $"{path} is missing; write BlockCatalogMarkdown.Generate() there (NEOKERNEL_WRITE_BLOCKS_MD=1 does)");
        Assert.Equal(BlockCatalogMarkdown.Generate(), File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Neokernel.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("no Neokernel.slnx above the test's directory");
    }
}
