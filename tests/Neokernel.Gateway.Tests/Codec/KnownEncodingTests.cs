using Neokernel.Gateway.Ua;

namespace Neokernel.Gateway.Tests.Codec;

/// <summary>The byte layouts of Part 6 §5.2, written out by hand from the specification's tables and examples.</summary>
public sealed class KnownEncodingTests
{
    [Fact]
    public void WriteString_IsLengthThenUtf8_AsInThePart6Example()
    {
        // Part 6 §5.2.2.4: "水Boy" is 6 bytes of UTF-8 after the Int32 length.
        Assert.Equal(Hex("06000000 E6B0B4 426F79"), Encode(e => e.WriteString("水Boy")));
        Assert.Equal(Hex("FFFFFFFF"), Encode(e => e.WriteString(null)));
        Assert.Equal(Hex("00000000"), Encode(e => e.WriteString("")));
    }

    [Theory]
    [InlineData(0u, (ushort)0, "0000")]
    [InlineData(72u, (ushort)0, "0048")]
    [InlineData(1025u, (ushort)5, "01050104")]
    [InlineData(255u, (ushort)1, "0101FF00")]
    [InlineData(65536u, (ushort)0, "02000000000100")]
    [InlineData(1u, (ushort)256, "02000101000000")]
    public void WriteNodeId_ChoosesTheSmallestNumericEncoding(uint id, ushort ns, string expected)
    {
        Assert.Equal(Hex(expected), Encode(e => e.WriteNodeId(new NodeId(id, ns))));
    }

    [Fact]
    public void WriteNodeId_StringGuidAndOpaque_HaveTheirEncodingBytes()
    {
        // Part 6 §5.2.2.9: string NodeId "Hot水" in namespace 1.
        Assert.Equal(Hex("03 0100 06000000 486F74E6B0B4"), Encode(e => e.WriteNodeId(NodeId.FromString("Hot水", 1))));
        var guid = new Guid("72962B91-FA75-4AE6-8D28-B404DC7DAF63");
        Assert.Equal(Hex("04 0000 912B9672 75FA E64A 8D28B404DC7DAF63"), Encode(e => e.WriteNodeId(NodeId.FromGuid(guid, 0))));
        Assert.Equal(Hex("05 0200 02000000 ABCD"), Encode(e => e.WriteNodeId(NodeId.FromOpaque([0xAB, 0xCD], 2))));
    }

    [Fact]
    public void WriteExpandedNodeId_SetsTheUriAndServerFlags()
    {
        var id = new ExpandedNodeId(new NodeId(5), "u", 7);
        Assert.Equal(Hex("C005 01000000 75 07000000"), Encode(e => e.WriteExpandedNodeId(id)));
    }

    [Fact]
    public void WriteVariant_ScalarArrayAndMatrix()
    {
        Assert.Equal(Hex("06 2A000000"), Encode(e => e.WriteVariant(new Variant(42))));
        Assert.Equal(Hex("00"), Encode(e => e.WriteVariant(Variant.Null)));
        Assert.Equal(Hex("86 02000000 01000000 02000000"), Encode(e => e.WriteVariant(Variant.FromArray(BuiltInType.Int32, (int[])[1, 2]))));
        Assert.Equal(
            Hex("C3 04000000 01020304 02000000 02000000 02000000"),
            Encode(e => e.WriteVariant(Variant.FromArray(BuiltInType.Byte, new byte[] { 1, 2, 3, 4 }, [2, 2]))));
    }

    [Fact]
    public void WriteDataValue_MaskOrdersValueStatusSourceServer()
    {
        var value = new DataValue(new Variant(true), new StatusCode(0x80000000), SourceTimestamp: 1, SourcePicoseconds: 2, ServerTimestamp: 3);
        Assert.Equal(
            Hex("1F 0101 00000080 0100000000000000 0200 0300000000000000"),
            Encode(e => e.WriteDataValue(value)));
        Assert.Equal(Hex("00"), Encode(e => e.WriteDataValue(DataValue.FromStatus(StatusCode.Good))));
    }

    [Fact]
    public void WriteLocalizedTextAndQualifiedName_UseTheirMasks()
    {
        Assert.Equal(Hex("03 02000000 656E 02000000 6869"), Encode(e => e.WriteLocalizedText(new LocalizedText("en", "hi"))));
        Assert.Equal(Hex("02 02000000 6869"), Encode(e => e.WriteLocalizedText(LocalizedText.Invariant("hi"))));
        Assert.Equal(Hex("0100 03000000 616263"), Encode(e => e.WriteQualifiedName(new QualifiedName(1, "abc"))));
    }

    [Fact]
    public void WriteDiagnosticInfo_FieldsInWireOrder_LocaleBeforeLocalizedText()
    {
        var info = new DiagnosticInfo { SymbolicId = 1, Locale = 2, LocalizedText = 3, InnerStatusCode = new StatusCode(0x80010000) };
        Assert.Equal(Hex("2D 01000000 02000000 03000000 00000180"), Encode(e => e.WriteDiagnosticInfo(info)));
    }

    [Fact]
    public void WriteExtensionObject_TypedBody_IsLengthPrefixed()
    {
        Assert.Equal(Hex("01000102 01 04000000 07000000"), Encode(e => e.WriteExtensionObject(new Probe(7))));
        Assert.Equal(Hex("00 00 00"), Encode(e => e.WriteExtensionObject((IEncodeable?)null)));
    }

    [Fact]
    public void Encoder_OverItsLimits_ThrowsEncodingLimitsExceeded()
    {
        var encoder = new UaEncoder(64, new UaCodecLimits { StringBytesMax = 3, ArrayLengthMax = 2, MessageBytesMax = 128 });
        Assert.Equal(UaCodecException.BadEncodingLimitsExceeded, Assert.Throws<UaCodecException>(() => encoder.WriteString("abcd")).Status.Code);
        Assert.Equal(UaCodecException.BadEncodingLimitsExceeded, Assert.Throws<UaCodecException>(() => encoder.WriteVariant(Variant.FromArray(BuiltInType.Int32, (int[])[1, 2, 3]))).Status.Code);
        encoder.Reset();
        Assert.Equal(UaCodecException.BadEncodingLimitsExceeded, Assert.Throws<UaCodecException>(() => encoder.WriteByteString(new byte[200])).Status.Code);
    }

    internal static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));

    internal static byte[] Encode(Action<UaEncoder> write)
    {
        var encoder = new UaEncoder();
        write(encoder);
        return encoder.Written.ToArray();
    }

    private sealed record Probe(int Value) : IEncodeable
    {
        public NodeId BinaryEncodingId => new(513);

        public void Encode(UaEncoder encoder) => encoder.WriteInt32(Value);
    }
}
