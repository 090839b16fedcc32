using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>Our master against libmodbus 3.1.6's slave (tests/interop/libmodbus/server_master_peer.c), over TCP and RTU.</summary>
public sealed class MasterAgainstLibmodbusTests
{
    private const string Server = "server_master_peer.c";

    /// <summary>libmodbus holds an exception reply back by about 500 ms; wait longer than that.</summary>
    private static readonly ModbusMasterOptions Patient = new() { TimeoutNs = 2_000_000_000, Retries = 0 };

    [Fact]
    public void Tcp_EveryFunctionCode_ReadsAndWrites()
    {
        var port = Peers.FreePort();
        using var slave = StartTcp(port);
        using var master = new PacedMaster($"modbus-tcp://127.0.0.1:{port}?unit=1", Patient);

        MasterFunctionCodes.ReadsAndWritesEveryFunction(master, 1);
        MasterFunctionCodes.OutsideTheMap_AnswersIllegalDataAddress(master, 1);
        Assert.Equal(0, master.Master.Counters.Timeouts);
    }

    [Fact]
    public void Tcp_PipelineOfFour_EveryReplyMatchedToItsRequest()
    {
        var port = Peers.FreePort();
        using var slave = StartTcp(port);
        using var master = new PacedMaster($"modbus-tcp://127.0.0.1:{port}?unit=1", Patient with { PipelineDepth = 4 });
        var results = new Collect();

        for (var round = 0; round < 25; round++)
        {
            for (var i = 0; i < 8; i++)
            {
                Assert.Equal(SubmitResult.Queued, master.Master.Submit(1, ModbusRequest.ReadHoldingRegisters((ushort)(i * 10), 2), default, results, tag: i));
            }

            master.RunWhile(() => master.Master.Pending > 0, TimeSpan.FromSeconds(10));
        }

        Assert.Equal(200, results.Values.Count);
        Assert.All(results.Values, v => Assert.Equal([(ushort)(v.Tag * 10), (ushort)((v.Tag * 10) + 1)], v.Registers));
        Assert.Equal(0, master.Master.Counters.UnknownReplies + master.Master.Counters.LateReplies);
    }

    [Fact]
    public void Rtu_EveryFunctionCode_BroadcastAndAnotherUnit()
    {
        using var pair = new SocatPair();
        using var slave = Peers.Libmodbus(Server, "rtu", pair.B, "19200", "E", "5");
        slave.WaitForLine("ready", TimeSpan.FromSeconds(30));
        using var master = new PacedMaster($"modbus-rtu://{pair.A}?baud=19200&parity=E&unit=5", Patient with { BroadcastTurnaroundNs = 50_000_000 });

        MasterFunctionCodes.ReadsAndWritesEveryFunction(master, 5);
        MasterFunctionCodes.OutsideTheMap_AnswersIllegalDataAddress(master, 5);

        master.Good(0, ModbusRequest.WriteSingleRegister(90, 4242));
        Assert.Equal([(ushort)4242], master.Registers(5, ModbusRequest.ReadHoldingRegisters(90, 1)));

        var (other, _) = master.Do(6, ModbusRequest.ReadHoldingRegisters(0, 1));
        Assert.Equal(ModbusStatus.Timeout, other.Status);
        Assert.Equal(0, master.Master.Counters.InvalidReplies);
    }

    [Fact]
    public void Fault_SlaveKilledMidPoll_QualityDropsThenRecoversOnANewSlave()
    {
        var port = Peers.FreePort();
        var options = new ModbusMasterOptions { TimeoutNs = 200_000_000, Retries = 0, ReconnectDelayNsMin = 50_000_000, ReconnectDelayNsMax = 200_000_000 };
        using var master = new PacedMaster($"modbus-tcp://127.0.0.1:{port}?unit=1", options);
        var log = new PollLog();
        var group = master.Master.AddPollGroup(new PollGroupSpec(1, ModbusTable.HoldingRegisters, 0, 100, 50_000_000, StaleAfterMisses: 3), log);
        var slave = StartTcp(port);
        master.RunWhile(() => log.Results.Count(r => r.Status == ModbusStatus.Good) < 5, TimeSpan.FromSeconds(10));
        Assert.Equal(99, group.Registers[99]);

        slave.Dispose();
        master.RunWhile(() => !group.IsStale, TimeSpan.FromSeconds(10));
        var bad = log.Results.SkipWhile(r => r.Status == ModbusStatus.Good).First();
        Assert.Contains(bad.Status, new[] { ModbusStatus.LinkDown, ModbusStatus.Timeout });

        using var second = StartTcp(port);
        var polls = log.Results.Count;
        master.RunWhile(() => log.Results.Skip(polls).All(r => r.Status != ModbusStatus.Good), TimeSpan.FromSeconds(10));
        Assert.False(group.IsStale);
        Assert.True(master.Master.Counters.Reconnects >= 1);
    }

    private static PeerProcess StartTcp(int port)
    {
        var slave = Peers.Libmodbus(Server, "tcp", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        slave.WaitForLine("ready", TimeSpan.FromSeconds(30));
        return slave;
    }

    private sealed class Collect : IModbusCompletion
    {
        public List<(long Tag, ushort[] Registers)> Values { get; } = [];

        public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
        {
            Assert.Equal(ModbusStatus.Good, result.Status);
            var registers = new ushort[result.Request.Count];
            ModbusValues.ReadRegisters(data, registers);
            Values.Add((result.Tag, registers));
        }
    }
}
