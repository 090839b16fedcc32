using System.Globalization;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>
/// The three identifier files: NodeIds.g.cs (a constant per standard node, one class per NodeClass),
/// StatusCodes.g.cs (a constant per status code with name and description look-ups) and
/// AttributeIds.g.cs (the AttributeId enum).
/// </summary>
internal static class IdentifierGenerators
{
    // NodeIds.csv's NodeClass column, in the order the classes appear in the generated file.
    private static readonly (string NodeClass, string ClassName, string Summary)[] NodeIdClasses =
    [
        ("Object", "ObjectIds", "The numeric identifiers (namespace 0) of the standard Object nodes."),
        ("Variable", "VariableIds", "The numeric identifiers (namespace 0) of the standard Variable nodes."),
        ("Method", "MethodIds", "The numeric identifiers (namespace 0) of the standard Method nodes."),
        ("DataType", "DataTypeIds", "The numeric identifiers (namespace 0) of the standard DataType nodes."),
        ("ReferenceType", "ReferenceTypeIds", "The numeric identifiers (namespace 0) of the standard ReferenceType nodes."),
        ("ObjectType", "ObjectTypeIds", "The numeric identifiers (namespace 0) of the standard ObjectType nodes."),
        ("VariableType", "VariableTypeIds", "The numeric identifiers (namespace 0) of the standard VariableType nodes."),
        ("View", "ViewIds", "The numeric identifiers (namespace 0) of the standard View nodes."),
    ];

    public static void WriteNodeIds(SpecFiles spec, OutputDirectory output)
    {
        var path = spec.PathOf(SpecFiles.NodeIdsFile);
        var byClass = NodeIdClasses.ToDictionary(c => c.NodeClass, _ => new List<(string Name, uint Id)>(), StringComparer.Ordinal);
        foreach (var row in CsvFile.Read(path, 3))
        {
            if (!byClass.TryGetValue(row.Fields[2], out var list))
            {
                throw new SpecException(
                    $"{path}:{row.Line}: NodeClass '{row.Fields[2]}' is not one of {string.Join(", ", byClass.Keys)}");
            }

            list.Add((CSharpSource.Identifier(row.Fields[0]), ParseUInt(row.Fields[1], path, row.Line)));
        }

        var source = new CSharpSource(spec, SpecFiles.NodeIdsFile);
        foreach (var (nodeClass, className, summary) in NodeIdClasses)
        {
            var rows = byClass[nodeClass];
            if (rows.Count == 0)
            {
                continue;
            }

            RequireUniqueNames(rows.Select(r => r.Name), path, className);
            source.Summary(summary);
            source.Open($"public static class {className}");
            foreach (var (name, id) in rows)
            {
                source.Line($"public const uint {name} = {id.ToString(CultureInfo.InvariantCulture)};");
            }

            source.Close();
            source.Line();
        }

        output.Write("NodeIds.g.cs", source.ToString().TrimEnd('\n') + "\n");
    }

    public static void WriteStatusCodes(SpecFiles spec, OutputDirectory output)
    {
        var path = spec.PathOf(SpecFiles.StatusCodesFile);
        var codes = new List<(string Name, uint Code, string Description)>();
        foreach (var row in CsvFile.Read(path, 3))
        {
            var code = ParseHex(row.Fields[1], path, row.Line);
            if ((code & 0xFFFF) != 0)
            {
                throw new SpecException($"{path}:{row.Line}: status code {row.Fields[1]} has info bits set; a code's low 16 bits must be 0");
            }

            codes.Add((CSharpSource.Identifier(row.Fields[0]), code, row.Fields[2]));
        }

        RequireUniqueNames(codes.Select(c => c.Name), path, "StatusCodes");
        var sorted = codes.OrderBy(c => c.Code).ToList();
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Code == sorted[i - 1].Code)
            {
                throw new SpecException($"{path}: {sorted[i - 1].Name} and {sorted[i].Name} have the same code {CSharpSource.Hex(sorted[i].Code)}");
            }
        }

        var source = new CSharpSource(spec, SpecFiles.StatusCodesFile);
        source.Summary("The status codes of OPC UA (Part 4 §7.39, Part 6 Annex A): the severity in the top two bits, the code in bits 16-29, info bits below.");
        source.Open("public static partial class StatusCodes");
        foreach (var (name, code, description) in codes)
        {
            source.Summary(description);
            source.Line($"public const uint {name} = {CSharpSource.Hex(code)};");
        }

        source.Line();
        source.Line("// The codes in ascending order; NameOf and DescriptionOf search them and index the two arrays after them.");
        WriteArray(source, "private static ReadOnlySpan<uint> SortedCodes => [", sorted.Select(c => CSharpSource.Hex(c.Code) + ","));
        source.Line();
        WriteArray(source, "private static readonly string[] SortedNames = [", sorted.Select(c => CSharpSource.Literal(c.Name) + ","));
        source.Line();
        WriteArray(source, "private static readonly string[] SortedDescriptions = [", sorted.Select(c => CSharpSource.Literal(c.Description) + ","));
        source.Close();
        output.Write("StatusCodes.g.cs", source.ToString());
    }

    public static void WriteAttributeIds(SpecFiles spec, OutputDirectory output)
    {
        var path = spec.PathOf(SpecFiles.AttributeIdsFile);
        var rows = CsvFile.Read(path, 2);
        RequireUniqueNames(rows.Select(r => CSharpSource.Identifier(r.Fields[0])), path, "AttributeId");
        var source = new CSharpSource(spec, SpecFiles.AttributeIdsFile);
        source.Summary("The attributes of a node (Part 6 §A.1), as Read, Write and monitored items name them.");
        source.Open("public enum AttributeId : uint");
        foreach (var row in rows)
        {
            var id = ParseUInt(row.Fields[1], path, row.Line);
            source.Line($"{CSharpSource.Identifier(row.Fields[0])} = {id.ToString(CultureInfo.InvariantCulture)},");
        }

        source.Close();
        output.Write("AttributeIds.g.cs", source.ToString());
    }

    private static void WriteArray(CSharpSource source, string opening, IEnumerable<string> elements)
    {
        source.Line(opening);
        foreach (var element in elements)
        {
            source.Line("    " + element);
        }

        source.Line("];");
    }

    private static void RequireUniqueNames(IEnumerable<string> names, string path, string className)
    {
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new SpecException($"{path}: the name {duplicate.Key} appears twice in {className} (after making it an identifier)");
        }
    }

    public static uint ParseUInt(string text, string path, int line) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new SpecException($"{path}:{line}: '{text}' is not an unsigned 32-bit number");

    private static uint ParseHex(string text, string path, int line) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        && uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new SpecException($"{path}:{line}: '{text}' is not a status code written 0x followed by 8 hex digits");
}
