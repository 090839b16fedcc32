using System.Globalization;
using System.Text;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>
/// Namespace0.g.cs: the selected nodes of Opc.Ua.NodeSet2.xml as one byte blob that the gateway's
/// Namespace0 reader walks in place. Layout (little-endian; gateway/Ua/Generated/Namespace0.cs
/// reads it and must change with it, FormatVersion says which):
/// <code>
/// header      u32 magic "UAN0", u16 format version, u16 string count S, u32 node count N,
///             u32 reference entry count, u32 offset of the string offsets, u32 offset of the string bytes
/// node index  N x (u32 numeric id, u32 offset of its record), ascending by id
/// records     u8 NodeClass, u8 flags (IsAbstract 0x01, Symmetric 0x02, Historizing 0x04,
///             Executable 0x08, HasValue 0x10), u16 BrowseName, u16 DisplayName, u16 Description;
///             ReferenceType: u16 InverseName; Object: u8 EventNotifier;
///             Variable and VariableType: u32 DataType, i32 ValueRank, u8 AccessLevel,
///             u8 UserAccessLevel, f64 MinimumSamplingInterval, u16 dimension count, u32 each;
///             u16 reference count, each u32 ReferenceType, u8 IsForward, u32 target;
///             HasValue: i32 length, the Variant's UA Binary bytes
/// strings     (S + 1) x u32 offsets into the string bytes, string i = [offset i, offset i+1) as UTF-8; string 0 is ""
/// </code>
/// </summary>
internal static class Namespace0Generator
{
    public const uint Magic = 0x304E4155; // "UAN0" in little-endian byte order
    public const ushort FormatVersion = 1;
    private const int HeaderBytes = 24;
    private const int BytesPerLine = 16;

    public static string Write(SpecFiles spec, OutputDirectory output)
    {
        var path = spec.PathOf(SpecFiles.NodeSetFile);
        var nodeSet = NodeSet.Load(path);
        var included = Namespace0Selection.Select(nodeSet, path);
        var blob = new BlobBuilder(nodeSet, included);
        var bytes = blob.Build();

        var source = new CSharpSource(spec, SpecFiles.NodeSetFile);
        source.Summary($"Namespace 0 as served: {included.Count} nodes, {blob.ReferenceEntries} reference entries, {blob.StringCount} strings, {bytes.Length} bytes.");
        source.Open("public static partial class Namespace0");
        source.Line($"private const uint BlobMagic = {CSharpSource.Hex(Magic)};");
        source.Line($"private const ushort BlobFormatVersion = {FormatVersion};");
        source.Line();
        source.Line("// The layout is described in tools/OpcUaGen/Namespace0Generator.cs; the reader is Namespace0.cs.");
        source.Line("// Values of ExtensionObject type (Argument, EnumValueType, ...) are left out of the nodes.");
        source.Line("private static ReadOnlySpan<byte> Blob =>");
        source.Line("[");
        for (var offset = 0; offset < bytes.Length; offset += BytesPerLine)
        {
            var line = new StringBuilder("    ");
            for (var i = offset; i < Math.Min(offset + BytesPerLine, bytes.Length); i++)
            {
                line.Append("0x").Append(bytes[i].ToString("X2", CultureInfo.InvariantCulture)).Append(", ");
            }

            source.Line(line.ToString().TrimEnd());
        }

        source.Line("];");
        source.Close();
        output.Write("Namespace0.g.cs", source.ToString());
        return $"Namespace0: {included.Count} nodes ({blob.ClassCounts()}), {blob.ReferenceEntries} reference entries " +
            $"({blob.DistinctReferences} references), {blob.ValueCount} values ({blob.ValuesLeftOut} ExtensionObject values left out), " +
            $"{blob.StringCount} strings, blob {bytes.Length} bytes";
    }

    /// <summary>Lays out the blob: header, index, records, strings.</summary>
    private sealed class BlobBuilder(NodeSet nodeSet, SortedSet<uint> included)
    {
        private readonly List<string> strings = [""];
        private readonly Dictionary<string, ushort> stringIndex = new(StringComparer.Ordinal) { [""] = 0 };

        public int ReferenceEntries { get; private set; }
        public int DistinctReferences { get; private set; }
        public int ValueCount { get; private set; }
        public int ValuesLeftOut { get; private set; }
        public int StringCount => strings.Count;

        public string ClassCounts() =>
            string.Join(", ", included.GroupBy(id => nodeSet.Nodes[id].NodeClass).OrderBy(g => g.Key)
                .Select(g => $"{g.Count()} {g.Key}"));

