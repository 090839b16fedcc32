namespace Neokernel.Kernel.Devices;

// The channel model: the one place a driver, a gateway or a test peer meets the world's bytes.
//
//   service ──Read/Write(span)──▶ IStreamChannel ──▶ provider: virtual network / serial line (sim)
//      ▲                                 │                       socket / tty fd on epoll (Linux)
//      └── IStreamHandler callbacks ◀────┘  on the service's event loop, one at a time
//
// Nothing here blocks and nothing throws for an I/O condition: a read or write returns an
// IoResult (bytes, would-block, closed, error with a reason), and the state of the link
// (connecting, up, down) changes through a callback. A driver therefore never needs a try block
// around its data path, and a dead peer is a state to handle, not a fault that restarts it.

/// <summary>What a read or write did.</summary>
public enum IoStatus
{
    /// <summary><see cref="IoResult.Bytes"/> bytes moved (more than 0).</summary>
    Done,

    /// <summary>Nothing to read, or no room to write, now; a readiness callback comes when there is.</summary>
    WouldBlock,

    /// <summary>The link is down (the peer closed, or it never came up): nothing moves until it reconnects.</summary>
    Closed,

    /// <summary>The operation failed; <see cref="IoResult.Error"/> says why, and the link went down.</summary>
    Failed,
}

/// <summary>Why a link went down or an operation failed: the errno-like reasons a driver acts on.</summary>
public enum DeviceError
{
    None,

    /// <summary>Nobody listens at the address (ECONNREFUSED).</summary>
    ConnectionRefused,

    /// <summary>The connection did not come up within its timeout (ETIMEDOUT).</summary>
    TimedOut,

    /// <summary>The peer closed its side in order.</summary>
    ClosedByPeer,

    /// <summary>The peer reset the connection (ECONNRESET, EPIPE).</summary>
    ConnectionReset,

    /// <summary>No route to the host or network (EHOSTUNREACH, ENETUNREACH).</summary>
    Unreachable,

    /// <summary>The address is in use (EADDRINUSE) or cannot be assigned (EADDRNOTAVAIL).</summary>
    AddressInUse,

    /// <summary>The device or address is not there (ENOENT, ENXIO, ENODEV).</summary>
    NotFound,

    /// <summary>The OS refused access (EACCES, EPERM).</summary>
    AccessDenied,

    /// <summary>The listener holds its maximum of connections; the newcomer was closed at once.</summary>
    ConnectionsFull,

    /// <summary>The channel was closed by its owner.</summary>
    Disposed,

    /// <summary>Another I/O error (EIO and the rest); <see cref="IoResult.Errno"/> holds the OS number when there is one.</summary>
    Io,
}

/// <summary>The state of a link. Outgoing channels start <see cref="Connecting"/>; accepted ones start <see cref="Up"/>.</summary>
public enum LinkState
{
    Connecting,
    Up,
    Down,
}

/// <summary>The outcome of one read or write, as a value. <see cref="Errno"/> is the OS number on Linux, 0 in simulation.</summary>
public readonly record struct IoResult(IoStatus Status, int Bytes, DeviceError Error, int Errno)
{
    public static IoResult WouldBlock => new(IoStatus.WouldBlock, 0, DeviceError.None, 0);

    public static IoResult Done(int bytes) => new(IoStatus.Done, bytes, DeviceError.None, 0);

    public static IoResult Closed(DeviceError reason) => new(IoStatus.Closed, 0, reason, 0);

    public static IoResult Failed(DeviceError reason, int errno) => new(IoStatus.Failed, 0, reason, errno);

    public bool IsDone => Status == IoStatus.Done;
}

/// <summary>
/// Callbacks of a channel, run on the service's event loop and never concurrently with its other
/// callbacks (cyclic body, messages, timers). They must not block; they must not allocate once
/// running, like any data-plane code.
/// </summary>
public interface IStreamHandler
{
    /// <summary>The link changed state; <paramref name="reason"/> says why it went down (None otherwise).</summary>
    void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason);

    /// <summary>There is data to read (level-triggered: called again while some is left unread).</summary>
    void OnReadable(IStreamChannel channel);

    /// <summary>Room to write came back after a write returned <see cref="IoStatus.WouldBlock"/> or wrote less than asked.</summary>
    void OnWritable(IStreamChannel channel);
}

