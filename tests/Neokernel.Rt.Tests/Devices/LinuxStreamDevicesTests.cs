using System.Diagnostics;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.Devices;

/// <summary>Real sockets and a socat pseudo-terminal pair on the paced loop: the same echo as in simulation.</summary>
[Collection(SerialCollection.Name)]
public sealed class LinuxStreamDevicesTests
{
    private const long RunNs = 5_000_000_000;

    [Fact]
    public void Echo_LoopbackTcp_EveryMessageComesBack()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var echo = new EchoPeer();
        using var listener = platform.Streams.Listen(DeviceUri.Parse("tcp-listen://127.0.0.1:0?connectionsMax=2".Replace(":0?", $":{FreePort()}?", StringComparison.Ordinal)), echo);
        var client = new EchoClient(platform, 200);
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://" + listener.LocalEndpoint), client);

        RunWhile(platform, () => !client.Done);

        Assert.True(client.Done, string.Join("\n", client.Log.TakeLast(20)));
        Assert.Equal(1, listener.Connections);
        Assert.Equal((LinkState.Up, DeviceError.None), client.Links[0]);
    }

    [Fact]
    public void Connect_NobodyListens_GoesDownRefusedThenReconnectsWhenItDoes()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var port = FreePort();
        var client = new EchoClient(platform, 5);
        using var channel = platform.Streams.Open(DeviceUri.Parse($"tcp://127.0.0.1:{port}"), client);
        RunWhile(platform, () => client.Links.Count == 0);
        Assert.Equal([(LinkState.Down, DeviceError.ConnectionRefused)], client.Links);

        var echo = new EchoPeer();
        using var listener = platform.Streams.Listen(DeviceUri.Parse($"tcp-listen://127.0.0.1:{port}"), echo);
        Assert.True(channel.Reconnect());
        RunWhile(platform, () => !client.Done);

        Assert.True(client.Done);
        Assert.Equal(LinkState.Up, client.Links[^1].State);
    }

    [Fact]
    public void Peer_Disconnects_LinkGoesDownClosedByPeer()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var refuser = new RefuseAll();
        using var listener = platform.Streams.Listen(DeviceUri.Parse($"tcp-listen://127.0.0.1:{FreePort()}"), refuser);
        var client = new EchoClient(platform, 1_000);
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://" + listener.LocalEndpoint), client);

        RunWhile(platform, () => client.Links.Count < 2);

        Assert.Equal((LinkState.Up, DeviceError.None), client.Links[0]);
        Assert.Equal(LinkState.Down, client.Links[1].State);
        Assert.Contains(client.Links[1].Reason, new[] { DeviceError.ClosedByPeer, DeviceError.ConnectionReset });
        Assert.Equal(0, listener.Connections);
    }

    [Fact]
    public void Echo_SocatPtyPair_EveryMessageComesBack()
    {
        var directory = Directory.CreateTempSubdirectory("neokernel-pty-");
        using var socat = StartSocat(directory.FullName);
        try
        {
            using var platform = new PacedPlatform(1, new NoDevices());
            var echo = new EchoPeer();
            using var far = platform.Streams.Open(DeviceUri.Parse($"serial://{directory.FullName}/b?baud=19200&parity=E"), echo);
            var client = new EchoClient(platform, 50);
            using var near = platform.Streams.Open(DeviceUri.Parse($"modbus-rtu://{directory.FullName}/a?baud=19200"), client);

            RunWhile(platform, () => !client.Done);

            Assert.True(client.Done, string.Join(", ", client.Links));
            Assert.Equal((LinkState.Up, DeviceError.None), client.Links[0]);
        }
        finally
        {
            socat.Kill();
            socat.WaitForExit();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Serial_MissingDevice_GoesDownNotFound()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var client = new EchoClient(platform, 1);
        using var line = platform.Streams.Open(DeviceUri.Parse("serial:///dev/neokernel-no-such-tty?baud=9600"), client);

        RunWhile(platform, () => client.Links.Count == 0);

        Assert.Equal([(LinkState.Down, DeviceError.NotFound)], client.Links);
    }

    [Fact]
    public void ReadWriteReadiness_LoopbackTcpRunning_AllocatesNothing()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var echo = new EchoPeer();
        using var listener = platform.Streams.Listen(DeviceUri.Parse($"tcp-listen://127.0.0.1:{FreePort()}"), echo);
        var client = new EchoClient(platform, int.MaxValue) { KeepLog = false };
        using var channel = platform.Streams.Open(DeviceUri.Parse("tcp://" + listener.LocalEndpoint), client);
        RunWhile(platform, () => client.Echoed < 1_000);

        AllocationAssert.NoAllocations(2_000, _ => platform.RunUntil(platform.NowNs + 200_000));

        Assert.True(client.Echoed > 2_000, $"{client.Echoed} echoes");
    }

    internal static Process StartSocat(string directory)
    {
        var start = new ProcessStartInfo("socat", ["-d", "-d", $"pty,raw,echo=0,link={directory}/a", $"pty,raw,echo=0,link={directory}/b"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start (scripts/install-deps.sh installs it)");
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(Path.Combine(directory, "a")) && File.Exists(Path.Combine(directory, "b"))) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(10);
        }

        return socat;
    }

    internal static void RunWhile(PacedPlatform platform, Func<bool> condition)
    {
        var endNs = platform.NowNs + RunNs;
        while (condition() && platform.NowNs < endNs)
        {
            platform.RunUntil(platform.NowNs + 10_000_000);
        }
    }

    internal static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    private sealed class RefuseAll : IListenerHandler
    {
        public IStreamHandler? OnAccepted(IStreamChannel connection) => null;
    }
}
