using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using static Neokernel.Fieldbus.Tests.Master.MasterHarness;

namespace Neokernel.Fieldbus.Tests.Master;

/// <summary>The master over TCP on the simulation's virtual network, against a scripted slave: deterministic.</summary>
public sealed class MasterTcpTests
{
    private static readonly bool[] WrittenCoils = [true, false, true];

    [Fact]
    public void Submit_ReadHoldingRegisters_DeliversTheSlavesValues()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        slave.Units[1].Holding[10] = 1234;
        slave.Units[1].Holding[11] = 0xBEEF;
        var master = bench.Start();
        var recorder = new Recorder();

        Assert.Equal(SubmitResult.Queued, master.Submit(1, ModbusRequest.ReadHoldingRegisters(10, 2), default, recorder, tag: 42));
        bench.RunUntil(() => recorder.Results.Count == 1);

        var (result, registers, _) = recorder.Results[0];
        Assert.Equal(ModbusStatus.Good, result.Status);
        Assert.Equal(42, result.Tag);
        Assert.Equal(new ushort[] { 1234, 0xBEEF }, registers);
        Assert.Equal(1, master.Counters.Responses);
        Assert.Equal(0, master.Pending);
    }

    [Fact]
    public void Submit_EveryWriteFunction_ChangesTheSlaveAndReadsBack()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        var master = bench.Start();
        var recorder = new Recorder();
        var data = new byte[8];

        master.Submit(1, ModbusRequest.WriteSingleCoil(3, on: true), default, recorder);
        master.Submit(1, ModbusRequest.WriteSingleRegister(4, 0x55AA), default, recorder);
        var bits = ModbusValues.WriteBits([true, false, true], data);
        master.Submit(1, ModbusRequest.WriteMultipleCoils(10, 3), data.AsSpan(0, bits), recorder);
        var words = ModbusValues.WriteRegisters([7, 8, 9], data);
        master.Submit(1, ModbusRequest.WriteMultipleRegisters(20, 3), data.AsSpan(0, words), recorder);
        master.Submit(1, ModbusRequest.ReadCoils(10, 3), default, recorder);
        master.Submit(1, ModbusRequest.ReadHoldingRegisters(20, 3), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 6);

        Assert.All(recorder.Results, r => Assert.Equal(ModbusStatus.Good, r.Result.Status));
        Assert.True(slave.Units[1].Coils[3]);
        Assert.Equal(0x55AA, slave.Units[1].Holding[4]);
        Assert.Equal(WrittenCoils, recorder.Results[4].Bits);
        Assert.Equal(new ushort[] { 7, 8, 9 }, recorder.Results[5].Registers);
    }

    [Fact]
    public void Submit_SlaveAnswersException_EndsWithItsCode()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(990, 20), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);

        Assert.Equal(ModbusStatus.Exception, recorder.Results[0].Result.Status);
        Assert.Equal(ExceptionCode.IllegalDataAddress, recorder.Results[0].Result.Exception);
        Assert.Equal(1, master.Counters.Exceptions);
        Assert.Equal(0, master.Counters.Retries);
    }

    [Fact]
    public void Submit_SilentSlave_RetriesThenTimesOut()
    {
        using var bench = new MasterHarness(options: new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 2 });
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.Silent };
        var master = bench.Start();
        var recorder = new Recorder();
        bench.Run(5 * Ms);
        var startNs = bench.Platform.NowNs;

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);

        var result = recorder.Results[0].Result;
        Assert.Equal(ModbusStatus.Timeout, result.Status);
        Assert.Equal(3, result.Attempts);
        Assert.Equal(3, slave.Received);
        Assert.Equal(2, master.Counters.Retries);
        Assert.Equal(1, master.Counters.Timeouts);
        Assert.InRange(bench.Platform.NowNs - startNs, 300 * Ms, 302 * Ms);
        Assert.Equal(MasterLinkState.Up, master.Link);
    }

    [Fact]
    public void Submit_OneSilenceThenAnswers_RetrySucceeds()
    {
        using var bench = new MasterHarness(options: new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 1 });
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.Silent, TrickCount = 1 };
        slave.Units[1].Holding[0] = 77;
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);

        Assert.Equal(ModbusStatus.Good, recorder.Results[0].Result.Status);
        Assert.Equal(2, recorder.Results[0].Result.Attempts);
        Assert.Equal(new ushort[] { 77 }, recorder.Results[0].Registers);
        Assert.Equal(1, master.Counters.Retries);
    }

    [Fact]
    public void Reply_AfterItsRequestTimedOut_IsDroppedAsLateNotTakenForTheNext()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.Delay, TrickCount = 1, DelayNs = 150 * Ms };
        slave.Units[1].Holding[0] = 1;
        slave.Units[1].Holding[1] = 2;
        var master = bench.Start();
        var first = new Recorder();
        var second = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, first);
        bench.RunUntil(() => first.Results.Count == 1);
        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, second);
        bench.Run(200 * Ms);

        Assert.Equal(ModbusStatus.Timeout, first.Results[0].Result.Status);
        Assert.Single(second.Results);
        Assert.Equal(ModbusStatus.Good, second.Results[0].Result.Status);
        Assert.Equal(1, master.Counters.LateReplies);
        Assert.Equal(0, master.Counters.UnknownReplies);
    }

    [Fact]
    public void Reply_WithUnknownTransactionId_IsDroppedAndCounted()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.UnknownIdFirst, TrickCount = 1 };
        slave.Units[1].Holding[5] = 555;
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(5, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);

        Assert.Equal(ModbusStatus.Good, recorder.Results[0].Result.Status);
        Assert.Equal(new ushort[] { 555 }, recorder.Results[0].Registers);
        Assert.Equal(1, master.Counters.UnknownReplies);
    }

    [Fact]
    public void Reply_GarbageThatBreaksFraming_EndsInvalidResetsTheLinkAndRecovers()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.Garbage, TrickCount = 1 };
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 1);
        Assert.Equal(ModbusStatus.Invalid, recorder.Results[0].Result.Status);
        Assert.Equal(ModbusError.TcpProtocolIdNotZero, recorder.Results[0].Result.Error);
        Assert.Equal(MasterLinkState.Down, master.Link);

        bench.RunUntil(() => master.Link == MasterLinkState.Up);
        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 2);

        Assert.Equal(ModbusStatus.Good, recorder.Results[1].Result.Status);
        Assert.Equal(1, master.Counters.Reconnects);
        Assert.Equal(2, slave.Accepted);
    }

    [Fact]
    public void Reply_WellFramedButForAnotherFunction_EndsInvalidAndKeepsTheLink()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.WrongFunction, TrickCount = 1 };
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 2), default, recorder);
        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 2), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 2);

        Assert.Equal(ModbusStatus.Invalid, recorder.Results[0].Result.Status);
        Assert.Equal(ModbusError.ResponseFunctionMismatch, recorder.Results[0].Result.Error);
        Assert.Equal(ModbusStatus.Good, recorder.Results[1].Result.Status);
        Assert.Equal(1, master.Counters.InvalidReplies);
        Assert.Equal(1, slave.Accepted);
    }

    [Fact]
    public void Run_SameSeed_SameCompletionTimes()
    {
        Assert.Equal(CompletionTimes(seed: 11), CompletionTimes(seed: 11));
        Assert.NotEqual(CompletionTimes(seed: 11), CompletionTimes(seed: 12));
    }

    [Fact]
    public void Link_SlaveVanishesAndReturns_FailsFastThenReconnectsWithCappedBackoff()
    {
        var options = new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 0, ReconnectDelayNsMin = 10 * Ms, ReconnectDelayNsMax = 80 * Ms };
        using var bench = new MasterHarness(options: options);
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        var master = bench.Start();
        var recorder = new Recorder();
        bench.RunUntil(() => master.Link == MasterLinkState.Up);
        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);

        slave.Vanish();
        bench.RunUntil(() => recorder.Results.Count == 1);
        Assert.Equal(ModbusStatus.LinkDown, recorder.Results[0].Result.Status);
        Assert.Equal(SubmitResult.LinkDown, master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder));

        bench.Run(1_000 * Ms);
        Assert.Equal(MasterLinkState.Down, master.Link);
        Assert.Equal(DeviceError.ConnectionRefused, master.LinkError);
        Assert.Equal(80 * Ms, master.ReconnectDelayNs);

        slave.Listen();
        bench.RunUntil(() => master.Link == MasterLinkState.Up, 200 * Ms);
        Assert.Equal(10 * Ms, master.ReconnectDelayNs);
        Assert.Equal(1, master.Counters.Reconnects);
        Assert.Equal(1, master.Counters.RefusedLinkDown);
        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 2);
        Assert.Equal(ModbusStatus.Good, recorder.Results[1].Result.Status);
    }

    [Fact]
    public void Link_NobodyListensAtStart_QueuedRequestEndsLinkDown()
    {
        using var bench = new MasterHarness();
        var master = bench.Start();
        var recorder = new Recorder();

        Assert.Equal(SubmitResult.Queued, master.Submit(1, ModbusRequest.ReadCoils(0, 1), default, recorder));
        bench.RunUntil(() => recorder.Results.Count == 1);

        Assert.Equal(ModbusStatus.LinkDown, recorder.Results[0].Result.Status);
        Assert.Equal(DeviceError.ConnectionRefused, master.LinkError);
    }

    [Fact]
    public void Link_ConnectTimesOut_EndsLinkDownTimedOutAndKeepsTryingWithBackoff()
    {
        var options = new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 0, ReconnectDelayNsMin = 50 * Ms, ReconnectDelayNsMax = 200 * Ms };
        using var bench = new MasterHarness("modbus-tcp://10.9.8.7:1502?unit=1&connectTimeoutMs=300", options);
        var master = bench.Start();
        var recorder = new Recorder();
        master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);

        bench.RunUntil(() => recorder.Results.Count == 1);
        Assert.Equal(ModbusStatus.LinkDown, recorder.Results[0].Result.Status);
        Assert.Equal(DeviceError.TimedOut, master.LinkError);
        Assert.InRange(bench.Platform.NowNs, 300 * Ms, 301 * Ms);

        bench.Run(2_000 * Ms);
        Assert.Equal(MasterLinkState.Down, master.Link);
        Assert.Equal(200 * Ms, master.ReconnectDelayNs);
        Assert.Equal(0, master.Counters.Reconnects);
    }

    [Fact]
    public void Pipeline_DepthFour_KeepsFourInFlightAndMatchesEachReply()
    {
        using var bench = new MasterHarness(options: new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 0, PipelineDepth = 4 });
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.Delay, DelayNs = 5 * Ms };
        for (var i = 0; i < 8; i++)
        {
            slave.Units[1].Holding[i] = (ushort)(100 + i);
        }

        var master = bench.Start();
        var recorder = new Recorder();
        for (var i = 0; i < 8; i++)
        {
            master.Submit(1, ModbusRequest.ReadHoldingRegisters((ushort)i, 1), default, recorder, tag: i);
        }

        bench.RunUntil(() => recorder.Results.Count == 8);

        Assert.Equal(4, slave.OutstandingMax);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(i, recorder.Results[i].Result.Tag);
            Assert.Equal(new[] { (ushort)(100 + i) }, recorder.Results[i].Registers);
        }
    }

    [Fact]
    public void Pipeline_DefaultDepth_OneInFlight()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port) { Trick = SlaveTrick.Delay, DelayNs = 5 * Ms };
        var master = bench.Start();
        var recorder = new Recorder();
        for (var i = 0; i < 4; i++)
        {
            master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, recorder);
        }

        bench.RunUntil(() => recorder.Results.Count == 4);

        Assert.Equal(1, slave.OutstandingMax);
    }

    [Fact]
    public void Submit_SeveralUnitsOnOneConnection_EachAnswersFromItsOwnMemory()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        slave.Units[2] = new SlaveMemory();
        slave.Units[1].Input[0] = 11;
        slave.Units[2].Input[0] = 22;
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadInputRegisters(0, 1), default, recorder);
        master.Submit(2, ModbusRequest.ReadInputRegisters(0, 1), default, recorder);
        master.Submit(9, ModbusRequest.ReadInputRegisters(0, 1), default, recorder);
        bench.RunUntil(() => recorder.Results.Count == 3);

        Assert.Equal(new ushort[] { 11 }, recorder.Results[0].Registers);
        Assert.Equal(new ushort[] { 22 }, recorder.Results[1].Registers);
        Assert.Equal(ModbusStatus.Timeout, recorder.Results[2].Result.Status);
        Assert.Equal(1, slave.Accepted);
    }

    [Fact]
    public void Submit_QueueFull_RefusesWithoutCallingBack()
    {
        using var bench = new MasterHarness(options: new ModbusMasterOptions { QueueCapacity = 2, TimeoutNs = 100 * Ms, Retries = 0 });
        var master = bench.Start();
        var recorder = new Recorder();

        master.Submit(1, ModbusRequest.ReadCoils(0, 1), default, recorder);
        master.Submit(1, ModbusRequest.ReadCoils(0, 1), default, recorder);

        Assert.Equal(SubmitResult.QueueFull, master.Submit(1, ModbusRequest.ReadCoils(0, 1), default, recorder));
        Assert.Empty(recorder.Results);
    }

    private static List<long> CompletionTimes(ulong seed)
    {
        using var bench = new MasterHarness(options: new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 0, PipelineDepth = 3 }, seed: seed);
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        var master = bench.Start();
        var times = new List<long>();
        var recorder = new Recorder();
        for (var i = 0; i < 20; i++)
        {
            master.Submit(1, ModbusRequest.ReadInputRegisters((ushort)i, 5), default, recorder);
        }

        while (recorder.Results.Count < 20)
        {
            bench.Platform.TryRunNext(long.MaxValue);
            if (recorder.Results.Count > times.Count)
            {
                times.Add(bench.Platform.NowNs);
            }
        }

        return times;
    }

    [Fact]
    public void Submit_RequestBeyondTheSpec_Throws()
    {
        using var bench = new MasterHarness();
        var master = bench.Start();

        Assert.ThrowsAny<ArgumentException>(() => master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 126), default, new Recorder()));
        Assert.Equal(0, master.Pending);
    }
}
