using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Linux.Devices;

/// <summary>
/// A stream device on the Linux loop: a non-blocking TCP socket or tty, registered edge-triggered
/// in the <see cref="LoopReactor"/>. Readiness callbacks run from the reactor's dispatch; every
/// link change is told from a platform timer due at once, so a handler is never called from
/// inside its own read or write, nor from inside <see cref="LinuxStreamDevices.Open"/>. Reads and
/// writes are one syscall on a pinned span and allocate nothing.
/// </summary>
internal sealed unsafe class LinuxStreamChannel : IStreamChannel, IFdReadyCallback, ITimerCallback, IConnectWaiter
{
    /// <summary>EPOLLET: told once per change, so a handler reads until would-block, as in the simulation.</summary>
    private const FdEvents EdgeTriggered = (FdEvents)0x8000_0000;

    private const FdEvents Interest = FdEvents.Readable | FdEvents.Writable | FdEvents.PeerClosed | EdgeTriggered;

    private readonly LinuxStreamDevices devices;
    private readonly DeviceAddress address;
    private readonly IPlatformTimer linkTimer;
    private readonly bool accepted;
    private IStreamHandler? handler;
    private FdRegistration? registration;
    private int fd = -1;
    private bool writeBlocked;
    private bool notifyPending;
    private bool disposed;
    private long timeoutDueNs = long.MaxValue;

    private LinuxStreamChannel(LinuxStreamDevices devices, DeviceAddress address, IStreamHandler? handler, string peer, bool accepted)
    {
        this.devices = devices;
        this.address = address;
        this.handler = handler;
        this.accepted = accepted;
        Peer = peer;
        linkTimer = devices.Platform.CreateTimer(this);
    }

    public string Uri => address.Text;

    public string Peer { get; }

    public LinkState State { get; private set; }

    public DeviceError LastError { get; private set; }

    /// <summary>Set by a listener: run once when this accepted connection closes.</summary>
    public Action? OnClosed { get; set; }

    private bool IsSocket => address.Transport != DeviceTransport.Serial;

    public static LinuxStreamChannel Open(LinuxStreamDevices devices, DeviceAddress address, IStreamHandler handler)
    {
        var peer = address.Transport == DeviceTransport.Serial ? address.Path : address.Endpoint;
        var channel = new LinuxStreamChannel(devices, address, handler, peer, accepted: false);
        channel.Start();
        return channel;
    }

    public static LinuxStreamChannel Accepted(LinuxStreamDevices devices, DeviceAddress listener, int fd, string peer)
    {
        var channel = new LinuxStreamChannel(devices, listener, null, peer, accepted: true) { State = LinkState.Up };
        channel.fd = fd;
        return channel;
    }

    /// <summary>Starts watching an accepted connection once its service named a handler.</summary>
    public void Bind(IStreamHandler serviceHandler)
    {
        handler = serviceHandler;
        registration = devices.Reactor.Register(fd, Interest, this);
    }

    public IoResult Read(Span<byte> buffer)
    {
        if (fd < 0)
        {
            return IoResult.Closed(LastError);
        }

        nint count;
        fixed (byte* bytes = buffer)
        {
            count = DeviceNative.read(fd, bytes, (nuint)buffer.Length);
        }

        if (count > 0)
        {
            return IoResult.Done((int)count);
        }

        if (count == 0 && buffer.Length > 0)
        {
            GoDown(DeviceError.ClosedByPeer);
            return IoResult.Closed(DeviceError.ClosedByPeer);
        }

        return Failure(DeviceNative.LastErrno);
    }

    public IoResult Write(ReadOnlySpan<byte> data)
    {
        if (State != LinkState.Up)
        {
            return IoResult.Closed(State == LinkState.Connecting ? DeviceError.None : LastError);
        }

        nint count;
        fixed (byte* bytes = data)
        {
            count = IsSocket
                ? DeviceNative.send(fd, bytes, (nuint)data.Length, DeviceNative.MSG_NOSIGNAL)
                : DeviceNative.write(fd, bytes, (nuint)data.Length);
        }

        if (count >= 0)
        {
            writeBlocked = count < data.Length;
            return count == 0 ? IoResult.WouldBlock : IoResult.Done((int)count);
        }

        var errno = DeviceNative.LastErrno;
        writeBlocked = errno == Errnos.EAGAIN;
        return Failure(errno);
    }

    public bool Reconnect()
    {
        if (disposed || accepted || State != LinkState.Down)
        {
            return false;
        }

        Start();
        return true;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        linkTimer.Cancel();
        CloseFd();
        State = LinkState.Down;
        LastError = LastError == DeviceError.None ? DeviceError.Disposed : LastError;
        OnClosed?.Invoke();
        OnClosed = null;
    }

