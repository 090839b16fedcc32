using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Neokernel.Kernel.Manifests;

/// <summary>
/// Checks a parsed YAML tree against the shape of the model: unknown fields, lists where a
/// mapping belongs, <c>periodUs: fast</c>, missing values. It reports every such problem in
/// the file, with the key or value position, and records where each field is for the validator.
/// </summary>
internal sealed class ManifestStructure
{
    private readonly ManifestPositions positions;
    private readonly List<ManifestDiagnostic> diagnostics;

    private ManifestStructure(ManifestPositions positions, List<ManifestDiagnostic> diagnostics)
    {
        this.positions = positions;
        this.diagnostics = diagnostics;
    }

    /// <summary>Walks <paramref name="root"/>; returns false if it found a problem.</summary>
    public static bool Check(YamlNode root, ManifestShape shape, ManifestPositions positions, List<ManifestDiagnostic> diagnostics)
    {
        var before = diagnostics.Count;
        positions.AddValue("", Line(root.Start), Column(root.Start));
        new ManifestStructure(positions, diagnostics).Node(root, shape, "");
        return diagnostics.Count == before;
    }

    internal static int Line(Mark mark) => (int)Math.Min(mark.Line, int.MaxValue);

    internal static int Column(Mark mark) => (int)Math.Min(mark.Column, int.MaxValue);

