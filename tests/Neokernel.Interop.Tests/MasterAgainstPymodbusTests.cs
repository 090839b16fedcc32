using System.Globalization;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>Our master against Debian's pymodbus 3.0 slave (tests/interop/pymodbus/slave_master_peer.py), over TCP and RTU.</summary>
public sealed class MasterAgainstPymodbusTests
{
    private const string Script = "slave_master_peer.py";

    [Fact]
    public void Tcp_EveryFunctionCode_TwoUnitsOnOneConnection()
    {
        var port = Peers.FreePort();
        using var slave = StartTcp(port);
        using var master = new PacedMaster($"modbus-tcp://127.0.0.1:{port}?unit=1");

        MasterFunctionCodes.ReadsAndWritesEveryFunction(master, 1);
        MasterFunctionCodes.ReadsAndWritesEveryFunction(master, 2, holdingBase: 2000);
        MasterFunctionCodes.OutsideTheMap_AnswersIllegalDataAddress(master, 1);
        Assert.Equal(0, master.Master.Counters.Reconnects);
    }

    [Fact]
    public void Tcp_ReadDeviceIdentification_BasicObjects()
    {
        var port = Peers.FreePort();
        using var slave = StartTcp(port);
        using var master = new PacedMaster($"modbus-tcp://127.0.0.1:{port}?unit=1");

        var (result, objects) = master.Do(1, ModbusRequest.ReadDeviceIdentification(DeviceIdCode.Basic, 0));

        Assert.Equal(ModbusStatus.Good, result.Status);
        var found = new Dictionary<byte, string>();
        var reader = new DeviceIdObjectReader(objects);
        while (reader.TryRead(out var id, out var value))
        {
            found[id] = System.Text.Encoding.ASCII.GetString(value);
        }

        Assert.Equal("Neokernel interop", found[0]);
        Assert.Equal("NK-PEER", found[1]);
        Assert.Equal("3.0", found[2]);
    }

    /// <summary>
    /// 8N1, not the spec's 8E1: pyserial 3.5 cannot set even parity on a pseudo-terminal
    /// (tcsetattr answers EINVAL), and pymodbus 3.0 swallows that failure, serving nothing.
    /// </summary>
    [Fact]
    public void Rtu_OverSocatPair_EveryFunctionCode()
    {
        using var pair = new SocatPair();
        using var slave = Peers.PymodbusScript(Script, "--serial", pair.B, "--baud", "19200", "--parity", "N");
        slave.WaitForLine("ready", TimeSpan.FromSeconds(30));
        using var master = new PacedMaster($"modbus-rtu://{pair.A}?baud=19200&parity=N&unit=1");

        MasterFunctionCodes.ReadsAndWritesEveryFunction(master, 1);
        Assert.Equal([(ushort)2000], master.Registers(2, ModbusRequest.ReadHoldingRegisters(0, 1)));
        MasterFunctionCodes.OutsideTheMap_AnswersIllegalDataAddress(master, 1);
    }

    [Fact]
    public void Fault_SlaveKilledMidPoll_LinkDownThenGoodAgain()
    {
        var port = Peers.FreePort();
        var options = new ModbusMasterOptions { TimeoutNs = 300_000_000, Retries = 0, ReconnectDelayNsMin = 50_000_000, ReconnectDelayNsMax = 400_000_000 };
        var slave = StartTcp(port);
        using var master = new PacedMaster($"modbus-tcp://127.0.0.1:{port}?unit=1", options);
        var log = new PollLog();
        var group = master.Master.AddPollGroup(new PollGroupSpec(1, ModbusTable.InputRegisters, 0, 10, 100_000_000, StaleAfterMisses: 2), log);
        master.RunWhile(() => log.Results.Count(r => r.Status == ModbusStatus.Good) < 3, TimeSpan.FromSeconds(10));
        Assert.Equal(1009, group.Registers[9]);

        slave.Dispose();
        master.RunWhile(() => !group.IsStale, TimeSpan.FromSeconds(10));
        Assert.Equal(MasterLinkState.Down, master.Master.Link);

        using var second = StartTcp(port);
        var polls = log.Results.Count;
        master.RunWhile(() => log.Results.Skip(polls).All(r => r.Status != ModbusStatus.Good), TimeSpan.FromSeconds(20));
        Assert.False(group.IsStale);
        Assert.True(master.Master.Counters.Reconnects >= 1);
    }

    private static PeerProcess StartTcp(int port)
    {
        var slave = Peers.PymodbusScript(Script, "--port", port.ToString(CultureInfo.InvariantCulture));
        Peers.WaitForListener(port, TimeSpan.FromSeconds(30), slave);
        return slave;
    }
}
