using System.Globalization;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>
/// ServiceTypes.g.cs: the request and response of every service the gateway serves, with every
/// structure and enumeration they contain, as C# types from Opc.Ua.Types.bsd. Each structure has
/// its fields as properties in wire order, Encode against UaEncoder, a static Decode against
/// UaDecoder, and, when NodeIds.csv has one, its DefaultBinary encoding id (IEncodeable).
/// </summary>
internal static class ServiceTypesGenerator
{
    /// <summary>The services of issue 9 (Micro Embedded Device 2017 Server Profile, Standard DataChange Subscription Server Facet) and the secure channel's: each gives its Request and Response.</summary>
    private static readonly string[] Services =
    [
        "OpenSecureChannel", "CloseSecureChannel",
        "FindServers", "GetEndpoints",
        "CreateSession", "ActivateSession", "CloseSession",
        "Browse", "BrowseNext", "TranslateBrowsePathsToNodeIds", "RegisterNodes", "UnregisterNodes",
        "Read", "Write", "Call",
        "CreateSubscription", "ModifySubscription", "SetPublishingMode", "Publish", "Republish", "DeleteSubscriptions",
        "CreateMonitoredItems", "ModifyMonitoredItems", "SetMonitoringMode", "DeleteMonitoredItems",
    ];

    /// <summary>
    /// Structures these services carry inside ExtensionObjects or Variants, which the field types do
    /// not name: the fault that answers any request, the identity tokens of ActivateSession, the
    /// data-change filter and notifications of subscriptions, the values of ServerStatus and of
    /// method Argument properties.
    /// </summary>
    private static readonly string[] CarriedStructures =
    [
        "ServiceFault",
        "AnonymousIdentityToken", "UserNameIdentityToken",
        "DataChangeFilter", "DataChangeNotification", "StatusChangeNotification",
        "ServerStatusDataType", "Argument",
    ];

    /// <summary>Enumerations the hand-written stack already defines with the dictionary's values.</summary>
    private static readonly Dictionary<string, string> PredefinedEnumerations = new(StringComparer.Ordinal)
    {
        ["NodeClass"] = "NodeClass",
    };

    /// <summary>Names the hand-written stack (gateway/Ua/Types, Encoding, Generated) uses; a generated type must not take one.</summary>
    private static readonly HashSet<string> ReservedNames =
    [
        "BuiltInType", "DataValue", "DiagnosticInfo", "ExtensionObject", "ExtensionObjectEncoding", "IEncodeable",
        "NodeId", "IdType", "ExpandedNodeId", "QualifiedName", "LocalizedText", "StatusCode", "StatusCodes", "Variant",
        "UaDateTime", "AttributeId", "UaEncoder", "UaDecoder", "UaCodecLimits", "UaCodecException", "Namespace0",
    ];

