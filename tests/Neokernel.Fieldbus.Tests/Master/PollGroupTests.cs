using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using static Neokernel.Fieldbus.Tests.Master.MasterHarness;

namespace Neokernel.Fieldbus.Tests.Master;

/// <summary>Poll groups: each on its own period, values in the group's buffers, misses counted up to stale.</summary>
public sealed class PollGroupTests
{
    [Fact]
    public void PollGroups_TwoPeriods_EachPollsOnItsOwn()
    {
        using var bench = new MasterHarness();
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        slave.Units[1].Holding[0] = 5;
        slave.Units[1].Coils[2] = true;
        var master = bench.Start();
        var fast = new PollRecorder();
        var slow = new PollRecorder();
        var fastGroup = master.AddPollGroup(new PollGroupSpec(1, ModbusTable.HoldingRegisters, 0, 4, 100 * Ms), fast);
        var slowGroup = master.AddPollGroup(new PollGroupSpec(1, ModbusTable.Coils, 0, 4, 250 * Ms), slow);

        bench.Run(1_000 * Ms);

        Assert.Equal(10, fast.Polls.Count);
        Assert.Equal(4, slow.Polls.Count);
        Assert.All(fast.Polls, p => Assert.Equal(ModbusStatus.Good, p.Result.Status));
        Assert.Equal(5, fastGroup.Registers[0]);
        Assert.True(slowGroup.Bits[2]);
        Assert.InRange(fast.Polls[5].Ns - fast.Polls[4].Ns, 99 * Ms, 101 * Ms);
        Assert.Equal(0, fastGroup.Overruns);
    }

    [Fact]
    public void PollGroup_SlaveStopsAnswering_MissesCountUpToStaleThenRecover()
    {
        using var bench = new MasterHarness(options: new ModbusMasterOptions { TimeoutNs = 30 * Ms, Retries = 0 });
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        var master = bench.Start();
        var polls = new PollRecorder();
        var group = master.AddPollGroup(new PollGroupSpec(1, ModbusTable.InputRegisters, 0, 2, 50 * Ms, StaleAfterMisses: 3), polls);
        bench.Run(120 * Ms);
        Assert.All(polls.Polls, p => Assert.Equal(ModbusStatus.Good, p.Result.Status));

        slave.Trick = SlaveTrick.Silent;
        bench.Run(200 * Ms);
        var misses = polls.Polls.Where(p => p.Result.Status == ModbusStatus.Timeout).ToList();
        Assert.True(misses.Count >= 3);
        Assert.False(misses[1].Result.Stale);
        Assert.True(misses[2].Result.Stale);
        Assert.Equal(3, misses[2].Result.MissedInARow);
        Assert.True(group.IsStale);

        slave.Trick = SlaveTrick.Answer;
        bench.Run(100 * Ms);
        Assert.Equal(ModbusStatus.Good, polls.Polls[^1].Result.Status);
        Assert.False(group.IsStale);
    }

    [Fact]
    public void PollGroup_LinkDown_ReportsLinkDownEveryPeriodUntilTheSlaveReturns()
    {
        var options = new ModbusMasterOptions { TimeoutNs = 30 * Ms, Retries = 0, ReconnectDelayNsMin = 20 * Ms, ReconnectDelayNsMax = 40 * Ms };
        using var bench = new MasterHarness(options: options);
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        var master = bench.Start();
        var polls = new PollRecorder();
        master.AddPollGroup(new PollGroupSpec(1, ModbusTable.HoldingRegisters, 0, 1, 50 * Ms), polls);
        bench.Run(100 * Ms);

        slave.Vanish();
        bench.Run(300 * Ms);
        Assert.True(polls.Polls.Count(p => p.Result.Status == ModbusStatus.LinkDown) >= 5);

        slave.Listen();
        bench.Run(200 * Ms);
        Assert.Equal(ModbusStatus.Good, polls.Polls[^1].Result.Status);
        Assert.Equal(1, master.Counters.Reconnects);
    }

    [Fact]
    public void PollGroupSpec_Invalid_Throws()
    {
        using var bench = new MasterHarness();
        var master = bench.Start();

        Assert.Throws<ArgumentException>(() => master.AddPollGroup(new PollGroupSpec(1, ModbusTable.HoldingRegisters, 0, 200, 100 * Ms), new PollRecorder()));
        Assert.Throws<ArgumentException>(() => master.AddPollGroup(new PollGroupSpec(0, ModbusTable.Coils, 0, 1, 100 * Ms), new PollRecorder()));
        Assert.Throws<ArgumentException>(() => master.AddPollGroup(new PollGroupSpec(1, ModbusTable.Coils, 0, 1, 1_000), new PollRecorder()));
    }
}
