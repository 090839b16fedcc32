using System.Runtime.CompilerServices;

namespace Neokernel.Gateway.Ua;

/// <summary>
/// A value of any built-in type, a one-dimensional array of one, or a matrix (Part 6 §5.2.2.16).
/// A value type: numbers, booleans and timestamps live in its eight bytes of <c>bits</c> and cost
/// no allocation, which is what a server's Read and data-change notifications carry most.
/// Strings, byte strings and the structured types are held by reference; an array is the .NET
/// array of the element type (<c>double[]</c>, <c>string?[]</c>, <c>NodeId[]</c>, <c>Variant[]</c>
/// …), a matrix the same flat array in row-major order with its <see cref="Dimensions"/>.
/// </summary>
public readonly struct Variant : IEquatable<Variant>
{
    private readonly ulong bits;
    private readonly object? reference;

    private Variant(BuiltInType type, ulong bits, object? reference, bool isArray, int[]? dimensions)
    {
        Type = type;
        this.bits = bits;
        this.reference = reference;
        IsArray = isArray;
        Dimensions = dimensions;
    }

    public static Variant Null => default;

    public BuiltInType Type { get; }

    public bool IsArray { get; }

    /// <summary>The matrix's dimension lengths, or null for a scalar or a one-dimensional array.</summary>
    public int[]? Dimensions { get; }

    public bool IsNull => Type == BuiltInType.Null;

    /// <summary>The array (typed as its element type's .NET array), or null for a scalar.</summary>
    public Array? Array => IsArray ? (Array?)reference : null;

    public Variant(bool value) : this(BuiltInType.Boolean, value ? 1UL : 0UL, null, false, null) { }

    public Variant(sbyte value) : this(BuiltInType.SByte, unchecked((ulong)value), null, false, null) { }

    public Variant(byte value) : this(BuiltInType.Byte, value, null, false, null) { }

    public Variant(short value) : this(BuiltInType.Int16, unchecked((ulong)value), null, false, null) { }

    public Variant(ushort value) : this(BuiltInType.UInt16, value, null, false, null) { }

    public Variant(int value) : this(BuiltInType.Int32, unchecked((ulong)value), null, false, null) { }

    public Variant(uint value) : this(BuiltInType.UInt32, value, null, false, null) { }

    public Variant(long value) : this(BuiltInType.Int64, unchecked((ulong)value), null, false, null) { }

    public Variant(ulong value) : this(BuiltInType.UInt64, value, null, false, null) { }

    public Variant(float value) : this(BuiltInType.Float, BitConverter.SingleToUInt32Bits(value), null, false, null) { }

    public Variant(double value) : this(BuiltInType.Double, BitConverter.DoubleToUInt64Bits(value), null, false, null) { }

    public Variant(string? value) : this(BuiltInType.String, 0, value, false, null) { }

    public Variant(Guid value) : this(BuiltInType.Guid, 0, value, false, null) { }

    public Variant(NodeId value) : this(BuiltInType.NodeId, 0, value, false, null) { }

    public Variant(ExpandedNodeId value) : this(BuiltInType.ExpandedNodeId, 0, value, false, null) { }

    public Variant(StatusCode value) : this(BuiltInType.StatusCode, value.Code, null, false, null) { }

    public Variant(QualifiedName value) : this(BuiltInType.QualifiedName, 0, value, false, null) { }

    public Variant(LocalizedText value) : this(BuiltInType.LocalizedText, 0, value, false, null) { }

    public Variant(ExtensionObject value) : this(BuiltInType.ExtensionObject, 0, value, false, null) { }

    public Variant(DataValue value) : this(BuiltInType.DataValue, 0, value, false, null) { }

    public Variant(DiagnosticInfo? value) : this(BuiltInType.DiagnosticInfo, 0, value, false, null) { }

    /// <summary>A UA DateTime: 100 ns ticks since 1601-01-01 UTC (<see cref="UaDateTime"/>).</summary>
    public static Variant FromDateTime(long uaTicks) => new(BuiltInType.DateTime, unchecked((ulong)uaTicks), null, false, null);

    public static Variant FromByteString(byte[]? value) => new(BuiltInType.ByteString, 0, value, false, null);

    public static Variant FromXmlElement(string? value) => new(BuiltInType.XmlElement, 0, value, false, null);

    /// <summary>
    /// An array (or with <paramref name="dimensions"/> a matrix) of <paramref name="elementType"/>,
    /// whose elements are <paramref name="values"/>, the .NET array <see cref="ElementTypeOf"/> names.
    /// </summary>
    public static Variant FromArray(BuiltInType elementType, Array values, int[]? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (elementType == BuiltInType.Null || values.GetType().GetElementType() != ElementTypeOf(elementType) || values.Rank != 1)
        {
            throw new ArgumentException($"an array of {elementType} is a one-dimensional {ElementTypeOf(elementType)?.Name}[], not {values.GetType().Name}", nameof(values));
        }

        if (dimensions is not null)
        {
            CheckDimensions(dimensions, values.Length);
        }

        return new Variant(elementType, 0, values, true, dimensions);
    }

    /// <summary>The .NET type of one element of an array of <paramref name="type"/>.</summary>
    public static Type? ElementTypeOf(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => typeof(bool),
        BuiltInType.SByte => typeof(sbyte),
        BuiltInType.Byte => typeof(byte),
        BuiltInType.Int16 => typeof(short),
        BuiltInType.UInt16 => typeof(ushort),
        BuiltInType.Int32 => typeof(int),
        BuiltInType.UInt32 => typeof(uint),
        BuiltInType.Int64 => typeof(long),
        BuiltInType.UInt64 => typeof(ulong),
        BuiltInType.Float => typeof(float),
        BuiltInType.Double => typeof(double),
        BuiltInType.String or BuiltInType.XmlElement => typeof(string),
        BuiltInType.DateTime => typeof(long),
        BuiltInType.Guid => typeof(Guid),
        BuiltInType.ByteString => typeof(byte[]),
        BuiltInType.NodeId => typeof(NodeId),
        BuiltInType.ExpandedNodeId => typeof(ExpandedNodeId),
        BuiltInType.StatusCode => typeof(StatusCode),
        BuiltInType.QualifiedName => typeof(QualifiedName),
        BuiltInType.LocalizedText => typeof(LocalizedText),
        BuiltInType.ExtensionObject => typeof(ExtensionObject),
        BuiltInType.DataValue => typeof(DataValue),
        BuiltInType.Variant => typeof(Variant),
        BuiltInType.DiagnosticInfo => typeof(DiagnosticInfo),
        _ => null,
    };

    internal static void CheckDimensions(int[] dimensions, int length)
    {
        if (dimensions.Length < 2)
        {
            throw new ArgumentException("a matrix has at least two dimensions; a one-dimensional array has none", nameof(dimensions));
        }

        long product = 1;
        foreach (int dimension in dimensions)
        {
            if (dimension < 0)
            {
                throw new ArgumentException("a matrix dimension is not negative", nameof(dimensions));
            }

            product = Math.Min(product * dimension, (long)int.MaxValue + 1);
        }

        if (product != length)
        {
            throw new ArgumentException($"the dimensions' product {product} is not the {length} elements", nameof(dimensions));
        }
    }

    public bool AsBoolean() => bits != 0;

    public sbyte AsSByte() => unchecked((sbyte)bits);

    public byte AsByte() => unchecked((byte)bits);

    public short AsInt16() => unchecked((short)bits);

    public ushort AsUInt16() => unchecked((ushort)bits);

    public int AsInt32() => unchecked((int)bits);

    public uint AsUInt32() => unchecked((uint)bits);

    public long AsInt64() => unchecked((long)bits);

    public ulong AsUInt64() => bits;

    public float AsFloat() => BitConverter.UInt32BitsToSingle(unchecked((uint)bits));

    public double AsDouble() => BitConverter.UInt64BitsToDouble(bits);

    public long AsDateTime() => unchecked((long)bits);

    public StatusCode AsStatusCode() => new(unchecked((uint)bits));

    /// <summary>The String or XmlElement scalar.</summary>
    public string? AsString() => reference as string;

    public byte[]? AsByteString() => reference as byte[];

    public Guid AsGuid() => reference is Guid guid ? guid : Guid.Empty;

    public NodeId AsNodeId() => reference is NodeId id ? id : NodeId.Null;

    public ExpandedNodeId AsExpandedNodeId() => reference is ExpandedNodeId id ? id : ExpandedNodeId.Null;

    public QualifiedName AsQualifiedName() => reference is QualifiedName name ? name : QualifiedName.Null;

    public LocalizedText AsLocalizedText() => reference is LocalizedText text ? text : LocalizedText.Null;

    public ExtensionObject AsExtensionObject() => reference is ExtensionObject value ? value : ExtensionObject.Null;

    public DataValue AsDataValue() => reference is DataValue value ? value : default;

    public DiagnosticInfo? AsDiagnosticInfo() => reference as DiagnosticInfo;

    /// <summary>
    /// The scalar as a double when it is a number (what a deadband compares), else false. An
    /// array is not a number.
    /// </summary>
    public bool TryGetNumber(out double value)
    {
        value = 0;
        if (IsArray)
        {
            return false;
        }

        switch (Type)
        {
            case BuiltInType.SByte: value = AsSByte(); return true;
            case BuiltInType.Byte: value = AsByte(); return true;
            case BuiltInType.Int16: value = AsInt16(); return true;
            case BuiltInType.UInt16: value = AsUInt16(); return true;
            case BuiltInType.Int32: value = AsInt32(); return true;
            case BuiltInType.UInt32: value = AsUInt32(); return true;
            case BuiltInType.Int64: value = AsInt64(); return true;
            case BuiltInType.UInt64: value = AsUInt64(); return true;
            case BuiltInType.Float: value = AsFloat(); return true;
            case BuiltInType.Double: value = AsDouble(); return true;
            default: return false;
        }
    }

    /// <summary>
    /// Equal when of the same type and shape with equal elements; floating-point values compare by
    /// their bits, so a NaN equals itself and a value read back equals the value written.
    /// </summary>
    public bool Equals(Variant other)
    {
        if (Type != other.Type || IsArray != other.IsArray || !DimensionsEqual(Dimensions, other.Dimensions))
        {
            return false;
        }

        if (IsArray)
        {
            return ArraysEqual((Array?)reference, (Array?)other.reference);
        }

        return bits == other.bits && ReferenceValueEquals(reference, other.reference);
    }

    public override bool Equals(object? obj) => obj is Variant other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, IsArray, bits);

    public static bool operator ==(Variant left, Variant right) => left.Equals(right);

    public static bool operator !=(Variant left, Variant right) => !left.Equals(right);

    public override string ToString() => IsArray ? $"{Type}[{((Array?)reference)?.Length}]" : Type switch
    {
        BuiltInType.Null => "null",
        BuiltInType.Boolean => AsBoolean() ? "true" : "false",
        BuiltInType.Float => AsFloat().ToString(System.Globalization.CultureInfo.InvariantCulture),
        BuiltInType.Double => AsDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
        BuiltInType.SByte or BuiltInType.Int16 or BuiltInType.Int32 or BuiltInType.Int64 or BuiltInType.DateTime => AsInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
        BuiltInType.Byte or BuiltInType.UInt16 or BuiltInType.UInt32 or BuiltInType.UInt64 => bits.ToString(System.Globalization.CultureInfo.InvariantCulture),
        BuiltInType.StatusCode => AsStatusCode().ToString(),
        _ => reference?.ToString() ?? "null",
    };

    private static bool DimensionsEqual(int[]? left, int[]? right) =>
        left is null || right is null ? left is null && right is null : left.AsSpan().SequenceEqual(right);

    private static bool ArraysEqual(Array? left, Array? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null;
        }

        if (left.Length != right.Length)
        {
            return false;
        }

        for (int i = 0; i < left.Length; i++)
        {
            if (!ElementEquals(left.GetValue(i), right.GetValue(i)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ElementEquals(object? left, object? right) => (left, right) switch
    {
        (float a, float b) => BitConverter.SingleToUInt32Bits(a) == BitConverter.SingleToUInt32Bits(b),
        (double a, double b) => BitConverter.DoubleToUInt64Bits(a) == BitConverter.DoubleToUInt64Bits(b),
        _ => ReferenceValueEquals(left, right),
    };

    private static bool ReferenceValueEquals(object? left, object? right) => (left, right) switch
    {
        (null, null) => true,
        (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
        (null, _) or (_, null) => false,
        _ => left.Equals(right),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong RawBits() => bits;

    internal object? RawReference() => reference;
}
