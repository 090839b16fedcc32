using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Neokernel.Gateway.Ua;

/// <summary>Reads one element of an array (<see cref="UaDecoder.ReadArray{T}"/>).</summary>
public delegate T UaElementReader<T>(ref UaDecoder decoder);

/// <summary>
/// Reads UA Binary (Part 6 §5.2) from a span: a message the transport has assembled from its
/// chunks. Every length is checked against the bytes that remain and against
/// <see cref="UaCodecLimits"/> before anything is allocated, nesting is bounded, and anything
/// malformed throws <see cref="UaCodecException"/> (BadDecodingError, naming the field and offset),
/// which the transport's boundary catches. Numeric NodeIds, numbers and Variants of numbers
/// decode without allocating, and so do string and opaque NodeIds that <see cref="KnownNodeIds"/> holds.
/// </summary>
public ref struct UaDecoder
{
    /// <summary>The longest string identifier (UTF-8 bytes) looked up in <see cref="KnownNodeIds"/>: its characters (no more than its bytes) go on the stack.</summary>
    public const int KnownStringBytesMax = 512;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> source;
    private int position;
    private int depth;

    public UaDecoder(ReadOnlySpan<byte> source, UaCodecLimits? limits = null, IKnownNodeIds? knownNodeIds = null)
    {
        this.source = source;
        Limits = limits ?? UaCodecLimits.Default;
        KnownNodeIds = knownNodeIds;
    }

    public readonly UaCodecLimits Limits { get; }

    /// <summary>The ids read as they are held, not allocated anew; null reads every id anew.</summary>
    public readonly IKnownNodeIds? KnownNodeIds { get; }

    public readonly int Position => position;

    public readonly int Remaining => source.Length - position;

    public readonly ReadOnlySpan<byte> Rest => source[position..];

    public bool ReadBoolean() => Take(1, "Boolean")[0] != 0;

    public sbyte ReadSByte() => unchecked((sbyte)Take(1, "SByte")[0]);

    public byte ReadByte() => Take(1, "Byte")[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2, "Int16"));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, "UInt16"));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4, "Int32"));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, "UInt32"));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8, "Int64"));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, "UInt64"));

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4, "Float"));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, "Double"));

    public long ReadDateTime() => BinaryPrimitives.ReadInt64LittleEndian(Take(8, "DateTime"));

    public StatusCode ReadStatusCode() => new(BinaryPrimitives.ReadUInt32LittleEndian(Take(4, "StatusCode")));

    public Guid ReadGuid() => new(Take(16, "Guid"));

    public string? ReadString() => ReadText(Limits.StringBytesMax, "String");

    public string? ReadXmlElement() => ReadText(Limits.StringBytesMax, "XmlElement");

    public byte[]? ReadByteString()
    {
        ReadOnlySpan<byte> bytes = ReadByteStringSpan(out bool isNull);
        return isNull ? null : bytes.ToArray();
    }

    /// <summary>A ByteString's bytes without copying them (a nonce, a token), valid while the source is.</summary>
    public ReadOnlySpan<byte> ReadByteStringSpan(out bool isNull)
    {
        int start = position;
        int length = ReadInt32();
        isNull = length == -1;
        if (isNull)
        {
            return default;
        }

        CheckLength(length, Limits.ByteStringBytesMax, "ByteString", start);
        return Take(length, "ByteString");
    }

    public NodeId ReadNodeId() => ReadNodeId(out _);

    public ExpandedNodeId ReadExpandedNodeId()
    {
        NodeId nodeId = ReadNodeId(out byte flags);
        string? uri = (flags & 0x80) != 0 ? ReadString() : null;
        uint server = (flags & 0x40) != 0 ? ReadUInt32() : 0;
        return new ExpandedNodeId(nodeId, uri, server);
    }

    public QualifiedName ReadQualifiedName()
    {
        ushort ns = ReadUInt16();
        return new QualifiedName(ns, ReadString());
    }

    public LocalizedText ReadLocalizedText()
    {
        int at = position;
        byte mask = ReadByte();
        if ((mask & ~0x03) != 0)
        {
            throw Malformed($"LocalizedText encoding mask 0x{mask:X2} has bits other than locale (0x01) and text (0x02)", at);
        }

        string? locale = (mask & 0x01) != 0 ? ReadString() : null;
        string? text = (mask & 0x02) != 0 ? ReadString() : null;
        return new LocalizedText(locale, text);
    }

    /// <summary>An ExtensionObject; its body stays bytes for the service that knows the type (<see cref="ExtensionObject"/>).</summary>
    public ExtensionObject ReadExtensionObject()
    {
        NodeId typeId = ReadNodeId();
        int at = position;
        byte encoding = ReadByte();
        switch (encoding)
        {
            case 0:
                return ExtensionObject.Empty(typeId);
            case 1:
                ReadOnlySpan<byte> body = ReadByteStringSpan(out bool isNull);
                return isNull ? ExtensionObject.Empty(typeId) : ExtensionObject.FromBytes(typeId, body.ToArray());
            case 2:
                return ExtensionObject.FromXml(typeId, ReadXmlElement() ?? "");
            default:
                throw Malformed($"ExtensionObject encoding {encoding} is not 0 (none), 1 (binary) or 2 (XML)", at);
        }
    }

    public DataValue ReadDataValue()
    {
        int at = position;
        byte mask = ReadByte();
        if ((mask & 0xC0) != 0)
        {
            throw Malformed($"DataValue encoding mask 0x{mask:X2} has reserved bits", at);
        }

        Enter(at);
        bool hasValue = (mask & 0x01) != 0;
        Variant value = hasValue ? ReadVariant() : Variant.Null;
        StatusCode status = (mask & 0x02) != 0 ? ReadStatusCode() : StatusCode.Good;
        long sourceTime = (mask & 0x04) != 0 ? ReadDateTime() : 0;
        ushort sourcePico = (mask & 0x10) != 0 ? ReadUInt16() : (ushort)0;
        long serverTime = (mask & 0x08) != 0 ? ReadDateTime() : 0;
        ushort serverPico = (mask & 0x20) != 0 ? ReadUInt16() : (ushort)0;
        depth--;
        return new DataValue(value, status, sourceTime, sourcePico, serverTime, serverPico, hasValue);
    }

    public Variant ReadVariant()
    {
        int at = position;
        byte mask = ReadByte();
        int typeId = mask & 0x3F;
        if (typeId > (int)BuiltInType.DiagnosticInfo)
        {
            throw Malformed($"Variant type id {typeId} is not a built-in type (0..25)", at);
        }

        var type = (BuiltInType)typeId;
        bool isArray = (mask & 0x80) != 0;
        bool hasDimensions = (mask & 0x40) != 0;
        if (type == BuiltInType.Null)
        {
            if (mask != 0)
            {
                throw Malformed($"Variant encoding mask 0x{mask:X2}: a null Variant has no array or dimensions", at);
            }

            return Variant.Null;
        }

        if (hasDimensions && !isArray)
        {
            throw Malformed($"Variant encoding mask 0x{mask:X2}: dimensions without an array", at);
        }

        Enter(at);
        Variant result = isArray ? ReadArrayVariant(type, hasDimensions, at) : ReadScalar(type, at);
        depth--;
        return result;
    }

    public DiagnosticInfo? ReadDiagnosticInfo()
    {
        int at = position;
        byte mask = ReadByte();
        if (mask == 0)
        {
            return null;
        }

        if ((mask & 0x80) != 0)
        {
            throw Malformed($"DiagnosticInfo encoding mask 0x{mask:X2} has the reserved bit 0x80", at);
        }

        Enter(at);
        var info = new DiagnosticInfo
        {
            SymbolicId = (mask & 0x01) != 0 ? ReadInt32() : null,
            NamespaceUri = (mask & 0x02) != 0 ? ReadInt32() : null,
            Locale = (mask & 0x08) != 0 ? ReadInt32() : null,
            LocalizedText = (mask & 0x04) != 0 ? ReadInt32() : null,
            AdditionalInfo = (mask & 0x10) != 0 ? ReadString() : null,
            InnerStatusCode = (mask & 0x20) != 0 ? ReadStatusCode() : null,
            InnerDiagnosticInfo = (mask & 0x40) != 0 ? ReadDiagnosticInfo() : null,
        };
        depth--;
        return info;
    }

    /// <summary>An array's length, checked: −1 (null) or 0..<see cref="UaCodecLimits.ArrayLengthMax"/>, and no more elements than bytes remain.</summary>
    public int ReadArrayLength(string what)
    {
        int at = position;
        int length = ReadInt32();
        if (length == -1)
        {
            return -1;
        }

        CheckLength(length, Limits.ArrayLengthMax, what, at, " array");
        return length;
    }

    /// <summary>An array of structures or values, each by <paramref name="read"/>; null for length −1.</summary>
    public T[]? ReadArray<T>(UaElementReader<T> read, string what)
    {
        int length = ReadArrayLength(what);
        if (length < 0)
        {
            return null;
        }

        var values = new T[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = read(ref this);
        }

        return values;
    }

    /// <summary>Fails unless every byte was consumed: a message with trailing bytes is malformed.</summary>
    public readonly void ExpectEnd(string what)
    {
        if (position != source.Length)
        {
            throw Malformed($"{what} has {source.Length - position} bytes after its end", position);
        }
    }

    private NodeId ReadNodeId(out byte flags)
    {
        int at = position;
        byte encoding = ReadByte();
        flags = (byte)(encoding & 0xC0);
        switch (encoding & 0x3F)
        {
            case 0x00:
                return new NodeId(ReadByte());
            case 0x01:
                byte ns = ReadByte();
                return new NodeId(ReadUInt16(), ns);
            case 0x02:
                ushort numericNs = ReadUInt16();
                return new NodeId(ReadUInt32(), numericNs);
            case 0x03:
                ushort stringNs = ReadUInt16();
                return TryReadKnownString(stringNs, out NodeId knownString) ? knownString : NodeId.FromString(ReadString(), stringNs);
            case 0x04:
                ushort guidNs = ReadUInt16();
                return NodeId.FromGuid(ReadGuid(), guidNs);
            case 0x05:
                ushort opaqueNs = ReadUInt16();
                return TryReadKnownOpaque(opaqueNs, out NodeId knownOpaque) ? knownOpaque : NodeId.FromOpaque(ReadByteString(), opaqueNs);
            default:
                throw Malformed($"NodeId encoding 0x{encoding:X2} is not one of 0x00..0x05 (with flags 0x40, 0x80 on an ExpandedNodeId)", at);
        }
    }

    /// <summary>
    /// A string identifier that <see cref="KnownNodeIds"/> holds, read past; otherwise false with
    /// nothing read, and the caller reads it as usual (which judges a bad length or bad UTF-8).
    /// </summary>
    private bool TryReadKnownString(ushort ns, out NodeId nodeId)
    {
        nodeId = default;
        if (KnownNodeIds is null || !TryPeekLength(Limits.StringBytesMax, out int length) || length > KnownStringBytesMax)
        {
            return false;
        }

        Span<char> text = stackalloc char[length];
        ReadOnlySpan<byte> bytes = source.Slice(position + 4, length);
        if (System.Text.Unicode.Utf8.ToUtf16(bytes, text, out _, out int chars, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done
            || !KnownNodeIds.TryFindString(ns, text[..chars], out nodeId))
        {
            return false;
        }

        position += 4 + length;
        return true;
    }

    /// <summary>An opaque identifier that <see cref="KnownNodeIds"/> holds, read past; otherwise false with nothing read.</summary>
    private bool TryReadKnownOpaque(ushort ns, out NodeId nodeId)
    {
        nodeId = default;
        if (KnownNodeIds is null || !TryPeekLength(Limits.ByteStringBytesMax, out int length)
            || !KnownNodeIds.TryFindOpaque(ns, source.Slice(position + 4, length), out nodeId))
        {
            return false;
        }

        position += 4 + length;
        return true;
    }

    /// <summary>The length prefix at the position, when it is a well-formed non-null one within <paramref name="max"/> and the bytes that remain; nothing is read.</summary>
    private readonly bool TryPeekLength(int max, out int length)
    {
        length = 0;
        if (source.Length - position < 4)
        {
            return false;
        }

        length = BinaryPrimitives.ReadInt32LittleEndian(source[position..]);
        return length >= 0 && length <= max && length <= source.Length - position - 4;
    }

    private Variant ReadScalar(BuiltInType type, int at) => type switch
    {
        BuiltInType.Boolean => new Variant(ReadBoolean()),
        BuiltInType.SByte => new Variant(ReadSByte()),
        BuiltInType.Byte => new Variant(ReadByte()),
        BuiltInType.Int16 => new Variant(ReadInt16()),
        BuiltInType.UInt16 => new Variant(ReadUInt16()),
        BuiltInType.Int32 => new Variant(ReadInt32()),
        BuiltInType.UInt32 => new Variant(ReadUInt32()),
        BuiltInType.Int64 => new Variant(ReadInt64()),
        BuiltInType.UInt64 => new Variant(ReadUInt64()),
        BuiltInType.Float => new Variant(ReadFloat()),
        BuiltInType.Double => new Variant(ReadDouble()),
        BuiltInType.String => new Variant(ReadString()),
        BuiltInType.DateTime => Variant.FromDateTime(ReadDateTime()),
        BuiltInType.Guid => new Variant(ReadGuid()),
        BuiltInType.ByteString => Variant.FromByteString(ReadByteString()),
        BuiltInType.XmlElement => Variant.FromXmlElement(ReadXmlElement()),
        BuiltInType.NodeId => new Variant(ReadNodeId()),
        BuiltInType.ExpandedNodeId => new Variant(ReadExpandedNodeId()),
        BuiltInType.StatusCode => new Variant(ReadStatusCode()),
        BuiltInType.QualifiedName => new Variant(ReadQualifiedName()),
        BuiltInType.LocalizedText => new Variant(ReadLocalizedText()),
        BuiltInType.ExtensionObject => new Variant(ReadExtensionObject()),
        BuiltInType.DataValue => new Variant(ReadDataValue()),
        BuiltInType.DiagnosticInfo => new Variant(ReadDiagnosticInfo()),
        _ => throw Malformed("a Variant cannot hold a Variant scalar, only an array of them", at),
    };

    private Variant ReadArrayVariant(BuiltInType type, bool hasDimensions, int at)
    {
        int length = ReadArrayLength(type.ToString());
        if (length < 0)
        {
            // A null array: the wire says "array of this type" with no elements; it reads back as empty.
            length = 0;
        }

        Array values = ReadElements(type, length);
        int[]? dimensions = null;
        if (hasDimensions)
        {
            int dimensionsAt = position;
            int count = ReadArrayLength("ArrayDimensions");
            if (count < 2)
            {
                throw Malformed($"Variant matrix with {count} dimensions: a matrix has at least two", dimensionsAt);
            }

            dimensions = new int[count];
            long product = 1;
            for (int i = 0; i < count; i++)
            {
                dimensions[i] = ReadInt32();
                if (dimensions[i] < 0)
                {
                    throw Malformed($"Variant matrix dimension {i} is {dimensions[i]}", dimensionsAt);
                }

                product = Math.Min(product * dimensions[i], int.MaxValue);
            }

            if (product != length)
            {
                throw Malformed($"Variant matrix dimensions multiply to {product}, but the array has {length} elements", dimensionsAt);
            }
        }

        return Variant.FromArray(type, values, dimensions);
    }

    private Array ReadElements(BuiltInType type, int length)
    {
        switch (type)
        {
            case BuiltInType.Boolean: { var a = new bool[length]; for (int i = 0; i < length; i++) { a[i] = ReadBoolean(); } return a; }
            case BuiltInType.SByte: { var a = new sbyte[length]; for (int i = 0; i < length; i++) { a[i] = ReadSByte(); } return a; }
            case BuiltInType.Byte: return Take(length, "Byte array").ToArray();
            case BuiltInType.Int16: { var a = new short[length]; for (int i = 0; i < length; i++) { a[i] = ReadInt16(); } return a; }
            case BuiltInType.UInt16: { var a = new ushort[length]; for (int i = 0; i < length; i++) { a[i] = ReadUInt16(); } return a; }
            case BuiltInType.Int32: { var a = new int[length]; for (int i = 0; i < length; i++) { a[i] = ReadInt32(); } return a; }
            case BuiltInType.UInt32: { var a = new uint[length]; for (int i = 0; i < length; i++) { a[i] = ReadUInt32(); } return a; }
            case BuiltInType.Int64: { var a = new long[length]; for (int i = 0; i < length; i++) { a[i] = ReadInt64(); } return a; }
            case BuiltInType.UInt64: { var a = new ulong[length]; for (int i = 0; i < length; i++) { a[i] = ReadUInt64(); } return a; }
            case BuiltInType.Float: { var a = new float[length]; for (int i = 0; i < length; i++) { a[i] = ReadFloat(); } return a; }
            case BuiltInType.Double: { var a = new double[length]; for (int i = 0; i < length; i++) { a[i] = ReadDouble(); } return a; }
            case BuiltInType.String: { var a = new string?[length]; for (int i = 0; i < length; i++) { a[i] = ReadString(); } return a; }
            case BuiltInType.XmlElement: { var a = new string?[length]; for (int i = 0; i < length; i++) { a[i] = ReadXmlElement(); } return a; }
            case BuiltInType.DateTime: { var a = new long[length]; for (int i = 0; i < length; i++) { a[i] = ReadDateTime(); } return a; }
            case BuiltInType.Guid: { var a = new Guid[length]; for (int i = 0; i < length; i++) { a[i] = ReadGuid(); } return a; }
            case BuiltInType.ByteString: { var a = new byte[]?[length]; for (int i = 0; i < length; i++) { a[i] = ReadByteString(); } return a; }
            case BuiltInType.NodeId: { var a = new NodeId[length]; for (int i = 0; i < length; i++) { a[i] = ReadNodeId(); } return a; }
            case BuiltInType.ExpandedNodeId: { var a = new ExpandedNodeId[length]; for (int i = 0; i < length; i++) { a[i] = ReadExpandedNodeId(); } return a; }
            case BuiltInType.StatusCode: { var a = new StatusCode[length]; for (int i = 0; i < length; i++) { a[i] = ReadStatusCode(); } return a; }
            case BuiltInType.QualifiedName: { var a = new QualifiedName[length]; for (int i = 0; i < length; i++) { a[i] = ReadQualifiedName(); } return a; }
            case BuiltInType.LocalizedText: { var a = new LocalizedText[length]; for (int i = 0; i < length; i++) { a[i] = ReadLocalizedText(); } return a; }
            case BuiltInType.ExtensionObject: { var a = new ExtensionObject[length]; for (int i = 0; i < length; i++) { a[i] = ReadExtensionObject(); } return a; }
            case BuiltInType.DataValue: { var a = new DataValue[length]; for (int i = 0; i < length; i++) { a[i] = ReadDataValue(); } return a; }
            case BuiltInType.Variant: { var a = new Variant[length]; for (int i = 0; i < length; i++) { a[i] = ReadVariant(); } return a; }
            default: { var a = new DiagnosticInfo?[length]; for (int i = 0; i < length; i++) { a[i] = ReadDiagnosticInfo(); } return a; }
        }
    }

    private string? ReadText(int bytesMax, string what)
    {
        int at = position;
        int length = ReadInt32();
        if (length == -1)
        {
            return null;
        }

        CheckLength(length, bytesMax, what, at);
        ReadOnlySpan<byte> bytes = Take(length, what);
        try
        {
            return Utf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed($"{what} of {length} bytes is not valid UTF-8", at);
        }
    }

    /// <param name="length">The length read.</param>
    /// <param name="max">Its limit.</param>
    /// <param name="what">The field, for the message.</param>
    /// <param name="at">Where the length was, for the message.</param>
    /// <param name="kind">Said after <paramref name="what"/> (" array"): joined only for a message, so a good length makes no string.</param>
    private readonly void CheckLength(int length, int max, string what, int at, string kind = "")
    {
        if (length < 0)
        {
            throw Malformed($"{what}{kind} length {length} is negative (−1 alone means null)", at);
        }

        if (length > max)
        {
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"{what}{kind} of {length} at byte {at} exceeds the limit of {max}");
        }

        if (length > source.Length - position)
        {
            throw Malformed($"{what}{kind} length {length} exceeds the {source.Length - position} bytes that remain", at);
        }
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > source.Length - position)
        {
            throw Malformed($"{what} needs {count} bytes, {source.Length - position} remain", position);
        }

        ReadOnlySpan<byte> span = source.Slice(position, count);
        position += count;
        return span;
    }

    private void Enter(int at)
    {
        if (++depth > Limits.NestingDepthMax)
        {
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"values at byte {at} nest deeper than {Limits.NestingDepthMax}");
        }
    }

    private static UaCodecException Malformed(string what, int at) =>
        new(UaCodecException.BadDecodingError, what + " (at byte " + at.ToString(CultureInfo.InvariantCulture) + ")");
}
