using FsCheck;
using FsCheck.Fluent;
using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

/// <summary>Encoding then decoding gives back what was encoded, for every function code, request and response, bare and over TCP and RTU.</summary>
public sealed class RoundTripProperties
{
    private const int Tests = 2000;

    [Fact]
    public void Request_RoundTripsThroughThePdu()
    {
        Prop.ForAll(ModbusGen.Request.ToArbitrary(), c =>
        {
            var pdu = new byte[ModbusLimits.PduBytesMax];
            var length = RequestEncoder.Encode(c.Request, c.Data, pdu);
            var decoded = RequestDecoder.Decode(pdu.AsSpan(0, length));
            return decoded.Status == DecodeStatus.Decoded
                && decoded.Request == c.Request
                && decoded.Data.SequenceEqual(c.Data)
                && decoded.FunctionByte == (byte)c.Request.Function;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void Response_RoundTripsThroughThePdu_AndMatchesItsRequest()
    {
        Prop.ForAll(ModbusGen.Response.ToArbitrary(), c =>
        {
            var pdu = new byte[ModbusLimits.PduBytesMax];
            var length = ResponseEncoder.Encode(c.Response, c.Data, pdu);
            var decoded = ResponseDecoder.Decode(pdu.AsSpan(0, length), c.Request);
            return decoded.Status == DecodeStatus.Decoded
                && decoded.Response == c.Response
                && decoded.Data.SequenceEqual(c.Data);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void ExceptionResponse_RoundTripsForEveryFunction()
    {
        var cases =
            from request in ModbusGen.Request
            from exception in ModbusGen.Exception
            select (request.Request, Exception: exception);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pdu = new byte[ResponseEncoder.ExceptionPduBytes];
            ResponseEncoder.EncodeException((byte)c.Request.Function, c.Exception, pdu);
            var decoded = ResponseDecoder.Decode(pdu, c.Request);
            return decoded.Status == DecodeStatus.Exception
                && decoded.Exception == c.Exception
                && decoded.Response.Function == c.Request.Function;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void Request_RoundTripsOverTcp()
    {
        var cases =
            from request in ModbusGen.Request
            from transaction in ModbusGen.Word
            from unit in ModbusGen.Unit
            select (Case: request, Transaction: transaction, Unit: unit);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pdu = new byte[ModbusLimits.PduBytesMax];
            var pduBytes = RequestEncoder.Encode(c.Case.Request, c.Case.Data, pdu);
            var adu = new byte[ModbusLimits.TcpAduBytesMax];
            var aduBytes = TcpFrame.Encode(c.Transaction, c.Unit, pdu.AsSpan(0, pduBytes), adu);
            var frame = TcpFrame.Decode(adu.AsSpan(0, aduBytes));
            var decoded = RequestDecoder.Decode(frame.Pdu);
            return frame.IsFrame
                && frame.TransactionId == c.Transaction
                && frame.Unit == c.Unit
                && decoded.Status == DecodeStatus.Decoded
                && decoded.Request == c.Case.Request;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void Response_RoundTripsOverRtu()
    {
        var cases =
            from response in ModbusGen.Response
            from unit in ModbusGen.Unit
            select (Case: response, Unit: unit);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pdu = new byte[ModbusLimits.PduBytesMax];
            var pduBytes = ResponseEncoder.Encode(c.Case.Response, c.Case.Data, pdu);
            var adu = new byte[ModbusLimits.RtuAduBytesMax];
            var aduBytes = RtuFrame.Encode(c.Unit, pdu.AsSpan(0, pduBytes), adu);
            var frame = RtuFrame.Decode(adu.AsSpan(0, aduBytes));
            var decoded = ResponseDecoder.Decode(frame.Pdu, c.Case.Request);
            return frame.IsFrame
                && frame.Unit == c.Unit
                && decoded.Status == DecodeStatus.Decoded
                && decoded.Response == c.Case.Response
                && decoded.Data.SequenceEqual(c.Case.Data);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void Request_RoundTripsOverRtu_AndResponseOverTcp()
    {
        var cases =
            from response in ModbusGen.Response
            from unit in ModbusGen.Unit
            from transaction in ModbusGen.Word
            select (Case: response, Unit: unit, Transaction: transaction);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pdu = new byte[ModbusLimits.PduBytesMax];
            var adu = new byte[ModbusLimits.TcpAduBytesMax];
            var requestData = new byte[c.Case.Request.DataBytes];
            var requestBytes = RtuFrame.Encode(c.Unit, pdu.AsSpan(0, RequestEncoder.Encode(c.Case.Request, requestData, pdu)), adu);
            var request = RequestDecoder.Decode(RtuFrame.Decode(adu.AsSpan(0, requestBytes)).Pdu);
            var requestOk = request.Status == DecodeStatus.Decoded && request.Request == c.Case.Request;

            var responseBytes = TcpFrame.Encode(c.Transaction, c.Unit, pdu.AsSpan(0, ResponseEncoder.Encode(c.Case.Response, c.Case.Data, pdu)), adu);
            var frame = TcpFrame.Decode(adu.AsSpan(0, responseBytes));
            var response = ResponseDecoder.Decode(frame.Pdu, c.Case.Request);
            return requestOk && frame.TransactionId == c.Transaction && response.Status == DecodeStatus.Decoded && response.Response == c.Case.Response;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void Reassembler_FramesChunkedAtRandomPoints_ComeOutWhole()
    {
        var cases =
            from requests in Gen.ArrayOf(ModbusGen.Request)
            from cuts in Gen.ArrayOf(Gen.Choose(1, 40))
            select (Requests: requests, Cuts: cuts);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (stream, pdus) = TcpStream(c.Requests);
            var reassembler = new TcpFrameReassembler();
            var received = new List<(ushort Transaction, byte[] Pdu)>();
            var offset = 0;
            var cut = 0;
            while (offset < stream.Length)
            {
                var chunkBytes = c.Cuts.Length == 0 ? stream.Length : Math.Min(c.Cuts[cut++ % c.Cuts.Length], stream.Length - offset);
                var chunk = stream.AsSpan(offset, chunkBytes);
                while (!chunk.IsEmpty)
                {
                    var step = reassembler.Append(chunk);
                    if (step.Status == ReassemblyStatus.Error)
                    {
                        return false;
                    }
                    if (step.Status == ReassemblyStatus.Frame)
                    {
                        received.Add((reassembler.Frame.TransactionId, reassembler.Frame.Pdu.ToArray()));
                    }
                    chunk = chunk[step.Consumed..];
                }
                offset += chunkBytes;
            }
            return reassembler.BufferedBytes == 0
                && received.Count == pdus.Count
                && received.Select((frame, index) => frame.Transaction == index && frame.Pdu.SequenceEqual(pdus[index])).All(ok => ok);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    /// <summary>The requests as one TCP byte stream, transaction ids 0, 1, 2, ..., and each one's PDU.</summary>
    internal static (byte[] Stream, List<byte[]> Pdus) TcpStream(RequestCase[] requests)
    {
        var stream = new List<byte>();
        var pdus = new List<byte[]>();
        var pdu = new byte[ModbusLimits.PduBytesMax];
        var adu = new byte[ModbusLimits.TcpAduBytesMax];
        for (var index = 0; index < requests.Length; index++)
        {
            var pduBytes = RequestEncoder.Encode(requests[index].Request, requests[index].Data, pdu);
            pdus.Add(pdu.AsSpan(0, pduBytes).ToArray());
            stream.AddRange(adu.AsSpan(0, TcpFrame.Encode((ushort)index, 1, pdu.AsSpan(0, pduBytes), adu)).ToArray());
        }
        return (stream.ToArray(), pdus);
    }
}
