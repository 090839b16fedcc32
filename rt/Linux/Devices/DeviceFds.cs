using Neokernel.Kernel.Devices;

namespace Neokernel.Rt.Linux.Devices;

/// <summary>
/// Opens the descriptor behind a stream device: a non-blocking connecting socket, a bound
/// listening socket, a configured tty. The kernel's process uses these for its own services and
/// for what it hands isolated services (rt/Linux/Isolation/DeviceGrants.cs); each returns 0 or
/// the errno, never throws.
/// </summary>
public static unsafe class DeviceFds
{
    /// <summary>Starts a non-blocking connect; <paramref name="connected"/> when it finished at once (loopback may).</summary>
    public static int StartConnect(DeviceAddress address, out int fd, out bool connected)
    {
        ArgumentNullException.ThrowIfNull(address);
        connected = false;
        fd = DeviceNative.socket(DeviceNative.AF_INET, DeviceNative.SOCK_STREAM | DeviceNative.SOCK_NONBLOCK | DeviceNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return DeviceNative.LastErrno;
        }

        SetNoDelay(fd);
        var target = DeviceNative.SockaddrIn.Of(address.Ipv4, address.Port);
        var result = DeviceNative.connect(fd, &target, sizeof(DeviceNative.SockaddrIn));
        var errno = result == 0 ? 0 : DeviceNative.LastErrno;
        if (errno is not (0 or DeviceNative.EINPROGRESS))
        {
            Close(ref fd);
            return errno;
        }

        connected = result == 0;
        return 0;
    }

    /// <summary>Binds and listens with a backlog of the address's connectionsMax.</summary>
    public static int BindListener(DeviceAddress address, out int fd)
    {
        ArgumentNullException.ThrowIfNull(address);
        fd = DeviceNative.socket(DeviceNative.AF_INET, DeviceNative.SOCK_STREAM | DeviceNative.SOCK_NONBLOCK | DeviceNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return DeviceNative.LastErrno;
        }

        var one = 1;
        _ = DeviceNative.setsockopt(fd, DeviceNative.SOL_SOCKET, DeviceNative.SO_REUSEADDR, &one, sizeof(int));
        var local = DeviceNative.SockaddrIn.Of(address.Ipv4, address.Port);
        if (DeviceNative.bind(fd, &local, sizeof(DeviceNative.SockaddrIn)) < 0 || DeviceNative.listen(fd, address.ConnectionsMax) < 0)
        {
            var errno = DeviceNative.LastErrno;
            Close(ref fd);
            return errno;
        }

        return 0;
    }

    /// <summary>Opens the tty non-blocking, exclusive, raw, with the address's framing.</summary>
    public static int OpenSerial(DeviceAddress address, out int fd)
    {
        ArgumentNullException.ThrowIfNull(address);
        fd = DeviceNative.open(address.Path, DeviceNative.O_RDWR | DeviceNative.O_NOCTTY | DeviceNative.O_NONBLOCK | DeviceNative.O_CLOEXEC);
        if (fd < 0)
        {
            return DeviceNative.LastErrno;
        }

        var errno = SerialLine.Configure(fd, address.Serial);
        if (errno != 0)
        {
            Close(ref fd);
        }

        return errno;
    }

    /// <summary>Small request/response protocols (Modbus, OPC UA) want each write on the wire now, not after Nagle's delay.</summary>
    internal static void SetNoDelay(int fd)
    {
        var one = 1;
        _ = DeviceNative.setsockopt(fd, DeviceNative.IPPROTO_TCP, DeviceNative.TCP_NODELAY, &one, sizeof(int));
    }

    internal static void Close(ref int fd)
    {
        if (fd >= 0)
        {
            _ = DeviceNative.close(fd);
            fd = -1;
        }
    }
}

/// <summary>Told, on the loop thread, the descriptor of a connection another process started for this channel.</summary>
public interface IConnectWaiter
{
    /// <summary><paramref name="fd"/> is a connecting (or connected) socket this channel now owns, or -1 with the <paramref name="errno"/> why not.</summary>
    void OnConnectFd(int fd, int errno);
}

/// <summary>Where a channel's descriptors come from: opened in this process, or handed over by the kernel.</summary>
public interface IStreamFdSource
{
    /// <summary>
    /// 0 and a connecting socket; or EINPROGRESS with no socket yet, which then comes to
    /// <paramref name="waiter"/> (the kernel connects for an isolated service); or the errno.
    /// </summary>
    int StartConnect(DeviceAddress address, IConnectWaiter waiter, out int fd, out bool connected);

    /// <summary>0 and a listening socket, or the errno.</summary>
    int BindListener(DeviceAddress address, out int fd);

    /// <summary>0 and a configured tty, or the errno.</summary>
    int OpenSerial(DeviceAddress address, out int fd);
}

/// <summary>Descriptors opened here, by <see cref="DeviceFds"/>.</summary>
public sealed class OwnStreamFds : IStreamFdSource
{
    public static OwnStreamFds Instance { get; } = new();

    public int StartConnect(DeviceAddress address, IConnectWaiter waiter, out int fd, out bool connected) => DeviceFds.StartConnect(address, out fd, out connected);

    public int BindListener(DeviceAddress address, out int fd) => DeviceFds.BindListener(address, out fd);

    public int OpenSerial(DeviceAddress address, out int fd) => DeviceFds.OpenSerial(address, out fd);
}
