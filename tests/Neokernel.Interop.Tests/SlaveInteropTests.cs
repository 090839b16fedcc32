using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>Our slave against the masters the field trusts: pymodbus, mbpoll and a libmodbus client, over TCP and over a socat pty pair.</summary>
[Collection(SlaveInteropCollection.Name)]
public sealed class SlaveInteropTests
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Pymodbus_MasterOverTcp_EveryFunctionCodeAndExceptionAsExpected()
    {
        using var slave = InProcessSlave.Tcp();
        using var master = Peers.PymodbusScript("master_all.py", "tcp", slave.Port.ToString(), "1");

        Assert.True(master.WaitForExit(PeerTimeout) == 0, master.Output);
        Assert.Contains("ALL OK", master.Output, StringComparison.Ordinal);
        Assert.Equal(1234 & 0xF2F2 | 0x0025 & ~0xF2F2, slave.Map.HoldingRegister(10));
        Assert.Equal(2, slave.Counters.Exceptions);
    }

    [Fact]
    public void Pymodbus_MasterOverRtu_EveryFunctionCodeAndBroadcastWithoutReply()
    {
        using var line = new SocatPair();
        // pyserial cannot set parity on a pseudo-terminal (tcsetattr: EINVAL), so this line runs 8N1.
        using var slave = InProcessSlave.Rtu(line.A, 1, parity: 'N');
        using var master = Peers.PymodbusScript("master_all.py", "rtu", line.B, "1");

        Assert.True(master.WaitForExit(PeerTimeout) == 0, master.Output);
        Assert.Contains("ALL OK", master.Output, StringComparison.Ordinal);
        Assert.Equal(777, slave.Map.HoldingRegister(30));
        Assert.Equal(1, slave.Counters.Broadcasts);
        Assert.Equal(0, slave.Counters.Dropped);
    }

    [Fact]
    public void Mbpoll_OverTcp_ReadsOneBasedAndZeroBasedAndWrites()
    {
        using var slave = InProcessSlave.Tcp();
        for (var address = 0; address < 10; address++)
        {
            slave.Map.SetHoldingRegister(address, (ushort)(500 + address));
        }

        var oneBased = Mbpoll(slave, "-t 4 -r 1 -c 10");
        var zeroBased = Mbpoll(slave, "-0 -t 3 -r 3 -c 1");
        var written = Mbpoll(slave, "-0 -t 4 -r 20", "1234");
        var outside = Mbpoll(slave, "-0 -t 4 -r 9999 -c 2");

        Assert.Contains("[1]: \t500", oneBased, StringComparison.Ordinal);
        Assert.Contains("[10]: \t509", oneBased, StringComparison.Ordinal);
        Assert.Contains("[3]: \t4242", zeroBased, StringComparison.Ordinal);
        Assert.Contains("Written 1 references", written, StringComparison.Ordinal);
        Assert.Equal(1234, slave.Map.HoldingRegister(20));
        Assert.Contains("Illegal data address", outside, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public void Libmodbus_ClientLoopOverTcp_EveryAnswerRight(int connections)
    {
        using var slave = InProcessSlave.Tcp(connectionsMax: 16);
        using var client = Peers.Libmodbus("client_loop.c", "tcp", "127.0.0.1", slave.Port.ToString(), "1", connections.ToString(), "100");

        Assert.True(client.WaitForExit(PeerTimeout) == 0, client.Output);
        Assert.Contains("errors 0", client.Output, StringComparison.Ordinal);
        Assert.Equal(0, slave.Counters.Exceptions);
        Assert.Equal(connections, slave.Counters.ConnectionsAccepted);
    }

    [Fact]
    public void Libmodbus_ClientLoopOverRtu_EveryAnswerRight()
    {
        using var line = new SocatPair();
        using var slave = InProcessSlave.Rtu(line.A, 7);
        using var client = Peers.Libmodbus("client_loop.c", "rtu", line.B, "19200", "E", "7", "1", "300");

        Assert.True(client.WaitForExit(PeerTimeout) == 0, client.Output);
        Assert.Contains("errors 0", client.Output, StringComparison.Ordinal);
        Assert.True(slave.Counters.Requests > 10, $"{slave.Counters.Requests} requests");
        Assert.Equal(0, slave.Counters.Dropped);
    }

    [Fact]
    public void ServeCommand_RealBinary_ServesMbpollAndStopsOnSigterm()
    {
        var port = Peers.FreePort();
        using var serve = PeerProcess.Start(Path.Combine(AppContext.BaseDirectory, "neokernel"), "modbus", "serve", "--port", port.ToString(), "--points", "100");
        serve.WaitForLine("listening on 127.0.0.1:" + port, TimeSpan.FromSeconds(30));

        using var read = Peers.Tool("mbpoll", "mbpoll", "-m", "tcp", "-p", port.ToString(), "-0", "-t", "4", "-r", "99", "-c", "1", "-1", "127.0.0.1");
        Assert.True(read.WaitForExit(PeerTimeout) == 0, read.Output);
        using var outside = Peers.Tool("mbpoll", "mbpoll", "-m", "tcp", "-p", port.ToString(), "-0", "-t", "4", "-r", "100", "-c", "1", "-1", "127.0.0.1");
        outside.WaitForExit(PeerTimeout);
        using var term = PeerProcess.Start("/bin/kill", "-TERM", serve.Id.ToString());
        term.WaitForExit(PeerTimeout);

        Assert.Equal(0, serve.WaitForExit(PeerTimeout));
        Assert.Contains("[99]: \t0", read.Output, StringComparison.Ordinal);
        Assert.Contains("Illegal data address", outside.Output, StringComparison.Ordinal);
        Assert.Contains("stopped: 2 requests, 1 exceptions, 0 frames dropped, 0 connections refused", serve.Output, StringComparison.Ordinal);
    }

    /// <summary>Runs mbpoll once (<c>-1</c>) against the slave: its options, the host, then any values to write.</summary>
    private static string Mbpoll(InProcessSlave slave, string options, params string[] values)
    {
        using var mbpoll = Peers.Tool("mbpoll", "mbpoll", ["-m", "tcp", "-p", slave.Port.ToString(), "-1", .. options.Split(' '), "127.0.0.1", .. values]);
        mbpoll.WaitForExit(PeerTimeout);
        return mbpoll.Output;
    }
}

/// <summary>Interop tests run one at a time: each measures or floods a slave, and the machine is shared.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SlaveInteropCollection
{
    public const string Name = "slave interop";
}
