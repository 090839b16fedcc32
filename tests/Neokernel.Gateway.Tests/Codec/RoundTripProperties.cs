using FsCheck;
using FsCheck.Fluent;
using Neokernel.Gateway.Ua;

namespace Neokernel.Gateway.Tests.Codec;

/// <summary>Encoding then decoding gives back the value, for every built-in type, and consumes exactly the bytes written.</summary>
public sealed class RoundTripProperties
{
    private const int Tests = 2000;

    [Fact]
    public void NodeId_RoundTrips() => RoundTrips(UaGen.NodeIds, (e, v) => e.WriteNodeId(v), (ref UaDecoder d) => d.ReadNodeId());

    [Fact]
    public void ExpandedNodeId_RoundTrips() => RoundTrips(UaGen.ExpandedNodeIds, (e, v) => e.WriteExpandedNodeId(v), (ref UaDecoder d) => d.ReadExpandedNodeId());

    [Fact]
    public void QualifiedName_RoundTrips() => RoundTrips(UaGen.QualifiedNames, (e, v) => e.WriteQualifiedName(v), (ref UaDecoder d) => d.ReadQualifiedName());

    [Fact]
    public void LocalizedText_RoundTrips() => RoundTrips(UaGen.LocalizedTexts, (e, v) => e.WriteLocalizedText(v), (ref UaDecoder d) => d.ReadLocalizedText());

    [Fact]
    public void String_RoundTrips() => RoundTrips(UaGen.Text, (e, v) => e.WriteString(v), (ref UaDecoder d) => d.ReadString());

    [Fact]
    public void Guid_RoundTrips() => RoundTrips(UaGen.Guids, (e, v) => e.WriteGuid(v), (ref UaDecoder d) => d.ReadGuid());

    [Fact]
    public void ExtensionObject_RoundTrips() => RoundTrips(UaGen.ExtensionObjects, (e, v) => e.WriteExtensionObject(v), (ref UaDecoder d) => d.ReadExtensionObject());

    [Fact]
    public void DiagnosticInfo_RoundTrips() => RoundTrips(UaGen.DiagnosticInfos(4), (e, v) => e.WriteDiagnosticInfo(v), (ref UaDecoder d) => d.ReadDiagnosticInfo());

    [Fact]
    public void DataValue_RoundTrips() => RoundTrips(UaGen.DataValues(3), (e, v) => e.WriteDataValue(v), (ref UaDecoder d) => d.ReadDataValue());

    [Fact]
    public void Variant_RoundTrips_ScalarsArraysAndMatrices() => RoundTrips(UaGen.Variants(3), (e, v) => e.WriteVariant(v), (ref UaDecoder d) => d.ReadVariant());

    [Fact]
    public void Numbers_RoundTrip()
    {
        Prop.ForAll(
            ArbMap.Default.GeneratorFor<long>().ToArbitrary(),
            ArbMap.Default.GeneratorFor<double>().ToArbitrary(),
            ArbMap.Default.GeneratorFor<short>().ToArbitrary(),
            (l, d, s) =>
            {
                var encoder = new UaEncoder();
                encoder.WriteInt64(l);
                encoder.WriteDouble(d);
                encoder.WriteInt16(s);
                encoder.WriteUInt64(unchecked((ulong)l));
                encoder.WriteFloat((float)d);
                var decoder = new UaDecoder(encoder.Written);
                return decoder.ReadInt64() == l
                    && BitConverter.DoubleToUInt64Bits(decoder.ReadDouble()) == BitConverter.DoubleToUInt64Bits(d)
                    && decoder.ReadInt16() == s
                    && decoder.ReadUInt64() == unchecked((ulong)l)
                    && BitConverter.SingleToUInt32Bits(decoder.ReadFloat()) == BitConverter.SingleToUInt32Bits((float)d)
                    && decoder.Remaining == 0;
            }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    private static void RoundTrips<T>(Gen<T> gen, Action<UaEncoder, T> write, UaElementReader<T> read)
    {
        var encoder = new UaEncoder();
        Prop.ForAll(gen.ToArbitrary(), value =>
        {
            encoder.Reset();
            write(encoder, value);
            var decoder = new UaDecoder(encoder.Written);
            T decoded = read(ref decoder);
            return (EqualityComparer<T>.Default.Equals(decoded, value) && decoder.Remaining == 0)
                .Label($"{value} decoded as {decoded}, {decoder.Remaining} bytes left");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }
}
