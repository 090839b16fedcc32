using System.Globalization;
using System.Numerics;
using System.Xml.Linq;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>
/// A NodeSet &lt;Value&gt; as the UA Binary encoding of a Variant (Part 6 §5.2.2.16): the encoding
/// mask (the built-in type id, | 0x80 for an array), for an array the Int32 element count, then
/// the elements in the type's own encoding. Values of ExtensionObject type (Argument,
/// EnumValueType, ...) are left out: encoding them needs the structure codecs, and the nodes the
/// gateway serves that carry them (the methods' InputArguments, the EnumValues of a DataType) are
/// not in the selection or can do without their value.
/// </summary>
internal static class VariantEncoder
{
    private const byte ArrayFlag = 0x80;

    // The built-in types whose XML form the encoder knows, by element name, with their type id.
    private static readonly Dictionary<string, byte> BuiltInTypes = new(StringComparer.Ordinal)
    {
        ["Boolean"] = 1, ["SByte"] = 2, ["Byte"] = 3, ["Int16"] = 4, ["UInt16"] = 5, ["Int32"] = 6,
        ["UInt32"] = 7, ["Int64"] = 8, ["UInt64"] = 9, ["Float"] = 10, ["Double"] = 11, ["String"] = 12,
        ["DateTime"] = 13, ["ByteString"] = 15, ["NodeId"] = 17, ["QualifiedName"] = 20, ["LocalizedText"] = 21,
    };

    private const string ListPrefix = "ListOf";

    /// <summary>The Variant bytes of <paramref name="value"/>, or null when it is an ExtensionObject (left out).</summary>
    public static byte[]? Encode(XElement value, NodeSet nodeSet)
    {
        var name = value.Name.LocalName;
        var isArray = name.StartsWith(ListPrefix, StringComparison.Ordinal);
        var typeName = isArray ? name[ListPrefix.Length..] : name;
        if (typeName == "ExtensionObject")
        {
            return null;
        }

        if (!BuiltInTypes.TryGetValue(typeName, out var typeId))
        {
            throw nodeSet.Error(value, $"a value of type {name} has no encoder; the generator knows {string.Join(", ", BuiltInTypes.Keys)}, their ListOf arrays and ExtensionObject (left out)");
        }

        var writer = new ByteWriter();
        if (!isArray)
        {
            writer.Byte(typeId);
            Element(writer, typeName, value, nodeSet);
            return writer.ToArray();
        }

        var elements = value.Elements().ToList();
        if (elements.Any(e => e.Name.LocalName != typeName))
        {
            throw nodeSet.Error(value, $"<{name}> holds an element that is not a {typeName}");
        }

        writer.Byte((byte)(typeId | ArrayFlag));
        writer.Int32(elements.Count);
        foreach (var element in elements)
        {
            Element(writer, typeName, element, nodeSet);
        }

        return writer.ToArray();
    }

    private static void Element(ByteWriter writer, string typeName, XElement element, NodeSet nodeSet)
    {
        var text = element.Value.Trim();
        switch (typeName)
        {
            case "Boolean": writer.Byte(Boolean(text, element, nodeSet) ? (byte)1 : (byte)0); break;
            case "SByte": writer.Byte((byte)Number<sbyte>(text, element, nodeSet)); break;
            case "Byte": writer.Byte(Number<byte>(text, element, nodeSet)); break;
            case "Int16": writer.Int16(Number<short>(text, element, nodeSet)); break;
            case "UInt16": writer.UInt16(Number<ushort>(text, element, nodeSet)); break;
            case "Int32": writer.Int32(Number<int>(text, element, nodeSet)); break;
            case "UInt32": writer.UInt32(Number<uint>(text, element, nodeSet)); break;
            case "Int64": writer.Int64(Number<long>(text, element, nodeSet)); break;
            case "UInt64": writer.UInt64(Number<ulong>(text, element, nodeSet)); break;
            case "Float": writer.Single(Number<float>(text, element, nodeSet, NumberStyles.Float)); break;
            case "Double": writer.Double(Number<double>(text, element, nodeSet, NumberStyles.Float)); break;
            case "String": writer.UaString(element.Value); break;
            case "DateTime": writer.Int64(DateTimeTicks(text, element, nodeSet)); break;
            case "ByteString": ByteString(writer, text, element, nodeSet); break;
            case "NodeId": writer.Bytes(NodeIdBytes(element, nodeSet)); break;
            case "QualifiedName": QualifiedName(writer, element, nodeSet); break;
            case "LocalizedText": LocalizedText(writer, element); break;
            default: throw nodeSet.Error(element, $"no encoder for {typeName}");
        }
    }

