using System.Runtime.InteropServices;
using Neokernel.Rt.Linux.Isolation;

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