    // The built-in types of the dictionary: C# type, how to write a value {0}, how to read one.
    private static readonly Dictionary<string, (string Type, string Write, string Read)> BuiltIns = new(StringComparer.Ordinal)
    {
        ["opc:Boolean"] = ("bool", "WriteBoolean", "ReadBoolean"),
        ["opc:SByte"] = ("sbyte", "WriteSByte", "ReadSByte"),
        ["opc:Byte"] = ("byte", "WriteByte", "ReadByte"),
        ["opc:Int16"] = ("short", "WriteInt16", "ReadInt16"),
        ["opc:UInt16"] = ("ushort", "WriteUInt16", "ReadUInt16"),
        ["opc:Int32"] = ("int", "WriteInt32", "ReadInt32"),
        ["opc:UInt32"] = ("uint", "WriteUInt32", "ReadUInt32"),
        ["opc:Int64"] = ("long", "WriteInt64", "ReadInt64"),
        ["opc:UInt64"] = ("ulong", "WriteUInt64", "ReadUInt64"),
        ["opc:Float"] = ("float", "WriteFloat", "ReadFloat"),
        ["opc:Double"] = ("double", "WriteDouble", "ReadDouble"),
        ["opc:String"] = ("string?", "WriteString", "ReadString"),
        ["opc:CharArray"] = ("string?", "WriteString", "ReadString"),
        ["opc:DateTime"] = ("long", "WriteDateTime", "ReadDateTime"),
        ["opc:Guid"] = ("Guid", "WriteGuid", "ReadGuid"),
        ["opc:ByteString"] = ("byte[]?", "WriteByteString", "ReadByteString"),
        ["ua:XmlElement"] = ("string?", "WriteXmlElement", "ReadXmlElement"),
        ["ua:NodeId"] = ("NodeId", "WriteNodeId", "ReadNodeId"),
        ["ua:ExpandedNodeId"] = ("ExpandedNodeId", "WriteExpandedNodeId", "ReadExpandedNodeId"),
        ["ua:StatusCode"] = ("StatusCode", "WriteStatusCode", "ReadStatusCode"),
        ["ua:QualifiedName"] = ("QualifiedName", "WriteQualifiedName", "ReadQualifiedName"),
        ["ua:LocalizedText"] = ("LocalizedText", "WriteLocalizedText", "ReadLocalizedText"),
        ["ua:ExtensionObject"] = ("ExtensionObject", "WriteExtensionObject", "ReadExtensionObject"),
        ["ua:DataValue"] = ("DataValue", "WriteDataValue", "ReadDataValue"),
        ["ua:Variant"] = ("Variant", "WriteVariant", "ReadVariant"),
        ["ua:DiagnosticInfo"] = ("DiagnosticInfo?", "WriteDiagnosticInfo", "ReadDiagnosticInfo"),
    };

    private const string TypesPrefix = "tns:";

    public static string Write(SpecFiles spec, OutputDirectory output)
    {
        var dictionary = TypeDictionary.Load(spec.PathOf(SpecFiles.TypeDictionaryFile));
        var encodingIds = EncodingIds(spec);
        var (structures, enumerations) = Select(dictionary);

        var source = new CSharpSource(spec, SpecFiles.TypeDictionaryFile + " and " + SpecFiles.NodeIdsFile);
        foreach (var enumeration in enumerations)
        {
            WriteEnumeration(source, enumeration);
        }

        foreach (var structure in structures)
        {
            WriteStructure(source, dictionary, structure, encodingIds);
        }

        output.Write("ServiceTypes.g.cs", source.ToString().TrimEnd('\n') + "\n");
        return $"ServiceTypes: {Services.Length} services, {structures.Count} structures, {enumerations.Count} enumerations";
    }

    /// <summary>The structures and enumerations the services reach through their fields, in name order.</summary>
    private static (List<BsdStructure> Structures, List<BsdEnumeration> Enumerations) Select(TypeDictionary dictionary)
    {
        var structures = new SortedDictionary<string, BsdStructure>(StringComparer.Ordinal);
        var enumerations = new SortedDictionary<string, BsdEnumeration>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        foreach (var root in Services.SelectMany(s => new[] { s + "Request", s + "Response" }).Concat(CarriedStructures).Reverse())
        {
            pending.Push(root);
        }

        while (pending.TryPop(out var name))
        {
            if (structures.ContainsKey(name))
            {
                continue;
            }

            if (!dictionary.Structures.TryGetValue(name, out var structure))
            {
                throw new SpecException($"{dictionary.Path}: the service set needs the structure {name}, which the dictionary does not define");
            }

            if (structure.HasOptionalFields)
            {
                throw dictionary.Error(structure.Line, $"{name} has optional fields (opc:Bit switches), which the generator does not lay out");
            }

            structures[name] = structure;
            foreach (var field in structure.Fields.Where(f => f.TypeName.StartsWith(TypesPrefix, StringComparison.Ordinal)))
            {
                var typeName = field.TypeName[TypesPrefix.Length..];
                if (dictionary.Enumerations.TryGetValue(typeName, out var enumeration))
                {
                    if (!PredefinedEnumerations.ContainsKey(typeName))
                    {
                        enumerations[typeName] = enumeration;
                    }
                }
                else
                {
                    pending.Push(typeName);
                }
            }
        }

        foreach (var name in structures.Keys.Concat(enumerations.Keys).Where(ReservedNames.Contains))
        {
            throw new SpecException($"{dictionary.Path}: the generated type {name} would take a name the hand-written stack already uses");
        }

        return ([.. structures.Values], [.. enumerations.Values]);
    }

