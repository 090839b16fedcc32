using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Linux.Devices;

/// <summary>
/// Stream devices on the real-time event loop: outgoing and listening IPv4 TCP sockets and termios
/// serial lines, each a non-blocking descriptor in the loop's <see cref="LoopReactor"/>, so their
/// callbacks run on the loop thread between the loop's other events.
/// </summary>
public sealed class LinuxStreamDevices(LoopReactor reactor, IPlatform platform, IStreamFdSource? fds = null) : IStreamDeviceProvider
{
    /// <summary>Where descriptors come from: opened here, unless the kernel hands them over (an isolated service).</summary>
    internal IStreamFdSource Fds { get; } = fds ?? OwnStreamFds.Instance;

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
        fd = Bind(devices, address);
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

        DeviceFds.SetNoDelay(connection);
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

    private static int Bind(LinuxStreamDevices devices, DeviceAddress address)
    {
        var errno = devices.Fds.BindListener(address, out var fd);
        if (errno != 0)
        {
            throw new LinuxErrnoException($"bind/listen {address.Endpoint} for {address.Text}", errno, "EADDRINUSE: another program listens there; EACCES: ports below 1024 need CAP_NET_BIND_SERVICE, or the kernel granted no such listener");
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
