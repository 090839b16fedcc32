using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>The NodeClass mask values of OPC UA (Part 3 §8.29), the same as the generated NodeClass enum.</summary>
internal enum UaNodeClass : byte
{
    Object = 1,
    Variable = 2,
    Method = 4,
    ObjectType = 8,
    VariableType = 16,
    ReferenceType = 32,
    DataType = 64,
    View = 128,
}

/// <summary>A reference in its forward direction: Source --ReferenceType--> Target.</summary>
internal readonly record struct UaReference(uint Source, uint ReferenceType, uint Target);

/// <summary>
/// One node of the NodeSet with the attributes namespace 0 needs; attributes the XML leaves out take
/// the defaults of UANodeSet.xsd (DataType BaseDataType i=24, ValueRank -1 scalar, AccessLevel and
/// UserAccessLevel 1 CurrentRead, Executable true, everything else 0 or false).
/// </summary>
internal sealed class UaNode
{
    public required uint Id { get; init; }
    public required UaNodeClass NodeClass { get; init; }
    public required string BrowseName { get; init; }
    public required string DisplayName { get; init; }
    public required string Description { get; init; }
    public required int Line { get; init; }
    public bool IsAbstract { get; init; }
    public bool Symmetric { get; init; }
    public string InverseName { get; init; } = "";
    public byte EventNotifier { get; init; }
    public bool Executable { get; init; } = true;
    public uint DataType { get; init; } = BaseDataTypeId;
    public int ValueRank { get; init; } = -1;
    public IReadOnlyList<uint> ArrayDimensions { get; init; } = [];
    public byte AccessLevel { get; init; } = 1;
    public byte UserAccessLevel { get; init; } = 1;
    public double MinimumSamplingInterval { get; init; }
    public bool Historizing { get; init; }

    /// <summary>The single child element of &lt;Value&gt; (e.g. &lt;ListOfLocalizedText&gt;), or null when the NodeSet gives no value.</summary>
    public XElement? Value { get; init; }

    public const uint BaseDataTypeId = 24;
}

/// <summary>
/// Opc.Ua.NodeSet2.xml read into nodes and references. The XML writes a reference at either end
/// (a child often holds the inverse HasProperty to its parent); here every reference is turned to
/// its forward direction and kept once, in document order, so both ends see the same set.
/// </summary>
internal sealed class NodeSet
{
    private static readonly XNamespace Ua = "http://opcfoundation.org/UA/2011/03/UANodeSet.xsd";

    private static readonly Dictionary<string, UaNodeClass> ElementClasses = new(StringComparer.Ordinal)
    {
        ["UAObject"] = UaNodeClass.Object,
        ["UAVariable"] = UaNodeClass.Variable,
        ["UAMethod"] = UaNodeClass.Method,
        ["UAObjectType"] = UaNodeClass.ObjectType,
        ["UAVariableType"] = UaNodeClass.VariableType,
        ["UAReferenceType"] = UaNodeClass.ReferenceType,
        ["UADataType"] = UaNodeClass.DataType,
        ["UAView"] = UaNodeClass.View,
    };

    private readonly string path;
    private readonly Dictionary<string, string> aliases = new(StringComparer.Ordinal);

    private NodeSet(string path) => this.path = path;

    public Dictionary<uint, UaNode> Nodes { get; } = [];

    /// <summary>Every reference once, forward, in the order the document first states it.</summary>
    public List<UaReference> References { get; } = [];

