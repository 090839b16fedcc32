using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Fieldbus.Tests.Slave;

/// <summary>
/// A slave on the simulation's virtual network, with masters made of raw frames: what the engine
/// sends is checked byte for byte, and every run repeats from its seed.
/// </summary>
internal sealed class SlaveBench
{
    public const string ListenUri = "tcp-listen://127.0.0.1:1502";
    public const string SlaveLine = "/dev/slave";
    public const string MasterLine = "/dev/master";

    private SlaveBench(ulong seed, int points)
    {
        Platform = new SimulationPlatform(seed, new NoDevices());
        Map = new ModbusRegisterMap(points);
        Slave = new ModbusSlave(Map, new ModbusDeviceIdentity("Acme", "PX-1", "2.3"));
        Loop = new PlatformModbusLoop(Platform);
    }

    public SimulationPlatform Platform { get; }

    public ModbusRegisterMap Map { get; }

    public ModbusSlave Slave { get; }

    public PlatformModbusLoop Loop { get; }

    public ModbusTcpSlave? Tcp { get; private set; }

    public ModbusRtuSlave? Rtu { get; private set; }

    public static SlaveBench StartTcp(int connectionsMax = 4, long idleTimeoutNs = ModbusTcpSlave.IdleTimeoutNsDefault, int points = 100, ulong seed = 1, int unit = ModbusTcpSlave.AnyUnit)
    {
        var bench = new SlaveBench(seed, points);
        bench.Tcp = new ModbusTcpSlave(bench.Slave, bench.Platform.Streams, DeviceUri.Parse($"{ListenUri}?connectionsMax={connectionsMax}"), bench.Loop, idleTimeoutNs, unit);
        bench.Tcp.Start();
        return bench;
    }

    public static SlaveBench StartRtu(byte unit = 3, int baud = 19_200, int points = 100, ulong seed = 1)
    {
        var bench = new SlaveBench(seed, points);
        bench.Platform.Network.PairSerial(MasterLine, SlaveLine);
        bench.Rtu = new ModbusRtuSlave(bench.Slave, bench.Platform.Streams, DeviceUri.Parse($"modbus-rtu://{SlaveLine}?baud={baud}&parity=E"), bench.Loop, unit);
        bench.Rtu.Start();
        return bench;
    }

    /// <summary>A master connected over TCP, its link up.</summary>
    public RawPeer Connect()
    {
        var peer = new RawPeer();
        peer.Channel = Platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:1502"), peer);
        RunMs(1);
        return peer;
    }

    /// <summary>A master at the other end of the serial line.</summary>
    public RawPeer OpenLine(int baud = 19_200)
    {
        var peer = new RawPeer();
        peer.Channel = Platform.Streams.Open(DeviceUri.Parse($"serial://{MasterLine}?baud={baud}&parity=E"), peer);
        RunMs(1);
        return peer;
    }

    public void RunMs(double milliseconds) => Platform.RunUntil(Platform.NowNs + (long)(milliseconds * 1_000_000));

    /// <summary>Sends one TCP request and runs until its answer is in (or 50 ms pass); returns the answer's PDU.</summary>
    public byte[] Ask(RawPeer peer, ushort transactionId, in ModbusRequest request, ReadOnlySpan<byte> data = default, byte unit = 1)
    {
        peer.Clear();
        peer.Send(Frames.Tcp(transactionId, unit, request, data));
        RunMs(50);
        var frame = TcpFrame.Decode(peer.ReceivedBytes);
        Assert.True(frame.IsFrame, $"one whole answer, not {peer.ReceivedCount} bytes ({frame.Error})");
        Assert.Equal(transactionId, frame.TransactionId);
        Assert.Equal(unit, frame.Unit);
        return frame.Pdu.ToArray();
    }
}

/// <summary>Builds request frames the way a master does, with the codec's encoders.</summary>
internal static class Frames
{
    public static byte[] Pdu(in ModbusRequest request, ReadOnlySpan<byte> data = default)
    {
        var pdu = new byte[ModbusLimits.PduBytesMax];
        return pdu.AsSpan(0, RequestEncoder.Encode(request, data, pdu)).ToArray();
    }

    public static byte[] Tcp(ushort transactionId, byte unit, in ModbusRequest request, ReadOnlySpan<byte> data = default)
    {
        var adu = new byte[ModbusLimits.TcpAduBytesMax];
        return adu.AsSpan(0, TcpFrame.Encode(transactionId, unit, Pdu(request, data), adu)).ToArray();
    }

    public static byte[] Rtu(byte unit, in ModbusRequest request, ReadOnlySpan<byte> data = default)
    {
        var adu = new byte[ModbusLimits.RtuAduBytesMax];
        return adu.AsSpan(0, RtuFrame.Encode(unit, Pdu(request, data), adu)).ToArray();
    }
}

/// <summary>A peer that sends raw bytes and keeps what comes back in a preallocated buffer.</summary>
internal sealed class RawPeer : IStreamHandler
{
    private readonly byte[] received = new byte[1 << 16];

    public IStreamChannel Channel { get; set; } = null!;

    public int ReceivedCount { get; private set; }

    public ReadOnlySpan<byte> ReceivedBytes => received.AsSpan(0, ReceivedCount);

    public List<(LinkState State, DeviceError Reason)> Links { get; } = [];

    public LinkState State => Channel.State;

    public void Clear() => ReceivedCount = 0;

    public void Send(ReadOnlySpan<byte> bytes)
    {
        var written = Channel.Write(bytes);
        if (!written.IsDone || written.Bytes != bytes.Length)
        {
            Assert.Fail($"the test's write went out whole, not {written}");
        }
    }

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason) => Links.Add((state, reason));

    public void OnReadable(IStreamChannel channel)
    {
        while (ReceivedCount < received.Length && channel.Read(received.AsSpan(ReceivedCount)) is { IsDone: true } read)
        {
            ReceivedCount += read.Bytes;
        }
    }

    public void OnWritable(IStreamChannel channel)
    {
    }
}