        public byte[] Build()
        {
            var referencesByNode = ReferencesByNode();
            var records = new ByteWriter();
            var offsets = new List<int>();
            foreach (var id in included)
            {
                offsets.Add(records.Length);
                Record(records, nodeSet.Nodes[id], referencesByNode.GetValueOrDefault(id, []));
            }

            var indexBytes = included.Count * 8;
            var recordsStart = HeaderBytes + indexBytes;
            var stringOffsetsStart = recordsStart + records.Length;
            var stringBytes = strings.Select(Encoding.UTF8.GetBytes).ToList();
            var stringDataStart = stringOffsetsStart + (strings.Count + 1) * 4;

            var blob = new ByteWriter();
            blob.UInt32(Magic);
            blob.UInt16(FormatVersion);
            blob.UInt16((ushort)strings.Count);
            blob.UInt32((uint)included.Count);
            blob.UInt32((uint)ReferenceEntries);
            blob.UInt32((uint)stringOffsetsStart);
            blob.UInt32((uint)stringDataStart);
            var index = 0;
            foreach (var id in included)
            {
                blob.UInt32(id);
                blob.UInt32((uint)(recordsStart + offsets[index++]));
            }

            blob.Bytes(records.ToArray());
            var stringOffset = 0u;
            blob.UInt32(stringOffset);
            foreach (var utf8 in stringBytes)
            {
                stringOffset += (uint)utf8.Length;
                blob.UInt32(stringOffset);
            }

            foreach (var utf8 in stringBytes)
            {
                blob.Bytes(utf8);
            }

            return blob.ToArray();
        }

        /// <summary>
        /// Each included node's references whose other end is included too: forward where it is the
        /// source, inverse where it is the target, in the document order of the NodeSet.
        /// </summary>
        private Dictionary<uint, List<(uint Type, bool Forward, uint Target)>> ReferencesByNode()
        {
            var byNode = new Dictionary<uint, List<(uint, bool, uint)>>();
            foreach (var reference in nodeSet.References.Concat(Namespace0Selection.AddedReferences(included)).Distinct())
            {
                if (!included.Contains(reference.Source) || !included.Contains(reference.Target))
                {
                    continue;
                }

                DistinctReferences++;
                Add(byNode, reference.Source, (reference.ReferenceType, true, reference.Target));
                Add(byNode, reference.Target, (reference.ReferenceType, false, reference.Source));
                ReferenceEntries += 2;
            }

            return byNode;
        }

        private static void Add(Dictionary<uint, List<(uint, bool, uint)>> byNode, uint id, (uint, bool, uint) entry)
        {
            if (!byNode.TryGetValue(id, out var list))
            {
                list = [];
                byNode[id] = list;
            }

            list.Add(entry);
        }

        private void Record(ByteWriter writer, UaNode node, List<(uint Type, bool Forward, uint Target)> references)
        {
            var isVariable = node.NodeClass is UaNodeClass.Variable or UaNodeClass.VariableType;
            var value = isVariable && node.Value is not null ? VariantEncoder.Encode(node.Value, nodeSet) : null;
            if (isVariable && node.Value is not null)
            {
                ValueCount += value is null ? 0 : 1;
                ValuesLeftOut += value is null ? 1 : 0;
            }

            writer.Byte((byte)node.NodeClass);
            writer.Byte(Flags(node, value is not null));
            writer.UInt16(String(node.BrowseName, node));
            writer.UInt16(String(node.DisplayName, node));
            writer.UInt16(String(node.Description, node));
            if (node.NodeClass == UaNodeClass.ReferenceType)
            {
                writer.UInt16(String(node.InverseName, node));
            }
            else if (node.NodeClass == UaNodeClass.Object)
            {
                writer.Byte(node.EventNotifier);
            }
            else if (isVariable)
            {
                VariableAttributes(writer, node);
            }

            if (references.Count > ushort.MaxValue)
            {
                throw new SpecException($"i={node.Id} has {references.Count} references; the blob format holds {ushort.MaxValue}");
            }

            writer.UInt16((ushort)references.Count);
            foreach (var (type, forward, target) in references)
            {
                writer.UInt32(type);
                writer.Byte(forward ? (byte)1 : (byte)0);
                writer.UInt32(target);
            }

            if (value is not null)
            {
                writer.Int32(value.Length);
                writer.Bytes(value);
            }
        }

        private static void VariableAttributes(ByteWriter writer, UaNode node)
        {
            writer.UInt32(node.DataType);
            writer.Int32(node.ValueRank);
            writer.Byte(node.AccessLevel);
            writer.Byte(node.UserAccessLevel);
            writer.Double(node.MinimumSamplingInterval);
            writer.UInt16((ushort)node.ArrayDimensions.Count);
            foreach (var length in node.ArrayDimensions)
            {
                writer.UInt32(length);
            }
        }

        private static byte Flags(UaNode node, bool hasValue) =>
            (byte)((node.IsAbstract ? 0x01 : 0) | (node.Symmetric ? 0x02 : 0) | (node.Historizing ? 0x04 : 0)
                | (node.NodeClass == UaNodeClass.Method && node.Executable ? 0x08 : 0) | (hasValue ? 0x10 : 0));

        private ushort String(string value, UaNode node)
        {
            if (stringIndex.TryGetValue(value, out var index))
            {
                return index;
            }

            if (strings.Count > ushort.MaxValue)
            {
                throw new SpecException($"i={node.Id} line {node.Line}: more than {ushort.MaxValue} strings; the blob format indexes them with 16 bits");
            }

            index = (ushort)strings.Count;
            strings.Add(value);
            stringIndex[value] = index;
            return index;
        }
    }
}
