using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace Neokernel.Gateway.Ua;

/// <summary>
/// The standard nodes the gateway serves as namespace 0 (the type hierarchies, the standard folders,
/// the Server object with its status and capabilities), read in place from the generated blob of
/// Namespace0.g.cs: the blob lives in the image's read-only data, so nothing is built at start and
/// reading a node allocates nothing but the strings a caller asks for. The layout is described in
/// tools/OpcUaGen/Namespace0Generator.cs.
/// </summary>
public static partial class Namespace0
{
    private const int HeaderBytes = 24;
    private const int IndexEntryBytes = 8;

    /// <summary>How many nodes namespace 0 holds.</summary>
    public static int NodeCount => (int)ReadUInt32(Header, 8);

    /// <summary>How many reference entries the nodes hold together (each reference counts at both of its ends).</summary>
    public static int ReferenceEntryCount => (int)ReadUInt32(Header, 12);

    /// <summary>The nodes in ascending order of their numeric id: <c>foreach (var node in Namespace0.Nodes)</c>.</summary>
    public static Namespace0Nodes Nodes => default;

    /// <summary>The node at <paramref name="index"/> (0 to NodeCount - 1) in ascending order of id.</summary>
    public static Namespace0Node NodeAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, NodeCount);
        var entry = HeaderBytes + (index * IndexEntryBytes);
        return new Namespace0Node(ReadUInt32(Blob, entry), Blob[(int)ReadUInt32(Blob, entry + 4)..]);
    }

    /// <summary>The node with numeric id <paramref name="numericId"/> in namespace 0, found by binary search; false when it is not served.</summary>
    public static bool TryGetNode(uint numericId, out Namespace0Node node)
    {
        var low = 0;
        var high = NodeCount - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var id = ReadUInt32(Blob, HeaderBytes + (middle * IndexEntryBytes));
            if (id == numericId)
            {
                node = NodeAt(middle);
                return true;
            }

            if (id < numericId)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        node = default;
        return false;
    }

    /// <summary>True when namespace 0 serves the node with numeric id <paramref name="numericId"/>.</summary>
    public static bool Contains(uint numericId) => TryGetNode(numericId, out _);

    /// <summary>String <paramref name="index"/> of the blob's table as UTF-8, without allocating.</summary>
    internal static ReadOnlySpan<byte> StringUtf8(ushort index)
    {
        var offsets = (int)ReadUInt32(Header, 16);
        var data = (int)ReadUInt32(Header, 20);
        var start = (int)ReadUInt32(Blob, offsets + (index * 4));
        var end = (int)ReadUInt32(Blob, offsets + ((index + 1) * 4));
        return Blob.Slice(data + start, end - start);
    }

    internal static string String(ushort index) => index == 0 ? "" : Encoding.UTF8.GetString(StringUtf8(index));

    internal static uint ReadUInt32(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);

    internal static ushort ReadUInt16(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]);

    /// <summary>The blob's header, checked against the format this reader knows.</summary>
    private static ReadOnlySpan<byte> Header
    {
        get
        {
            var blob = Blob;
            Debug.Assert(ReadUInt32(blob, 0) == BlobMagic, "Namespace0.g.cs must start with the magic UAN0");
            Debug.Assert(ReadUInt16(blob, 4) == BlobFormatVersion, "Namespace0.g.cs must be of the format this reader knows");
            return blob[..HeaderBytes];
        }
    }
}

/// <summary>The nodes of namespace 0 as a foreach-able sequence that allocates nothing.</summary>
public readonly struct Namespace0Nodes
{
    public int Count => Namespace0.NodeCount;

    public Enumerator GetEnumerator() => new(Namespace0.NodeCount);

    public ref struct Enumerator(int count)
    {
        private int index = -1;

        public readonly Namespace0Node Current => Namespace0.NodeAt(index);

        public bool MoveNext() => ++index < count;
    }
}

/// <summary>A reference of a namespace-0 node to another node of namespace 0.</summary>
public readonly record struct Namespace0Reference(uint ReferenceTypeId, bool IsForward, uint TargetId);

