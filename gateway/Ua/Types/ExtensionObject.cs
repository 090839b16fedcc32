namespace Neokernel.Gateway.Ua;

/// <summary>A structure the encoder can write: its binary encoding id names it on the wire (Part 6 §5.2.2.15).</summary>
public interface IEncodeable
{
    /// <summary>The NodeId of the type's DefaultBinary encoding object, the ExtensionObject's TypeId.</summary>
    NodeId BinaryEncodingId { get; }

    void Encode(UaEncoder encoder);
}

/// <summary>How an ExtensionObject carries its body (the wire's encoding byte).</summary>
public enum ExtensionObjectEncoding : byte
{
    None = 0,
    Binary = 1,
    Xml = 2,
}

/// <summary>
/// A structure in a container (Part 6 §5.2.2.15): its encoding's TypeId and its body. Decoded, the
/// body stays bytes (or XML text): the service that expects a structure there (a user identity
/// token, a monitoring filter) decodes it, so an unknown type costs the decoder nothing and cannot
/// fail it. To encode, give a typed <see cref="IEncodeable"/>.
/// </summary>
public readonly struct ExtensionObject : IEquatable<ExtensionObject>
{
    private readonly object? body;

    private ExtensionObject(NodeId typeId, ExtensionObjectEncoding encoding, object? body)
    {
        TypeId = typeId;
        Encoding = encoding;
        this.body = body;
    }

    public static ExtensionObject Null => default;

    public NodeId TypeId { get; }

    public ExtensionObjectEncoding Encoding { get; }

    public bool IsNull => Encoding == ExtensionObjectEncoding.None && TypeId.IsNull;

    /// <summary>The binary body as received (Encoding Binary, not from a typed value).</summary>
    public byte[]? Bytes => body as byte[];

    /// <summary>The XML body's text (Encoding Xml).</summary>
    public string? Xml => body as string;

    /// <summary>The typed value to encode (built with <see cref="FromEncodeable"/>).</summary>
    public IEncodeable? Encodeable => body as IEncodeable;

    public static ExtensionObject FromEncodeable(IEncodeable value) => new(value.BinaryEncodingId, ExtensionObjectEncoding.Binary, value);

    public static ExtensionObject FromBytes(NodeId typeId, byte[] body) => new(typeId, ExtensionObjectEncoding.Binary, body);

    public static ExtensionObject FromXml(NodeId typeId, string xml) => new(typeId, ExtensionObjectEncoding.Xml, xml);

    /// <summary>A TypeId with no body (encoding byte 0), which the wire allows.</summary>
    public static ExtensionObject Empty(NodeId typeId) => new(typeId, ExtensionObjectEncoding.None, null);

    public bool Equals(ExtensionObject other) =>
        TypeId == other.TypeId && Encoding == other.Encoding && body switch
        {
            byte[] bytes => other.body is byte[] otherBytes && bytes.AsSpan().SequenceEqual(otherBytes),
            _ => Equals(body, other.body),
        };

    public override bool Equals(object? obj) => obj is ExtensionObject other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(TypeId, Encoding);

    public static bool operator ==(ExtensionObject left, ExtensionObject right) => left.Equals(right);

    public static bool operator !=(ExtensionObject left, ExtensionObject right) => !left.Equals(right);
}
