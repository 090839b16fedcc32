using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Fieldbus.Tests.Master;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Faults;
using Neokernel.Rt.Simulation.Faults;

namespace Neokernel.Fieldbus.Tests.Faults;

/// <summary>
/// The Modbus faults on a serial line (the simulation's RTU seam): the real RTU master and the real
/// RTU slave engine on a virtual null-modem pair, with a fault schedule on the master's line. Each
/// fault shows as the master's own decoder sees it, and ends when its duration does.
/// </summary>
public sealed class RtuLineFaultTests
{
    private const long Ms = MasterHarness.Ms;
    private const string MasterLine = "/dev/ttyMaster";
    private const string SlaveLine = "/dev/ttySlave";
    private const string Line = "modbus-rtu://" + MasterLine;

    /// <summary>A master polling holding registers 0-3 of unit 3 every 20 ms from 0.5 s to 2.5 s, under <paramref name="schedule"/> (faults from 1 s).</summary>
    private static (List<(long AtNs, long DoneNs, ModbusResult Result, ushort[] Registers)> Polls, SimulationFaults Faults) Poll(string schedule, long timeoutMs = 50)
    {
        var faults = new SimulationFaults(FaultSchedule.Parse(schedule), 11);
        using var bench = new MasterHarness($"modbus-rtu://{MasterLine}?baud=19200&parity=E&unit=3", new ModbusMasterOptions { TimeoutNs = timeoutMs * Ms, Retries = 0 }, faults: faults);
        bench.Platform.Network.PairSerial(MasterLine, SlaveLine);
        faults.StartWithoutKernel();
        var map = new ModbusRegisterMap(16);
        for (var i = 0; i < 4; i++)
        {
            map.SetHoldingRegister(i, (ushort)(100 + i));
        }

        var slave = new ModbusRtuSlave(new ModbusSlave(map, new ModbusDeviceIdentity("Acme", "RTU-1", "1.0")), bench.Platform.Streams, DeviceUri.Parse($"modbus-rtu://{SlaveLine}?baud=19200&parity=E"), bench.Loop, 3);
        slave.Start();
        var master = bench.Start();
        bench.Run(500 * Ms);
        var polls = new List<(long, long, ModbusResult, ushort[])>();
        while (bench.Platform.NowNs < 2_500 * Ms)
        {
            var recorder = new Recorder();
            var at = bench.Platform.NowNs;
            master.Submit(3, ModbusRequest.ReadHoldingRegisters(0, 4), default, recorder);
            bench.RunUntil(() => recorder.Results.Count == 1);
            polls.Add((at, bench.Platform.NowNs, recorder.Results[0].Result, recorder.Results[0].Registers));
            bench.Run(20 * Ms);
        }

        slave.Dispose();
        return (polls, faults);
    }

    private static IEnumerable<ModbusResult> Between(List<(long AtNs, long DoneNs, ModbusResult Result, ushort[] Registers)> polls, long fromMs, long toMs) =>
        polls.Where(p => p.AtNs >= fromMs * Ms && p.DoneNs < toMs * Ms).Select(p => p.Result);

    [Fact]
    public void NoFault_EveryPollIsGood()
    {
        var (polls, _) = Poll($"modbus-timeout:{Line}@10s+1s");
        Assert.All(polls, p => Assert.Equal(ModbusStatus.Good, p.Result.Status));
        Assert.All(polls, p => Assert.Equal([100, 101, 102, 103], p.Registers));
    }

    [Fact]
    public void Timeout_LosesTheReplies_ForItsDuration()
    {
        var (polls, faults) = Poll($"modbus-timeout:{Line}@1s+500ms");
        Assert.All(Between(polls, 1_000, 1_500), r => Assert.Equal(ModbusStatus.Timeout, r.Status));
        Assert.All(Between(polls, 0, 1_000).Concat(Between(polls, 1_560, 3_000)), r => Assert.Equal(ModbusStatus.Good, r.Status));
        Assert.InRange(faults.ModbusCounters.RepliesLost, 5, 20);
    }

