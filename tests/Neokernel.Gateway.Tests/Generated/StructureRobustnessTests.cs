using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Neokernel.Gateway.Tests.Codec;
using Neokernel.Gateway.Ua;

namespace Neokernel.Gateway.Tests.Generated;

/// <summary>
/// Every generated structure, not a chosen few: its default value round-trips, and bytes cut
/// short or random fail only with the codec's own exception, which the transport's boundary
/// catches; never another exception that would escape it.
/// </summary>
public sealed class StructureRobustnessTests
{
    private const int NoiseAttempts = 50;
    private const int NoiseBytesMax = 64;

    [Fact]
    public void EveryStructure_Default_RoundTrips()
    {
        var structures = Structures();
        Assert.True(structures.Count >= 100, $"expected the generated structures, found {structures.Count}");
        foreach (var (name, create, decode) in structures)
        {
            var bytes = KnownEncodingTests.Encode(create().Encode);
            var decoder = new UaDecoder(bytes);
            var decoded = (IEncodeable)decode(ref decoder);
            decoder.ExpectEnd(name);
            Assert.Equal(bytes, KnownEncodingTests.Encode(decoded.Encode));
        }
    }

    [Fact]
    public void EveryStructure_CutShortOrRandomBytes_ThrowOnlyUaCodecException()
    {
        var random = new Random(9);
        foreach (var (name, create, decode) in Structures())
        {
            var bytes = KnownEncodingTests.Encode(create().Encode);
            for (var length = 0; length < bytes.Length; length++)
            {
                var cut = bytes[..length];
                Assert.Throws<UaCodecException>(() =>
                {
                    var decoder = new UaDecoder(cut);
                    decode(ref decoder);
                });
            }

            for (var attempt = 0; attempt < NoiseAttempts; attempt++)
            {
                var noise = new byte[random.Next(0, NoiseBytesMax)];
                random.NextBytes(noise);
                var exception = Record.Exception(() =>
                {
                    var decoder = new UaDecoder(noise);
                    decode(ref decoder);
                });
                Assert.True(exception is null or UaCodecException, $"{name}: random bytes threw {exception}");
            }
        }
    }

    private delegate object DecodeAny(ref UaDecoder decoder);

    /// <summary>Each generated structure (an IEncodeable class of the gateway with a static Decode(ref UaDecoder)): its name, a default instance, its decoder.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Test code on the JIT and the untrimmed gateway assembly.")]
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Test code on the JIT and the untrimmed gateway assembly.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Test code on the JIT and the untrimmed gateway assembly.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Test code on the JIT and the untrimmed gateway assembly.")]
    [UnconditionalSuppressMessage("Trimming", "IL2077", Justification = "Test code on the JIT and the untrimmed gateway assembly.")]
    private static List<(string Name, Func<IEncodeable> Create, DecodeAny Decode)> Structures() =>
        typeof(ReadRequest).Assembly.GetTypes()
            .Where(t => t.IsClass && t.Namespace == typeof(ReadRequest).Namespace && typeof(IEncodeable).IsAssignableFrom(t)
                && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (Type: t, Decode: t.GetMethod("Decode", BindingFlags.Public | BindingFlags.Static, [typeof(UaDecoder).MakeByRefType()])))
            .Where(p => p.Decode is not null && p.Decode.ReturnType == p.Type)
            .OrderBy(p => p.Type.Name, StringComparer.Ordinal)
            .Select(p => (p.Type.Name, (Func<IEncodeable>)(() => (IEncodeable)Activator.CreateInstance(p.Type)!), p.Decode!.CreateDelegate<DecodeAny>()))
            .ToList();
}
