using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Simulation;

namespace Neokernel.Fieldbus.Tests.Master;

/// <summary>
/// The memory of a test slave (one per unit) and its answers: registers and bits in plain arrays,
/// answered through the codec. A stand-in for a slave in the master's unit tests; the interop
/// tests use real peers. Allocation-free once built, so the master's allocation test can run it.
/// </summary>
internal sealed class SlaveMemory
{
    public const int Points = 1_000;

    public ushort[] Holding { get; } = new ushort[Points];

    public ushort[] Input { get; } = new ushort[Points];

    public bool[] Coils { get; } = new bool[Points];

    public bool[] Discrete { get; } = new bool[Points];

    /// <summary>When set, every request is answered with this exception.</summary>
    public ExceptionCode ForcedException { get; set; }

    private readonly byte[] data = new byte[ModbusLimits.PduBytesMax];
    private readonly bool[] bitScratch = new bool[ModbusLimits.ReadBitsCountMax];
    private readonly ushort[] wordScratch = new ushort[ModbusLimits.ReadRegistersCountMax];

    /// <summary>Answers a request PDU into <paramref name="response"/>; returns its length.</summary>
    public int Answer(ReadOnlySpan<byte> requestPdu, Span<byte> response)
    {
        var decoded = RequestDecoder.Decode(requestPdu);
        if (decoded.Status != DecodeStatus.Decoded || ForcedException != ExceptionCode.None)
        {
            var code = decoded.Status == DecodeStatus.Decoded ? ForcedException : decoded.Exception;
            return ResponseEncoder.EncodeException(decoded.FunctionByte, code == ExceptionCode.None ? ExceptionCode.IllegalFunction : code, response);
        }

        var request = decoded.Request;
        if (request.Address + Math.Max(1, (int)request.Count) > Points)
        {
            return ResponseEncoder.EncodeException((byte)request.Function, ExceptionCode.IllegalDataAddress, response);
        }

        return request.Function switch
        {
            FunctionCode.ReadCoils => ReadBits(Coils, request, response),
            FunctionCode.ReadDiscreteInputs => ReadBits(Discrete, request, response),
            FunctionCode.ReadHoldingRegisters => ReadWords(Holding, request, response),
            FunctionCode.ReadInputRegisters => ReadWords(Input, request, response),
            _ => Write(request, decoded.Data, response),
        };
    }

    private int ReadBits(bool[] table, in ModbusRequest request, Span<byte> response)
    {
        var bytes = ModbusValues.WriteBits(table.AsSpan(request.Address, request.Count), data);
        return ResponseEncoder.Encode(ModbusResponse.Read(request.Function), data.AsSpan(0, bytes), response);
    }

    private int ReadWords(ushort[] table, in ModbusRequest request, Span<byte> response)
    {
        var bytes = ModbusValues.WriteRegisters(table.AsSpan(request.Address, request.Count), data);
        return ResponseEncoder.Encode(ModbusResponse.Read(request.Function), data.AsSpan(0, bytes), response);
    }

    private int Write(in ModbusRequest request, ReadOnlySpan<byte> values, Span<byte> response)
    {
        switch (request.Function)
        {
            case FunctionCode.WriteSingleCoil:
                Coils[request.Address] = request.Value == ModbusRequest.CoilOn;
                break;
            case FunctionCode.WriteSingleRegister:
                Holding[request.Address] = request.Value;
                break;
            case FunctionCode.WriteMultipleCoils:
                ModbusValues.ReadBits(values, bitScratch.AsSpan(0, request.Count));
                bitScratch.AsSpan(0, request.Count).CopyTo(Coils.AsSpan(request.Address));
                break;
            case FunctionCode.WriteMultipleRegisters:
                ModbusValues.ReadRegisters(values, wordScratch.AsSpan(0, request.Count));
                wordScratch.AsSpan(0, request.Count).CopyTo(Holding.AsSpan(request.Address));
                break;
            default:
                return ResponseEncoder.EncodeException((byte)request.Function, ExceptionCode.IllegalFunction, response);
        }

        return ResponseEncoder.Encode(ModbusResponse.Echo(request), default, response);
    }
}

/// <summary>What a scripted slave does with the next requests, besides answering.</summary>
internal enum SlaveTrick
{
    Answer,
    Silent,
    Delay,
    UnknownIdFirst,
    Garbage,
    WrongFunction,
}

