using System.Runtime.InteropServices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>
/// The collection counts a service host publishes in its status page: read whole or not at all,
/// beside the heartbeat, and summed per service over its processes by the kernel.
/// </summary>
public sealed class StatusPageTests
{
    [Fact]
    public void Collections_Published_ReadBackWhole_BesideTheHeartbeat()
    {
        var page = new byte[IsolationProtocol.StatusPageBytes];
        Assert.Null(IsolationProtocol.ReadCollections(page));

        IsolationProtocol.WriteStatus(page, 41, 123_456);
        IsolationProtocol.WriteCollections(page, new ProcessCollections(3, 2, 1, 8_200));
        IsolationProtocol.WriteCollections(page, new ProcessCollections(4, 2, 1, 16_400));

        Assert.Equal(new ProcessCollections(4, 2, 1, 16_400), IsolationProtocol.ReadCollections(page));
        Assert.Equal(41, IsolationProtocol.ReadCycles(page));
    }

    [Fact]
    public void Collections_WhileTheChildWrites_AreNotRead()
    {
        var page = new byte[IsolationProtocol.StatusPageBytes];
        IsolationProtocol.WriteCollections(page, new ProcessCollections(1, 0, 0, 8_200));

        // An odd sequence count: the child stopped (or was killed) in the middle of a write.
        MemoryMarshal.Cast<byte, long>(page.AsSpan(IsolationProtocol.CollectionsSequenceOffset, 8))[0]++;

        Assert.Null(IsolationProtocol.ReadCollections(page));
    }

    [Fact]
    public void Statistics_Published_ReadBackWhole_BesideTheCollections()
    {
        var page = new byte[IsolationProtocol.StatusPageBytes];
        Assert.Null(IsolationProtocol.ReadStatistics(page));
        var statistics = new CyclicStatistics(1_000, 2, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100);

        IsolationProtocol.WriteCollections(page, new ProcessCollections(1, 0, 0, 8_200));
        IsolationProtocol.WriteStatistics(page, statistics);

        Assert.Equal(statistics, IsolationProtocol.ReadStatistics(page));
        Assert.Equal(new ProcessCollections(1, 0, 0, 8_200), IsolationProtocol.ReadCollections(page));
    }

    [Fact]
    public void Statistics_WhileTheChildWrites_AreNotRead_AndPublishingAllocatesNothing()
    {
        var page = new byte[IsolationProtocol.StatusPageBytes];
        var statistics = new CyclicStatistics(5, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        IsolationProtocol.WriteStatistics(page, statistics);

        AllocationAssert.NoAllocations(1_000, _ => IsolationProtocol.WriteStatistics(page, statistics));
        MemoryMarshal.Cast<byte, long>(page.AsSpan(IsolationProtocol.StatisticsSequenceOffset, 8))[0]++;

        Assert.Null(IsolationProtocol.ReadStatistics(page));
    }

    [Fact]
    public void Ledger_SumsEveryProcessOfAService_RunningOnlyTheLive()
    {
        var ledger = new CollectionLedger();
        ledger.Note("sensor", new ProcessCollections(0, 0, 0, 8_200));
        ledger.EndProcess("sensor");
        ledger.Note("sensor", new ProcessCollections(2, 1, 0, 100));
        ledger.Note("sensor", new ProcessCollections(3, 1, 0, 200));
        ledger.Note("pump", new ProcessCollections(0, 0, 0, 0));
        ledger.EndProcess("pump");
        ledger.EndProcess("never-published");

        Assert.Equal(new ProcessCollections(3, 1, 0, 200), ledger.Running["sensor"]);
        Assert.False(ledger.Running.ContainsKey("pump"));
        Assert.Equal((new ProcessCollections(3, 1, 0, 8_400), 2), ledger.Ever["sensor"]);
        Assert.Equal((new ProcessCollections(0, 0, 0, 0), 1), ledger.Ever["pump"]);
        Assert.False(ledger.Ever.ContainsKey("never-published"));
        Assert.Equal(3, ledger.Ever["sensor"].Total.Collections);
    }
}
