using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Testing;

namespace Neokernel.Fieldbus.Tests.Slave;

/// <summary>The TCP slave engine on the virtual network: every function code, the exceptions, pipelining and the bounds.</summary>
public sealed class ModbusTcpSlaveTests
{
    [Fact]
    public void Answer_EachReadFunction_ReturnsTheMapsValues()
    {
        var bench = SlaveBench.StartTcp();
        bench.Map.SetCoil(3, true);
        bench.Map.SetDiscreteInput(9, true);
        bench.Map.SetHoldingRegister(10, 0x1234);
        bench.Map.SetInputRegister(99, 0xBEEF);
        var master = bench.Connect();

        Assert.Equal(Hex.Bytes("01 01 08"), bench.Ask(master, 1, ModbusRequest.ReadCoils(0, 5)));
        Assert.Equal(Hex.Bytes("02 02 00 02"), bench.Ask(master, 2, ModbusRequest.ReadDiscreteInputs(0, 10)));
        Assert.Equal(Hex.Bytes("03 04 12 34 00 00"), bench.Ask(master, 3, ModbusRequest.ReadHoldingRegisters(10, 2)));
        Assert.Equal(Hex.Bytes("04 02 BE EF"), bench.Ask(master, 4, ModbusRequest.ReadInputRegisters(99, 1)));
        Assert.Equal(4, bench.Slave.Counters.Requests);
        Assert.Equal(0, bench.Slave.Counters.Exceptions);
    }

    [Fact]
    public void Answer_EachWriteFunction_ChangesTheMapAndEchoes()
    {
        var bench = SlaveBench.StartTcp();
        var master = bench.Connect();

        Assert.Equal(Hex.Bytes("05 00 07 FF 00"), bench.Ask(master, 1, ModbusRequest.WriteSingleCoil(7, true)));
        Assert.Equal(Hex.Bytes("06 00 08 AB CD"), bench.Ask(master, 2, ModbusRequest.WriteSingleRegister(8, 0xABCD)));
        Assert.Equal(Hex.Bytes("0F 00 10 00 0A"), bench.Ask(master, 3, ModbusRequest.WriteMultipleCoils(16, 10), Hex.Bytes("CD 01")));
        Assert.Equal(Hex.Bytes("10 00 14 00 02"), bench.Ask(master, 4, ModbusRequest.WriteMultipleRegisters(20, 2), Hex.Bytes("00 0A 01 02")));
        Assert.Equal(Hex.Bytes("16 00 08 F2 F2 00 25"), bench.Ask(master, 5, ModbusRequest.MaskWriteRegister(8, 0xF2F2, 0x0025)));
        Assert.Equal(Hex.Bytes("17 04 00 0A 00 FF"), bench.Ask(master, 6, ModbusRequest.ReadWriteMultipleRegisters(20, 2, 21, 1), Hex.Bytes("00 FF")));

        Assert.True(bench.Map.Coil(7));
        Assert.Equal([true, false, true, true, false, false, true, true, true, false], Enumerable.Range(16, 10).Select(bench.Map.Coil));
        Assert.Equal((0xABCD & 0xF2F2) | (0x0025 & ~0xF2F2), bench.Map.HoldingRegister(8));
        Assert.Equal(0x000A, bench.Map.HoldingRegister(20));
        Assert.Equal(0x00FF, bench.Map.HoldingRegister(21));
    }

