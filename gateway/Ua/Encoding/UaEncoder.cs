using System.Buffers.Binary;
using System.Text;

namespace Neokernel.Gateway.Ua;

/// <summary>
/// Writes UA Binary (Part 6 §5.2) into a buffer it owns and grows: one encoder per connection,
/// <see cref="Reset"/> between messages, so a connection that keeps answering reads allocates
/// nothing once its buffer has grown to its largest message. Little-endian throughout. A limit of
/// <see cref="UaCodecLimits"/> exceeded throws <see cref="UaCodecException"/> with
/// BadEncodingLimitsExceeded, which the service layer answers instead of the oversized response.
/// </summary>
public sealed class UaEncoder
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private byte[] buffer;
    private int position;
    private int depth;

    public UaEncoder(int initialBytes = 8192, UaCodecLimits? limits = null)
    {
        buffer = new byte[Math.Max(64, initialBytes)];
        Limits = limits ?? UaCodecLimits.Default;
    }

    public UaCodecLimits Limits { get; }

    /// <summary>Bytes written since the last <see cref="Reset"/> (or since construction).</summary>
    public int Position => position;

    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, position);

    public ReadOnlyMemory<byte> WrittenMemory => buffer.AsMemory(0, position);

    /// <summary>Starts a new message at <paramref name="start"/> bytes in (room a caller fills later, like a chunk header).</summary>
    public void Reset(int start = 0)
    {
        EnsureCapacity(start);
        position = start;
        depth = 0;
    }

    /// <summary>Overwrites four bytes already written (a length or size known only at the end).</summary>
    public void PatchUInt32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset, 4), value);

    public void WriteBoolean(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteSByte(sbyte value) => Reserve(1)[0] = unchecked((byte)value);

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16LittleEndian(Reserve(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);

    public void WriteFloat(float value) => BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);

    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);

    /// <summary>A UA DateTime (<see cref="UaDateTime"/> ticks).</summary>
    public void WriteDateTime(long uaTicks) => WriteInt64(uaTicks);

    public void WriteStatusCode(StatusCode value) => WriteUInt32(value.Code);

    /// <summary>A String: its UTF-8 byte length (−1 for null) and the bytes.</summary>
    public void WriteString(string? value) => WriteText(value, Limits.StringBytesMax, "String");

    public void WriteXmlElement(string? value) => WriteText(value, Limits.StringBytesMax, "XmlElement");

    public void WriteByteString(ReadOnlySpan<byte> value) => WriteBytes(value);

    public void WriteByteString(byte[]? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        WriteBytes(value);
    }

    public void WriteGuid(Guid value)
    {
        if (!value.TryWriteBytes(Reserve(16)))
        {
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, "a Guid does not fit 16 bytes");
        }
    }

    /// <summary>A NodeId in the smallest of its encodings (Part 6 §5.2.2.9): two-byte, four-byte or full.</summary>
    public void WriteNodeId(NodeId value) => WriteNodeId(value, 0);

    public void WriteExpandedNodeId(ExpandedNodeId value)
    {
        byte flags = (byte)((value.NamespaceUri is null ? 0 : 0x80) | (value.ServerIndex == 0 ? 0 : 0x40));
        WriteNodeId(value.NodeId, flags);
        if (value.NamespaceUri is not null)
        {
            WriteString(value.NamespaceUri);
        }

        if (value.ServerIndex != 0)
        {
            WriteUInt32(value.ServerIndex);
        }
    }

    public void WriteQualifiedName(QualifiedName value)
    {
        WriteUInt16(value.NamespaceIndex);
        WriteString(value.Name);
    }

    public void WriteLocalizedText(LocalizedText value)
    {
        byte mask = (byte)((value.Locale is null ? 0 : 0x01) | (value.Text is null ? 0 : 0x02));
        WriteByte(mask);
        if (value.Locale is not null)
        {
            WriteString(value.Locale);
        }

        if (value.Text is not null)
        {
            WriteString(value.Text);
        }
    }

    /// <summary>An ExtensionObject: its TypeId, encoding byte and length-prefixed body, typed bodies encoded in place.</summary>
    public void WriteExtensionObject(ExtensionObject value)
    {
        WriteNodeId(value.TypeId);
        WriteByte((byte)value.Encoding);
        switch (value.Encoding)
        {
            case ExtensionObjectEncoding.None:
                return;
            case ExtensionObjectEncoding.Xml:
                WriteXmlElement(value.Xml);
                return;
        }

        if (value.Encodeable is { } encodeable)
        {
            WriteEncodeableBody(encodeable);
        }
        else
        {
            WriteByteString(value.Bytes);
        }
    }

    /// <summary>An ExtensionObject around a typed structure, without boxing it in an <see cref="ExtensionObject"/>.</summary>
    public void WriteExtensionObject(IEncodeable? value)
    {
        if (value is null)
        {
            WriteNodeId(NodeId.Null);
            WriteByte((byte)ExtensionObjectEncoding.None);
            return;
        }

        WriteNodeId(value.BinaryEncodingId);
        WriteByte((byte)ExtensionObjectEncoding.Binary);
        WriteEncodeableBody(value);
    }

    public void WriteDataValue(DataValue value)
    {
        Enter();
        byte mask = (byte)((value.HasValue ? 0x01 : 0)
            | (value.Status.Code != 0 ? 0x02 : 0)
            | (value.SourceTimestamp != 0 ? 0x04 : 0)
            | (value.ServerTimestamp != 0 ? 0x08 : 0)
            | (value.SourcePicoseconds != 0 ? 0x10 : 0)
            | (value.ServerPicoseconds != 0 ? 0x20 : 0));
        WriteByte(mask);
        if (value.HasValue)
        {
            WriteVariant(value.Value);
        }

        if (value.Status.Code != 0)
        {
            WriteStatusCode(value.Status);
        }

        if (value.SourceTimestamp != 0)
        {
            WriteDateTime(value.SourceTimestamp);
        }

        if (value.SourcePicoseconds != 0)
        {
            WriteUInt16(value.SourcePicoseconds);
        }

        if (value.ServerTimestamp != 0)
        {
            WriteDateTime(value.ServerTimestamp);
        }

        if (value.ServerPicoseconds != 0)
        {
            WriteUInt16(value.ServerPicoseconds);
        }

        depth--;
    }

    /// <summary>A Variant (Part 6 §5.2.2.16): mask byte (type id, 0x80 array, 0x40 dimensions), the value or the array, the dimensions.</summary>
    public void WriteVariant(Variant value)
    {
        if (value.IsNull)
        {
            WriteByte(0);
            return;
        }

        Enter();
        if (!value.IsArray)
        {
            if (value.Type == BuiltInType.Variant)
            {
                throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, "a Variant cannot hold a Variant scalar, only an array of them");
            }

            WriteByte((byte)value.Type);
            WriteScalar(value);
            depth--;
            return;
        }

        Array array = value.Array!;
        WriteByte((byte)((byte)value.Type | 0x80 | (value.Dimensions is null ? 0 : 0x40)));
        CheckArrayLength(array.Length);
        WriteInt32(array.Length);
        WriteElements(value.Type, array);
        if (value.Dimensions is { } dimensions)
        {
            WriteInt32(dimensions.Length);
            foreach (int dimension in dimensions)
            {
                WriteInt32(dimension);
            }
        }

        depth--;
    }

    public void WriteDiagnosticInfo(DiagnosticInfo? value)
    {
        if (value is null)
        {
            WriteByte(0);
            return;
        }

        Enter();
        byte mask = (byte)((value.SymbolicId is null ? 0 : 0x01)
            | (value.NamespaceUri is null ? 0 : 0x02)
            | (value.LocalizedText is null ? 0 : 0x04)
            | (value.Locale is null ? 0 : 0x08)
            | (value.AdditionalInfo is null ? 0 : 0x10)
            | (value.InnerStatusCode is null ? 0 : 0x20)
            | (value.InnerDiagnosticInfo is null ? 0 : 0x40));
        WriteByte(mask);
        WriteOptional(value.SymbolicId);
        WriteOptional(value.NamespaceUri);
        WriteOptional(value.Locale);
        WriteOptional(value.LocalizedText);
        if (value.AdditionalInfo is not null)
        {
            WriteString(value.AdditionalInfo);
        }

        if (value.InnerStatusCode is { } inner)
        {
            WriteStatusCode(inner);
        }

        if (value.InnerDiagnosticInfo is not null)
        {
            WriteDiagnosticInfo(value.InnerDiagnosticInfo);
        }

        depth--;
    }

    /// <summary>An array of structures or values: its length (−1 for null) and each element by <paramref name="write"/>.</summary>
    public void WriteArray<T>(T[]? values, Action<UaEncoder, T> write)
    {
        if (values is null)
        {
            WriteInt32(-1);
            return;
        }

        WriteArray(new ReadOnlySpan<T>(values), write);
    }

    public void WriteArray<T>(ReadOnlySpan<T> values, Action<UaEncoder, T> write)
    {
        WriteArrayLength(values.Length);
        foreach (T value in values)
        {
            write(this, value);
        }
    }

    /// <summary>An array's length, checked against <see cref="UaCodecLimits.ArrayLengthMax"/>, for a caller that writes the elements itself (without a delegate or an array).</summary>
    public void WriteArrayLength(int length)
    {
        CheckArrayLength(length);
        WriteInt32(length);
    }

    /// <summary>Room for <paramref name="count"/> bytes at the end, the caller fills it.</summary>
    public Span<byte> Reserve(int count)
    {
        EnsureCapacity(position + count);
        Span<byte> span = buffer.AsSpan(position, count);
        position += count;
        return span;
    }

    private void WriteNodeId(NodeId value, byte flags)
    {
        switch (value.IdType)
        {
            case IdType.Numeric when value.NamespaceIndex == 0 && value.Numeric <= byte.MaxValue:
                Span<byte> two = Reserve(2);
                two[0] = flags;
                two[1] = (byte)value.Numeric;
                return;
            case IdType.Numeric when value.NamespaceIndex <= byte.MaxValue && value.Numeric <= ushort.MaxValue:
                Span<byte> four = Reserve(4);
                four[0] = (byte)(0x01 | flags);
                four[1] = (byte)value.NamespaceIndex;
                BinaryPrimitives.WriteUInt16LittleEndian(four[2..], (ushort)value.Numeric);
                return;
            case IdType.Numeric:
                WriteByte((byte)(0x02 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteUInt32(value.Numeric);
                return;
            case IdType.String:
                WriteByte((byte)(0x03 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteString(value.Text);
                return;
            case IdType.Guid:
                WriteByte((byte)(0x04 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteGuid(value.Guid);
                return;
            default:
                WriteByte((byte)(0x05 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteByteString(value.Opaque);
                return;
        }
    }

    private void WriteScalar(Variant value)
    {
        switch (value.Type)
        {
            case BuiltInType.Boolean: WriteBoolean(value.AsBoolean()); break;
            case BuiltInType.SByte: WriteSByte(value.AsSByte()); break;
            case BuiltInType.Byte: WriteByte(value.AsByte()); break;
            case BuiltInType.Int16: WriteInt16(value.AsInt16()); break;
            case BuiltInType.UInt16: WriteUInt16(value.AsUInt16()); break;
            case BuiltInType.Int32: WriteInt32(value.AsInt32()); break;
            case BuiltInType.UInt32: WriteUInt32(value.AsUInt32()); break;
            case BuiltInType.Int64: WriteInt64(value.AsInt64()); break;
            case BuiltInType.UInt64: WriteUInt64(value.AsUInt64()); break;
            case BuiltInType.Float: WriteFloat(value.AsFloat()); break;
            case BuiltInType.Double: WriteDouble(value.AsDouble()); break;
            case BuiltInType.String: WriteString(value.AsString()); break;
            case BuiltInType.DateTime: WriteDateTime(value.AsDateTime()); break;
            case BuiltInType.Guid: WriteGuid(value.AsGuid()); break;
            case BuiltInType.ByteString: WriteByteString(value.AsByteString()); break;
            case BuiltInType.XmlElement: WriteXmlElement(value.AsString()); break;
            case BuiltInType.NodeId: WriteNodeId(value.AsNodeId()); break;
            case BuiltInType.ExpandedNodeId: WriteExpandedNodeId(value.AsExpandedNodeId()); break;
            case BuiltInType.StatusCode: WriteStatusCode(value.AsStatusCode()); break;
            case BuiltInType.QualifiedName: WriteQualifiedName(value.AsQualifiedName()); break;
            case BuiltInType.LocalizedText: WriteLocalizedText(value.AsLocalizedText()); break;
            case BuiltInType.ExtensionObject: WriteExtensionObject(value.AsExtensionObject()); break;
            case BuiltInType.DataValue: WriteDataValue(value.AsDataValue()); break;
            default: WriteDiagnosticInfo(value.AsDiagnosticInfo()); break;
        }
    }

    private void WriteElements(BuiltInType type, Array array)
    {
        switch (array)
        {
            case bool[] a: foreach (bool v in a) { WriteBoolean(v); } break;
            case sbyte[] a: foreach (sbyte v in a) { WriteSByte(v); } break;
            case byte[] a: foreach (byte v in a) { WriteByte(v); } break;
            case short[] a: foreach (short v in a) { WriteInt16(v); } break;
            case ushort[] a: foreach (ushort v in a) { WriteUInt16(v); } break;
            case int[] a: foreach (int v in a) { WriteInt32(v); } break;
            case uint[] a: foreach (uint v in a) { WriteUInt32(v); } break;
            case long[] a: foreach (long v in a) { WriteInt64(v); } break;
            case ulong[] a: foreach (ulong v in a) { WriteUInt64(v); } break;
            case float[] a: foreach (float v in a) { WriteFloat(v); } break;
            case double[] a: foreach (double v in a) { WriteDouble(v); } break;
            case string?[] a when type == BuiltInType.XmlElement: foreach (string? v in a) { WriteXmlElement(v); } break;
            case string?[] a: foreach (string? v in a) { WriteString(v); } break;
            case Guid[] a: foreach (Guid v in a) { WriteGuid(v); } break;
            case byte[]?[] a: foreach (byte[]? v in a) { WriteByteString(v); } break;
            case NodeId[] a: foreach (NodeId v in a) { WriteNodeId(v); } break;
            case ExpandedNodeId[] a: foreach (ExpandedNodeId v in a) { WriteExpandedNodeId(v); } break;
            case StatusCode[] a: foreach (StatusCode v in a) { WriteStatusCode(v); } break;
            case QualifiedName[] a: foreach (QualifiedName v in a) { WriteQualifiedName(v); } break;
            case LocalizedText[] a: foreach (LocalizedText v in a) { WriteLocalizedText(v); } break;
            case ExtensionObject[] a: foreach (ExtensionObject v in a) { WriteExtensionObject(v); } break;
            case DataValue[] a: foreach (DataValue v in a) { WriteDataValue(v); } break;
            case Variant[] a: foreach (Variant v in a) { WriteVariant(v); } break;
            case DiagnosticInfo?[] a: foreach (DiagnosticInfo? v in a) { WriteDiagnosticInfo(v); } break;
            default: throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"an array of {type} cannot be a {array.GetType().Name}");
        }
    }

    private void WriteEncodeableBody(IEncodeable value)
    {
        int lengthAt = position;
        WriteInt32(0);
        Enter();
        value.Encode(this);
        depth--;
        PatchUInt32(lengthAt, (uint)(position - lengthAt - 4));
    }

    private void WriteOptional(int? value)
    {
        if (value is { } v)
        {
            WriteInt32(v);
        }
    }

    private void WriteText(string? value, int bytesMax, string what)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        int count = Utf8.GetByteCount(value);
        if (count > bytesMax)
        {
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"a {what} of {count} bytes exceeds the limit of {bytesMax}");
        }

        WriteInt32(count);
        Utf8.GetBytes(value, Reserve(count));
    }

    private void WriteBytes(ReadOnlySpan<byte> value)
    {
        if (value.Length > Limits.ByteStringBytesMax)
        {
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"a ByteString of {value.Length} bytes exceeds the limit of {Limits.ByteStringBytesMax}");
        }

        WriteInt32(value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    private void CheckArrayLength(int length)
    {
        if (length > Limits.ArrayLengthMax)
        {
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"an array of {length} elements exceeds the limit of {Limits.ArrayLengthMax}");
        }
    }

    private void Enter()
    {
        if (++depth > Limits.NestingDepthMax)
        {
            depth = 0;
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"values nest deeper than {Limits.NestingDepthMax}");
        }
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= buffer.Length)
        {
            return;
        }

        if (needed > Limits.MessageBytesMax)
        {
            throw new UaCodecException(UaCodecException.BadEncodingLimitsExceeded, $"the message exceeds {Limits.MessageBytesMax} bytes");
        }

        int size = buffer.Length;
        while (size < needed)
        {
            size = size > Limits.MessageBytesMax / 2 ? Limits.MessageBytesMax : size * 2;
        }

        Array.Resize(ref buffer, size);
    }
}
