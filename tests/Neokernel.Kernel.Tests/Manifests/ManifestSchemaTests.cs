using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Kernel.Tests.Manifests;

/// <summary>
/// Keeps the JSON Schemas (for editor completion) and the model (what the loader reads) from
/// drifting apart: every model property is in the schema under its YAML name and nothing else is,
/// and the schema's enums are the words the validator accepts.
/// </summary>
public sealed class ManifestSchemaTests
{
    [Theory]
    [InlineData("service.schema.json", typeof(ServiceManifest))]
    [InlineData("system.schema.json", typeof(SystemManifest))]
    public void Schema_PropertyNames_MatchTheModel(string file, Type root)
    {
        using var schema = Load(file);
        var problems = new List<string>();

        Compare(schema.RootElement, schema.RootElement, root, "", problems);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [InlineData("service.schema.json", "/properties/kind", nameof(ManifestRules.Kinds))]
    [InlineData("service.schema.json", "/$defs/timing/properties/class", nameof(ManifestRules.TimingClasses))]
    [InlineData("service.schema.json", "/$defs/timing/properties/overrunPolicy", nameof(ManifestRules.OverrunPolicies))]
    [InlineData("service.schema.json", "/$defs/region/properties/access", nameof(ManifestRules.RegionAccesses))]
    [InlineData("service.schema.json", "/$defs/device/properties/access", nameof(ManifestRules.DeviceAccesses))]
    [InlineData("service.schema.json", "/$defs/restart/properties/policy", nameof(ManifestRules.RestartPolicies))]
    [InlineData("service.schema.json", "/$defs/safeState/properties/onBadInput", nameof(ManifestRules.BadInputPolicies))]
    [InlineData("system.schema.json", "/$defs/supervisor/properties/strategy", nameof(ManifestRules.SupervisorStrategies))]
    public void Schema_Enums_AreTheWordsTheValidatorAccepts(string file, string pointer, string rule)
    {
        using var schema = Load(file);
        var words = (IReadOnlyList<string>)typeof(ManifestRules).GetField(rule)!.GetValue(null)!;

        var node = At(schema.RootElement, pointer);

        Assert.Equal(words, node.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public void Schema_Files_DeclareDraft202012()
    {
        foreach (var file in new[] { "service.schema.json", "system.schema.json" })
        {
            using var schema = Load(file);
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema.RootElement.GetProperty("$schema").GetString());
        }
    }

    private static JsonDocument Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPrograms.ManifestsDirectory, "Schema", file)));

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Tests run on the JIT with the full model; reflection here only reads property names.")]
    private static void Compare(JsonElement schema, JsonElement node, Type type, string path, List<string> problems)
    {
        node = Resolve(schema, node);
        if (!node.TryGetProperty("additionalProperties", out var additional) || additional.ValueKind != JsonValueKind.False)
        {
            problems.Add($"{Name(path)}: additionalProperties must be false");
        }

        var properties = node.GetProperty("properties");
        var model = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..]);
        var written = properties.EnumerateObject().Select(p => p.Name).ToHashSet();
        problems.AddRange(model.Keys.Except(written).Select(k => $"{Name(path)}: model property '{k}' is missing from the schema"));
        problems.AddRange(written.Except(model.Keys).Select(k => $"{Name(path)}: schema property '{k}' is not in the model {type.Name}"));
        foreach (var (name, property) in model)
        {
            if (!properties.TryGetProperty(name, out var child))
            {
                continue;
            }

            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            var childType = property.PropertyType;
            if (childType.IsGenericType && childType.GetGenericTypeDefinition() == typeof(List<>))
            {
                childType = childType.GetGenericArguments()[0];
                child = Resolve(schema, child).GetProperty("items");
                childPath += "[]";
            }

            // Name maps (parameters, tables) are free-form in the root schema: the per-program allOf types them.
            var nameMap = childType.IsGenericType && childType.GetGenericTypeDefinition() == typeof(Dictionary<,>);
            if (childType.IsClass && childType != typeof(string) && !nameMap)
            {
                Compare(schema, child, childType, childPath, problems);
            }
        }

        if (node.TryGetProperty("required", out var required))
        {
            problems.AddRange(required.EnumerateArray().Select(r => r.GetString()!).Where(r => !written.Contains(r)).Select(r => $"{Name(path)}: required '{r}' is not a property"));
        }
    }

    private static JsonElement Resolve(JsonElement schema, JsonElement node) =>
        node.TryGetProperty("$ref", out var reference) ? At(schema, reference.GetString()!.TrimStart('#')) : node;

    private static JsonElement At(JsonElement root, string pointer)
    {
        var node = root;
        foreach (var part in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node.GetProperty(part);
        }

        return node;
    }

    private static string Name(string path) => path.Length == 0 ? "(root)" : path;
}