/// <summary>
/// One node of namespace 0, a view of its record in the blob. The attributes of other classes read
/// as their defaults (an Object's ValueRank, a Variable's EventNotifier).
/// </summary>
public readonly ref struct Namespace0Node
{
    private const byte IsAbstractFlag = 0x01;
    private const byte SymmetricFlag = 0x02;
    private const byte HistorizingFlag = 0x04;
    private const byte ExecutableFlag = 0x08;
    private const byte HasValueFlag = 0x10;
    private const int ReferenceBytes = 9;

    private readonly byte flags;
    private readonly ushort browseName;
    private readonly ushort displayName;
    private readonly ushort description;
    private readonly ushort inverseName;
    private readonly ReadOnlySpan<byte> dimensions;
    private readonly ReadOnlySpan<byte> references;

    internal Namespace0Node(uint numericId, ReadOnlySpan<byte> record)
    {
        NumericId = numericId;
        NodeClass = (NodeClass)record[0];
        flags = record[1];
        browseName = Namespace0.ReadUInt16(record, 2);
        displayName = Namespace0.ReadUInt16(record, 4);
        description = Namespace0.ReadUInt16(record, 6);
        ValueRank = -1;
        var offset = 8;
        if (NodeClass == NodeClass.ReferenceType)
        {
            inverseName = Namespace0.ReadUInt16(record, offset);
            offset += 2;
        }
        else if (NodeClass == NodeClass.Object)
        {
            EventNotifier = record[offset];
            offset += 1;
        }
        else if (NodeClass is NodeClass.Variable or NodeClass.VariableType)
        {
            DataType = Namespace0.ReadUInt32(record, offset);
            ValueRank = (int)Namespace0.ReadUInt32(record, offset + 4);
            AccessLevel = record[offset + 8];
            UserAccessLevel = record[offset + 9];
            MinimumSamplingInterval = BinaryPrimitives.ReadDoubleLittleEndian(record[(offset + 10)..]);
            var dimensionCount = Namespace0.ReadUInt16(record, offset + 18);
            dimensions = record.Slice(offset + 20, dimensionCount * 4);
            offset += 20 + (dimensionCount * 4);
        }

        var referenceCount = Namespace0.ReadUInt16(record, offset);
        references = record.Slice(offset + 2, referenceCount * ReferenceBytes);
        offset += 2 + (referenceCount * ReferenceBytes);
        Value = (flags & HasValueFlag) != 0
            ? record.Slice(offset + 4, (int)Namespace0.ReadUInt32(record, offset))
            : default;
    }

    public uint NumericId { get; }

    public NodeClass NodeClass { get; }

    /// <summary>The BrowseName's name (its namespace index is 0).</summary>
    public string BrowseName => Namespace0.String(browseName);

    public ReadOnlySpan<byte> BrowseNameUtf8 => Namespace0.StringUtf8(browseName);

    /// <summary>The DisplayName's text (no locale: the NodeSet gives none).</summary>
    public string DisplayName => Namespace0.String(displayName);

    /// <summary>The Description's text, empty when the NodeSet gives none.</summary>
    public string Description => Namespace0.String(description);

    public bool IsAbstract => (flags & IsAbstractFlag) != 0;

    public bool Symmetric => (flags & SymmetricFlag) != 0;

    /// <summary>The InverseName of a ReferenceType, empty for a symmetric one and for other classes.</summary>
    public string InverseName => Namespace0.String(inverseName);

    public byte EventNotifier { get; }

    public bool Executable => (flags & ExecutableFlag) != 0;

    /// <summary>The numeric id (namespace 0) of a Variable's or VariableType's DataType, 0 for other classes.</summary>
    public uint DataType { get; }

    public int ValueRank { get; }

    public int ArrayDimensionCount => dimensions.Length / 4;

    public uint ArrayDimension(int index) => Namespace0.ReadUInt32(dimensions, index * 4);

    public byte AccessLevel { get; }

    public byte UserAccessLevel { get; }

    public double MinimumSamplingInterval { get; }

    public bool Historizing => (flags & HistorizingFlag) != 0;

    public int ReferenceCount => references.Length / ReferenceBytes;

    /// <summary>Reference <paramref name="index"/> (0 to ReferenceCount - 1), in the NodeSet's order.</summary>
    public Namespace0Reference Reference(int index)
    {
        var entry = references.Slice(index * ReferenceBytes, ReferenceBytes);
        return new Namespace0Reference(Namespace0.ReadUInt32(entry, 0), entry[4] != 0, Namespace0.ReadUInt32(entry, 5));
    }

    /// <summary>Whether the NodeSet gives a Value of a built-in type (ExtensionObject values are left out).</summary>
    public bool HasValue => (flags & HasValueFlag) != 0;

    /// <summary>The Value as the UA Binary encoding of a Variant; empty when <see cref="HasValue"/> is false.</summary>
    public ReadOnlySpan<byte> Value { get; }
}
