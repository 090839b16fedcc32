using System.Diagnostics;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Simulation;

/// <summary>
/// One end of a virtual TCP connection or serial line. Its callbacks run from the simulation's
/// timed events, so they are serial with every other callback of every service. Reads and writes
/// copy between spans and pipe rings and allocate nothing; connecting and closing allocate a
/// pipe and are the control plane.
/// </summary>
internal sealed class VirtualChannel : IStreamChannel, IPipeReceiver, ITimerCallback
{
    private readonly VirtualNetwork network;
    private readonly DeviceAddress address;
    private readonly IPlatformTimer linkTimer;
    private readonly WritableNotice writable;
    private readonly bool accepted;
    private IStreamHandler? handler;
    private VirtualPipe? inbound;
    private VirtualChannel? peer;
    private LinkStep step;
    private long connectStartNs;
    private bool writeBlocked;
    private bool disposed;

    private VirtualChannel(VirtualNetwork network, DeviceAddress address, IStreamHandler? handler, string peerName, bool accepted)
    {
        this.network = network;
        this.address = address;
        this.handler = handler;
        this.accepted = accepted;
        Peer = peerName;
        linkTimer = network.Platform.CreateTimer(this);
        writable = new WritableNotice(this);
    }

    /// <summary>What the link timer does when it fires.</summary>
    private enum LinkStep
    {
        None,
        ConnectArrives,
        ConnectTimesOut,
        NotifyUp,
        NotifyDown,
    }

    public string Uri => address.Text;

    public string Peer { get; }

    public LinkState State { get; private set; }

    public DeviceError LastError { get; private set; }

    /// <summary>Set by a listener: run when this accepted end closes, to count it off.</summary>
    public Action? OnServerClosed { get; set; }

    private bool IsSerial => address.Transport == DeviceTransport.Serial;

    public static VirtualChannel Connect(VirtualNetwork network, DeviceAddress address, IStreamHandler handler)
    {
        var channel = new VirtualChannel(network, address, handler, address.Endpoint, accepted: false);
        channel.StartConnect();
        return channel;
    }

    public static VirtualChannel Accepted(VirtualNetwork network, DeviceAddress listener, string clientUri)
    {
        var channel = new VirtualChannel(network, listener, null, clientUri, accepted: true) { State = LinkState.Up };
        return channel;
    }

    public static VirtualChannel SerialEnd(VirtualNetwork network, DeviceAddress address, IStreamHandler handler)
    {
        var channel = new VirtualChannel(network, address, handler, address.Path, accepted: false) { State = LinkState.Up };
        channel.Schedule(LinkStep.NotifyUp, network.Platform.Clock.NowNs);
        return channel;
    }

    /// <summary>A device that is not there: down from the start, told on the next event.</summary>
    public static VirtualChannel Absent(VirtualNetwork network, DeviceAddress address, IStreamHandler handler, DeviceError reason)
    {
        var channel = new VirtualChannel(network, address, handler, address.Path, accepted: false) { State = LinkState.Down, LastError = reason };
        channel.Schedule(LinkStep.NotifyDown, network.Platform.Clock.NowNs);
        return channel;
    }

    /// <summary>Cables two ends together: each gets a fresh inbound pipe.</summary>
    public static void Join(VirtualChannel a, VirtualChannel b)
    {
        a.inbound = new VirtualPipe(a.network.Platform, a);
        b.inbound = new VirtualPipe(b.network.Platform, b);
        a.peer = b;
        b.peer = a;
    }

    public void Bind(IStreamHandler serviceHandler) => handler = serviceHandler;

    public IoResult Read(Span<byte> buffer)
    {
        if (inbound is { Readable: > 0 } pipe)
        {
            var count = pipe.Receive(buffer);
            peer?.writable.SpaceFreed();
            return IoResult.Done(count);
        }

        return State == LinkState.Down ? IoResult.Closed(LastError) : IoResult.WouldBlock;
    }

    public IoResult Write(ReadOnlySpan<byte> data)
    {
        if (State != LinkState.Up)
        {
            return IoResult.Closed(State == LinkState.Connecting ? DeviceError.None : LastError);
        }

        if (peer is null || peer.disposed)
        {
            // Nothing at the far end of the cable (or it just closed and its FIN is on its way): the bytes go nowhere.
            return IoResult.Done(data.Length);
        }

        var latencyNs = IsSerial ? network.SerialLatencyNs(data.Length, address.Serial) : network.NextLatencyNs();
        var sent = peer.inbound!.Send(data, latencyNs);
        writeBlocked = sent < data.Length;
        return sent == 0 ? IoResult.WouldBlock : IoResult.Done(sent);
    }