    public void OnFdReady(FdEvents events)
    {
        if (State == LinkState.Connecting)
        {
            FinishConnect();
            return;
        }

        if ((events & (FdEvents.Readable | FdEvents.PeerClosed | FdEvents.HangUp | FdEvents.Error)) != 0)
        {
            handler?.OnReadable(this);
        }

        if ((events & FdEvents.Writable) != 0 && writeBlocked && State == LinkState.Up)
        {
            writeBlocked = false;
            handler?.OnWritable(this);
        }

        if ((events & (FdEvents.HangUp | FdEvents.Error)) != 0 && State == LinkState.Up && Unread() == 0)
        {
            // The handler read what was left; a hang-up with nothing left to read is the link ending.
            GoDown(IsSocket ? SocketError() : DeviceError.ClosedByPeer);
        }
    }

    public void OnTimer(long nowNs)
    {
        if (State == LinkState.Connecting && nowNs >= timeoutDueNs)
        {
            CloseFd();
            State = LinkState.Down;
            LastError = DeviceError.TimedOut;
            notifyPending = true;
        }

        if (notifyPending)
        {
            notifyPending = false;
            handler?.OnLinkChanged(this, State, State == LinkState.Down ? LastError : DeviceError.None);
        }
    }

    private void Start()
    {
        State = LinkState.Connecting;
        LastError = DeviceError.None;
        writeBlocked = false;
        var errno = address.Transport == DeviceTransport.Serial ? OpenSerial() : StartConnect();
        if (errno == 0 && State == LinkState.Connecting && address.Transport != DeviceTransport.Serial)
        {
            timeoutDueNs = devices.Platform.Clock.NowNs + (address.ConnectTimeoutMs * 1_000_000);
            linkTimer.ArmAt(timeoutDueNs);
            return;
        }

        if (errno != 0)
        {
            CloseFd();
            State = LinkState.Down;
            LastError = DeviceNative.ErrorOf(errno);
        }

        Notify();
    }

    /// <summary>Begins a non-blocking connect; 0 when it is under way or done, else the errno.</summary>
    private int StartConnect()
    {
        var errno = devices.Fds.StartConnect(address, this, out fd, out var connected);
        if (errno == DeviceNative.EINPROGRESS && fd < 0)
        {
            // The kernel connects for this process: the socket comes to OnConnectFd.
            State = LinkState.Connecting;
            return 0;
        }

        if (errno != 0)
        {
            return errno;
        }

        registration = devices.Reactor.Register(fd, Interest, this);
        State = connected ? LinkState.Up : LinkState.Connecting;
        return 0;
    }

    /// <summary>Opens and configures the tty; 0 or the errno.</summary>
    private int OpenSerial()
    {
        var errno = devices.Fds.OpenSerial(address, out fd);
        if (errno != 0)
        {
            return errno;
        }

        registration = devices.Reactor.Register(fd, Interest, this);
        State = LinkState.Up;
        return 0;
    }

    public void OnConnectFd(int connectingFd, int errno)
    {
        if (disposed || State != LinkState.Connecting || fd >= 0)
        {
            // Late: the attempt timed out, or the channel closed, before the socket came.
            DeviceFds.Close(ref connectingFd);
            return;
        }

        if (errno != 0)
        {
            linkTimer.Cancel();
            State = LinkState.Down;
            LastError = DeviceNative.ErrorOf(errno);
            Notify();
            return;
        }

        fd = connectingFd;
        registration = devices.Reactor.Register(fd, Interest, this);
    }

    private void FinishConnect()
    {
        var error = SocketErrno();
        linkTimer.Cancel();
        if (error != 0)
        {
            CloseFd();
            State = LinkState.Down;
            LastError = DeviceNative.ErrorOf(error);
        }
        else
        {
            State = LinkState.Up;
        }

        Notify();
    }

    private IoResult Failure(int errno)
    {
        if (errno == Errnos.EAGAIN)
        {
            return IoResult.WouldBlock;
        }

        var reason = DeviceNative.ErrorOf(errno);
        GoDown(reason);
        return IoResult.Failed(reason, errno);
    }

    private void GoDown(DeviceError reason)
    {
        if (State == LinkState.Down)
        {
            return;
        }

        CloseFd();
        State = LinkState.Down;
        LastError = reason;
        Notify();
        if (accepted)
        {
            OnClosed?.Invoke();
            OnClosed = null;
        }
    }

    /// <summary>Tells the handler the link's state from the next event, never from inside the call that changed it.</summary>
    private void Notify()
    {
        timeoutDueNs = long.MaxValue;
        notifyPending = true;
        linkTimer.ArmAt(devices.Platform.Clock.NowNs);
    }

    private int Unread()
    {
        var count = 0;
        return fd >= 0 && DeviceNative.ioctl(fd, DeviceNative.FIONREAD, &count) == 0 ? count : 0;
    }

    private int SocketErrno()
    {
        int error = 0, length = sizeof(int);
        return DeviceNative.getsockopt(fd, DeviceNative.SOL_SOCKET, DeviceNative.SO_ERROR, &error, &length) == 0 ? error : DeviceNative.LastErrno;
    }

    private DeviceError SocketError()
    {
        var errno = SocketErrno();
        return errno == 0 ? DeviceError.ClosedByPeer : DeviceNative.ErrorOf(errno);
    }

    private void CloseFd()
    {
        registration?.Dispose();
        registration = null;
        if (fd >= 0)
        {
            _ = DeviceNative.close(fd);
            fd = -1;
        }
    }
}