/// <summary>
/// A Modbus TCP slave on the virtual network, scripted per test: answers from its units' memory,
/// or stays silent, answers late, sends a reply with a wrong transaction id first, or garbage.
/// Records what it received, and how many requests it held unanswered at once.
/// </summary>
internal sealed class ScriptedTcpSlave : IListenerHandler, IDisposable
{
    private readonly SimulationPlatform platform;
    private readonly DeviceAddress address;
    private readonly List<Connection> connections = [];
    private IStreamListener? listener;

    public ScriptedTcpSlave(SimulationPlatform platform, int port)
    {
        this.platform = platform;
        address = DeviceUri.Parse($"tcp-listen://127.0.0.1:{port}?connectionsMax=4");
        Listen();
    }

    public Dictionary<byte, SlaveMemory> Units { get; } = new() { [1] = new SlaveMemory() };

    public SlaveTrick Trick { get; set; }

    /// <summary>How many requests the trick applies to before the slave answers normally again (int.MaxValue: all).</summary>
    public int TrickCount { get; set; } = int.MaxValue;

    public long DelayNs { get; set; }

    public int Received { get; private set; }

    public int OutstandingMax { get; private set; }

    public int Accepted { get; private set; }

    private int outstanding;

    public void Listen() => listener = platform.Network.Listen(address, this);

    /// <summary>The slave process dies: its listener and every connection close.</summary>
    public void Vanish()
    {
        listener?.Dispose();
        listener = null;
        foreach (var connection in connections)
        {
            connection.Channel?.Dispose();
        }

        connections.Clear();
    }

    public IStreamHandler? OnAccepted(IStreamChannel connection)
    {
        Accepted++;
        var handler = new Connection(this, connection);
        connections.Add(handler);
        return handler;
    }

    public void Dispose() => Vanish();

    private SlaveTrick NextTrick()
    {
        if (Trick == SlaveTrick.Answer || TrickCount <= 0)
        {
            return SlaveTrick.Answer;
        }

        TrickCount--;
        return Trick;
    }

    private sealed class Connection : IStreamHandler
    {
        private readonly ScriptedTcpSlave slave;
        private readonly TcpFrameReassembler reassembler = new();
        private readonly byte[] read = new byte[512];
        private readonly byte[] pdu = new byte[ModbusLimits.PduBytesMax];
        private readonly byte[] adu = new byte[ModbusLimits.TcpAduBytesMax];

        public Connection(ScriptedTcpSlave slave, IStreamChannel channel)
        {
            this.slave = slave;
            Channel = channel;
        }

        public IStreamChannel? Channel { get; private set; }

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
            if (state == LinkState.Down)
            {
                channel.Dispose();
                Channel = null;
            }
        }

        public void OnReadable(IStreamChannel channel)
        {
            while (channel.Read(read) is { IsDone: true } result)
            {
                var offset = 0;
                while (offset < result.Bytes)
                {
                    var step = reassembler.Append(read.AsSpan(offset, result.Bytes - offset));
                    offset += step.Consumed;
                    if (step.Status == ReassemblyStatus.Frame)
                    {
                        Take(channel, reassembler.Frame);
                    }
                }
            }
        }

        public void OnWritable(IStreamChannel channel)
        {
        }

        private void Take(IStreamChannel channel, TcpFrameResult frame)
        {
            slave.Received++;
            if (!slave.Units.TryGetValue(frame.Unit, out var memory))
            {
                return;
            }

            var length = memory.Answer(frame.Pdu, pdu);
            var aduLength = TcpFrame.Encode(frame.TransactionId, frame.Unit, pdu.AsSpan(0, length), adu);
            switch (slave.NextTrick())
            {
                case SlaveTrick.Silent:
                    return;
                case SlaveTrick.Delay:
                    AnswerLater(channel, adu.AsSpan(0, aduLength).ToArray());
                    return;
                case SlaveTrick.UnknownIdFirst:
                    var bogus = new byte[ModbusLimits.TcpAduBytesMax];
                    var bogusLength = TcpFrame.Encode((ushort)(frame.TransactionId + 5000), frame.Unit, pdu.AsSpan(0, length), bogus);
                    channel.Write(bogus.AsSpan(0, bogusLength));
                    break;
                case SlaveTrick.Garbage:
                    channel.Write([0x00, 0x01, 0x12, 0x34, 0x00, 0x06, 0x01, 0x03, 0x02, 0x00, 0x00]);
                    return;
                case SlaveTrick.WrongFunction:
                    // A well-framed reply whose PDU answers another function: bad, but the stream is intact.
                    adu[ModbusLimits.MbapHeaderBytes] = (byte)(adu[ModbusLimits.MbapHeaderBytes] == 0x03 ? 0x04 : 0x03);
                    break;
            }

            channel.Write(adu.AsSpan(0, aduLength));
        }

