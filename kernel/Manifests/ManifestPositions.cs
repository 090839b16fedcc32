namespace Neokernel.Kernel.Manifests;

/// <summary>
/// Where each field of one manifest file was written, by field path (<c>timing.periodUs</c>,
/// <c>regions[1].name</c>, <c>services[2].manifest</c>). The validator works on the object
/// model, which has no positions; this map lets it still point at the line and column.
/// A field that was not written (a default or a missing required field) is located at the
/// nearest enclosing field that was.
/// </summary>
public sealed class ManifestPositions
{
    private readonly Dictionary<string, (int Line, int Column)> keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Line, int Column)> values = new(StringComparer.Ordinal);

    public ManifestPositions(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        File = file;
    }

    /// <summary>The file the positions are in, as diagnostics name it.</summary>
    public string File { get; }

    /// <summary>Positions for a manifest built in code: every location is the file alone.</summary>
    public static ManifestPositions None(string file) => new(file);

    /// <summary>Records where the key of <paramref name="path"/> starts.</summary>
    public void AddKey(string path, int line, int column) => keys.TryAdd(path, (line, column));

    /// <summary>Records where the value of <paramref name="path"/> (or the list item it names) starts.</summary>
    public void AddValue(string path, int line, int column) => values.TryAdd(path, (line, column));

    /// <summary>True if the file wrote this field.</summary>
    public bool Has(string path) => values.ContainsKey(path) || keys.ContainsKey(path);

    /// <summary>Where the value of <paramref name="path"/> is, or where its nearest written parent is.</summary>
    public SourceLocation Value(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (values.TryGetValue(path, out var value))
        {
            return new SourceLocation(File, value.Line, value.Column);
        }

        return Key(path);
    }

    /// <summary>Where the key of <paramref name="path"/> is, or where its nearest written parent is.</summary>
    public SourceLocation Key(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (var current = path; current.Length > 0; current = Parent(current))
        {
            if (keys.TryGetValue(current, out var key) || values.TryGetValue(current, out key))
            {
                return new SourceLocation(File, key.Line, key.Column);
            }
        }

        return values.TryGetValue("", out var root) ? new SourceLocation(File, root.Line, root.Column) : new SourceLocation(File, 0, 0);
    }

    /// <summary>The field whose key or value starts at this line and column, if any: to name the field of a parser error.</summary>
    public string? FieldAt(int line, int column)
    {
        foreach (var (path, position) in values.Concat(keys))
        {
            if (position == (line, column) && path.Length > 0)
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>The field path one level up: <c>a.b[2].c</c> → <c>a.b[2]</c> → <c>a.b</c> → <c>a</c> → empty.</summary>
    internal static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}
