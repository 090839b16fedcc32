using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Tests.CrossProcess;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.Devices;

/// <summary>
/// Stream devices of a service in a process of its own: this test plays the kernel, opens the
/// listener and the serial line with <see cref="DeviceGrants"/> and hands them over with
/// SCM_RIGHTS; the peer process echoes on them and can reach nothing else.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class IsolatedStreamTests
{
    [Fact]
    public void Echo_GrantedListenerAndPty_InAnotherProcess()
    {
        var directory = Directory.CreateTempSubdirectory("neokernel-pty-");
        using var socat = LinuxStreamDevicesTests.StartSocat(directory.FullName);
        try
        {
            var port = LinuxStreamDevicesTests.FreePort();
            using var peer = PeerProcess.Start("stream-echo");
            Grant(peer, $"tcp-listen://127.0.0.1:{port}?connectionsMax=2");
            Grant(peer, $"serial://{directory.FullName}/a?baud=19200");
            using var platform = new PacedPlatform(1, new NoDevices());
            var echo = new EchoPeer();
            using var echoListener = platform.Streams.Listen(DeviceUri.Parse($"tcp-listen://127.0.0.1:{LinuxStreamDevicesTests.FreePort()}"), echo);
            var connectUri = "tcp://" + echoListener.LocalEndpoint;
            peer.SendGrant(new CapabilityGrant(CapabilityKind.Device, "ready " + connectUri, Rights.None, 0, 0, 0));
            var report = new Report();
            var kernel = new Thread(() => ActAsKernel(peer, connectUri, report)) { IsBackground = true };
            kernel.Start();

            var tcp = new EchoClient(platform, 50);
            var serial = new EchoClient(platform, 20);
            using var tcpChannel = platform.Streams.Open(DeviceUri.Parse($"tcp://127.0.0.1:{port}"), tcp);
            using var serialChannel = platform.Streams.Open(DeviceUri.Parse($"serial://{directory.FullName}/b?baud=19200"), serial);
            LinuxStreamDevicesTests.RunWhile(platform, () => !(tcp.Done && serial.Done && report.Text is not null));

            Assert.True(tcp.Done, $"tcp: {string.Join(", ", tcp.Links)}\n{peer.Stderr}");
            Assert.True(serial.Done, $"serial: {string.Join(", ", serial.Links)}\n{peer.Stderr}");
            Assert.True(report.Text is not null, peer.Stderr);
            Assert.Equal("connect Down AccessDenied; listen EACCES; client echoes 10 or more", report.Text);
            Assert.Equal(0, peer.CloseAndWait());
        }
        finally
        {
            socat.Kill();
            socat.WaitForExit();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Open_BusyPort_ThrowsNamingTheServiceAndTheAddress()
    {
        var port = LinuxStreamDevicesTests.FreePort();
        using var first = DeviceGrants.Open("slave", $"tcp-listen://127.0.0.1:{port}");

        var error = Assert.Throws<LinuxErrnoException>(() => DeviceGrants.Open("slave", $"tcp-listen://127.0.0.1:{port}"));

        Assert.Contains("service 'slave'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Null(DeviceGrants.Open("master", "modbus-tcp://127.0.0.1:502?unit=1"));
    }

    /// <summary>Answers the peer's connect requests, allowing only <paramref name="allowed"/>, until it reports.</summary>
    private static void ActAsKernel(PeerProcess peer, string allowed, Report report)
    {
        while (IsolationProtocol.Receive(peer.Socket) is { } message)
        {
            if (message.Type == IsolationProtocol.ConnectRequest)
            {
                KernelConnects.Answer(peer.Socket, uri => uri == allowed, message.Body);
            }
            else if (message.Type == IsolationProtocol.Text)
            {
                report.Text = System.Text.Encoding.UTF8.GetString(message.Body);
                return;
            }
        }
    }

    private static void Grant(PeerProcess peer, string uri)
    {
        using var fd = DeviceGrants.Open("echo", uri)!;
        peer.SendGrant(new CapabilityGrant(CapabilityKind.Device, uri, Rights.Read | Rights.Write, 0, 0, 0), fd);
    }

    /// <summary>The peer's one report line, set by the thread that plays the kernel.</summary>
    private sealed class Report
    {
        private volatile string? text;

        public string? Text
        {
            get => text;
            set => text = value;
        }
    }
}