    private static bool Boolean(string text, XElement element, NodeSet nodeSet) =>
        text switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw nodeSet.Error(element, $"'{text}' is not a Boolean (true or false)"),
        };

    private static T Number<T>(string text, XElement element, NodeSet nodeSet, NumberStyles styles = NumberStyles.AllowLeadingSign)
        where T : INumberBase<T> =>
        T.TryParse(text, styles, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw nodeSet.Error(element, $"'{text}' is not a valid {typeof(T).Name}");

    /// <summary>A DateTime: 100 ns intervals since 1601-01-01 UTC (Part 6 §5.2.2.5).</summary>
    private static long DateTimeTicks(string text, XElement element, NodeSet nodeSet) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.UtcDateTime.ToFileTimeUtc()
            : throw nodeSet.Error(element, $"'{text}' is not an xs:dateTime");

    /// <summary>A ByteString: Int32 length and the bytes (base64 in the XML).</summary>
    private static void ByteString(ByteWriter writer, string text, XElement element, NodeSet nodeSet)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw nodeSet.Error(element, "a ByteString value is not base64");
        }

        writer.Int32(bytes.Length);
        writer.Bytes(bytes);
    }

    /// <summary>
    /// A namespace-0 numeric NodeId in its shortest form (Part 6 §5.2.2.9): two-byte (0x00, id) up to
    /// 255, four-byte (0x01, namespace byte, UInt16 id) up to 65535, numeric (0x02, UInt16
    /// namespace, UInt32 id) above.
    /// </summary>
    public static byte[] NodeIdBytes(XElement element, NodeSet nodeSet)
    {
        var identifier = element.Elements().FirstOrDefault(e => e.Name.LocalName == "Identifier")?.Value
            ?? throw nodeSet.Error(element, "a NodeId value has no <Identifier>");
        var id = nodeSet.NodeId(identifier, element);
        var writer = new ByteWriter();
        if (id <= byte.MaxValue)
        {
            writer.Byte(0x00);
            writer.Byte((byte)id);
        }
        else if (id <= ushort.MaxValue)
        {
            writer.Byte(0x01);
            writer.Byte(0);
            writer.UInt16((ushort)id);
        }
        else
        {
            writer.Byte(0x02);
            writer.UInt16(0);
            writer.UInt32(id);
        }

        return writer.ToArray();
    }

    /// <summary>A QualifiedName: UInt16 namespace index, then the name as a String.</summary>
    private static void QualifiedName(ByteWriter writer, XElement element, NodeSet nodeSet)
    {
        var namespaceText = Child(element, "NamespaceIndex")?.Value.Trim() ?? "0";
        writer.UInt16(Number<ushort>(namespaceText, element, nodeSet));
        writer.UaString(Child(element, "Name")?.Value ?? "");
    }

    /// <summary>A LocalizedText: mask (0x01 locale present, 0x02 text present), then the present Strings.</summary>
    private static void LocalizedText(ByteWriter writer, XElement element)
    {
        var locale = Child(element, "Locale")?.Value;
        var text = Child(element, "Text")?.Value;
        var mask = (byte)((string.IsNullOrEmpty(locale) ? 0 : 0x01) | (text is null ? 0 : 0x02));
        writer.Byte(mask);
        if ((mask & 0x01) != 0)
        {
            writer.UaString(locale);
        }

        if ((mask & 0x02) != 0)
        {
            writer.UaString(text);
        }
    }

    private static XElement? Child(XElement element, string name) =>
        element.Elements().FirstOrDefault(e => e.Name.LocalName == name);
}
