using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace Neokernel.Fieldbus.Modbus.Engine;

/// <summary>
/// What FC43/14 (read device identification) answers: the three mandatory basic objects. Each is
/// at most <see cref="ObjectBytesMax"/> ASCII bytes, so all three always fit one response and the
/// slave never needs more-follows.
/// </summary>
public sealed record ModbusDeviceIdentity(string VendorName, string ProductCode, string Revision)
{
    public const int ObjectBytesMax = 64;

    public static ModbusDeviceIdentity Default { get; } = new("Neokernel", "neokernel-modbus-slave", "0.1.0");

    /// <summary>The objects 0 (vendor), 1 (product code), 2 (revision) as ASCII bytes; throws for a text that is not.</summary>
    internal byte[][] ObjectValues() => [Ascii(VendorName, nameof(VendorName)), Ascii(ProductCode, nameof(ProductCode)), Ascii(Revision, nameof(Revision))];

    private static byte[] Ascii(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text, name);
        if (text.Length > ObjectBytesMax || !Ascii7(text))
        {
            throw new ArgumentException($"device identity {name} '{text}' must be at most {ObjectBytesMax} printable ASCII characters", name);
        }

        return Encoding.ASCII.GetBytes(text);
    }

    private static bool Ascii7(string text)
    {
        foreach (var character in text)
        {
            if (character is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// What a slave has done, for tools and tests. Written on the slave's loop only; read from any
/// thread (each counter is one aligned 64-bit word, read with <see cref="Volatile"/>).
/// </summary>
public sealed class ModbusSlaveCounters
{
    private long requests;
    private long exceptions;
    private long dropped;
    private long otherUnit;
    private long broadcasts;
    private long accepted;
    private long closedIdle;
    private long closedFault;

    /// <summary>Requests taken (answered normally, answered with an exception, or executed as a broadcast).</summary>
    public long Requests => Volatile.Read(ref requests);

    /// <summary>Exception replies sent.</summary>
    public long Exceptions => Volatile.Read(ref exceptions);

    /// <summary>Frames dropped without a reply: bad CRC, too short or long, not a request, a TCP stream that broke its framing.</summary>
    public long Dropped => Volatile.Read(ref dropped);

    /// <summary>Requests for another unit: on RTU ignored as the line's other slaves' business; on a TCP slave given a unit, answered 0B.</summary>
    public long OtherUnit => Volatile.Read(ref otherUnit);

    /// <summary>RTU broadcasts (unit 0) executed without a reply.</summary>
    public long Broadcasts => Volatile.Read(ref broadcasts);

    /// <summary>TCP connections accepted (those refused for the bound are the listener's count, <see cref="ModbusTcpSlave.ConnectionsRefused"/>).</summary>
    public long ConnectionsAccepted => Volatile.Read(ref accepted);

    /// <summary>TCP connections closed for saying nothing longer than the idle time.</summary>
    public long ConnectionsClosedIdle => Volatile.Read(ref closedIdle);

    /// <summary>TCP connections closed because their stream broke Modbus framing.</summary>
    public long ConnectionsClosedFault => Volatile.Read(ref closedFault);

    internal void Request() => Volatile.Write(ref requests, requests + 1);

    internal void Exception() => Volatile.Write(ref exceptions, exceptions + 1);

    internal void Drop() => Volatile.Write(ref dropped, dropped + 1);

    internal void ForOtherUnit() => Volatile.Write(ref otherUnit, otherUnit + 1);

    internal void Broadcast() => Volatile.Write(ref broadcasts, broadcasts + 1);

    internal void Accepted() => Volatile.Write(ref accepted, accepted + 1);

    internal void ClosedIdle() => Volatile.Write(ref closedIdle, closedIdle + 1);

    internal void ClosedFault() => Volatile.Write(ref closedFault, closedFault + 1);
}

/// <summary>
/// The transport-free half of a slave: one request PDU in, its response PDU out, against an
/// <see cref="IModbusDataModel"/>. The codec already refused what the spec refuses by shape
/// (01 unknown function, 03 bad quantity or byte count, 02 past 65535); this adds 02 for addresses
/// outside the model. The TCP and RTU engines frame what it answers. It keeps one scratch buffer
/// for read data and the device identity's bytes, made once, so answering allocates nothing.
/// Not thread-safe: it runs on its engine's loop.
/// </summary>
public sealed class ModbusSlave
{
    /// <summary>FC43/14's conformity level: basic identification, stream and individual access.</summary>
    public const byte ConformityLevel = 0x81;

    private readonly IModbusDataModel model;
    private readonly byte[][] identity;
    private readonly byte[] data = new byte[2 * ModbusLimits.ReadRegistersCountMax];

    public ModbusSlave(IModbusDataModel model, ModbusDeviceIdentity? identity = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        this.identity = (identity ?? ModbusDeviceIdentity.Default).ObjectValues();
    }

    public IModbusDataModel Model => model;

    /// <summary>FC05's value as one packed bit; static data, not an allocation.</summary>
    private static ReadOnlySpan<byte> CoilSet => [1];

    private static ReadOnlySpan<byte> CoilClear => [0];

    public ModbusSlaveCounters Counters { get; } = new();

    /// <summary>
    /// Answers <paramref name="request"/> into <paramref name="response"/> (at least
    /// <see cref="ModbusLimits.PduBytesMax"/> bytes); returns the response's length, or 0 when
    /// nothing is to be sent: bytes that are no request (dropped), or a broadcast, whose writes are
    /// carried out and whose reads are ignored (the spec allows broadcasts only for writes).
    /// </summary>
    public int Answer(ReadOnlySpan<byte> request, Span<byte> response, bool broadcast = false)
    {
        Debug.Assert(response.Length >= ModbusLimits.PduBytesMax, "a response buffer holds the largest PDU");
        var decoded = RequestDecoder.Decode(request);
        if (decoded.Status == DecodeStatus.Invalid)
        {
            Counters.Drop();
            return 0;
        }

        Counters.Request();
        if (broadcast)
        {
            Counters.Broadcast();
            if (decoded.Status == DecodeStatus.Decoded && IsWrite(decoded.Request.Function))
            {
                Execute(decoded.Request, decoded.Data, response);
            }

            return 0;
        }

        if (decoded.Status == DecodeStatus.Exception)
        {
            return Refuse(decoded.FunctionByte, decoded.Exception, response);
        }

        var length = Execute(decoded.Request, decoded.Data, response);
        return length > 0 ? length : Refuse(decoded.FunctionByte, (ExceptionCode)(-length), response);
    }

    /// <summary>
    /// Answers a request for a unit this slave is not, as a gateway does for a device that is not
    /// there (exception 0B); bytes that are no request are dropped as by <see cref="Answer"/>.
    /// </summary>
    public int AnswerAbsentUnit(ReadOnlySpan<byte> request, Span<byte> response)
    {
        Counters.ForOtherUnit();
        if (request.IsEmpty || request[0] >= 0x80)
        {
            Counters.Drop();
            return 0;
        }

        return Refuse(request[0], ExceptionCode.GatewayTargetFailedToRespond, response);
    }

    private static bool IsWrite(FunctionCode function) => function is FunctionCode.WriteSingleCoil or FunctionCode.WriteSingleRegister
        or FunctionCode.WriteMultipleCoils or FunctionCode.WriteMultipleRegisters or FunctionCode.MaskWriteRegister or FunctionCode.ReadWriteMultipleRegisters;

    private int Refuse(byte functionByte, ExceptionCode exception, Span<byte> response)
    {
        Counters.Exception();
        return ResponseEncoder.EncodeException(functionByte, exception, response);
    }

    /// <summary>Carries out a decoded request; the response length, or minus the exception code to answer.</summary>
    private int Execute(in ModbusRequest request, ReadOnlySpan<byte> values, Span<byte> response)
    {
        switch (request.Function)
        {
            case FunctionCode.ReadCoils:
                return ReadBits(ModbusTable.Coils, request, response);
            case FunctionCode.ReadDiscreteInputs:
                return ReadBits(ModbusTable.DiscreteInputs, request, response);
            case FunctionCode.ReadHoldingRegisters:
                return ReadRegisters(ModbusTable.HoldingRegisters, request.Function, request.Address, request.Count, response);
            case FunctionCode.ReadInputRegisters:
                return ReadRegisters(ModbusTable.InputRegisters, request.Function, request.Address, request.Count, response);
            case FunctionCode.WriteSingleCoil:
                return WriteCoils(request, request.Address, 1, request.Value == ModbusRequest.CoilOn ? CoilSet : CoilClear, response);
            case FunctionCode.WriteMultipleCoils:
                return WriteCoils(request, request.Address, request.Count, values, response);
            case FunctionCode.WriteSingleRegister:
                Span<byte> word = stackalloc byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(word, request.Value);
                return WriteRegisters(request, request.Address, 1, word, response);
            case FunctionCode.WriteMultipleRegisters:
                return WriteRegisters(request, request.Address, request.Count, values, response);
            case FunctionCode.MaskWriteRegister:
                return MaskWrite(request, response);
            case FunctionCode.ReadWriteMultipleRegisters:
                return ReadWrite(request, values, response);
            default:
                Debug.Assert(request.Function == FunctionCode.EncapsulatedInterface, "the decoder yields only the functions this slave serves");
                return Identify(request, response);
        }
    }

    private int ReadBits(ModbusTable table, in ModbusRequest request, Span<byte> response)
    {
        if (!model.Contains(table, request.Address, request.Count))
        {
            return -(int)ExceptionCode.IllegalDataAddress;
        }

        var bytes = PduChecks.BitBytes(request.Count);
        model.ReadBits(table, request.Address, request.Count, data.AsSpan(0, bytes));
        return ResponseEncoder.Encode(ModbusResponse.Read(request.Function), data.AsSpan(0, bytes), response);
    }

    private int ReadRegisters(ModbusTable table, FunctionCode function, int address, int count, Span<byte> response)
    {
        if (!model.Contains(table, address, count))
        {
            return -(int)ExceptionCode.IllegalDataAddress;
        }

        model.ReadRegisters(table, address, count, data.AsSpan(0, 2 * count));
        return ResponseEncoder.Encode(ModbusResponse.Read(function), data.AsSpan(0, 2 * count), response);
    }

    private int WriteCoils(in ModbusRequest request, int address, int count, ReadOnlySpan<byte> packed, Span<byte> response)
    {
        if (!model.IsWritable(ModbusTable.Coils, address, count))
        {
            return -(int)ExceptionCode.IllegalDataAddress;
        }

        model.WriteCoils(address, count, packed);
        return ResponseEncoder.Encode(ModbusResponse.Echo(request), default, response);
    }

    private int WriteRegisters(in ModbusRequest request, int address, int count, ReadOnlySpan<byte> bigEndian, Span<byte> response)
    {
        if (!model.IsWritable(ModbusTable.HoldingRegisters, address, count))
        {
            return -(int)ExceptionCode.IllegalDataAddress;
        }

        model.WriteHoldingRegisters(address, count, bigEndian);
        return ResponseEncoder.Encode(ModbusResponse.Echo(request), default, response);
    }

    /// <summary>FC22: register = (register AND andMask) OR (orMask AND NOT andMask).</summary>
    private int MaskWrite(in ModbusRequest request, Span<byte> response)
    {
        if (!model.IsWritable(ModbusTable.HoldingRegisters, request.Address, 1))
        {
            return -(int)ExceptionCode.IllegalDataAddress;
        }

        Span<byte> word = stackalloc byte[2];
        model.ReadRegisters(ModbusTable.HoldingRegisters, request.Address, 1, word);
        var current = BinaryPrimitives.ReadUInt16BigEndian(word);
        BinaryPrimitives.WriteUInt16BigEndian(word, (ushort)((current & request.AndMask) | (request.OrMask & ~request.AndMask)));
        model.WriteHoldingRegisters(request.Address, 1, word);
        return ResponseEncoder.Encode(ModbusResponse.Echo(request), default, response);
    }

    /// <summary>FC23: both ranges are checked before anything is written, then the write happens before the read.</summary>
    private int ReadWrite(in ModbusRequest request, ReadOnlySpan<byte> values, Span<byte> response)
    {
        if (!model.IsWritable(ModbusTable.HoldingRegisters, request.WriteAddress, request.WriteCount) ||
            !model.Contains(ModbusTable.HoldingRegisters, request.Address, request.Count))
        {
            return -(int)ExceptionCode.IllegalDataAddress;
        }

        model.WriteHoldingRegisters(request.WriteAddress, request.WriteCount, values);
        return ReadRegisters(ModbusTable.HoldingRegisters, request.Function, request.Address, request.Count, response);
    }

    /// <summary>
    /// FC43/14. A stream request (basic, regular, extended) gets every object from the one asked
    /// for to the last this slave has; an object id it does not know restarts the stream at 0, as
    /// the spec says. A specific request for an object it does not have is exception 02.
    /// </summary>
    private int Identify(in ModbusRequest request, Span<byte> response)
    {
        var specific = request.DeviceIdCode == DeviceIdCode.Specific;
        if (specific && request.ObjectId >= identity.Length)
        {
            return -(int)ExceptionCode.IllegalDataAddress;
        }

        var first = request.ObjectId < identity.Length ? request.ObjectId : 0;
        var last = specific ? first : identity.Length - 1;
        var writer = new DeviceIdObjectWriter(data);
        for (var objectId = first; objectId <= last; objectId++)
        {
            var added = writer.TryAdd((byte)objectId, identity[objectId]);
            Debug.Assert(added, "the identity's objects are bounded so that all fit one response");
        }

        var header = ModbusResponse.DeviceIdentification(request.DeviceIdCode, ConformityLevel, false, 0, (byte)writer.ObjectCount);
        return ResponseEncoder.Encode(header, writer.Written, response);
    }
}