    [Fact]
    public void Answer_ReadDeviceIdentification_GivesTheConfiguredObjects()
    {
        var bench = SlaveBench.StartTcp();
        var master = bench.Connect();

        var basic = bench.Ask(master, 1, ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Basic, 0));
        var one = bench.Ask(master, 2, ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Specific, 2));
        var unknown = bench.Ask(master, 3, ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Specific, 0x80));
        var restarted = bench.Ask(master, 4, ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Regular, 0x50));

        var expected = Hex.Bytes("2B 0E 01 81 00 00 03" + " 00 04 41 63 6D 65" + " 01 04 50 58 2D 31" + " 02 03 32 2E 33");
        Assert.Equal(expected, basic);
        Assert.Equal(Hex.Bytes("2B 0E 04 81 00 00 01 02 03 32 2E 33"), one);
        Assert.Equal(Hex.Bytes("AB 02"), unknown);
        Assert.Equal(3, restarted[6]);
    }

    [Fact]
    public void Answer_AddressOutsideTheMap_IsException02()
    {
        var bench = SlaveBench.StartTcp(points: 100);
        var master = bench.Connect();

        Assert.Equal(Hex.Bytes("83 02"), bench.Ask(master, 1, ModbusRequest.ReadHoldingRegisters(99, 2)));
        Assert.Equal(Hex.Bytes("81 02"), bench.Ask(master, 2, ModbusRequest.ReadCoils(100, 1)));
        Assert.Equal(Hex.Bytes("86 02"), bench.Ask(master, 3, ModbusRequest.WriteSingleRegister(100, 1)));
        Assert.Equal(Hex.Bytes("97 02"), bench.Ask(master, 4, ModbusRequest.ReadWriteMultipleRegisters(0, 1, 99, 2), Hex.Bytes("00 01 00 02")));
        Assert.Equal(0, bench.Map.HoldingRegister(99));
        Assert.Equal(4, bench.Slave.Counters.Exceptions);
    }

    [Fact]
    public void Answer_CountBeyondTheSpec_IsException03()
    {
        var bench = SlaveBench.StartTcp(points: 10_000);
        var master = bench.Connect();
        var pdu = new byte[] { 0x03, 0x00, 0x00, 0x00, 126 };
        var adu = new byte[16];
        var length = TcpFrame.Encode(9, 1, pdu, adu);

        master.Send(adu.AsSpan(0, length));
        bench.RunMs(10);

        Assert.Equal(Hex.Bytes("83 03"), TcpFrame.Decode(master.ReceivedBytes).Pdu.ToArray());
    }

    [Fact]
    public void Answer_AnyUnitId_IsAnsweredWithThatUnit()
    {
        var bench = SlaveBench.StartTcp();
        var master = bench.Connect();

        foreach (var unit in new byte[] { 0, 1, 17, 0xFF })
        {
            Assert.Equal(Hex.Bytes("03 02 00 00"), bench.Ask(master, unit, ModbusRequest.ReadHoldingRegisters(0, 1), unit: unit));
        }
    }

    [Fact]
    public void Answer_GivenAUnit_AnswersItZeroAndFFAndOthersWithException0B()
    {
        var bench = SlaveBench.StartTcp(unit: 5);
        var master = bench.Connect();

        foreach (var unit in new byte[] { 0, 5, 0xFF })
        {
            Assert.Equal(Hex.Bytes("03 02 00 00"), bench.Ask(master, unit, ModbusRequest.ReadHoldingRegisters(0, 1), unit: unit));
        }

        Assert.Equal(Hex.Bytes("83 0B"), bench.Ask(master, 9, ModbusRequest.ReadHoldingRegisters(0, 1), unit: 6));
        Assert.Equal(1, bench.Slave.Counters.OtherUnit);
    }

    [Fact]
    public void Pipelined_ManyRequestsInOneWrite_AreAnsweredInOrder()
    {
        var bench = SlaveBench.StartTcp();
        for (var address = 0; address < 40; address++)
        {
            bench.Map.SetHoldingRegister(address, (ushort)(1000 + address));
        }

        var master = bench.Connect();
        var burst = Enumerable.Range(0, 40).SelectMany(i => Frames.Tcp((ushort)(500 + i), 1, ModbusRequest.ReadHoldingRegisters((ushort)i, 1))).ToArray();
        master.Send(burst);
        bench.RunMs(20);

        var answers = master.ReceivedBytes.ToArray();
        Assert.Equal(40 * 11, answers.Length);
        for (var i = 0; i < 40; i++)
        {
            var frame = TcpFrame.Decode(answers.AsSpan(11 * i, 11));
            Assert.Equal(500 + i, frame.TransactionId);
            Assert.Equal(1000 + i, (frame.Pdu[2] << 8) | frame.Pdu[3]);
        }
    }

    [Fact]
    public void Frame_SplitAcrossWrites_IsAnsweredOnceWhole()
    {
        var bench = SlaveBench.StartTcp();
        var master = bench.Connect();
        var frame = Frames.Tcp(7, 1, ModbusRequest.ReadHoldingRegisters(0, 1));

        master.Send(frame.AsSpan(0, 3));
        bench.RunMs(5);
        Assert.Equal(0, master.ReceivedCount);
        master.Send(frame.AsSpan(3));
        bench.RunMs(5);

        Assert.Equal(7, TcpFrame.Decode(master.ReceivedBytes).TransactionId);
    }

    [Fact]
    public void Idle_SilentLongerThanTheIdleTime_IsClosed()
    {
        var bench = SlaveBench.StartTcp(idleTimeoutNs: 200_000_000);
        var talker = bench.Connect();
        var silent = bench.Connect();
        for (var i = 0; i < 6; i++)
        {
            bench.Ask(talker, (ushort)i, ModbusRequest.ReadCoils(0, 1));
            bench.RunMs(50);
        }

        Assert.Equal(LinkState.Up, talker.State);
        Assert.Equal(LinkState.Down, silent.State);
        Assert.Equal(DeviceError.ClosedByPeer, silent.Links[^1].Reason);
        Assert.Equal(1, bench.Slave.Counters.ConnectionsClosedIdle);
        Assert.Equal(1, bench.Tcp!.Connections);
    }

    [Fact]
    public void Connections_BeyondTheBound_AreRefusedWhileTheOthersAreServed()
    {
        var bench = SlaveBench.StartTcp(connectionsMax: 3);
        var served = Enumerable.Range(0, 3).Select(_ => bench.Connect()).ToList();
        var refused = Enumerable.Range(0, 5).Select(_ => bench.Connect()).ToList();
        bench.RunMs(5);

        Assert.All(refused, peer => Assert.Equal(LinkState.Down, peer.State));
        Assert.Equal(5, bench.Tcp!.ConnectionsRefused);
        Assert.Equal(3, bench.Tcp.Connections);
        foreach (var (peer, index) in served.Select((peer, index) => (peer, index)))
        {
            Assert.Equal(Hex.Bytes("03 02 00 00"), bench.Ask(peer, (ushort)index, ModbusRequest.ReadHoldingRegisters(0, 1)));
        }

        served[0].Channel.Dispose();
        bench.RunMs(5);
        var late = bench.Connect();
        Assert.Equal(Hex.Bytes("01 01 00"), bench.Ask(late, 1, ModbusRequest.ReadCoils(0, 1)));
    }

    [Fact]
    public void Garbage_StreamBreaksFraming_ClosesThatConnectionOnly()
    {
        var bench = SlaveBench.StartTcp();
        var good = bench.Connect();
        var bad = bench.Connect();

        bad.Send(Hex.Bytes("00 01 12 34 00 06 01 03 00 00 00 01"));
        bench.RunMs(5);
        Assert.Equal(Hex.Bytes("03 02 00 00"), bench.Ask(good, 1, ModbusRequest.ReadHoldingRegisters(0, 1)));

        Assert.Equal(LinkState.Down, bad.State);
        Assert.Equal(0, bad.ReceivedCount);
        Assert.Equal(1, bench.Slave.Counters.ConnectionsClosedFault);
        Assert.Equal(1, bench.Tcp!.Connections);
    }

    [Fact]
    public void Garbage_PduThatIsNoRequest_IsDroppedAndTheConnectionGoesOn()
    {
        var bench = SlaveBench.StartTcp();
        var master = bench.Connect();
        var adu = new byte[16];
        var length = TcpFrame.Encode(1, 1, Hex.Bytes("83 02"), adu);

        master.Send(adu.AsSpan(0, length));
        bench.RunMs(5);

        Assert.Equal(0, master.ReceivedCount);
        Assert.Equal(1, bench.Slave.Counters.Dropped);
        Assert.Equal(Hex.Bytes("03 02 00 00"), bench.Ask(master, 2, ModbusRequest.ReadHoldingRegisters(0, 1)));
    }

    [Fact]
    public void Serve_SameSeed_SameBytesAndTimes()
    {
        static string Run()
        {
            var bench = SlaveBench.StartTcp(seed: 42);
            var master = bench.Connect();
            var answer = bench.Ask(master, 1, ModbusRequest.ReadHoldingRegisters(0, 3));
            return Convert.ToHexString(answer) + "@" + bench.Platform.NowNs;
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Serve_ManyRequests_AllocatesNothing()
    {
        var bench = SlaveBench.StartTcp();
        var masters = Enumerable.Range(0, 3).Select(_ => bench.Connect()).ToArray();
        var frames = Enumerable.Range(0, 3).Select(i => Frames.Tcp((ushort)i, 1, ModbusRequest.ReadHoldingRegisters(0, 10))).ToArray();
        var write = Frames.Tcp(9, 1, ModbusRequest.WriteMultipleRegisters(0, 2), Hex.Bytes("00 01 00 02"));

        AllocationAssert.NoAllocations(500, i =>
        {
            var master = masters[i % masters.Length];
            master.Clear();
            master.Send(frames[i % frames.Length]);
            master.Send(write);
            bench.Platform.RunUntil(bench.Platform.NowNs + 1_000_000);
        });

        Assert.Equal(12 + 29, masters[0].ReceivedCount);
        Assert.True(bench.Slave.Counters.Requests >= 2_000, $"{bench.Slave.Counters.Requests} requests");
    }

    [Fact]
    public void Accept_ManyConnectionsOnceWarmed_AllocatesNothing()
    {
        var bench = SlaveBench.StartTcp(connectionsMax: 2);
        var channel = new QuietChannel();

        AllocationAssert.NoAllocations(500, _ =>
        {
            var handler = bench.Tcp!.OnAccepted(channel);
            Assert.NotNull(handler);
            handler.OnReadable(channel);
            handler.OnLinkChanged(channel, LinkState.Down, DeviceError.ClosedByPeer);
        });

        Assert.Equal(0, bench.Tcp!.Connections);
    }

    /// <summary>An accepted connection that never has anything to read: what a pooled connection state is attached to and released from.</summary>
    private sealed class QuietChannel : IStreamChannel
    {
        public string Uri => SlaveBench.ListenUri;

        public string Peer => "127.0.0.1:40000";

        public LinkState State => LinkState.Up;

        public DeviceError LastError => DeviceError.None;

        public IoResult Read(Span<byte> buffer) => IoResult.WouldBlock;

        public IoResult Write(ReadOnlySpan<byte> data) => IoResult.Done(data.Length);

        public bool Reconnect() => false;

        public void Dispose()
        {
        }
    }
}
