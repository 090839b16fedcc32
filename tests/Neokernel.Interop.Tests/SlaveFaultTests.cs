using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>
/// Our slave under abuse on real sockets, with a libmodbus client loop as the master that must go
/// on being served: a flood of connections beyond the bound, masters that send garbage, a master
/// that stops in the middle of a frame. Nothing may crash, and every answer the loop gets is right.
/// </summary>
[Collection(SlaveInteropCollection.Name)]
public sealed class SlaveFaultTests
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Flood_ConnectionsBeyondTheBound_AreRefusedWhileTheConnectedMastersAreServed()
    {
        using var slave = InProcessSlave.Tcp(connectionsMax: 4);
        using var client = Peers.Libmodbus("client_loop.c", "tcp", "127.0.0.1", slave.Port.ToString(), "3", "4", "100");
        WaitFor(() => slave.TcpSlave.Connections == 4, "the loop's 4 connections");

        var closed = 0;
        for (var i = 0; i < 200; i++)
        {
            using var socket = new TcpClient();
            socket.Connect(IPAddress.Loopback, slave.Port);
            closed += IsClosedByTheSlave(socket) ? 1 : 0;
        }

        Assert.True(client.WaitForExit(PeerTimeout) == 0, client.Output);
        Assert.Contains("errors 0", client.Output, StringComparison.Ordinal);
        Assert.Equal(200, closed);
        WaitFor(() => slave.TcpSlave.ConnectionsRefused == 200, "200 refusals counted");
        Assert.Equal(4, slave.Counters.ConnectionsAccepted);
    }

    [Fact]
    public void Garbage_MastersThatBreakFraming_AreDroppedWhileAnotherIsServed()
    {
        using var slave = InProcessSlave.Tcp(connectionsMax: 8);
        using var client = Peers.Libmodbus("client_loop.c", "tcp", "127.0.0.1", slave.Port.ToString(), "2", "1", "100");
        WaitFor(() => slave.TcpSlave.Connections == 1, "the loop's connection");
        var random = new Random(8);

        var closed = 0;
        for (var i = 0; i < 20; i++)
        {
            using var socket = new TcpClient();
            socket.Connect(IPAddress.Loopback, slave.Port);
            var garbage = new byte[300];
            random.NextBytes(garbage);
            garbage[2] = 0x12;
            socket.GetStream().Write(garbage);
            closed += IsClosedByTheSlave(socket) ? 1 : 0;
        }

        Assert.True(client.WaitForExit(PeerTimeout) == 0, client.Output);
        Assert.Contains("errors 0", client.Output, StringComparison.Ordinal);
        Assert.Equal(20, closed);
        Assert.Equal(20, slave.Counters.ConnectionsClosedFault);
    }

    [Fact]
    public void Idle_MasterStopsInTheMiddleOfAFrame_IsClosedAfterTheIdleTime()
    {
        using var slave = InProcessSlave.Tcp(idleTimeoutNs: 300_000_000);
        using var socket = new TcpClient();
        socket.Connect(IPAddress.Loopback, slave.Port);
        socket.GetStream().Write(new byte[] { 0x00, 0x01, 0x00 });
        var clock = Stopwatch.StartNew();

        Assert.True(IsClosedByTheSlave(socket), "the half-sent frame's connection was closed");
        Assert.InRange(clock.ElapsedMilliseconds, 200, 3_000);
        Assert.Equal(1, slave.Counters.ConnectionsClosedIdle);
    }

    /// <summary>True when the slave closes the connection (end of stream or reset) within 5 s, without sending anything.</summary>
    private static bool IsClosedByTheSlave(TcpClient socket)
    {
        socket.ReceiveTimeout = 5_000;
        try
        {
            return socket.GetStream().Read(new byte[64]) == 0;
        }
        catch (IOException exception) when (exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return true;
        }
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"waited 20 s for {what}");
            Thread.Sleep(10);
        }
    }
}
