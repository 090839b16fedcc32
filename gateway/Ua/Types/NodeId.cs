using System.Globalization;

namespace Neokernel.Gateway.Ua;

/// <summary>How a <see cref="NodeId"/> identifies its node within its namespace.</summary>
public enum IdType : byte
{
    Numeric = 0,
    String = 1,
    Guid = 2,
    Opaque = 3,
}

/// <summary>
/// The identifier of a node (Part 3 §8.2): a namespace index and a numeric, string, GUID or opaque
/// identifier. A value type: a numeric id (the common case, and every node of namespace 0) costs
/// no allocation, so a Read of many nodes decodes without garbage. Equality is by value, opaque
/// ids by their bytes.
/// </summary>
public readonly struct NodeId : IEquatable<NodeId>
{
    private readonly uint numeric;
    private readonly Guid guid;
    private readonly object? reference;

    private NodeId(ushort namespaceIndex, IdType idType, uint numeric, Guid guid, object? reference)
    {
        NamespaceIndex = namespaceIndex;
        IdType = idType;
        this.numeric = numeric;
        this.guid = guid;
        this.reference = reference;
    }

    public NodeId(uint identifier, ushort namespaceIndex = 0)
        : this(namespaceIndex, IdType.Numeric, identifier, default, null)
    {
    }

    public static NodeId Null => default;

    public ushort NamespaceIndex { get; }

    public IdType IdType { get; }

    /// <summary>The numeric identifier; 0 for the other kinds.</summary>
    public uint Numeric => numeric;

    /// <summary>The string identifier (which the wire allows to be null), or null for the other kinds.</summary>
    public string? Text => reference as string;

    public Guid Guid => guid;

    /// <summary>The opaque identifier's bytes, or null for the other kinds.</summary>
    public byte[]? Opaque => reference as byte[];

    /// <summary>
    /// The null NodeId (Part 3 §8.2.4): namespace 0 and a zero, empty or null identifier of any
    /// kind. Clients send it where a request names no node (an anonymous authentication token).
    /// </summary>
    public bool IsNull => NamespaceIndex == 0 && IdType switch
    {
        IdType.Numeric => numeric == 0,
        IdType.String => string.IsNullOrEmpty(Text),
        IdType.Guid => guid == Guid.Empty,
        _ => Opaque is null || Opaque.Length == 0,
    };

    public static NodeId FromString(string? identifier, ushort namespaceIndex) => new(namespaceIndex, IdType.String, 0, default, identifier);

    public static NodeId FromGuid(Guid identifier, ushort namespaceIndex) => new(namespaceIndex, IdType.Guid, 0, identifier, null);

    public static NodeId FromOpaque(byte[]? identifier, ushort namespaceIndex) => new(namespaceIndex, IdType.Opaque, 0, default, identifier);

    public static implicit operator NodeId(uint identifier) => new(identifier);

    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    public bool Equals(NodeId other)
    {
        if (NamespaceIndex != other.NamespaceIndex || IdType != other.IdType)
        {
            return false;
        }

        return IdType switch
        {
            IdType.Numeric => numeric == other.numeric,
            IdType.String => string.Equals(Text, other.Text, StringComparison.Ordinal),
            IdType.Guid => guid == other.guid,
            _ => OpaqueEquals(Opaque, other.Opaque),
        };
    }

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode() => IdType switch
    {
        IdType.Numeric => HashCode.Combine(NamespaceIndex, numeric),
        IdType.String => Text is null ? HashCode.Combine(NamespaceIndex, 0) : StringHash(NamespaceIndex, Text),
        IdType.Guid => HashCode.Combine(NamespaceIndex, guid),
        _ => Opaque is null ? HashCode.Combine(NamespaceIndex, -1) : OpaqueHash(NamespaceIndex, Opaque),
    };

    /// <summary>The hash of a string NodeId of <paramref name="identifier"/>: what <see cref="GetHashCode"/> gives, from characters that are not yet a string.</summary>
    public static int StringHash(ushort namespaceIndex, ReadOnlySpan<char> identifier) =>
        HashCode.Combine(namespaceIndex, string.GetHashCode(identifier, StringComparison.Ordinal));

    /// <summary>The hash of an opaque NodeId of <paramref name="identifier"/>: what <see cref="GetHashCode"/> gives, from bytes that are not yet an array.</summary>
    public static int OpaqueHash(ushort namespaceIndex, ReadOnlySpan<byte> identifier)
    {
        var hash = default(HashCode);
        hash.Add(namespaceIndex);
        hash.Add(identifier.Length);
        hash.AddBytes(identifier);
        return hash.ToHashCode();
    }

    /// <summary>True for the string NodeId <paramref name="identifier"/> in namespace <paramref name="namespaceIndex"/> (a null string is no identifier).</summary>
    public bool IsString(ushort namespaceIndex, ReadOnlySpan<char> identifier) =>
        NamespaceIndex == namespaceIndex && IdType == IdType.String && Text is { } text && identifier.SequenceEqual(text);

    /// <summary>True for the opaque NodeId <paramref name="identifier"/> in namespace <paramref name="namespaceIndex"/> (a null ByteString is no identifier).</summary>
    public bool IsOpaque(ushort namespaceIndex, ReadOnlySpan<byte> identifier) =>
        NamespaceIndex == namespaceIndex && IdType == IdType.Opaque && Opaque is { } bytes && identifier.SequenceEqual(bytes);

    /// <summary>The standard text form (Part 6 §5.3.1.10): <c>i=85</c>, <c>ns=1;s=Loops/pid</c>, <c>g=…</c>, <c>b=base64</c>.</summary>
    public override string ToString()
    {
        string prefix = NamespaceIndex == 0 ? "" : $"ns={NamespaceIndex.ToString(CultureInfo.InvariantCulture)};";
        return IdType switch
        {
            IdType.Numeric => prefix + "i=" + numeric.ToString(CultureInfo.InvariantCulture),
            IdType.String => prefix + "s=" + Text,
            IdType.Guid => prefix + "g=" + guid.ToString("D"),
            _ => prefix + "b=" + (Opaque is null ? "" : Convert.ToBase64String(Opaque)),
        };
    }

    /// <summary>Parses the text form <see cref="ToString"/> writes; false, not a throw, on anything else.</summary>
    public static bool TryParse(string? text, out NodeId nodeId)
    {
        nodeId = Null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        ReadOnlySpan<char> rest = text;
        ushort ns = 0;
        if (rest.StartsWith("ns=", StringComparison.Ordinal))
        {
            int semicolon = rest.IndexOf(';');
            if (semicolon < 0 || !ushort.TryParse(rest[3..semicolon], NumberStyles.None, CultureInfo.InvariantCulture, out ns))
            {
                return false;
            }

            rest = rest[(semicolon + 1)..];
        }

        if (rest.Length < 2 || rest[1] != '=')
        {
            return false;
        }

        ReadOnlySpan<char> identifier = rest[2..];
        switch (rest[0])
        {
            case 'i' when uint.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out uint value):
                nodeId = new NodeId(value, ns);
                return true;
            case 's':
                nodeId = FromString(identifier.ToString(), ns);
                return true;
            case 'g' when Guid.TryParse(identifier, out Guid value):
                nodeId = FromGuid(value, ns);
                return true;
            case 'b':
                return TryParseOpaque(identifier, ns, out nodeId);
            default:
                return false;
        }
    }

    private static bool TryParseOpaque(ReadOnlySpan<char> base64, ushort ns, out NodeId nodeId)
    {
        byte[] buffer = new byte[(base64.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64Chars(base64, buffer, out int written))
        {
            nodeId = FromOpaque(buffer.AsSpan(0, written).ToArray(), ns);
            return true;
        }

        nodeId = Null;
        return false;
    }

    private static bool OpaqueEquals(byte[]? left, byte[]? right) =>
        left is null || right is null ? left is null && right is null : left.AsSpan().SequenceEqual(right);
}

/// <summary>
/// A NodeId that may name its namespace by URI instead of index, and a server by index
/// (Part 4 §7.16): what references to other servers' nodes carry.
/// </summary>
public readonly record struct ExpandedNodeId(NodeId NodeId, string? NamespaceUri = null, uint ServerIndex = 0)
{
    public static ExpandedNodeId Null => default;

    public bool IsLocal => NamespaceUri is null && ServerIndex == 0;

    public static implicit operator ExpandedNodeId(NodeId nodeId) => new(nodeId);

    public override string ToString() =>
        (ServerIndex == 0 ? "" : $"svr={ServerIndex.ToString(CultureInfo.InvariantCulture)};")
        + (NamespaceUri is null ? NodeId.ToString() : $"nsu={NamespaceUri};{NodeId.ToString().Split(';')[^1]}");
}