/// <summary>
/// A byte stream: an outgoing TCP connection, an accepted one, or a serial line. Non-blocking;
/// reads and writes copy between spans and the platform and allocate nothing.
/// </summary>
public interface IStreamChannel : IDisposable
{
    /// <summary>The device URI it was opened by (for an accepted connection: the listener's, with the peer in <see cref="Peer"/>).</summary>
    string Uri { get; }

    /// <summary>The far end, e.g. <c>127.0.0.1:40312</c>, or the device path of a serial line.</summary>
    string Peer { get; }

    LinkState State { get; }

    /// <summary>Why the link last went down; None while it is up.</summary>
    DeviceError LastError { get; }

    /// <summary>Copies what has arrived into <paramref name="buffer"/>.</summary>
    IoResult Read(Span<byte> buffer);

    /// <summary>Queues <paramref name="data"/> for sending; may take less than all of it (then <see cref="IStreamHandler.OnWritable"/> follows).</summary>
    IoResult Write(ReadOnlySpan<byte> data);

    /// <summary>
    /// Starts connecting again after the link went down, on a fresh connection. False when this
    /// channel cannot reconnect (an accepted connection, a disposed channel) or is not down.
    /// Backoff is the driver's: it decides when to call this.
    /// </summary>
    bool Reconnect();
}

/// <summary>Decides about each connection a listener accepts, on the service's event loop.</summary>
public interface IListenerHandler
{
    /// <summary>
    /// A peer connected; return the handler for its callbacks, or null to close it at once. The
    /// listener already closed connections beyond its maximum (<see cref="DeviceError.ConnectionsFull"/>).
    /// </summary>
    IStreamHandler? OnAccepted(IStreamChannel connection);
}

/// <summary>A listening socket: accepts up to <see cref="ConnectionsMax"/> connections at once, each a channel.</summary>
public interface IStreamListener : IDisposable
{
    string Uri { get; }

    /// <summary>The bound address, e.g. <c>127.0.0.1:1502</c>.</summary>
    string LocalEndpoint { get; }

    int ConnectionsMax { get; }

    /// <summary>Connections open now (accepted and not yet closed).</summary>
    int Connections { get; }

    /// <summary>Connections closed at once because <see cref="ConnectionsMax"/> were open.</summary>
    long Refused { get; }
}

/// <summary>
/// Opens stream devices: the virtual network and serial lines in simulation, sockets and ttys on
/// the Linux loop. Both take an address the URI grammar already checked, so opening never
/// re-parses, and neither throws for a peer that is not there: that is a link going down.
/// Neither calls a handler from inside <see cref="Open"/> or <see cref="Listen"/>: the first
/// callback comes from the event loop afterwards.
/// </summary>
public interface IStreamDeviceProvider
{
    /// <summary>Opens an outgoing connection or a serial line; the channel reports when its link is up.</summary>
    IStreamChannel Open(DeviceAddress address, IStreamHandler handler);

    /// <summary>Binds and listens; throws only if the address cannot be bound (a configuration error, faulting the service's start).</summary>
    IStreamListener Listen(DeviceAddress address, IListenerHandler handler);
}

/// <summary>The checks every <see cref="IStreamDeviceProvider"/> makes of the address it is handed.</summary>
public static class StreamAddressChecks
{
    public static void RequireOpenable(DeviceAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Transport is not (DeviceTransport.TcpConnect or DeviceTransport.Serial))
        {
            throw new ArgumentException($"'{address.Text}' {address.Describe()}: open a listener with Listen, a register bank on the device bus", nameof(address));
        }
    }

    public static void RequireListenable(DeviceAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Transport != DeviceTransport.TcpListen)
        {
            throw new ArgumentException($"'{address.Text}' {address.Describe()}: only a listening address can be listened on", nameof(address));
        }
    }
}
