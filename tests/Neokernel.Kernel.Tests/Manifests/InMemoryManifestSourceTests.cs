using Neokernel.Kernel.Manifests;

namespace Neokernel.Kernel.Tests.Manifests;

public sealed class InMemoryManifestSourceTests
{
    [Theory]
    [InlineData("sys/system.yaml", "a.yaml", "sys/a.yaml")]
    [InlineData("sys/system.yaml", "./services/a.yaml", "sys/services/a.yaml")]
    [InlineData("sys/system.yaml", "../shared/a.yaml", "shared/a.yaml")]
    [InlineData("system.yaml", "a.yaml", "a.yaml")]
    [InlineData("/etc/nk/system.yaml", "../a.yaml", "/etc/a.yaml")]
    [InlineData("sys/system.yaml", "/abs/a.yaml", "/abs/a.yaml")]
    [InlineData("sys\\system.yaml", "svc\\a.yaml", "sys/svc/a.yaml")]
    public void ResolveRelative_Paths_FoldToOneName(string from, string relative, string expected)
    {
        Assert.Equal(expected, new InMemoryManifestSource().ResolveRelative(from, relative));
    }

    [Fact]
    public void ReadText_DifferentSpellingsOfOnePath_FindTheSameFile()
    {
        var source = new InMemoryManifestSource().Add("sys/./a.yaml", "id: a");

        Assert.Equal("id: a", source.ReadText("sys/a.yaml"));
        Assert.Equal("id: a", source.ReadText("sys/x/../a.yaml"));
        Assert.Null(source.ReadText("a.yaml"));
    }
}