    /// <summary>The DefaultBinary encoding object of each structure, from NodeIds.csv's rows &lt;Name&gt;_Encoding_DefaultBinary.</summary>
    private static HashSet<string> EncodingIds(SpecFiles spec)
    {
        const string Suffix = "_Encoding_DefaultBinary";
        return CsvFile.Read(spec.PathOf(SpecFiles.NodeIdsFile), 3)
            .Where(r => r.Fields[0].EndsWith(Suffix, StringComparison.Ordinal) && r.Fields[2] == "Object")
            .Select(r => r.Fields[0][..^Suffix.Length])
            .ToHashSet(StringComparer.Ordinal);
    }

    private static void WriteEnumeration(CSharpSource source, BsdEnumeration enumeration)
    {
        var (underlying, _) = EnumerationWire(enumeration);
        source.Summary($"The {enumeration.Name} enumeration of Opc.Ua.Types.bsd{(enumeration.IsOptionSet ? " (an option set: its values are bits)" : "")}.");
        if (enumeration.IsOptionSet)
        {
            source.Line("[Flags]");
        }

        source.Open($"public enum {CSharpSource.Identifier(enumeration.Name)} : {underlying}");
        foreach (var (name, value) in enumeration.Values)
        {
            source.Line($"{CSharpSource.Identifier(name)} = {value.ToString(CultureInfo.InvariantCulture)},");
        }

        source.Close();
        source.Line();
    }

    /// <summary>An enumeration travels as Int32 (Part 6 §5.2.4); an option set as the unsigned integer of its size.</summary>
    private static (string Underlying, string Wire) EnumerationWire(BsdEnumeration enumeration) =>
        (enumeration.IsOptionSet, enumeration.LengthInBits) switch
        {
            (false, _) => ("int", "Int32"),
            (true, 8) => ("byte", "Byte"),
            (true, 16) => ("ushort", "UInt16"),
            (true, 32) => ("uint", "UInt32"),
            (true, 64) => ("ulong", "UInt64"),
            _ => throw new SpecException($"enumeration {enumeration.Name}: an option set of {enumeration.LengthInBits} bits has no integer type"),
        };

    private static void WriteStructure(CSharpSource source, TypeDictionary dictionary, BsdStructure structure, HashSet<string> encodingIds)
    {
        var name = CSharpSource.Identifier(structure.Name);
        var hasEncoding = encodingIds.Contains(structure.Name);
        var fields = structure.Fields.Select(f => Describe(dictionary, structure, f)).ToList();
        if (fields.Any(f => f.Property == name))
        {
            throw dictionary.Error(structure.Line, $"{structure.Name} has a field of its own name, which C# does not allow");
        }

        source.Summary(hasEncoding
            ? $"The {structure.Name} structure of Opc.Ua.Types.bsd; on the wire in an ExtensionObject as ObjectIds.{name}_Encoding_DefaultBinary."
            : $"The {structure.Name} structure of Opc.Ua.Types.bsd (no binary encoding id: it travels only inside other structures).");
        source.Open($"public sealed partial class {name}{(hasEncoding ? " : IEncodeable" : "")}");
        if (hasEncoding)
        {
            source.Line($"public const uint BinaryEncodingNumericId = ObjectIds.{name}_Encoding_DefaultBinary;");
            source.Line();
        }

        foreach (var field in fields)
        {
            source.Line($"public {field.Type} {field.Property} {{ get; init; }}{field.Initializer}");
            source.Line();
        }

        if (hasEncoding)
        {
            source.Line("public NodeId BinaryEncodingId => new(BinaryEncodingNumericId);");
            source.Line();
        }

        WriteEncode(source, fields);
        source.Line();
        WriteDecode(source, name, fields);
        source.Close();
        source.Line();
    }