    /// <summary>A plain scalar YAML reads as null: empty, <c>~</c> or <c>null</c>.</summary>
    internal static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private void Node(YamlNode node, ManifestShape shape, string path)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Mapping:
                Mapping(node, shape, path);
                break;
            case ShapeKind.List:
                List(node, shape, path);
                break;
            case ShapeKind.TextMap:
                TextMap(node, path);
                break;
            case ShapeKind.NameMap:
                NameMap(node, shape, path);
                break;
            case ShapeKind.Text:
                Text(node, path);
                break;
            case ShapeKind.Integer:
                Integer(node, shape, path);
                break;
            case ShapeKind.Number:
                Number(node, path);
                break;
            case ShapeKind.Boolean:
                Boolean(node, path);
                break;
        }
    }

    private void Mapping(YamlNode node, ManifestShape shape, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected a mapping, found {Describe(node)}", $"a mapping with fields {shape.FieldList}");
            return;
        }

        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Error(keyNode, path, "a key must be a plain name", shape.FieldList);
                continue;
            }

            var field = shape.Find(key);
            var fieldPath = Join(path, key);
            if (field is null)
            {
                Error(keyNode, fieldPath, UnknownField(key, shape), shape.FieldList);
                continue;
            }

            positions.AddKey(fieldPath, Line(keyNode.Start), Column(keyNode.Start));
            positions.AddValue(fieldPath, Line(value.Start), Column(value.Start));
            Field(value, field, fieldPath);
        }
    }

    private void Field(YamlNode value, ShapeField field, string path)
    {
        if (!IsNull(value))
        {
            Node(value, field.Shape, path);
            return;
        }

        if (!field.Nullable)
        {
            var hint = field.Shape.Kind switch
            {
                ShapeKind.List => " (write [] for none)",
                ShapeKind.Text => " (write \"\" for empty text)",
                _ => "",
            };
            Error(value, path, "no value" + hint, Expected(field.Shape));
        }
    }

    private void List(YamlNode node, ManifestShape shape, string path)
    {
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, path, $"expected a list, found {Describe(node)}", $"a list; each item {Expected(shape.Item!)}");
            return;
        }

        var index = 0;
        foreach (var item in sequence.Children)
        {
            var itemPath = $"{path}[{index}]";
            positions.AddValue(itemPath, Line(item.Start), Column(item.Start));
            if (IsNull(item))
            {
                Error(item, itemPath, "empty list item", Expected(shape.Item!));
            }
            else
            {
                Node(item, shape.Item!, itemPath);
            }

            index++;
        }
    }

    private void TextMap(YamlNode node, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected a mapping, found {Describe(node)}", "name: value pairs");
            return;
        }

        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                Error(keyNode, path, "a key must be a plain name", "name: value pairs");
                continue;
            }

            var entryPath = Join(path, key);
            positions.AddKey(entryPath, Line(keyNode.Start), Column(keyNode.Start));
            positions.AddValue(entryPath, Line(value.Start), Column(value.Start));
            if (IsNull(value) || value is not YamlScalarNode)
            {
                Error(value, entryPath, IsNull(value) ? "no value (write \"\" for empty text)" : $"expected text, found {Describe(value)}", "text or a number");
            }
        }
    }

    private void NameMap(YamlNode node, ManifestShape shape, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected a mapping, found {Describe(node)}", $"names, each {Expected(shape.Item!)}");
            return;
        }

        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                Error(keyNode, path, "a key must be a plain name", $"names, each {Expected(shape.Item!)}");
                continue;
            }

            var entryPath = Join(path, key);
            positions.AddKey(entryPath, Line(keyNode.Start), Column(keyNode.Start));
            positions.AddValue(entryPath, Line(value.Start), Column(value.Start));
            if (IsNull(value))
            {
                Error(value, entryPath, "no value", Expected(shape.Item!));
            }
            else
            {
                Node(value, shape.Item!, entryPath);
            }
        }
    }

    private void Text(YamlNode node, string path)
    {
        if (node is not YamlScalarNode)
        {
            Error(node, path, $"expected text, found {Describe(node)}", "text");
        }
    }

    private void Integer(YamlNode node, ManifestShape shape, string path)
    {
        if (node is not YamlScalarNode { Value: { } text })
        {
            Error(node, path, $"expected a whole number, found {Describe(node)}", "a whole number");
            return;
        }

        if (!TryParseInteger(text, out var value, out var problem))
        {
            Error(node, path, problem, "a whole number, e.g. 1000");
            return;
        }

        if (value < shape.Min || value > shape.Max)
        {
            var range = $"{shape.Min.ToString(CultureInfo.InvariantCulture)}..{shape.Max.ToString(CultureInfo.InvariantCulture)}";
            Error(node, path, $"{text} does not fit this field", $"a whole number in {range}");
        }
    }

    /// <summary>Only true and false: YAML 1.1's yes/no/on/off are not read the same way by every tool.</summary>
    private void Boolean(YamlNode node, string path)
    {
        if (node is not YamlScalarNode { Value: "true" or "false" })
        {
            Error(node, path, $"expected true or false, found {Describe(node)}", "true or false");
        }
    }

    private void Number(YamlNode node, string path)
    {
        if (node is not YamlScalarNode { Value: { } text })
        {
            Error(node, path, $"expected a number, found {Describe(node)}", "a finite number, e.g. 0, -1.5, 2e3");
            return;
        }

        var clean = text.Replace("_", "", StringComparison.Ordinal);
        if (!double.TryParse(clean, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Error(node, path, $"'{text}' is not a finite number", "a finite number, e.g. 0, -1.5, 2e3");
        }
    }

    /// <summary>
    /// Decimal or 0x-hexadecimal whole numbers, with optional sign and '_' separators: what the
    /// deserializer reads the same way. A leading zero is refused because YAML reads 010 as octal 8.
    /// </summary>
    internal static bool TryParseInteger(string text, out Int128 value, out string problem)
    {
        value = 0;
        problem = $"'{text}' is not a whole number";
        var clean = text.Trim().Replace("_", "", StringComparison.Ordinal);
        var negative = clean.StartsWith('-');
        if (negative || clean.StartsWith('+'))
        {
            clean = clean[1..];
        }

        if (clean.Length == 0)
        {
            return false;
        }

        var hex = clean.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!hex && clean.Length > 1 && clean[0] == '0')
        {
            problem = $"'{text}' has a leading zero, which YAML reads as octal; write the number without it";
            return false;
        }

        var digits = hex ? clean[2..] : clean;
        var style = hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None;
        if (digits.Length == 0 || digits.Length > 30 || !UInt128.TryParse(digits, style, CultureInfo.InvariantCulture, out var magnitude) || magnitude > (UInt128)Int128.MaxValue)
        {
            return false;
        }

        value = negative ? -(Int128)magnitude : (Int128)magnitude;
        return true;
    }

    private static string UnknownField(string key, ManifestShape shape)
    {
        var suggestion = Suggest(key, shape);
        return suggestion is null ? "unknown field" : $"unknown field (did you mean {suggestion}?)";
    }

    /// <summary>The field a typo most likely meant: same letters ignoring case, or a few edits away.</summary>
    private static string? Suggest(string key, ManifestShape shape)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var field in shape.Fields)
        {
            var distance = string.Equals(field.Key, key, StringComparison.OrdinalIgnoreCase) ? 0 : EditDistance(key.ToLowerInvariant(), field.Key.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = field.Key;
                bestDistance = distance;
            }
        }

        return bestDistance <= Math.Max(1, Math.Min(3, key.Length / 2)) ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    internal static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: var text } => $"'{text}'",
        _ => "an alias",
    };

    /// <summary>What a value of <paramref name="shape"/> looks like, for "allowed:" text.</summary>
    private static string Expected(ManifestShape shape) =>
        shape.Kind == ShapeKind.Mapping ? $"a mapping with fields {shape.FieldList}" : shape.Description;

    internal static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private void Error(YamlNode node, string path, string problem, string allowed) =>
        diagnostics.Add(new ManifestDiagnostic(new SourceLocation(positions.File, Line(node.Start), Column(node.Start)), path.Length == 0 ? "(file)" : path, problem, allowed));
}
