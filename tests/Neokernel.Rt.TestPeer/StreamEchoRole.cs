using System.Net.Sockets;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Rt.TestPeer;

/// <summary>
/// <c>stream-echo</c>: an isolated service's process as the kernel leaves it, holding only the
/// stream descriptors the test handed over. It receives grants (a CapabilityGrant named by URI
/// and one fd each) until the text <c>ready</c>, then echoes every byte on each granted listener's
/// connections and each granted serial line, and reports what a connect and a listen it was not
/// granted get. It runs its paced loop until the test closes the socket.
/// </summary>
internal static class StreamEchoRole
{
    private sealed class NoDevices : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException(uri);
    }

    public static int Run(Socket socket)
    {
        var fds = new GrantedStreamFds();
        var uris = new List<string>();
        while (true)
        {
            var (grant, handles) = Wire.ReceiveGrant(socket);
            if (grant.Name == "ready")
            {
                break;
            }

            fds.Add(grant.Name, handles[0]);
            uris.Add(grant.Name);
        }

        using var platform = new PacedPlatform(1, new NoDevices()) { StreamFds = fds };
        var echo = new Echo();
        var opened = new List<IDisposable>();
        foreach (var uri in uris)
        {
            var address = DeviceUri.Parse(uri);
            opened.Add(address.Transport == DeviceTransport.TcpListen ? platform.Streams.Listen(address, echo) : platform.Streams.Open(address, echo));
        }

        var refused = new Echo();
        using var connect = platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:9"), refused);
        var listen = TryListen(platform, "tcp-listen://127.0.0.1:1?connectionsMax=1");
        platform.RunUntil(platform.NowNs + 50_000_000);
        Wire.SendText(socket, $"connect {connect.State} {connect.LastError}; listen {listen}");
        using var stop = new CancellationTokenSource();
        var watcher = new Thread(() =>
        {
            _ = Wire.ReceiveText(socket, out _);
            stop.Cancel();
            platform.Post(static () => { });
        }) { IsBackground = true };
        watcher.Start();
        platform.RunUntil(long.MaxValue, stop.Token);
        opened.ForEach(o => o.Dispose());
        return 0;
    }

    private static string TryListen(PacedPlatform platform, string uri)
    {
        try
        {
            using var listener = platform.Streams.Listen(DeviceUri.Parse(uri), new Echo());
            return "bound";
        }
        catch (LinuxErrnoException exception)
        {
            return exception.Errno == Errnos.EACCES ? "EACCES" : exception.Message;
        }
    }

    private sealed class Echo : IListenerHandler, IStreamHandler
    {
        private readonly byte[] buffer = new byte[4096];

        public IStreamHandler? OnAccepted(IStreamChannel connection) => this;

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
        }

        public void OnReadable(IStreamChannel channel)
        {
            while (channel.Read(buffer) is { IsDone: true, Bytes: var count })
            {
                _ = channel.Write(buffer.AsSpan(0, count));
            }
        }

        public void OnWritable(IStreamChannel channel)
        {
        }
    }
}
