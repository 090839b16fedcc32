using FsCheck;
using FsCheck.Fluent;
using Neokernel.Gateway.Ua;

namespace Neokernel.Gateway.Tests.Codec;

/// <summary>
/// Random, truncated and corrupted bytes make the decoder return a value or throw its own
/// <see cref="UaCodecException"/> (which the transport turns into a status), never anything else,
/// and never allocate what a length field claims before the bytes are there.
/// </summary>
public sealed class DecoderRobustnessProperties
{
    private const int Tests = 3000;

    [Fact]
    public void AnyBytes_DecodeOrFailWithACodecError_InEveryReader()
    {
        Prop.ForAll(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).ToArbitrary(), bytes =>
        {
            DecodeAll(bytes);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void TruncatedVariant_FailsWithADecodingError()
    {
        var encoder = new UaEncoder();
        Prop.ForAll(UaGen.Variants(3).ToArbitrary(), Gen.Choose(0, 10_000).ToArbitrary(), (value, cutSeed) =>
        {
            encoder.Reset();
            encoder.WriteVariant(value);
            byte[] full = encoder.Written.ToArray();
            int cut = cutSeed % full.Length;
            var error = Assert.Throws<UaCodecException>(() =>
            {
                var decoder = new UaDecoder(full.AsSpan(0, cut));
                decoder.ReadVariant();
            });
            return error.Status.Code == UaCodecException.BadDecodingError;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void CorruptedDataValue_DecodesOrFailsWithACodecError()
    {
        var encoder = new UaEncoder();
        var cases =
            from value in UaGen.DataValues(3)
            from position in Gen.Choose(0, 10_000)
            from flip in Gen.Choose(1, 255)
            select (Value: value, Position: position, Flip: (byte)flip);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            encoder.Reset();
            encoder.WriteDataValue(c.Value);
            byte[] bytes = encoder.Written.ToArray();
            bytes[c.Position % bytes.Length] ^= c.Flip;
            DecodeAll(bytes);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void HugeLengthField_IsRefusedBeforeAllocating()
    {
        byte[] claim = KnownEncodingTests.Hex("8B FFFFFF7F");
        var error = Assert.Throws<UaCodecException>(() => new UaDecoder(claim).ReadVariant());
        Assert.Equal(UaCodecException.BadEncodingLimitsExceeded, error.Status.Code);
        byte[] within = KnownEncodingTests.Hex("8B 10000000 00");
        Assert.Contains("remain", Assert.Throws<UaCodecException>(() => new UaDecoder(within).ReadVariant()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeeplyNestedVariants_AreRefusedAtTheNestingLimit()
    {
        // An array of one Variant holding an array of one Variant … 40 deep.
        var bytes = new List<byte>();
        for (int i = 0; i < 40; i++)
        {
            bytes.AddRange(KnownEncodingTests.Hex("98 01000000"));
        }

        bytes.Add(0);
        var error = Assert.Throws<UaCodecException>(() => new UaDecoder(bytes.ToArray()).ReadVariant());
        Assert.Equal(UaCodecException.BadEncodingLimitsExceeded, error.Status.Code);
        Assert.Contains("nest deeper than 32", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1A", "type id 26")]
    [InlineData("18 00", "Variant scalar")]
    [InlineData("46 2A000000", "dimensions without an array")]
    [InlineData("C6 01000000 2A000000 02000000 02000000 02000000", "multiply to 4")]
    [InlineData("0C 02000000 C328", "not valid UTF-8")]
    public void MalformedVariant_IsADecodingErrorThatSaysWhat(string hex, string expected)
    {
        var error = Assert.Throws<UaCodecException>(() => new UaDecoder(KnownEncodingTests.Hex(hex)).ReadVariant());
        Assert.Equal(UaCodecException.BadDecodingError, error.Status.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A string or opaque NodeId of any bytes (bad lengths, bad UTF-8, truncated) reads alike with
    /// known ids and without: the same id past the same bytes, or the same failure.
    /// </summary>
    [Fact]
    public void AnyStringOrOpaqueNodeId_ReadsAlike_WithKnownIds()
    {
        var bodies = from encoding in Gen.Elements<byte>(0x03, 0x05)
                     from length in Gen.OneOf(Gen.Choose(-3, 40), Gen.Elements(int.MinValue, int.MaxValue, 600))
                     from bytes in Gen.ArrayOf(Gen.OneOf(Gen.Choose(0x20, 0x7E), Gen.Choose(0x80, 0xFF)).Select(b => (byte)b))
                     select (byte[])[encoding, 2, 0, .. BitConverter.GetBytes(length), .. bytes];
        Prop.ForAll(bodies.ToArbitrary(), body =>
        {
            var plain = Read(body, null);
            var known = Read(body, EveryId.Instance);
            Assert.Equal(plain, known);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    private static (NodeId Id, int Position, uint Status) Read(byte[] body, IKnownNodeIds? knownNodeIds)
    {
        var decoder = new UaDecoder(body, knownNodeIds: knownNodeIds);
        try
        {
            return (decoder.ReadNodeId(), decoder.Position, 0);
        }
        catch (UaCodecException error)
        {
            return (default, -1, error.Status.Code);
        }
    }

    /// <summary>Holds every id it is asked for (as a server holding every name would).</summary>
    private sealed class EveryId : IKnownNodeIds
    {
        public static readonly EveryId Instance = new();

        public bool TryFindString(ushort namespaceIndex, ReadOnlySpan<char> identifier, out NodeId nodeId)
        {
            nodeId = NodeId.FromString(identifier.ToString(), namespaceIndex);
            return true;
        }

        public bool TryFindOpaque(ushort namespaceIndex, ReadOnlySpan<byte> identifier, out NodeId nodeId)
        {
            nodeId = NodeId.FromOpaque(identifier.ToArray(), namespaceIndex);
            return true;
        }
    }

    private static void DecodeAll(byte[] bytes)
    {
        Try(bytes, (ref UaDecoder d) => d.ReadVariant());
        Try(bytes, (ref UaDecoder d) => d.ReadDataValue());
        Try(bytes, (ref UaDecoder d) => d.ReadNodeId());
        Try(bytes, (ref UaDecoder d) => d.ReadExpandedNodeId());
        Try(bytes, (ref UaDecoder d) => d.ReadLocalizedText());
        Try(bytes, (ref UaDecoder d) => d.ReadQualifiedName());
        Try(bytes, (ref UaDecoder d) => d.ReadExtensionObject());
        Try(bytes, (ref UaDecoder d) => d.ReadDiagnosticInfo());
        Try(bytes, (ref UaDecoder d) => d.ReadArray((ref UaDecoder e) => e.ReadString(), "String"));
    }

    private static void Try<T>(byte[] bytes, UaElementReader<T> read)
    {
        try
        {
            var decoder = new UaDecoder(bytes);
            read(ref decoder);
        }
        catch (UaCodecException)
        {
            // The one failure the decoder may report.
        }
    }
}
