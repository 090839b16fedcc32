using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Testing;

namespace Neokernel.Fieldbus.Tests.Slave;

/// <summary>The RTU slave engine on a virtual serial line: frames cut by t3.5, CRC, addressing and broadcast.</summary>
public sealed class ModbusRtuSlaveTests
{
    [Fact]
    public void Answer_ReadForItsAddress_RepliesWithCrc()
    {
        var bench = SlaveBench.StartRtu(unit: 3);
        bench.Map.SetHoldingRegister(1, 0x0102);
        var master = bench.OpenLine();

        master.Send(Frames.Rtu(3, ModbusRequest.ReadHoldingRegisters(0, 2)));
        bench.RunMs(30);

        var reply = RtuFrame.Decode(master.ReceivedBytes);
        Assert.True(reply.IsFrame, reply.Error.ToString());
        Assert.Equal(3, reply.Unit);
        Assert.Equal(Hex.Bytes("03 04 00 00 01 02"), reply.Pdu.ToArray());
    }

    [Fact]
    public void Answer_Exception_RepliesWithTheCode()
    {
        var bench = SlaveBench.StartRtu(unit: 3, points: 10);
        var master = bench.OpenLine();

        master.Send(Frames.Rtu(3, ModbusRequest.WriteSingleCoil(10, true)));
        bench.RunMs(30);

        Assert.Equal(Hex.Bytes("85 02"), RtuFrame.Decode(master.ReceivedBytes).Pdu.ToArray());
    }

    [Fact]
    public void Reply_WaitsTheInterFrameSilence()
    {
        var bench = SlaveBench.StartRtu(unit: 3, baud: 9_600);
        var master = bench.OpenLine(baud: 9_600);
        var request = Frames.Rtu(3, ModbusRequest.ReadCoils(0, 1));

        master.Send(request);
        var sentNs = bench.Platform.NowNs;
        var lineNs = request.Length * 11 * 1_000_000_000L / 9_600;
        bench.Platform.RunUntil(sentNs + lineNs + bench.Rtu!.InterFrameSilenceNs - 100_000);
        Assert.Equal(0, master.ReceivedCount);
        bench.RunMs(30);

        Assert.True(RtuFrame.Decode(master.ReceivedBytes).IsFrame);
        Assert.Equal(4_010_417, bench.Rtu.InterFrameSilenceNs);
    }

    [Fact]
    public void Broadcast_Write_IsCarriedOutWithoutAReply()
    {
        var bench = SlaveBench.StartRtu(unit: 3);
        var master = bench.OpenLine();

        master.Send(Frames.Rtu(0, ModbusRequest.WriteSingleRegister(5, 777)));
        bench.RunMs(30);
        master.Send(Frames.Rtu(0, ModbusRequest.ReadHoldingRegisters(5, 1)));
        bench.RunMs(30);

        Assert.Equal(777, bench.Map.HoldingRegister(5));
        Assert.Equal(0, master.ReceivedCount);
        Assert.Equal(2, bench.Slave.Counters.Broadcasts);
    }

    [Fact]
    public void Frame_WithBadCrc_IsDroppedSilently()
    {
        var bench = SlaveBench.StartRtu(unit: 3);
        var master = bench.OpenLine();
        var frame = Frames.Rtu(3, ModbusRequest.WriteSingleRegister(5, 777));
        frame[^1] ^= 0x55;

        master.Send(frame);
        bench.RunMs(30);

        Assert.Equal(0, master.ReceivedCount);
        Assert.Equal(0, bench.Map.HoldingRegister(5));
        Assert.Equal(1, bench.Slave.Counters.Dropped);
        Assert.Equal(0, bench.Slave.Counters.Requests);
    }

    [Fact]
    public void Frame_ForAnotherAddress_IsIgnored()
    {
        var bench = SlaveBench.StartRtu(unit: 3);
        var master = bench.OpenLine();

        master.Send(Frames.Rtu(4, ModbusRequest.WriteSingleRegister(5, 777)));
        bench.RunMs(30);

        Assert.Equal(0, master.ReceivedCount);
        Assert.Equal(0, bench.Map.HoldingRegister(5));
        Assert.Equal(1, bench.Slave.Counters.OtherUnit);
    }

    [Fact]
    public void Frames_SeparatedBySilence_AreAnsweredEach()
    {
        var bench = SlaveBench.StartRtu(unit: 3);
        var master = bench.OpenLine();

        for (var i = 0; i < 5; i++)
        {
            master.Clear();
            master.Send(Frames.Rtu(3, ModbusRequest.WriteSingleRegister((ushort)i, (ushort)(i + 1))));
            bench.RunMs(30);
            Assert.Equal(Frames.Rtu(3, ModbusRequest.WriteSingleRegister((ushort)i, (ushort)(i + 1))), master.ReceivedBytes.ToArray());
        }

        Assert.Equal([1, 2, 3, 4, 5], Enumerable.Range(0, 5).Select(a => (int)bench.Map.HoldingRegister(a)));
    }

    [Fact]
    public void Garbage_TooLongForAFrame_IsDroppedAndTheNextFrameServed()
    {
        var bench = SlaveBench.StartRtu(unit: 3);
        var master = bench.OpenLine();

        master.Send(Enumerable.Repeat((byte)0x03, 300).ToArray());
        bench.RunMs(300);
        master.Send(Frames.Rtu(3, ModbusRequest.ReadCoils(0, 1)));
        bench.RunMs(30);

        Assert.Equal(1, bench.Slave.Counters.Dropped);
        Assert.Equal(Hex.Bytes("01 01 00"), RtuFrame.Decode(master.ReceivedBytes).Pdu.ToArray());
    }

    [Fact]
    public void Serve_ManyRequests_AllocatesNothing()
    {
        var bench = SlaveBench.StartRtu(unit: 3, baud: 115_200);
        var master = bench.OpenLine(baud: 115_200);
        var request = Frames.Rtu(3, ModbusRequest.ReadHoldingRegisters(0, 10));

        AllocationAssert.NoAllocations(300, _ =>
        {
            master.Clear();
            master.Send(request);
            bench.Platform.RunUntil(bench.Platform.NowNs + 10_000_000);
        });

        Assert.Equal(5 + 20, master.ReceivedCount);
    }
}
