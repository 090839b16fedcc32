using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Neokernel.Kernel.Manifests;

/// <summary>What a manifest field holds, as far as YAML structure goes.</summary>
internal enum ShapeKind
{
    Text,
    Boolean,
    Integer,
    Number,
    Mapping,
    List,
    TextMap,

    /// <summary>A mapping of names (chosen by the writer) to values of one shape, <see cref="ManifestShape.Item"/>.</summary>
    NameMap,
}

/// <summary>One field of a manifest mapping: its YAML key and what it holds.</summary>
internal sealed record ShapeField(string Key, ManifestShape Shape, bool Nullable);

/// <summary>
/// The structure the model expects, derived from the generated YAML type inspector rather than
/// written a second time, so the structural check can never disagree with the deserializer
/// about which keys exist. Used to report every unknown field and wrong type in a file at once,
/// before the deserializer (which stops at the first) ever sees it.
/// </summary>
internal sealed class ManifestShape
{
    private static readonly ManifestYamlContext Context = new();
    private static readonly Dictionary<Type, ManifestShape> Cache = [];
    private static readonly Lock CacheLock = new();

    private ManifestShape(ShapeKind kind, string description)
    {
        Kind = kind;
        Description = description;
    }

    public ShapeKind Kind { get; }

    /// <summary>How the expected value is described to people: "a whole number", "a mapping".</summary>
    public string Description { get; }

    /// <summary>Inclusive range of an <see cref="ShapeKind.Integer"/>: the range of its CLR type.</summary>
    public Int128 Min { get; private init; }

    public Int128 Max { get; private init; }

    /// <summary>The fields of a <see cref="ShapeKind.Mapping"/>, in model order.</summary>
    public IReadOnlyList<ShapeField> Fields { get; private set; } = [];

    /// <summary>The item shape of a <see cref="ShapeKind.List"/>, or the value shape of a <see cref="ShapeKind.NameMap"/>.</summary>
    public ManifestShape? Item { get; private init; }

    public static ManifestShape ServiceRoot => For(typeof(ServiceManifest));

    public static ManifestShape SystemRoot => For(typeof(SystemManifest));

    /// <summary>The field keys of a mapping, comma-separated, for "allowed:" text.</summary>
    public string FieldList => string.Join(", ", Fields.Select(f => f.Key));

    public ShapeField? Find(string key)
    {
        foreach (var field in Fields)
        {
            if (field.Key == key)
            {
                return field;
            }
        }

        return null;
    }

    public static ManifestShape For(Type type)
    {
        lock (CacheLock)
        {
            return Build(type);
        }
    }

    private static ManifestShape Build(Type type)
    {
        if (Cache.TryGetValue(type, out var cached))
        {
            return cached;
        }

        var shape = Scalar(Nullable.GetUnderlyingType(type) ?? type) ?? Composite(type);
        Cache[type] = shape;
        return shape;
    }

    private static ManifestShape? Scalar(Type type)
    {
        if (type == typeof(string))
        {
            return new ManifestShape(ShapeKind.Text, "text");
        }

        if (type == typeof(bool))
        {
            return new ManifestShape(ShapeKind.Boolean, "true or false");
        }

        if (type == typeof(int))
        {
            return new ManifestShape(ShapeKind.Integer, "a whole number") { Min = int.MinValue, Max = int.MaxValue };
        }

        if (type == typeof(long))
        {
            return new ManifestShape(ShapeKind.Integer, "a whole number") { Min = long.MinValue, Max = long.MaxValue };
        }

        if (type == typeof(ulong))
        {
            return new ManifestShape(ShapeKind.Integer, "a whole number") { Min = ulong.MinValue, Max = ulong.MaxValue };
        }

        if (type == typeof(double))
        {
            return new ManifestShape(ShapeKind.Number, "a number");
        }

        return null;
    }

    private static ManifestShape Composite(Type type)
    {
        if (type == typeof(Dictionary<string, string>))
        {
            return new ManifestShape(ShapeKind.TextMap, "a mapping of names to values");
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && type.GetGenericArguments()[0] == typeof(string))
        {
            return new ManifestShape(ShapeKind.NameMap, "a mapping of names") { Item = Build(type.GetGenericArguments()[1]) };
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            return new ManifestShape(ShapeKind.List, "a list") { Item = Build(type.GetGenericArguments()[0]) };
        }

        // Registered before its fields are built; the model has no recursive types, but this keeps it finite if one appears.
        var mapping = new ManifestShape(ShapeKind.Mapping, "a mapping");
        Cache[type] = mapping;
        var fields = new List<ShapeField>();
        foreach (var property in Context.GetTypeInspector().GetProperties(type, null))
        {
            var nullable = property.AllowNulls || Nullable.GetUnderlyingType(property.Type) is not null;
            fields.Add(new ShapeField(CamelCaseNamingConvention.Instance.Apply(property.Name), Build(property.Type), nullable));
        }

        if (fields.Count == 0)
        {
            throw new InvalidOperationException($"manifest type {type.Name} is not in the YAML static context");
        }

        mapping.Fields = fields;
        return mapping;
    }

    /// <summary>The static deserializer for manifests: generated code only, no reflection.</summary>
    internal static IDeserializer CreateDeserializer() =>
        new StaticDeserializerBuilder(new ManifestYamlContext())
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .Build();
}
