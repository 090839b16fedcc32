using FsCheck;
using FsCheck.Fluent;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fuzz;

namespace Neokernel.Fieldbus.Tests;

/// <summary>
/// Any bytes given to a decoder give a frame or a protocol error, never an exception or a hang. The
/// checks are the fuzz targets' own (each also asserts that whatever decodes re-encodes to the same
/// bytes), run here on random, truncated and corrupted input; afl-fuzz runs them coverage-guided.
/// </summary>
public sealed class RobustnessProperties
{
    private const int Tests = 3000;

    [Fact]
    public void AnyBytes_GiveAFrameOrAnError_InEveryDecoder()
    {
        Prop.ForAll(ModbusGen.AnyBytes(ModbusLimits.TcpAduBytesMax + 40).ToArbitrary(), bytes =>
        {
            RunAllTargets(bytes);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void TruncatedTcpFrame_IsTruncated_AndTheStreamWaitsForMore()
    {
        Prop.ForAll(TcpFrames.ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (frame, cutSeed) =>
        {
            var cut = cutSeed % frame.Length;
            var truncated = frame.AsSpan(0, cut);
            RunAllTargets(truncated.ToArray());
            var reassembler = new TcpFrameReassembler();
            var step = reassembler.Append(truncated);
            return TcpFrame.Decode(truncated).Error == ModbusError.TcpFrameTruncated
                && step.Status == ReassemblyStatus.NeedMore
                && step.Consumed == cut;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    /// <summary>CRC-16 detects every error burst of up to 16 bits, so any one corrupted byte fails the check.</summary>
    [Fact]
    public void RtuFrameWithOneByteChanged_FailsItsCrc()
    {
        var cases =
            from frame in RtuFrames
            from position in Gen.Choose(0, 1000)
            from flip in Gen.Choose(1, 255)
            select (Frame: frame, Position: position % frame.Length, Flip: (byte)flip);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var corrupted = c.Frame.ToArray();
            corrupted[c.Position] ^= c.Flip;
            RunAllTargets(corrupted);
            return RtuFrame.Decode(corrupted).Error == ModbusError.RtuCrcMismatch;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void PduWithOneByteChangedOrCut_GivesAResultInBothPduDecoders()
    {
        var pdus =
            from request in ModbusGen.Response
            from response in Gen.Elements(true, false)
            select Pdu(request, response);
        var cases =
            from pdu in pdus
            from position in Gen.Choose(0, 1000)
            from flip in Gen.Choose(0, 255)
            from cut in Gen.Choose(0, 1000)
            select (Pdu: pdu, Position: position % pdu.Length, Flip: (byte)flip, Cut: cut % (pdu.Length + 1));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var corrupted = c.Pdu.ToArray();
            corrupted[c.Position] ^= c.Flip;
            FuzzTargets.SlaveRequestTarget(corrupted);
            FuzzTargets.MasterResponseTarget(corrupted);
            FuzzTargets.SlaveRequestTarget(c.Pdu.AsSpan(0, c.Cut));
            FuzzTargets.MasterResponseTarget(c.Pdu.AsSpan(0, c.Cut));
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void GarbageStream_InRandomChunks_EndsInFramesOrAnError()
    {
        var cases =
            from requests in Gen.ArrayOf(ModbusGen.Request)
            from garbage in ModbusGen.AnyBytes(64)
            from insertAt in Gen.Choose(0, 10_000)
            from chunkBytes in Gen.Choose(1, 64)
            select (Requests: requests, Garbage: garbage, InsertAt: insertAt, ChunkBytes: chunkBytes);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (stream, _) = RoundTripProperties.TcpStream(c.Requests);
            var at = stream.Length == 0 ? 0 : c.InsertAt % stream.Length;
            var mixed = stream[..at].Concat(c.Garbage).Concat(stream[at..]).ToArray();
            var reassembler = new TcpFrameReassembler();
            var rest = mixed.AsSpan();
            var steps = 0;
            while (!rest.IsEmpty && steps++ <= (2 * mixed.Length) + 2)
            {
                var step = reassembler.Append(rest[..Math.Min(c.ChunkBytes, rest.Length)]);
                if (step.Status == ReassemblyStatus.Error)
                {
                    return step.Error is ModbusError.TcpProtocolIdNotZero or ModbusError.TcpLengthTooSmall or ModbusError.TcpLengthTooLarge;
                }
                rest = rest[step.Consumed..];
            }
            return rest.IsEmpty;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    /// <summary>The committed seed corpus and every fuzz finding turned regression, through their targets on the normal build.</summary>
    [Fact]
    public void FuzzCorpusAndRegressions_PassTheirTargets()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "fuzz");
        var files = 0;
        foreach (var (name, target) in FuzzTargets.ByName)
        {
            foreach (var kind in new[] { "corpus", "regressions" })
            {
                var directory = Path.Combine(root, kind, name);
                if (!Directory.Exists(directory))
                {
                    continue;
                }
                foreach (var file in Directory.GetFiles(directory))
                {
                    target(File.ReadAllBytes(file));
                    files++;
                }
            }
        }
        Assert.True(files >= 4 * 10, $"only {files} corpus files found under {root}");
    }

    private static Gen<byte[]> TcpFrames =>
        from request in ModbusGen.Request
        from transaction in ModbusGen.Word
        select Frame(request, (pdu, adu) => TcpFrame.Encode(transaction, 1, pdu, adu));

    private static Gen<byte[]> RtuFrames =>
        from response in ModbusGen.Response
        from unit in ModbusGen.Unit
        select Frame(new RequestCase(response.Request, new byte[response.Request.DataBytes]), (pdu, adu) => RtuFrame.Encode(unit, pdu, adu));

    private delegate int Framer(ReadOnlySpan<byte> pdu, Span<byte> adu);

    private static byte[] Frame(RequestCase request, Framer framer)
    {
        var pdu = new byte[ModbusLimits.PduBytesMax];
        var adu = new byte[ModbusLimits.TcpAduBytesMax];
        var pduBytes = RequestEncoder.Encode(request.Request, request.Data, pdu);
        return adu.AsSpan(0, framer(pdu.AsSpan(0, pduBytes), adu)).ToArray();
    }

    private static byte[] Pdu(ResponseCase c, bool response)
    {
        var pdu = new byte[ModbusLimits.PduBytesMax];
        var length = response
            ? ResponseEncoder.Encode(c.Response, c.Data, pdu)
            : RequestEncoder.Encode(c.Request, new byte[c.Request.DataBytes], pdu);
        return pdu.AsSpan(0, length).ToArray();
    }

    private static void RunAllTargets(byte[] bytes)
    {
        foreach (var target in FuzzTargets.ByName.Values)
        {
            target(bytes);
        }
    }
}
