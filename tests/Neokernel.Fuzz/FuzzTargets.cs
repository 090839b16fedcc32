using Neokernel.Fieldbus.Modbus;
using Neokernel.Gateway.Ua.Transport;

namespace Neokernel.Fuzz;

/// <summary>
/// One target per decoder. Each feeds arbitrary bytes to a decoder and checks what must hold for any
/// input: no exception escapes, and whatever decodes re-encodes to exactly the bytes it came from
/// (the codec is canonical, so a lenient parse that loses information shows up as a difference).
/// A broken invariant throws <see cref="FuzzInvariantException"/>, which afl-fuzz records as a crash.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, FuzzTarget> ByName = new Dictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["tcp-frame"] = TcpFrameTarget,
        ["rtu-frame"] = RtuFrameTarget,
        ["slave-request"] = SlaveRequestTarget,
        ["master-response"] = MasterResponseTarget,
        ["ua-chunk"] = UaChunkTarget,
        ["fault-schedule"] = FaultFuzzTargets.FaultScheduleTarget,
        ["campaign-file"] = FaultFuzzTargets.CampaignFileTarget,
    };

    /// <summary>TcpFrame.Decode on the whole input, then the reassembler on the same bytes in chunks whose size the first byte picks.</summary>
    public static void TcpFrameTarget(ReadOnlySpan<byte> input)
    {
        var frame = TcpFrame.Decode(input);
        Span<byte> adu = stackalloc byte[ModbusLimits.TcpAduBytesMax];
        if (frame.IsFrame)
        {
            var length = TcpFrame.Encode(frame.TransactionId, frame.Unit, frame.Pdu, adu);
            Require(adu[..length].SequenceEqual(input), "a decoded TCP frame re-encodes to different bytes");
        }
        Reassemble(input, input.IsEmpty ? 1 : 1 + (input[0] % 17), adu);
    }

    /// <summary>RtuFrame.Decode; a frame re-encodes identically and its PDU goes through both PDU decoders.</summary>
    public static void RtuFrameTarget(ReadOnlySpan<byte> input)
    {
        var frame = RtuFrame.Decode(input);
        if (!frame.IsFrame)
        {
            Require(frame.Pdu.IsEmpty, "a rejected RTU frame still gives a PDU");
            return;
        }
        Span<byte> adu = stackalloc byte[ModbusLimits.RtuAduBytesMax];
        var length = RtuFrame.Encode(frame.Unit, frame.Pdu, adu);
        Require(adu[..length].SequenceEqual(input), "a decoded RTU frame re-encodes to different bytes");
        SlaveRequestTarget(frame.Pdu);
        MasterResponseTarget(frame.Pdu);
    }

    /// <summary>RequestDecoder.Decode: a request re-encodes identically; a refusal is an exception the slave can send.</summary>
    public static void SlaveRequestTarget(ReadOnlySpan<byte> input)
    {
        var decoded = RequestDecoder.Decode(input);
        Span<byte> pdu = stackalloc byte[ModbusLimits.PduBytesMax];
        switch (decoded.Status)
        {
            case DecodeStatus.Decoded:
                var length = RequestEncoder.Encode(decoded.Request, decoded.Data, pdu);
                Require(pdu[..length].SequenceEqual(input), "a decoded request re-encodes to different bytes");
                break;
            case DecodeStatus.Exception:
                Require(decoded.Exception is ExceptionCode.IllegalFunction or ExceptionCode.IllegalDataAddress or ExceptionCode.IllegalDataValue,
                    "a refused request gives an exception other than 01, 02 or 03");
                Require(decoded.Error != ModbusError.None, "a refused request names no error");
                ResponseEncoder.EncodeException(decoded.FunctionByte, decoded.Exception, pdu);
                break;
            default:
                Require(decoded.Error is ModbusError.PduEmpty or ModbusError.PduTooLong or ModbusError.FunctionUnknown,
                    "a request is dropped for a reason a slave could have answered");
                break;
        }
    }

    /// <summary>ResponseDecoder.Decode, alone and against a few requests: a response re-encodes identically; a checked decode never accepts what the plain one rejects.</summary>
    public static void MasterResponseTarget(ReadOnlySpan<byte> input)
    {
        var decoded = ResponseDecoder.Decode(input);
        Span<byte> pdu = stackalloc byte[ModbusLimits.PduBytesMax];
        if (decoded.Status == DecodeStatus.Decoded)
        {
            var length = ResponseEncoder.Encode(decoded.Response, decoded.Data, pdu);
            Require(pdu[..length].SequenceEqual(input), "a decoded response re-encodes to different bytes");
        }
        Require(decoded.Status != DecodeStatus.Invalid || decoded.Error != ModbusError.None, "an invalid response names no error");
        foreach (var request in CheckedRequests.All)
        {
            var matched = ResponseDecoder.Decode(input, request);
            Require(matched.Status == DecodeStatus.Invalid || matched.Status == decoded.Status, "a checked decode accepts what the plain decode rejects");
        }
    }


    /// <summary>
    /// The OPC UA transport's chunk and message decoding, through a whole server connection: the
    /// input is the byte stream a client sends, fed in reads whose size the first byte picks. No
    /// exception escapes, everything the server writes is whole chunks of the types it may send
    /// (ACK, ERR, OPN, MSG) within the negotiated sizes, and after an ERR the connection is closed.
    /// A fresh server per input, so secure channel ids (and so the seeds) mean the same each run.
    /// </summary>
    public static void UaChunkTarget(ReadOnlySpan<byte> input)
    {
        using var harness = new UaTransportHarness(UaTransportHarness.SmallLimits);
        harness.Connect();
        var readBytes = input.IsEmpty ? 1 : 1 + (input[0] % 64) * (1 + (input[0] >> 6) * 40);
        var rest = input;
        while (!rest.IsEmpty && harness.Connected)
        {
            var read = rest[..Math.Min(readBytes, rest.Length)];
            harness.Feed(read);
            rest = rest[read.Length..];
        }

        RequireWellFormedOutput(harness.Written, harness.Connected);
    }

    private static void RequireWellFormedOutput(ReadOnlySpan<byte> written, bool connected)
    {
        var sawError = false;
        while (!written.IsEmpty)
        {
            Require(written.Length >= UaTcpHeader.Bytes, "the server wrote a partial header");
            var header = UaTcpHeader.Read(written);
            Require(!sawError, "the server wrote after an Error message");
            Require(header.MessageType is UaMessageType.Acknowledge or UaMessageType.Error or UaMessageType.Open or UaMessageType.Message, "the server wrote a message type it never sends");
            Require(header.MessageSize >= UaTcpHeader.Bytes && header.MessageSize <= written.Length, "the server wrote a chunk whose size disagrees with its bytes");
            Require(header.MessageSize <= UaTransportHarness.SmallLimits.SendBufferBytes, "the server wrote a chunk over its send buffer");
            sawError = header.MessageType == UaMessageType.Error;
            written = written[(int)header.MessageSize..];
        }

        Require(!sawError || !connected, "the server sent an Error and kept the connection");
    }

    /// <summary>
    /// Requests to check responses against. In a class of their own: SharpFuzz's instrumented code must
    /// not run before Fuzzer.OutOfProcess.Run has mapped afl's coverage memory, and building these
    /// calls into it, so they are built at their first use inside a run, not with FuzzTargets.
    /// </summary>
    private static class CheckedRequests
    {
        public static readonly ModbusRequest[] All =
        [
            ModbusRequest.ReadCoils(0x13, 19),
            ModbusRequest.ReadHoldingRegisters(0x6B, 3),
            ModbusRequest.WriteSingleRegister(1, 3),
            ModbusRequest.WriteMultipleCoils(0x13, 10),
            ModbusRequest.MaskWriteRegister(4, 0xF2, 0x25),
            ModbusRequest.ReadWriteMultipleRegisters(3, 6, 14, 3),
            ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Basic, 0),
        ];
    }

    private static void Reassemble(ReadOnlySpan<byte> input, int chunkBytes, Span<byte> adu)
    {
        var reassembler = new TcpFrameReassembler();
        var steps = 0;
        var stepsMax = (2 * input.Length) + 2;
        var rest = input;
        while (!rest.IsEmpty)
        {
            var chunk = rest[..Math.Min(chunkBytes, rest.Length)];
            var step = reassembler.Append(chunk);
            Require(++steps <= stepsMax, "the reassembler makes no progress");
            Require(step.Consumed >= 0 && step.Consumed <= chunk.Length, "the reassembler consumed bytes it was not given");
            if (step.Status == ReassemblyStatus.Error)
            {
                Require(step.Error != ModbusError.None && reassembler.Append(chunk).Status == ReassemblyStatus.Error, "a faulted reassembler recovered by itself");
                return;
            }
            Require(step.Status == ReassemblyStatus.Frame || step.Consumed == chunk.Length, "the reassembler needs more but left bytes unread");
            if (step.Status == ReassemblyStatus.Frame)
            {
                var frame = reassembler.Frame;
                Require(frame.IsFrame, "the reassembler completed a frame that does not decode");
                var length = TcpFrame.Encode(frame.TransactionId, frame.Unit, frame.Pdu, adu);
                Require(length == 6 + ((adu[4] << 8) | adu[5]), "a reassembled frame's length field disagrees with its size");
            }
            rest = rest[step.Consumed..];
        }
    }

    /// <summary>Throws <see cref="FuzzInvariantException"/>, afl-fuzz's crash, when an invariant does not hold.</summary>
    internal static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(message);
        }
    }
}

public delegate void FuzzTarget(ReadOnlySpan<byte> input);

/// <summary>A decoder broke one of the invariants the fuzz targets check.</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
