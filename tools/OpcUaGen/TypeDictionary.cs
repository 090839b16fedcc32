using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>A field of a structure as Opc.Ua.Types.bsd lays it out; an array's NoOf length field is folded into it.</summary>
internal sealed record BsdField(string Name, string TypeName, bool IsArray);

/// <summary>A structure: its fields in wire order, those of its base type included (the dictionary repeats them).</summary>
/// <remarks><paramref name="HasOptionalFields"/>: the structure switches fields on bits (opc:Bit, SwitchField), which the generator does not lay out.</remarks>
internal sealed record BsdStructure(string Name, IReadOnlyList<BsdField> Fields, bool HasOptionalFields, int Line);

/// <summary>An enumeration: its values, whether it is an option set (flags), and its size on the wire.</summary>
internal sealed record BsdEnumeration(string Name, IReadOnlyList<(string Name, long Value)> Values, bool IsOptionSet, int LengthInBits, int Line);

/// <summary>
/// Opc.Ua.Types.bsd (the OPC Binary type dictionary of namespace 0, Part 3 Annex C): the binary layout of
/// every structure, service requests and responses included, and every enumeration.
/// </summary>
internal sealed class TypeDictionary
{
    private static readonly XNamespace Opc = "http://opcfoundation.org/BinarySchema/";

    private TypeDictionary(string path) => Path = path;

    public string Path { get; }

    public Dictionary<string, BsdStructure> Structures { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, BsdEnumeration> Enumerations { get; } = new(StringComparer.Ordinal);

    public static TypeDictionary Load(string path)
    {
        var document = SpecFiles.LoadXml(path);
        var dictionary = new TypeDictionary(path);
        foreach (var element in document.Root?.Elements() ?? [])
        {
            if (element.Name == Opc + "StructuredType")
            {
                var structure = dictionary.ReadStructure(element);
                dictionary.Structures[structure.Name] = structure;
            }
            else if (element.Name == Opc + "EnumeratedType")
            {
                var enumeration = dictionary.ReadEnumeration(element);
                dictionary.Enumerations[enumeration.Name] = enumeration;
            }
        }

        return dictionary;
    }

    public SpecException Error(int line, string message) => new($"{Path}:{line}: {message}");

    private BsdStructure ReadStructure(XElement element)
    {
        var name = Required(element, "Name");
        var line = ((IXmlLineInfo)element).LineNumber;
        var fields = element.Elements(Opc + "Field").ToList();
        var lengthFields = fields.Select(f => (string?)f.Attribute("LengthField")).Where(l => l is not null).ToHashSet(StringComparer.Ordinal);
        var result = new List<BsdField>();
        foreach (var field in fields)
        {
            var fieldName = Required(field, "Name");
            if (lengthFields.Contains(fieldName))
            {
                continue;
            }

            result.Add(new BsdField(fieldName, Required(field, "TypeName"), field.Attribute("LengthField") is not null));
        }

        var hasOptionalFields = fields.Any(f => f.Attribute("SwitchField") is not null || (string?)f.Attribute("TypeName") == "opc:Bit");
        return new BsdStructure(name, result, hasOptionalFields, line);
    }

    private BsdEnumeration ReadEnumeration(XElement element)
    {
        var line = ((IXmlLineInfo)element).LineNumber;
        var values = element.Elements(Opc + "EnumeratedValue")
            .Select(v => (Required(v, "Name"), long.Parse(Required(v, "Value"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)))
            .ToList();
        var bits = int.Parse((string?)element.Attribute("LengthInBits") ?? "32", CultureInfo.InvariantCulture);
        var isOptionSet = string.Equals((string?)element.Attribute("IsOptionSet"), "true", StringComparison.Ordinal);
        return new BsdEnumeration(Required(element, "Name"), values, isOptionSet, bits, line);
    }

    private string Required(XElement element, string attribute) =>
        (string?)element.Attribute(attribute)
            ?? throw Error(((IXmlLineInfo)element).LineNumber, $"<{element.Name.LocalName}> has no {attribute} attribute");
}
