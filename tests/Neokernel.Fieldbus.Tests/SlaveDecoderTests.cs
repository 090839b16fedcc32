using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

/// <summary>What a slave answers to requests it must refuse: the exception comes back as a decoded result, never as a throw.</summary>
public sealed class SlaveDecoderTests
{
    [Theory]
    [InlineData("07", ModbusError.FunctionUnknown, ExceptionCode.IllegalFunction)]
    [InlineData("00 00 01 00 01", ModbusError.FunctionUnknown, ExceptionCode.IllegalFunction)]
    [InlineData("41 00 00", ModbusError.FunctionUnknown, ExceptionCode.IllegalFunction)]
    [InlineData("2B 0D 01 00", ModbusError.MeiTypeUnsupported, ExceptionCode.IllegalFunction)]
    [InlineData("03 00 00 00 00", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("03 00 00 00 7E", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("04 00 00 00 7E", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("01 00 00 07 D1", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("02 00 00 00 00", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("03 00 00 00", ModbusError.PduLengthWrong, ExceptionCode.IllegalDataValue)]
    [InlineData("03 00 00 00 01 00", ModbusError.PduLengthWrong, ExceptionCode.IllegalDataValue)]
    [InlineData("05 00 01 12 34", ModbusError.CoilValueInvalid, ExceptionCode.IllegalDataValue)]
    [InlineData("0F 00 00 07 B1 F7", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("0F 00 00 00 0A 01 CD", ModbusError.ByteCountMismatch, ExceptionCode.IllegalDataValue)]
    [InlineData("10 00 00 00 7C F8", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("10 00 01 00 02 04 00 0A 01", ModbusError.ByteCountMismatch, ExceptionCode.IllegalDataValue)]
    [InlineData("10 00 01 00 02 03 00 0A 01", ModbusError.ByteCountMismatch, ExceptionCode.IllegalDataValue)]
    [InlineData("17 00 00 00 7E 00 00 00 01 02 00 00", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("17 00 00 00 01 00 00 00 7A F4", ModbusError.CountOutOfRange, ExceptionCode.IllegalDataValue)]
    [InlineData("2B 0E 05 00", ModbusError.DeviceIdCodeInvalid, ExceptionCode.IllegalDataValue)]
    [InlineData("2B 0E 01", ModbusError.PduLengthWrong, ExceptionCode.IllegalDataValue)]
    [InlineData("03 FF FF 00 02", ModbusError.AddressRangeOverflow, ExceptionCode.IllegalDataAddress)]
    [InlineData("0F FF FF 00 09 02 FF 01", ModbusError.AddressRangeOverflow, ExceptionCode.IllegalDataAddress)]
    public void Decode_RefusedRequest_GivesTheException(string hex, ModbusError error, ExceptionCode exception)
    {
        var pdu = Hex.Bytes(hex);
        var decoded = RequestDecoder.Decode(pdu);
        Assert.Equal(DecodeStatus.Exception, decoded.Status);
        Assert.Equal(error, decoded.Error);
        Assert.Equal(exception, decoded.Exception);
        Assert.Equal(pdu[0], decoded.FunctionByte);

        var reply = new byte[ResponseEncoder.ExceptionPduBytes];
        ResponseEncoder.EncodeException(decoded.FunctionByte, decoded.Exception, reply);
        Assert.Equal(pdu[0] | 0x80, reply[0]);
        Assert.Equal((byte)exception, reply[1]);
    }

    [Theory]
    [InlineData("", ModbusError.PduEmpty)]
    [InlineData("83 02", ModbusError.FunctionUnknown)]
    public void Decode_NotARequest_IsInvalid(string hex, ModbusError error)
    {
        var decoded = RequestDecoder.Decode(Hex.Bytes(hex));
        Assert.Equal(DecodeStatus.Invalid, decoded.Status);
        Assert.Equal(error, decoded.Error);
    }

    [Fact]
    public void Decode_LimitsThemselves_AreAccepted()
    {
        Assert.Equal(DecodeStatus.Decoded, RequestDecoder.Decode(Hex.Bytes("01 00 00 07 D0")).Status);
        Assert.Equal(DecodeStatus.Decoded, RequestDecoder.Decode(Hex.Bytes("03 FF 83 00 7D")).Status);
        var pdu = new byte[6 + 246];
        Hex.Bytes("10 00 00 00 7B F6").CopyTo(pdu, 0);
        Assert.Equal(DecodeStatus.Decoded, RequestDecoder.Decode(pdu).Status);
        pdu = new byte[6 + 246];
        Hex.Bytes("0F 00 00 07 B0 F6").CopyTo(pdu, 0);
        Assert.Equal(DecodeStatus.Decoded, RequestDecoder.Decode(pdu).Status);
        pdu = new byte[10 + 242];
        Hex.Bytes("17 00 00 00 7D 00 00 00 79 F2").CopyTo(pdu, 0);
        Assert.Equal(DecodeStatus.Decoded, RequestDecoder.Decode(pdu).Status);
    }

    [Fact]
    public void Encode_OutsideTheLimits_Throws()
    {
        var buffer = new byte[ModbusLimits.PduBytesMax];
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestEncoder.Encode(ModbusRequest.ReadHoldingRegisters(0, 126), [], buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestEncoder.Encode(ModbusRequest.ReadCoils(0, 2001), [], buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestEncoder.Encode(ModbusRequest.ReadCoils(0xFFFF, 2), [], buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestEncoder.Encode(ModbusRequest.WriteMultipleRegisters(0, 124), new byte[248], buffer));
        Assert.Throws<ArgumentException>(() => RequestEncoder.Encode(ModbusRequest.WriteMultipleRegisters(0, 2), new byte[3], buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestEncoder.Encode(ModbusRequest.ReadWriteMultipleRegisters(0, 1, 0, 122), new byte[244], buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => ResponseEncoder.EncodeException(0x83, ExceptionCode.IllegalDataValue, buffer));
        Assert.Throws<ArgumentException>(() => ResponseEncoder.Encode(ModbusResponse.Read(FunctionCode.ReadHoldingRegisters), new byte[3], buffer));
    }

    [Fact]
    public void ResponseDecode_AgainstTheWrongRequest_IsAMismatch()
    {
        var request = ModbusRequest.ReadHoldingRegisters(0x6B, 3);
        Assert.Equal(ModbusError.ResponseFunctionMismatch, ResponseDecoder.Decode(Hex.Bytes("04 06 02 2B 00 00 00 64"), request).Error);
        Assert.Equal(ModbusError.ResponseByteCountMismatch, ResponseDecoder.Decode(Hex.Bytes("03 04 02 2B 00 00"), request).Error);
        Assert.Equal(ModbusError.ResponseEchoMismatch, ResponseDecoder.Decode(Hex.Bytes("06 00 02 00 03"), ModbusRequest.WriteSingleRegister(1, 3)).Error);
        Assert.Equal(ModbusError.ResponseFunctionMismatch, ResponseDecoder.Decode(Hex.Bytes("84 02"), request).Error);
    }
}