    private static void WriteEncode(CSharpSource source, List<FieldCode> fields)
    {
        if (fields.Count == 0)
        {
            source.Line("public void Encode(UaEncoder encoder) => ArgumentNullException.ThrowIfNull(encoder);");
            return;
        }

        source.Open("public void Encode(UaEncoder encoder)");
        source.Line("ArgumentNullException.ThrowIfNull(encoder);");
        foreach (var field in fields)
        {
            source.Line(field.Encode + ";");
        }

        source.Close();
    }

    private static void WriteDecode(CSharpSource source, string name, List<FieldCode> fields)
    {
        if (fields.Count == 0)
        {
            source.Line($"public static {name} Decode(ref UaDecoder decoder) => new();");
            return;
        }

        source.Line($"public static {name} Decode(ref UaDecoder decoder) => new()");
        source.Line("{");
        foreach (var field in fields)
        {
            source.Line($"    {field.Property} = {field.Decode},");
        }

        source.Line("};");
    }

    /// <summary>The C# of one field: its property type and initializer, how Encode writes it, how Decode reads it.</summary>
    private sealed record FieldCode(string Property, string Type, string Initializer, string Encode, string Decode);

    private static FieldCode Describe(TypeDictionary dictionary, BsdStructure structure, BsdField field)
    {
        var property = CSharpSource.Identifier(field.Name);
        var (type, write, read, isStructure) = Element(dictionary, structure, field);
        if (field.IsArray)
        {
            var arrayType = $"{type}[]?";
            var encode = $"encoder.WriteArray({property}, static (e, v) => {string.Format(CultureInfo.InvariantCulture, write, "e", "v")})";
            var decode = $"decoder.ReadArray(static (ref UaDecoder d) => {string.Format(CultureInfo.InvariantCulture, read, "d")}, {CSharpSource.Literal(structure.Name + "." + field.Name)})";
            return new FieldCode(property, arrayType, "", encode, decode);
        }

        return new FieldCode(
            property,
            type,
            isStructure ? " = new();" : "",
            string.Format(CultureInfo.InvariantCulture, write, "encoder", property),
            string.Format(CultureInfo.InvariantCulture, read, "decoder"));
    }

    /// <summary>
    /// One value of the field's type: the C# type, a write format ({0} the encoder, {1} the value),
    /// a read format ({0} the decoder), and whether it is a generated structure (a class, never null).
    /// </summary>
    private static (string Type, string Write, string Read, bool IsStructure) Element(TypeDictionary dictionary, BsdStructure structure, BsdField field)
    {
        if (BuiltIns.TryGetValue(field.TypeName, out var builtIn))
        {
            return (builtIn.Type, "{0}." + builtIn.Write + "({1})", "{0}." + builtIn.Read + "()", false);
        }

        if (!field.TypeName.StartsWith(TypesPrefix, StringComparison.Ordinal))
        {
            throw dictionary.Error(structure.Line, $"{structure.Name}.{field.Name} has type {field.TypeName}, which the generator does not map");
        }

        var typeName = field.TypeName[TypesPrefix.Length..];
        if (dictionary.Enumerations.TryGetValue(typeName, out var enumeration))
        {
            var csType = PredefinedEnumerations.GetValueOrDefault(typeName) ?? CSharpSource.Identifier(typeName);
            var (underlying, wire) = EnumerationWire(enumeration);
            return (csType, "{0}.Write" + wire + "((" + underlying + "){1})", "(" + csType + "){0}.Read" + wire + "()", false);
        }

        var structureType = CSharpSource.Identifier(typeName);
        return (structureType, "{1}.Encode({0})", structureType + ".Decode(ref {0})", true);
    }
}
