using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.Devices;

/// <summary>The virtual network and serial lines: deterministic on virtual time, faults as link states.</summary>
public sealed class VirtualNetworkTests
{
    [Fact]
    public void Echo_RunTwiceWithOneSeed_SameDigest()
    {
        var (first, log) = RunEcho(seed: 7);
        var (second, _) = RunEcho(seed: 7);
        var (other, _) = RunEcho(seed: 8);

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.True(log.Count > 100, string.Join("\n", log));
    }

    [Fact]
    public void Connect_NobodyListensOnLoopback_GoesDownRefused()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var client = new EchoClient(platform, 1);
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:1502"), client);

        Assert.Equal(LinkState.Connecting, channel.State);
        platform.RunUntil(1_000_000_000);

        Assert.Equal([(LinkState.Down, DeviceError.ConnectionRefused)], client.Links);
        Assert.Equal(IoStatus.Closed, channel.Write([1]).Status);
    }

    [Fact]
    public void Connect_UnheardHost_TimesOutAfterItsTimeout()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var client = new EchoClient(platform, 1);
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://10.0.0.9:502?connectTimeoutMs=250"), client);

        platform.RunUntil(249_000_000);
        Assert.Empty(client.Links);
        platform.RunUntil(251_000_000);

        Assert.Equal([(LinkState.Down, DeviceError.TimedOut)], client.Links);
    }

    [Fact]
    public void Peer_ClosesListener_ClientGoesDownThenReconnectsWhenItListensAgain()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var echo = new EchoPeer();
        var listener = platform.Network.Listen(DeviceUri.Parse("tcp-listen://127.0.0.1:1502"), echo);
        var server = new ClosingPeer();
        var client = new EchoClient(platform, 1_000_000);
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:1502"), client);
        platform.RunUntil(10_000_000);
        listener.Dispose();
        using var closing = platform.Network.Listen(DeviceUri.Parse("tcp-listen://127.0.0.1:1502"), server);

        Assert.False(channel.Reconnect());
        Assert.Equal(LinkState.Up, channel.State);
        server.CloseNext = true;
        channel.Dispose();
        using var second = platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:1502"), client);
        platform.RunUntil(20_000_000);

        Assert.Contains((LinkState.Down, DeviceError.ClosedByPeer), client.Links);
        Assert.True(second.Reconnect());
        server.CloseNext = false;
        platform.RunUntil(30_000_000);
        Assert.Equal(LinkState.Up, second.State);
        Assert.Equal(LinkState.Up, client.Links[^1].State);
    }

    [Fact]
    public void Listener_BeyondConnectionsMax_ClosesTheNewcomer()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var echo = new EchoPeer();
        using var listener = platform.Network.Listen(DeviceUri.Parse("tcp-listen://0.0.0.0:1502?connectionsMax=2"), echo);
        var clients = Enumerable.Range(0, 3).Select(_ => new EchoClient(platform, 1_000_000)).ToList();
        var channels = clients.Select(c => platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:1502"), c)).ToList();

        platform.RunUntil(5_000_000);

        Assert.Equal(2, listener.Connections);
        Assert.Equal(1, listener.Refused);
        Assert.Equal(2, channels.Count(c => c.State == LinkState.Up));
        Assert.Contains(clients, c => c.Links.Contains((LinkState.Down, DeviceError.ClosedByPeer)));
        channels.ForEach(c => c.Dispose());
    }

    [Fact]
    public void Serial_PairedLines_EchoAtTheLineRate()
    {
        var platform = new SimulationPlatform(3, new NoDevices());
        platform.Network.PairSerial("/dev/ttyV0", "/dev/ttyV1");
        var echo = new EchoPeer();
        using var far = platform.Streams.Open(DeviceUri.Parse("serial:///dev/ttyV1?baud=9600"), echo);
        var client = new EchoClient(platform, 10);
        using var near = platform.Streams.Open(DeviceUri.Parse("modbus-rtu:///dev/ttyV0?baud=9600&parity=N"), client);

        platform.RunUntil(2_000_000_000);

        Assert.True(client.Done);
        // 32 bytes of 10 bits at 9600 baud, there and back: at least 66 ms per echo.
        Assert.True(platform.NowNs >= 10 * 2 * 32 * 10 * 1_000_000_000L / 9600);
        Assert.Equal(10 * 32, echo.BytesEchoed);
    }

    [Fact]
    public void Serial_UnknownPath_GoesDownNotFound()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var client = new EchoClient(platform, 1);
        using var line = platform.Streams.Open(DeviceUri.Parse("serial:///dev/ttyNone?baud=19200"), client);

        platform.RunUntil(1_000_000);

        Assert.Equal([(LinkState.Down, DeviceError.NotFound)], client.Links);
    }

    [Fact]
    public void ReadWrite_Running_AllocatesNothing()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var echo = new EchoPeer();
        using var listener = platform.Network.Listen(DeviceUri.Parse("tcp-listen://127.0.0.1:1502"), echo);
        var client = new EchoClient(platform, int.MaxValue);
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:1502"), client);
        platform.RunUntil(50_000_000);
        client.KeepLog = false;
        var end = platform.NowNs;

        AllocationAssert.NoAllocations(1_000, _ => platform.RunUntil(end += 200_000));
        Assert.True(client.Echoed > 1_000);
    }

    private static (ulong Digest, List<string> Log) RunEcho(ulong seed)
    {
        var platform = new SimulationPlatform(seed, new NoDevices());
        var echo = new EchoPeer();
        using var listener = platform.Network.Listen(DeviceUri.Parse("tcp-listen://127.0.0.1:1502?connectionsMax=4"), echo);
        var client = new EchoClient(platform, 100);
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:1502"), client);
        platform.RunUntil(1_000_000_000);
        Assert.True(client.Done, string.Join("\n", client.Log));
        return (client.Digest, client.Log);
    }

    /// <summary>A listener's handler that closes each connection it accepts while <see cref="CloseNext"/> is set.</summary>
    private sealed class ClosingPeer : IListenerHandler
    {
        private readonly EchoPeer echo = new();

        public bool CloseNext { get; set; }

        public IStreamHandler? OnAccepted(IStreamChannel connection) => CloseNext ? null : echo;
    }
}
