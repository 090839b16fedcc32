using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using static Neokernel.Fieldbus.Tests.Master.MasterHarness;

namespace Neokernel.Fieldbus.Tests.Master;

/// <summary>The master over RTU on a virtual serial pair, against a scripted slave: silences, CRC, broadcast.</summary>
public sealed class MasterRtuTests
{
    private const string MasterUri = "modbus-rtu:///dev/ttyMaster?baud=19200&parity=E&unit=3";
    private const string SlaveUri = "modbus-rtu:///dev/ttySlave?baud=19200&parity=E";

    /// <summary>t3.5 at 19200 baud 8E1: 3.5 characters of 11 bits.</summary>
    private const long SilenceNs = 2_005_209;

    [Fact]
    public void Submit_ReadAndWrite_SeveralUnitsOnOneLine()
    {
        using var bench = RtuBench(out var slave);
        slave.Units[3] = new SlaveMemory();
        slave.Units[1].Holding[0] = 10;
        slave.Units[3].Holding[0] = 30;
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        master.Submit(master.DefaultUnit, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        master.Submit(3, ModbusRequest.WriteSingleRegister(1, 99), default, recorder);
        master.Submit(3, ModbusRequest.ReadHoldingRegisters(0, 2), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 4);

        Assert.All(recorder.Results, r => Assert.Equal(ModbusStatus.Good, r.Result.Status));
        Assert.Equal(new ushort[] { 10 }, recorder.Results[0].Registers);
        Assert.Equal(new ushort[] { 30 }, recorder.Results[1].Registers);
        Assert.Equal(new ushort[] { 30, 99 }, recorder.Results[3].Registers);
    }

    [Fact]
    public void Send_AfterAReply_WaitsThreePointFiveCharactersOfSilence()
    {
        using var bench = RtuBench(out var slave);
        var master = bench.Start();
        var recorder = new Recorder();
        for (var i = 0; i < 5; i++)
        {
            master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        }

        bench.RunUntil(() => recorder.Results.Count == 5);

        // The slave's reply (7 bytes) is on the line for 7 characters after it writes it; the next
        // request may start only t3.5 after that reply's last byte reached the master.
        var characterNs = RtuTiming.CharacterTimeNs(new SerialLineSettings(19_200));
        for (var i = 1; i < slave.Frames.Count; i++)
        {
            var replyLastByteNs = slave.RepliedNs[i - 1] + (7 * characterNs);
            var requestNs = slave.Frames[i].ArrivedNs - (8 * characterNs);
            Assert.True(requestNs - replyLastByteNs >= SilenceNs, $"request {i} started {(requestNs - replyLastByteNs) / 1000} us after the reply's end");
        }

        Assert.Equal(SilenceNs, RtuTiming.InterFrameSilenceNs(new SerialLineSettings(19_200)));
    }

    [Fact]
    public void Submit_SilentSlave_TimesOutAfterRetries()
    {
        using var bench = RtuBench(out var slave, new ModbusMasterOptions { TimeoutNs = 50 * Ms, Retries = 1 });
        slave.Silent = true;
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadCoils(0, 8), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);

        Assert.Equal(ModbusStatus.Timeout, recorder.Results[0].Result.Status);
        Assert.Equal(2, slave.Frames.Count);
        Assert.Equal(1, master.Counters.Retries);
    }

    [Fact]
    public void Submit_Broadcast_NoReplyWaitedForThenTheTurnaround()
    {
        var options = new ModbusMasterOptions { TimeoutNs = 500 * Ms, Retries = 0, BroadcastTurnaroundNs = 20 * Ms };
        using var bench = RtuBench(out var slave, options);
        slave.Units[2] = new SlaveMemory();
        var master = bench.Start();
        var recorder = new Recorder();
        bench.Run(Ms);
        var startNs = bench.Platform.NowNs;

        master.Submit(0, ModbusRequest.WriteSingleRegister(7, 70), default, recorder);
        master.Submit(2, ModbusRequest.ReadHoldingRegisters(7, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 2);

        Assert.Equal(ModbusStatus.Good, recorder.Results[0].Result.Status);
        Assert.Equal(new ushort[] { 70 }, recorder.Results[1].Registers);
        Assert.Equal(70, slave.Units[1].Holding[7]);
        Assert.Equal(1, slave.Broadcasts);
        Assert.True(slave.Frames[1].ArrivedNs - startNs >= 20 * Ms, "the next request waits out the broadcast's turnaround");
        Assert.True(slave.Frames[1].ArrivedNs - startNs < 30 * Ms, "and no reply timeout");
    }

    [Fact]
    public void Reply_WithBadCrc_EndsInvalid()
    {
        using var bench = RtuBench(out var slave);
        slave.CorruptCrc = true;
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 4), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);

        Assert.Equal(ModbusStatus.Invalid, recorder.Results[0].Result.Status);
        Assert.Equal(ModbusError.RtuCrcMismatch, recorder.Results[0].Result.Error);
        Assert.Equal(1, master.Counters.InvalidReplies);
    }

    [Fact]
    public void Submit_UnitNobodyServesOnTheLine_TimesOut()
    {
        using var bench = RtuBench(out var slave);
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(5, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);

        Assert.Equal(ModbusStatus.Timeout, recorder.Results[0].Result.Status);
    }

    internal static MasterHarness RtuBench(out ScriptedRtuSlave slave, ModbusMasterOptions? options = null)
    {
        var bench = new MasterHarness(MasterUri, options);
        bench.Platform.Network.PairSerial("/dev/ttyMaster", "/dev/ttySlave");
        slave = new ScriptedRtuSlave(bench.Platform, SlaveUri);
        return bench;
    }
}
