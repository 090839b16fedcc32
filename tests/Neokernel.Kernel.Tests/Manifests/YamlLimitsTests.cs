using Neokernel.Kernel.Manifests;

namespace Neokernel.Kernel.Tests.Manifests;

public sealed class YamlLimitsTests
{
    [Fact]
    public void Check_NestingAtTheBound_Passes_OneDeeperIsRefusedWhereItGoesTooDeep()
    {
        // The root mapping is one level; 63 sequences inside it make 64.
        var atBound = "a: " + new string('[', YamlLimits.DepthMax - 1) + new string(']', YamlLimits.DepthMax - 1);
        Assert.Null(YamlLimits.Check(atBound, "f.yaml"));

        var beyond = YamlLimits.Check("a: " + new string('[', YamlLimits.DepthMax) + new string(']', YamlLimits.DepthMax), "f.yaml");
        Assert.NotNull(beyond);
        Assert.Equal(new SourceLocation("f.yaml", 1, 4 + YamlLimits.DepthMax - 1), beyond.Location);
    }

    [Fact]
    public void Check_AliasesWithinTheBound_Pass()
    {
        Assert.Null(YamlLimits.Check("defaults: &d { a: 1, b: 2 }\nfirst: *d\nsecond: *d\n", "f.yaml"));
    }

    [Fact]
    public void Check_AliasesCountedExpanded_RefusedAtTheAliasThatCrossesTheBound()
    {
        // 10 × 100 × 100 × 100 scalars once expanded: a few lines, a million nodes; the third line alone is 110,101.
        var text = "a: &a [" + string.Join(", ", Enumerable.Repeat("x", 10)) + "]\n"
            + "b: &b [" + string.Join(", ", Enumerable.Repeat("*a", 100)) + "]\n"
            + "c: &c [" + string.Join(", ", Enumerable.Repeat("*b", 100)) + "]\n"
            + "d: [" + string.Join(", ", Enumerable.Repeat("*c", 100)) + "]\n";
        var refused = YamlLimits.Check(text, "f.yaml");
        Assert.NotNull(refused);
        Assert.Contains("once its aliases are expanded", refused.Problem, StringComparison.Ordinal);
        Assert.Equal(3, refused.Location.Line);
    }

    [Fact]
    public void Check_TextLongerThanTheBound_IsRefusedBeforeParsing()
    {
        var refused = YamlLimits.Check(new string('#', YamlLimits.TextCharsMax + 1), "f.yaml");
        Assert.NotNull(refused);
        Assert.Contains("characters", refused.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BrokenYaml_IsLeftToTheLoader() =>
        Assert.Null(YamlLimits.Check("a: [1, 2\n", "f.yaml"));

    [Fact]
    public void KindOf_FlowStyleSystem_IsASystem_AndAServiceIsAService()
    {
        var source = new InMemoryManifestSource()
            .Add("/flow.yaml", "{ id: x, description: 'has a services: word in a value' }\n")
            .Add("/system.yaml", "# comment first\n{ system: s, services: [] }\n")
            .Add("/nested.yaml", "id: x\nprogram: { parameters: { system: 1 } }\n");
        Assert.Equal(ManifestKind.Service, ManifestLoader.KindOf("/flow.yaml", source));
        Assert.Equal(ManifestKind.System, ManifestLoader.KindOf("/system.yaml", source));
        Assert.Equal(ManifestKind.Service, ManifestLoader.KindOf("/nested.yaml", source));
    }
}
