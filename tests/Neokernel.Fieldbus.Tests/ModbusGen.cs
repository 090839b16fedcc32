using FsCheck;
using FsCheck.Fluent;
using Neokernel.Fieldbus.Modbus;

namespace Neokernel.Fieldbus.Tests;

/// <summary>A request or response with the bytes that travel beside its fixed fields.</summary>
public sealed record RequestCase(ModbusRequest Request, byte[] Data)
{
    public override string ToString() => $"{Request} data [{Hex.Of(Data)}]";
}

public sealed record ResponseCase(ModbusRequest Request, ModbusResponse Response, byte[] Data)
{
    public override string ToString() => $"{Response} for {Request} data [{Hex.Of(Data)}]";
}

/// <summary>Explicit generators over the spec's ranges, one per function code.</summary>
public static class ModbusGen
{
    public static Gen<ushort> Word => Gen.Choose(0, ushort.MaxValue).Select(value => (ushort)value);

    /// <summary><paramref name="length"/> bytes from a generated seed, so shrinking stays cheap.</summary>
    public static Gen<byte[]> Bytes(int length) => Gen.Choose(0, int.MaxValue).Select(seed => RandomBytes(seed, length));

    public static Gen<byte[]> AnyBytes(int lengthMax) =>
        from length in Gen.Choose(0, lengthMax)
        from bytes in Bytes(length)
        select bytes;

    public static Gen<RequestCase> Request => Gen.OneOf(
        Range(ModbusLimits.ReadBitsCountMax).Select(r => Plain(ModbusRequest.ReadCoils(r.Address, r.Count))),
        Range(ModbusLimits.ReadBitsCountMax).Select(r => Plain(ModbusRequest.ReadDiscreteInputs(r.Address, r.Count))),
        Range(ModbusLimits.ReadRegistersCountMax).Select(r => Plain(ModbusRequest.ReadHoldingRegisters(r.Address, r.Count))),
        Range(ModbusLimits.ReadRegistersCountMax).Select(r => Plain(ModbusRequest.ReadInputRegisters(r.Address, r.Count))),
        from address in Word from isOn in Gen.Elements(true, false) select Plain(ModbusRequest.WriteSingleCoil(address, isOn)),
        from address in Word from value in Word select Plain(ModbusRequest.WriteSingleRegister(address, value)),
        WithData(Range(ModbusLimits.WriteBitsCountMax).Select(r => ModbusRequest.WriteMultipleCoils(r.Address, r.Count))),
        WithData(Range(ModbusLimits.WriteRegistersCountMax).Select(r => ModbusRequest.WriteMultipleRegisters(r.Address, r.Count))),
        from address in Word from andMask in Word from orMask in Word select Plain(ModbusRequest.MaskWriteRegister(address, andMask, orMask)),
        WithData(
            from read in Range(ModbusLimits.ReadWriteReadCountMax)
            from write in Range(ModbusLimits.ReadWriteWriteCountMax)
            select ModbusRequest.ReadWriteMultipleRegisters(read.Address, read.Count, write.Address, write.Count)),
        from code in Gen.Choose(1, 4) from objectId in Gen.Choose(0, 255)
        select Plain(ModbusRequest.ReadDeviceIdentification((DeviceIdCode)code, (byte)objectId)));

    /// <summary>A request and a well-formed response to it: read data of the right size, a write's echo, identification objects.</summary>
    public static Gen<ResponseCase> Response =>
        from request in Request
        from response in ResponseTo(request.Request)
        select response;

    public static Gen<ExceptionCode> Exception => Gen.Elements(
        ExceptionCode.IllegalFunction, ExceptionCode.IllegalDataAddress, ExceptionCode.IllegalDataValue,
        ExceptionCode.ServerDeviceFailure, ExceptionCode.Acknowledge, ExceptionCode.ServerDeviceBusy,
        ExceptionCode.MemoryParityError, ExceptionCode.GatewayPathUnavailable, ExceptionCode.GatewayTargetFailedToRespond);

    public static Gen<byte> Unit => Gen.Choose(0, 255).Select(unit => (byte)unit);

    private static Gen<ResponseCase> ResponseTo(ModbusRequest request) => request.Function switch
    {
        FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs or FunctionCode.ReadHoldingRegisters
            or FunctionCode.ReadInputRegisters or FunctionCode.ReadWriteMultipleRegisters =>
            Bytes(request.ResponseDataBytes).Select(data => new ResponseCase(request, ModbusResponse.Read(request.Function), data)),
        FunctionCode.EncapsulatedInterface => DeviceIdentificationTo(request),
        _ => Gen.Constant(new ResponseCase(request, ModbusResponse.Echo(request), [])),
    };

    private static Gen<ResponseCase> DeviceIdentificationTo(ModbusRequest request) =>
        from conformity in Gen.Elements<byte>(0x01, 0x02, 0x03, 0x81, 0x82, 0x83)
        from moreFollows in Gen.Elements(true, false)
        from next in Gen.Choose(0, 255)
        from lengths in Gen.ArrayOf(Gen.Choose(0, 20))
        from seed in Gen.Choose(0, int.MaxValue)
        select DeviceIdentificationCase(request, conformity, moreFollows, (byte)next, lengths, seed);

    private static ResponseCase DeviceIdentificationCase(ModbusRequest request, byte conformity, bool moreFollows, byte next, int[] lengths, int seed)
    {
        var buffer = new byte[DeviceIdObjectWriter.ObjectBytesMax];
        var writer = new DeviceIdObjectWriter(buffer);
        for (var index = 0; index < lengths.Length && writer.TryAdd((byte)(request.ObjectId + index), RandomBytes(seed + index, lengths[index])); index++)
        {
        }
        var response = ModbusResponse.DeviceIdentification(request.DeviceIdCode, conformity, moreFollows, next, (byte)writer.ObjectCount);
        return new ResponseCase(request, response, writer.Written.ToArray());
    }

    private static Gen<(ushort Address, ushort Count)> Range(int countMax) =>
        from count in Gen.Choose(1, countMax)
        from address in Gen.Choose(0, 0x10000 - count)
        select ((ushort)address, (ushort)count);

    private static RequestCase Plain(ModbusRequest request) => new(request, []);

    private static Gen<RequestCase> WithData(Gen<ModbusRequest> requests) =>
        from request in requests
        from data in Bytes(request.DataBytes)
        select new RequestCase(request, data);

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
#pragma warning disable CA5394 // test data, not security
        new Random(seed).NextBytes(bytes);
#pragma warning restore CA5394
        return bytes;
    }
}
