using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Linux.Devices;

/// <summary>
/// Stream devices on the real-time event loop: outgoing and listening IPv4 TCP sockets and termios
/// serial lines, each a non-blocking descriptor in the loop's <see cref="LoopReactor"/>, so their
/// callbacks run on the loop thread between the loop's other events.
/// </summary>
public sealed unsafe class LinuxStreamDevices(LoopReactor reactor, IPlatform platform) : IStreamDeviceProvider
{
    internal LoopReactor Reactor => reactor;

    internal IPlatform Platform => platform;

    public IStreamChannel Open(DeviceAddress address, IStreamHandler handler)
    {
        StreamAddressChecks.RequireOpenable(address);
        ArgumentNullException.ThrowIfNull(handler);

        return LinuxStreamChannel.Open(this, address, handler);
    }

    public IStreamListener Listen(DeviceAddress address, IListenerHandler handler)
    {
        StreamAddressChecks.RequireListenable(address);
        ArgumentNullException.ThrowIfNull(handler);

        return new LinuxStreamListener(this, address, handler);
    }

    /// <summary>Small request/response protocols (Modbus, OPC UA) want each write on the wire now, not after Nagle's delay.</summary>
    internal static void SetNoDelay(int fd)
    {
        var one = 1;
        _ = DeviceNative.setsockopt(fd, DeviceNative.IPPROTO_TCP, DeviceNative.TCP_NODELAY, &one, sizeof(int));
    }
}

/// <summary>A bound, listening socket; accepts on readiness, and closes at once what is over its maximum.</summary>
internal sealed unsafe class LinuxStreamListener : IStreamListener, IFdReadyCallback
{
    private readonly LinuxStreamDevices devices;
    private readonly DeviceAddress address;
    private readonly IListenerHandler handler;
    private readonly FdRegistration registration;
    private readonly Action connectionClosed;
    private int fd;

    public LinuxStreamListener(LinuxStreamDevices devices, DeviceAddress address, IListenerHandler handler)
    {
        this.devices = devices;
        this.address = address;
        this.handler = handler;
        connectionClosed = () => Connections--;
        fd = Bind(address);
        LocalEndpoint = LocalAddress(fd);
        registration = devices.Reactor.Register(fd, FdEvents.Readable, this);
    }

    public string Uri => address.Text;

    public string LocalEndpoint { get; }

    public int ConnectionsMax => address.ConnectionsMax;

    public int Connections { get; private set; }

    public long Refused { get; private set; }

    public void OnFdReady(FdEvents events)
    {
        while (fd >= 0)
        {
            DeviceNative.SockaddrIn peer;
            var length = sizeof(DeviceNative.SockaddrIn);
            var connection = DeviceNative.accept4(fd, &peer, &length, DeviceNative.SOCK_NONBLOCK | DeviceNative.SOCK_CLOEXEC);
            if (connection < 0)
            {
                // EAGAIN: none left; any other error (ECONNABORTED, EMFILE) drops that one attempt.
                return;
            }

            Offer(connection, peer.Text());
        }
    }

    public void Dispose()
    {
        if (fd < 0)
        {
            return;
        }

        registration.Dispose();
        _ = DeviceNative.close(fd);
        fd = -1;
    }

    private void Offer(int connection, string peer)
    {
        if (Connections >= ConnectionsMax)
        {
            Refused++;
            _ = DeviceNative.close(connection);
            return;
        }

        LinuxStreamDevices.SetNoDelay(connection);
        var channel = LinuxStreamChannel.Accepted(devices, address, connection, peer);
        Connections++;
        channel.OnClosed = connectionClosed;
        var serviceHandler = handler.OnAccepted(channel);
        if (serviceHandler is null)
        {
            channel.Dispose();
            return;
        }

        channel.Bind(serviceHandler);
    }

    private static int Bind(DeviceAddress address)
    {
        var fd = DeviceNative.socket(DeviceNative.AF_INET, DeviceNative.SOCK_STREAM | DeviceNative.SOCK_NONBLOCK | DeviceNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new LinuxErrnoException("socket(AF_INET)", DeviceNative.LastErrno, "EMFILE: raise files.openMax");
        }

        var one = 1;
        _ = DeviceNative.setsockopt(fd, DeviceNative.SOL_SOCKET, DeviceNative.SO_REUSEADDR, &one, sizeof(int));
        var local = DeviceNative.SockaddrIn.Of(address.Ipv4, address.Port);
        if (DeviceNative.bind(fd, &local, sizeof(DeviceNative.SockaddrIn)) < 0 || DeviceNative.listen(fd, address.ConnectionsMax) < 0)
        {
            var errno = DeviceNative.LastErrno;
            _ = DeviceNative.close(fd);
            throw new LinuxErrnoException($"bind/listen {address.Endpoint} for {address.Text}", errno, "EADDRINUSE: another program listens there; EACCES: ports below 1024 need CAP_NET_BIND_SERVICE");
        }

        return fd;
    }

    private static string LocalAddress(int fd)
    {
        DeviceNative.SockaddrIn local;
        var length = sizeof(DeviceNative.SockaddrIn);
        return DeviceNative.getsockname(fd, &local, &length) == 0 ? local.Text() : "?";
    }
}
