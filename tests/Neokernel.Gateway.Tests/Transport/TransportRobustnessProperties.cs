using FsCheck;
using FsCheck.Fluent;
using Neokernel.Fuzz;
using Neokernel.Gateway.Ua.Transport;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>
/// Random, truncated and corrupted chunk streams never throw out of the reassembler, the
/// assembler or a whole connection, and a connection answers them only with well-formed chunks
/// (the fuzz target's invariants, <see cref="FuzzTargets.UaChunkTarget"/>).
/// </summary>
public sealed class TransportRobustnessProperties
{
    private const int Tests = 500;

    private static readonly byte[][] Seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fuzz", "corpus", "ua-chunk")).Select(File.ReadAllBytes).ToArray();

    [Fact]
    public void RandomBytes_NeverThrowFromTheReassemblerOrAssembler()
    {
        Prop.ForAll(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).ToArbitrary(), Gen.Choose(1, 40).ToArbitrary(), (bytes, readBytes) =>
        {
            Reassemble(bytes, readBytes);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests * 4));
    }

    [Fact]
    public void RandomBytes_ThroughAConnection_KeepTheTargetsInvariants()
    {
        Prop.ForAll(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).ToArbitrary(), bytes =>
        {
            FuzzTargets.UaChunkTarget(bytes);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void TruncatedAndCorruptedSeeds_ThroughAConnection_KeepTheTargetsInvariants()
    {
        var cases = from seed in Gen.Elements(Seeds)
                    from cut in Gen.Choose(0, 600)
                    from flipCount in Gen.Choose(0, 4)
                    from flips in Gen.ArrayOf(Gen.Choose(0, 600 * 256), flipCount)
                    select Corrupt(seed, cut, flips);
        Prop.ForAll(cases.ToArbitrary(), bytes =>
        {
            FuzzTargets.UaChunkTarget(bytes);
            Reassemble(bytes, 1 + (bytes.Length % 17));
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void FuzzCorpusAndRegressions_PassTheTarget()
    {
        var files = 0;
        foreach (var kind in new[] { "corpus", "regressions" })
        {
            var directory = Path.Combine(AppContext.BaseDirectory, "fuzz", kind, "ua-chunk");
            foreach (var file in Directory.Exists(directory) ? Directory.GetFiles(directory) : [])
            {
                FuzzTargets.UaChunkTarget(File.ReadAllBytes(file));
                files++;
            }
        }

        Assert.True(files >= 8, $"only {files} ua-chunk corpus files found");
    }

    /// <summary>Cuts the seed to <paramref name="cut"/> bytes (if shorter) and flips bytes at the given positions to the given values.</summary>
    private static byte[] Corrupt(byte[] seed, int cut, int[] flips)
    {
        var bytes = seed[..Math.Min(seed.Length, Math.Max(cut, seed.Length / 2))];
        foreach (var flip in flips)
        {
            bytes[flip / 256 % bytes.Length] = (byte)(flip % 256);
        }

        return bytes;
    }

    /// <summary>The reassembler and assembler alone, reading secured chunks' request ids and bodies as the connection does.</summary>
    private static void Reassemble(byte[] bytes, int readBytes)
    {
        var reassembler = new UaChunkReassembler(8192);
        var assembler = new UaMessageAssembler(64, 4096, 4);
        var rest = bytes.AsSpan();
        var steps = 0;
        while (!rest.IsEmpty)
        {
            var read = rest[..Math.Min(readBytes, rest.Length)];
            var step = reassembler.Append(read);
            Assert.InRange(step.Consumed, 0, read.Length);
            Assert.True(++steps <= (2 * bytes.Length) + 2, "the reassembler makes no progress");
            if (step.Status == UaReassemblyStatus.Error)
            {
                Assert.NotEqual(0u, reassembler.ErrorStatus);
                return;
            }

            if (step.Status == UaReassemblyStatus.Chunk && reassembler.Chunk.Length >= 24 && reassembler.Header.MessageType == UaMessageType.Message)
            {
                var chunk = reassembler.Chunk;
                assembler.Append(reassembler.Header.ChunkType, BitConverter.ToUInt32(chunk[20..]), chunk[24..]);
                Assert.True(assembler.Body.Length <= assembler.BytesMax, "the assembler holds more than its limit");
            }

            rest = rest[step.Consumed..];
        }
    }
}