        /// <summary>Its own method: a lambda in Take would make every call allocate its closure.</summary>
        private void AnswerLater(IStreamChannel channel, byte[] reply)
        {
            slave.outstanding++;
            slave.OutstandingMax = Math.Max(slave.OutstandingMax, slave.outstanding);
            var timer = slave.platform.CreateTimer(new Later(() =>
            {
                slave.outstanding--;
                channel.Write(reply);
            }));
            timer.ArmAt(slave.platform.NowNs + slave.DelayNs);
        }
    }

    private sealed class Later(Action action) : ITimerCallback
    {
        public void OnTimer(long nowNs) => action();
    }
}

/// <summary>
/// A Modbus RTU slave on one end of a virtual serial pair: a frame ends after t3.5 of silence.
/// Records when each request frame arrived, to check the master's silences.
/// </summary>
internal sealed class ScriptedRtuSlave : IStreamHandler, ITimerCallback
{
    private readonly SimulationPlatform platform;
    private readonly IPlatformTimer frameTimer;
    private readonly long silenceNs;
    private readonly byte[] received = new byte[512];
    private readonly byte[] pdu = new byte[ModbusLimits.PduBytesMax];
    private readonly byte[] adu = new byte[ModbusLimits.RtuAduBytesMax];
    private readonly IStreamChannel channel;
    private int receivedLength;

    public ScriptedRtuSlave(SimulationPlatform platform, string uri)
    {
        this.platform = platform;
        var address = DeviceUri.Parse(uri);
        silenceNs = RtuTiming.InterFrameSilenceNs(new SerialLineSettings(address.Serial.Baud, SerialParity.Even));
        frameTimer = platform.CreateTimer(this);
        channel = platform.Network.Open(address, this);
    }

    public Dictionary<byte, SlaveMemory> Units { get; } = new() { [1] = new SlaveMemory() };

    public bool Silent { get; set; }

    /// <summary>Replies with their CRC's low byte flipped.</summary>
    public bool CorruptCrc { get; set; }

    /// <summary>Frames received: (first byte arrived ns, unit, function).</summary>
    public List<(long ArrivedNs, byte Unit, byte Function)> Frames { get; } = [];

    /// <summary>When this slave finished writing each reply (its bytes leave the sender then).</summary>
    public List<long> RepliedNs { get; } = [];

    public bool RecordFrames { get; set; } = true;

    public int Broadcasts { get; private set; }

    private long firstByteNs;

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
    {
    }

    public void OnReadable(IStreamChannel channel)
    {
        while (channel.Read(received.AsSpan(receivedLength)) is { IsDone: true } result)
        {
            if (receivedLength == 0)
            {
                firstByteNs = platform.NowNs;
            }

            receivedLength += result.Bytes;
        }

        frameTimer.ArmAt(platform.NowNs + silenceNs);
    }

    public void OnWritable(IStreamChannel channel)
    {
    }

    public void OnTimer(long nowNs)
    {
        var frame = RtuFrame.Decode(received.AsSpan(0, receivedLength));
        receivedLength = 0;
        if (!frame.IsFrame)
        {
            return;
        }

        if (RecordFrames)
        {
            Frames.Add((firstByteNs, frame.Unit, frame.Pdu[0]));
        }

        if (frame.IsBroadcast)
        {
            Broadcasts++;
            foreach (var memory in Units.Values)
            {
                memory.Answer(frame.Pdu, pdu);
            }

            return;
        }

        if (Silent || !Units.TryGetValue(frame.Unit, out var unit))
        {
            return;
        }

        var length = unit.Answer(frame.Pdu, pdu);
        var aduLength = RtuFrame.Encode(frame.Unit, pdu.AsSpan(0, length), adu);
        if (CorruptCrc)
        {
            adu[aduLength - 2] ^= 0xFF;
        }

        channel.Write(adu.AsSpan(0, aduLength));
        if (RecordFrames)
        {
            RepliedNs.Add(nowNs);
        }
    }
}