    public bool Reconnect()
    {
        if (disposed || accepted || IsSerial || State != LinkState.Down)
        {
            return false;
        }

        inbound = null;
        peer = null;
        StartConnect();
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
        writable.Cancel();
        if (peer is { disposed: false } other && State == LinkState.Up)
        {
            if (IsSerial)
            {
                other.peer = null;
            }
            else
            {
                other.inbound!.SendFin(network.NextLatencyNs());
            }
        }

        inbound?.Cut();
        State = LinkState.Down;
        LastError = LastError == DeviceError.None ? DeviceError.Disposed : LastError;
        if (IsSerial && LastError is not (DeviceError.NotFound or DeviceError.AccessDenied))
        {
            network.SerialClosed(this);
        }

        OnServerClosed?.Invoke();
    }

    /// <summary>A listener full of connections closes this accepted end before anyone sees it.</summary>
    public void CloseAsRefused()
    {
        LastError = DeviceError.ConnectionsFull;
        Dispose();
    }

    public void OnArrived(VirtualPipe pipe, bool bytes, bool fin)
    {
        if (disposed || pipe != inbound)
        {
            return;
        }

        if (bytes)
        {
            handler?.OnReadable(this);
        }

        if (fin && State == LinkState.Up && !disposed)
        {
            GoDown(DeviceError.ClosedByPeer);
        }
    }

    public void OnTimer(long nowNs)
    {
        var current = step;
        step = LinkStep.None;
        switch (current)
        {
            case LinkStep.ConnectArrives:
                Arrive(nowNs);
                break;
            case LinkStep.ConnectTimesOut:
                GoDown(DeviceError.TimedOut);
                break;
            case LinkStep.NotifyUp:
                handler?.OnLinkChanged(this, LinkState.Up, DeviceError.None);
                break;
            case LinkStep.NotifyDown:
                handler?.OnLinkChanged(this, LinkState.Down, LastError);
                break;
        }
    }

    private void StartConnect()
    {
        State = LinkState.Connecting;
        LastError = DeviceError.None;
        connectStartNs = network.Platform.Clock.NowNs;
        Schedule(LinkStep.ConnectArrives, connectStartNs + network.NextLatencyNs());
    }

    /// <summary>The connection attempt reaches the address: a listener takes it, loopback refuses it, anything else never answers.</summary>
    private void Arrive(long nowNs)
    {
        var listener = network.ListenerAt(address);
        if (listener?.Accept(this) is not null)
        {
            State = LinkState.Up;
            handler?.OnLinkChanged(this, LinkState.Up, DeviceError.None);
            return;
        }

        if (VirtualNetwork.IsLoopback(address))
        {
            State = LinkState.Down;
            LastError = DeviceError.ConnectionRefused;
            Schedule(LinkStep.NotifyDown, nowNs + network.NextLatencyNs());
            return;
        }

        Schedule(LinkStep.ConnectTimesOut, connectStartNs + (address.ConnectTimeoutMs * 1_000_000));
    }

    private void GoDown(DeviceError reason)
    {
        Debug.Assert(reason != DeviceError.None, "a link goes down for a reason");
        State = LinkState.Down;
        LastError = reason;
        handler?.OnLinkChanged(this, LinkState.Down, reason);
    }

    private void Schedule(LinkStep next, long dueNs)
    {
        step = next;
        linkTimer.ArmAt(dueNs);
    }

    /// <summary>Tells the writer, on its own event, that room came back after a short write.</summary>
    private sealed class WritableNotice : ITimerCallback
    {
        private readonly VirtualChannel channel;
        private readonly IPlatformTimer timer;

        public WritableNotice(VirtualChannel channel)
        {
            this.channel = channel;
            timer = channel.network.Platform.CreateTimer(this);
        }

        public void SpaceFreed()
        {
            if (channel.writeBlocked && !timer.IsArmed)
            {
                timer.ArmAt(channel.network.Platform.Clock.NowNs);
            }
        }

        public void Cancel() => timer.Cancel();

        public void OnTimer(long nowNs)
        {
            if (!channel.writeBlocked || channel.disposed)
            {
                return;
            }

            channel.writeBlocked = false;
            channel.handler?.OnWritable(channel);
        }
    }
}