    public static NodeSet Load(string path)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(path, LoadOptions.SetLineInfo);
        }
        catch (XmlException error)
        {
            throw new SpecException($"{path}:{error.LineNumber}:{error.LinePosition}: not well-formed XML: {error.Message}");
        }

        var nodeSet = new NodeSet(path);
        nodeSet.Read(document.Root ?? throw new SpecException($"{path}: the document is empty"));
        return nodeSet;
    }

    private void Read(XElement root)
    {
        foreach (var alias in root.Element(Ua + "Aliases")?.Elements(Ua + "Alias") ?? [])
        {
            aliases[Attribute(alias, "Alias")] = alias.Value.Trim();
        }

        var seen = new HashSet<UaReference>();
        foreach (var element in root.Elements())
        {
            if (!ElementClasses.TryGetValue(element.Name.LocalName, out var nodeClass))
            {
                continue;
            }

            var node = ReadNode(element, nodeClass);
            if (!Nodes.TryAdd(node.Id, node))
            {
                throw Error(element, $"node i={node.Id} is defined twice");
            }

            foreach (var reference in element.Element(Ua + "References")?.Elements(Ua + "Reference") ?? [])
            {
                var type = NodeId(Attribute(reference, "ReferenceType"), reference);
                var other = NodeId(reference.Value, reference);
                var forward = !string.Equals((string?)reference.Attribute("IsForward"), "false", StringComparison.Ordinal);
                var normalized = forward ? new UaReference(node.Id, type, other) : new UaReference(other, type, node.Id);
                if (seen.Add(normalized))
                {
                    References.Add(normalized);
                }
            }
        }
    }

    private UaNode ReadNode(XElement element, UaNodeClass nodeClass)
    {
        var isVariable = nodeClass is UaNodeClass.Variable or UaNodeClass.VariableType;
        return new UaNode
        {
            Id = NodeId(Attribute(element, "NodeId"), element),
            NodeClass = nodeClass,
            BrowseName = BrowseName(Attribute(element, "BrowseName"), element),
            DisplayName = element.Element(Ua + "DisplayName")?.Value ?? "",
            Description = element.Element(Ua + "Description")?.Value ?? "",
            Line = ((IXmlLineInfo)element).LineNumber,
            IsAbstract = Flag(element, "IsAbstract", false),
            Symmetric = Flag(element, "Symmetric", false),
            InverseName = element.Element(Ua + "InverseName")?.Value ?? "",
            EventNotifier = (byte)Number(element, "EventNotifier", 0, byte.MaxValue),
            Executable = Flag(element, "Executable", true),
            DataType = isVariable ? NodeId((string?)element.Attribute("DataType") ?? "i=24", element) : 0,
            ValueRank = (int)Number(element, "ValueRank", -1, int.MaxValue, int.MinValue),
            ArrayDimensions = Dimensions(element),
            AccessLevel = (byte)Number(element, "AccessLevel", 1, byte.MaxValue),
            UserAccessLevel = (byte)Number(element, "UserAccessLevel", 1, byte.MaxValue),
            MinimumSamplingInterval = Real(element, "MinimumSamplingInterval"),
            Historizing = Flag(element, "Historizing", false),
            Value = element.Element(Ua + "Value")?.Elements().SingleOrDefault(),
        };
    }

    /// <summary>A namespace-0 numeric NodeId ("i=85", "ns=0;i=85" or an alias such as "HasComponent").</summary>
    public uint NodeId(string text, XElement where)
    {
        var resolved = aliases.TryGetValue(text.Trim(), out var alias) ? alias : text.Trim();
        if (resolved.StartsWith("ns=0;", StringComparison.Ordinal))
        {
            resolved = resolved["ns=0;".Length..];
        }

        return resolved.StartsWith("i=", StringComparison.Ordinal)
            && uint.TryParse(resolved.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? id
                : throw Error(where, $"'{text}' is not a numeric NodeId of namespace 0 (i=<number>) nor an alias of one");
    }

    public SpecException Error(XElement where, string message) =>
        new($"{path}:{((IXmlLineInfo)where).LineNumber}: {message}");

    private string BrowseName(string text, XElement where)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && text[..colon].All(char.IsAsciiDigit))
        {
            return text[..colon] == "0" ? text[(colon + 1)..] : throw Error(where, $"BrowseName '{text}' is not in namespace 0");
        }

        return text;
    }

    private string Attribute(XElement element, string name) =>
        (string?)element.Attribute(name) ?? throw Error(element, $"<{element.Name.LocalName}> has no {name} attribute");

    private bool Flag(XElement element, string name, bool fallback) =>
        (string?)element.Attribute(name) switch
        {
            null => fallback,
            "true" => true,
            "false" => false,
            var other => throw Error(element, $"{name}=\"{other}\" is not true or false"),
        };

    private long Number(XElement element, string name, long fallback, long max, long min = 0)
    {
        var text = (string?)element.Attribute(name);
        if (text is null)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Error(element, $"{name}=\"{text}\" is not a number from {min} to {max}");
    }

    private double Real(XElement element, string name)
    {
        var text = (string?)element.Attribute(name);
        if (text is null)
        {
            return 0;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(element, $"{name}=\"{text}\" is not a number");
    }

    private List<uint> Dimensions(XElement element)
    {
        var text = (string?)element.Attribute("ArrayDimensions");
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        return text.Split(',').Select(part =>
            uint.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                ? length
                : throw Error(element, $"ArrayDimensions=\"{text}\" is not a comma-separated list of lengths")).ToList();
    }
}
