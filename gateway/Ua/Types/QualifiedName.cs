namespace Neokernel.Gateway.Ua;

/// <summary>A name qualified by a namespace index (Part 3 §8.3): the BrowseName of a node.</summary>
public readonly record struct QualifiedName(ushort NamespaceIndex, string? Name)
{
    public static QualifiedName Null => default;

    public bool IsNull => NamespaceIndex == 0 && string.IsNullOrEmpty(Name);

    public override string ToString() => NamespaceIndex == 0 ? Name ?? "" : $"{NamespaceIndex}:{Name}";
}

/// <summary>A text with its locale (Part 3 §8.5); either may be absent on the wire.</summary>
public readonly record struct LocalizedText(string? Locale, string? Text)
{
    public static LocalizedText Null => default;

    public static LocalizedText Invariant(string? text) => new(null, text);

    public bool IsNull => Locale is null && Text is null;

    public override string ToString() => Text ?? "";
}
