using Neokernel.Fieldbus.Modbus;
using Neokernel.Testing;

namespace Neokernel.Fieldbus.Tests;

/// <summary>A request's whole trip through the codec, master and slave sides, TCP and RTU, allocates nothing once running.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void RequestAndResponse_OverTcpAndRtu_AllocateNothing()
    {
        var pdu = new byte[ModbusLimits.PduBytesMax];
        var adu = new byte[ModbusLimits.TcpAduBytesMax];
        var registers = new byte[2 * ModbusLimits.ReadRegistersCountMax];
        var objects = new byte[DeviceIdObjectWriter.ObjectBytesMax];
        var reassembler = new TcpFrameReassembler();
        var request = ModbusRequest.ReadHoldingRegisters(0x6B, 10);
        var write = ModbusRequest.WriteMultipleRegisters(0x20, 4);
        var checksum = 0;

        AllocationAssert.NoAllocations(2000, i =>
        {
            // master: FC03 over TCP; slave: reassemble, decode, answer.
            var aduBytes = TcpFrame.Encode((ushort)i, 1, pdu.AsSpan(0, RequestEncoder.Encode(request, default, pdu)), adu);
            var step = reassembler.Append(adu.AsSpan(0, aduBytes));
            var decoded = RequestDecoder.Decode(reassembler.Frame.Pdu);
            var answer = ResponseEncoder.Encode(ModbusResponse.Read(decoded.Request.Function), registers.AsSpan(0, decoded.Request.ResponseDataBytes), pdu);
            var response = ResponseDecoder.Decode(pdu.AsSpan(0, answer), request);
            checksum += step.Consumed + response.Data.Length;

            // master: FC16 over RTU; slave: decode, echo.
            var rtuBytes = RtuFrame.Encode(3, pdu.AsSpan(0, RequestEncoder.Encode(write, registers.AsSpan(0, 8), pdu)), adu);
            var frame = RtuFrame.Decode(adu.AsSpan(0, rtuBytes));
            var writeRequest = RequestDecoder.Decode(frame.Pdu).Request;
            var echo = ResponseEncoder.Encode(ModbusResponse.Echo(writeRequest), default, pdu);
            checksum += (int)ResponseDecoder.Decode(pdu.AsSpan(0, echo), write).Status;

            // a refused request and a device identification reply.
            var refused = RequestDecoder.Decode(adu.AsSpan(0, 1));
            checksum += ResponseEncoder.EncodeException(refused.FunctionByte, refused.Exception, pdu);
            var writer = new DeviceIdObjectWriter(objects);
            writer.TryAdd(0, "Neokernel"u8);
            var identification = ModbusResponse.DeviceIdentification(DeviceIdCode.Basic, 1, false, 0, (byte)writer.ObjectCount);
            checksum += ResponseEncoder.Encode(identification, writer.Written, pdu);
        });

        Assert.True(checksum > 0);
    }
}
