using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Testing;
using static Neokernel.Fieldbus.Tests.Master.MasterHarness;

namespace Neokernel.Fieldbus.Tests.Master;

/// <summary>Once running, the master's request path (submit, send, receive, match, complete, poll) allocates nothing.</summary>
public sealed class MasterAllocationTests
{
    [Fact]
    public void Requests_OverTcpPipelined_AllocateNothing()
    {
        using var bench = new MasterHarness(options: new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 1, PipelineDepth = 4 });
        using var slave = new ScriptedTcpSlave(bench.Platform, Port);
        var master = bench.Start();
        var counter = new Counting();
        var values = new byte[20];
        bench.RunUntil(() => master.Link == MasterLinkState.Up);
        var polls = new CountingPolls();
        master.AddPollGroup(new PollGroupSpec(1, ModbusTable.HoldingRegisters, 0, 10, 5 * Ms), polls);

        AllocationAssert.NoAllocations(1_000, i =>
        {
            master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 10), default, counter);
            master.Submit(1, ModbusRequest.WriteMultipleRegisters(100, 10), values, counter);
            master.Submit(1, ModbusRequest.ReadCoils(0, 16), default, counter);
            bench.Run(Ms);
        });

        Assert.Equal(0, counter.Bad);
        Assert.True(counter.Good >= 5_997, $"{counter.Good} good");
        Assert.True(polls.Good >= 390, $"{polls.Good} polls");
    }

    [Fact]
    public void Requests_OverRtu_AllocateNothing()
    {
        using var bench = MasterRtuTests.RtuBench(out var slave, new ModbusMasterOptions { TimeoutNs = 100 * Ms, Retries = 0 });
        slave.RecordFrames = false;
        var master = bench.Start();
        var counter = new Counting();
        bench.Run(Ms);

        AllocationAssert.NoAllocations(300, i =>
        {
            master.Submit(1, ModbusRequest.ReadInputRegisters(0, 10), default, counter);
            bench.Run(40 * Ms);
        });

        Assert.Equal(0, counter.Bad);
        Assert.True(counter.Good >= 599, $"{counter.Good} good");
    }

    private sealed class Counting : IModbusCompletion
    {
        public long Good { get; private set; }

        public long Bad { get; private set; }

        public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
        {
            if (result.Status == ModbusStatus.Good)
            {
                Good++;
            }
            else
            {
                Bad++;
            }
        }
    }

    private sealed class CountingPolls : IPollHandler
    {
        public long Good { get; private set; }

        public void OnPoll(ModbusPollGroup group, in PollResult result) => Good += result.Status == ModbusStatus.Good ? 1 : 0;
    }
}
