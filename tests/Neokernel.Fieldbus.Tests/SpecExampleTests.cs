using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

/// <summary>The request and response examples of the Modbus Application Protocol Specification V1.1b3, section 6, byte for byte.</summary>
public sealed class SpecExampleTests
{
    public static TheoryData<string, string, string> Examples() => new()
    {
        { "FC01 coils 20-38", "01 00 13 00 13", "01 03 CD 6B 05" },
        { "FC02 inputs 197-218", "02 00 C4 00 16", "02 03 AC DB 35" },
        { "FC03 registers 108-110", "03 00 6B 00 03", "03 06 02 2B 00 00 00 64" },
        { "FC04 register 9", "04 00 08 00 01", "04 02 00 0A" },
        { "FC05 coil 173 on", "05 00 AC FF 00", "05 00 AC FF 00" },
        { "FC06 register 2", "06 00 01 00 03", "06 00 01 00 03" },
        { "FC15 ten coils from 20", "0F 00 13 00 0A 02 CD 01", "0F 00 13 00 0A" },
        { "FC16 two registers from 2", "10 00 01 00 02 04 00 0A 01 02", "10 00 01 00 02" },
        { "FC22 mask write register 5", "16 00 04 00 F2 00 25", "16 00 04 00 F2 00 25" },
        { "FC23 read 6 from 4, write 3 from 15", "17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF", "17 0C 00 FE 0A CD 00 01 00 03 00 0D 00 FF" },
        { "FC43/14 basic from object 0", "2B 0E 01 00", "2B 0E 01 01 00 00 01 00 03 41 42 43" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Request_DecodesAndReencodesByteForByte(string name, string requestHex, string responseHex)
    {
        _ = responseHex;
        var pdu = Hex.Bytes(requestHex);
        var decoded = RequestDecoder.Decode(pdu);
        Assert.True(decoded.Status == DecodeStatus.Decoded, $"{name}: {decoded.Error}");
        var buffer = new byte[ModbusLimits.PduBytesMax];
        var length = RequestEncoder.Encode(decoded.Request, decoded.Data, buffer);
        Assert.Equal(requestHex, Hex.Of(buffer.AsSpan(0, length)));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Response_DecodesAgainstItsRequestAndReencodes(string name, string requestHex, string responseHex)
    {
        var request = RequestDecoder.Decode(Hex.Bytes(requestHex)).Request;
        var decoded = ResponseDecoder.Decode(Hex.Bytes(responseHex), request);
        Assert.True(decoded.Status == DecodeStatus.Decoded, $"{name}: {decoded.Error}");
        var buffer = new byte[ModbusLimits.PduBytesMax];
        var length = ResponseEncoder.Encode(decoded.Response, decoded.Data, buffer);
        Assert.Equal(responseHex, Hex.Of(buffer.AsSpan(0, length)));
    }

    [Fact]
    public void Request_FromFactories_MatchesTheSpecBytes()
    {
        var buffer = new byte[ModbusLimits.PduBytesMax];
        Assert.Equal("03 00 6B 00 03", Encoded(ModbusRequest.ReadHoldingRegisters(0x6B, 3), [], buffer));
        Assert.Equal("05 00 AC FF 00", Encoded(ModbusRequest.WriteSingleCoil(0xAC, true), [], buffer));
        Assert.Equal("0F 00 13 00 0A 02 CD 01", Encoded(ModbusRequest.WriteMultipleCoils(0x13, 10), Hex.Bytes("CD 01"), buffer));
        Assert.Equal("16 00 04 00 F2 00 25", Encoded(ModbusRequest.MaskWriteRegister(4, 0xF2, 0x25), [], buffer));
        Assert.Equal("2B 0E 04 05", Encoded(ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Specific, 5), [], buffer));
    }

    /// <summary>Spec 7: reading a coil range that does not exist answers 0x81 0x02.</summary>
    [Fact]
    public void ExceptionResponse_SpecExample()
    {
        var buffer = new byte[ResponseEncoder.ExceptionPduBytes];
        ResponseEncoder.EncodeException((byte)FunctionCode.ReadCoils, ExceptionCode.IllegalDataAddress, buffer);
        Assert.Equal("81 02", Hex.Of(buffer));
        var decoded = ResponseDecoder.Decode(buffer, ModbusRequest.ReadCoils(0x04A1, 1));
        Assert.Equal(DecodeStatus.Exception, decoded.Status);
        Assert.Equal(ExceptionCode.IllegalDataAddress, decoded.Exception);
        Assert.Equal(FunctionCode.ReadCoils, decoded.Response.Function);
    }

    [Fact]
    public void DeviceIdentification_ObjectsReadBackInOrder()
    {
        var objects = new byte[DeviceIdObjectWriter.ObjectBytesMax];
        var writer = new DeviceIdObjectWriter(objects);
        Assert.True(writer.TryAdd(0, "Neokernel"u8));
        Assert.True(writer.TryAdd(1, "NK-1"u8));
        Assert.True(writer.TryAdd(2, "1.0"u8));
        Assert.False(writer.TryAdd(3, new byte[DeviceIdObjectWriter.ObjectBytesMax]));
        var pdu = new byte[ModbusLimits.PduBytesMax];
        var response = ModbusResponse.DeviceIdentification(DeviceIdCode.Basic, 0x01, moreFollows: false, 0, (byte)writer.ObjectCount);
        var length = ResponseEncoder.Encode(response, writer.Written, pdu);

        var decoded = ResponseDecoder.Decode(pdu.AsSpan(0, length), ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Basic, 0));
        Assert.Equal(DecodeStatus.Decoded, decoded.Status);
        Assert.Equal(3, decoded.Response.ObjectCount);
        var reader = new DeviceIdObjectReader(decoded.Data);
        Assert.True(reader.TryRead(out var id, out var value));
        Assert.Equal((0, "Neokernel"), (id, System.Text.Encoding.ASCII.GetString(value)));
        Assert.True(reader.TryRead(out id, out value));
        Assert.Equal((1, "NK-1"), (id, System.Text.Encoding.ASCII.GetString(value)));
        Assert.True(reader.TryRead(out id, out value));
        Assert.Equal((2, "1.0"), (id, System.Text.Encoding.ASCII.GetString(value)));
        Assert.False(reader.TryRead(out _, out _));
    }

    private static string Encoded(in ModbusRequest request, byte[] data, byte[] buffer) =>
        Hex.Of(buffer.AsSpan(0, RequestEncoder.Encode(request, data, buffer)));
}