    [Fact]
    public void Exception_ReplacesEachReply_WithAValidExceptionFrame()
    {
        var (polls, faults) = Poll($"modbus-exception:{Line}@1s+500ms=6");
        var during = Between(polls, 1_000, 1_500).ToList();
        Assert.NotEmpty(during);
        Assert.All(during, r => Assert.Equal((ModbusStatus.Exception, (ExceptionCode)6), (r.Status, r.Exception)));
        Assert.All(Between(polls, 1_560, 3_000), r => Assert.Equal(ModbusStatus.Good, r.Status));
        Assert.Equal(during.Count, faults.ModbusCounters.RepliesReplaced);
    }

    [Fact]
    public void Garbled_FailsTheMastersCrcCheck()
    {
        var (polls, faults) = Poll($"modbus-garbled:{Line}@1s+500ms=1");
        var during = Between(polls, 1_000, 1_500).ToList();
        Assert.NotEmpty(during);

        // A flipped byte fails the CRC; one that lands on the address or the byte count may instead leave the master waiting.
        Assert.All(during, r => Assert.NotEqual(ModbusStatus.Good, r.Status));
        Assert.Contains(during, r => r.Error == ModbusError.RtuCrcMismatch);
        Assert.All(Between(polls, 1_560, 3_000), r => Assert.Equal(ModbusStatus.Good, r.Status));
        Assert.True(faults.ModbusCounters.RepliesGarbled >= during.Count);
    }

    [Fact]
    public void Delay_HoldsEachReply_ByItsValue()
    {
        var (polls, faults) = Poll($"modbus-delay:{Line}@1s+500ms=30", timeoutMs: 100);
        var during = polls.Where(p => p.AtNs >= 1_000 * Ms && p.AtNs < 1_450 * Ms).ToList();
        var before = polls.Where(p => p.AtNs < 1_000 * Ms).ToList();
        Assert.All(during.Concat(before), p => Assert.Equal(ModbusStatus.Good, p.Result.Status));
        var usual = before.Max(p => p.DoneNs - p.AtNs);
        Assert.All(during, p => Assert.InRange(p.DoneNs - p.AtNs, usual + (29 * Ms), usual + (40 * Ms)));
        Assert.Equal(during.Count, faults.ModbusCounters.RepliesDelayed);
    }

    [Fact]
    public void Disconnect_MakesTheLineDead_BothWays_ThenItWorksAgain()
    {
        var (polls, faults) = Poll($"modbus-disconnect:{Line}@1s+500ms");
        Assert.All(Between(polls, 1_000, 1_500), r => Assert.Equal(ModbusStatus.Timeout, r.Status));
        Assert.All(Between(polls, 1_560, 3_000), r => Assert.Equal(ModbusStatus.Good, r.Status));

        // The requests die on the line (the slave hears none), so no reply is there to lose.
        Assert.True(faults.ModbusCounters.FramesLostOnDeadLine >= Between(polls, 1_000, 1_500).Count());
        Assert.Equal(0, faults.ModbusCounters.RepliesLost);
    }

    [Fact]
    public void SameSchedule_SameSeed_SamePolls()
    {
        const string schedule = $"modbus-garbled:{Line}@1s+1s=0.5,modbus-delay:{Line}@2s+200ms=10";
        static string Outcome(string s) => string.Join(";", Poll(s).Polls.Select(p => $"{p.DoneNs}:{p.Result.Status}:{p.Result.Error}"));
        Assert.Equal(Outcome(schedule), Outcome(schedule));
    }

    [Fact]
    public void StartWithoutKernel_RefusesAFaultThatActsThroughTheKernel()
    {
        var faults = new SimulationFaults(FaultSchedule.Parse($"modbus-timeout:{Line}@1s,crash:plc-io@2s"), 1);
        _ = new Rt.Simulation.SimulationPlatform(1, new Testing.NoDevices(), faults);
        var error = Assert.Throws<InvalidOperationException>(faults.StartWithoutKernel);
        Assert.Contains("crash acts through the kernel", error.Message, StringComparison.Ordinal);
    }
}
