using System.Net.Sockets;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Rt.TestPeer;

/// <summary>
/// <c>stream-echo</c>: an isolated service's process as the kernel leaves it, holding only the
/// stream descriptors the test handed over. It receives grants (a CapabilityGrant named by URI
/// and one fd each) until one named <c>ready URI</c>, then echoes every byte on each granted
/// listener's connections and each granted serial line, asks the test (as the kernel) to connect
/// it to URI and echoes through it, and reports what a connect and a listen it was not granted
/// get. It runs its paced loop until the test closes the socket.
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
        var connectUri = "";
        while (true)
        {
            var (grant, handles) = Wire.ReceiveGrant(socket);
            if (grant.Name.StartsWith("ready ", StringComparison.Ordinal))
            {
                connectUri = grant.Name["ready ".Length..];
                break;
            }

            fds.Add(grant.Name, handles[0]);
            uris.Add(grant.Name);
        }

        using var platform = new PacedPlatform(1, new NoDevices()) { StreamFds = fds };
        fds.ConnectThrough(socket, platform.Post);
        var echo = new Echo();
        var opened = new List<IDisposable>();
        foreach (var uri in uris)
        {
            var address = DeviceUri.Parse(uri);
            opened.Add(address.Transport == DeviceTransport.TcpListen ? platform.Streams.Listen(address, echo) : platform.Streams.Open(address, echo));
        }

        // The one outgoing connection the "manifest" names (the test answers as the kernel), and one it does not.
        var client = new Client();
        using var granted = platform.Streams.Open(DeviceUri.Parse(connectUri), client);
        using var refused = platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:9"), new Echo());
        var listen = TryListen(platform, "tcp-listen://127.0.0.1:1?connectionsMax=1");
        using var stop = new CancellationTokenSource();
        var reader = new Thread(() =>
        {
            while (IsolationProtocol.Receive(socket) is { } message && fds.TryDeliver(message.Type, message.Body, message.Fds))
            {
            }

            stop.Cancel();
            platform.Post(static () => { });
        }) { IsBackground = true };
        reader.Start();
        var endNs = platform.NowNs + 5_000_000_000;
        while (!stop.IsCancellationRequested && (client.Echoes < 10 || refused.State != LinkState.Down) && platform.NowNs < endNs)
        {
            platform.RunUntil(platform.NowNs + 10_000_000, stop.Token);
        }

        IsolationProtocol.SendText(socket, $"connect {refused.State} {refused.LastError}; listen {listen}; client echoes {(client.Echoes >= 10 ? "10 or more" : client.Echoes.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
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

    /// <summary>Writes 8 bytes whenever the last 8 came back.</summary>
    private sealed class Client : IStreamHandler
    {
        private readonly byte[] buffer = new byte[64];
        private int pending;

        public int Echoes { get; private set; }

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
            if (state == LinkState.Up)
            {
                pending = channel.Write(buffer.AsSpan(0, 8)).Bytes;
            }
        }

        public void OnReadable(IStreamChannel channel)
        {
            while (channel.Read(buffer) is { IsDone: true, Bytes: var count })
            {
                pending -= count;
                if (pending == 0)
                {
                    Echoes++;
                    pending = channel.Write(buffer.AsSpan(0, 8)).Bytes;
                }
            }
        }

        public void OnWritable(IStreamChannel channel)
        {
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
