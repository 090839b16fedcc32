using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Devices;

/// <summary>The device capability behind a stream, checked on every read and write; a denial is traced, never thrown.</summary>
internal sealed class StreamGuard(Capability capability, KernelTrace trace, int subject, int traceId)
{
    public bool Allows(Rights rights)
    {
        if (capability.Allows(rights))
        {
            return true;
        }

        trace.Record(TraceEventKind.CapabilityDeny, subject, traceId, (long)rights);
        return false;
    }
}

/// <summary>
/// A service's view of a stream: reads and writes go through its capability (revoked when the
/// instance stops), and the provider's callbacks reach the service's handler with this view as
/// the channel, so the service never holds the unguarded one.
/// </summary>
internal sealed class GuardedStreamChannel(StreamGuard guard, IStreamHandler handler) : IStreamChannel, IStreamHandler
{
    private IStreamChannel? inner;

    public string Uri => Inner.Uri;

    public string Peer => Inner.Peer;

    public LinkState State => Inner.State;

    public DeviceError LastError => Inner.LastError;

    private IStreamChannel Inner => inner ?? throw new InvalidOperationException("the stream is not attached to its provider yet");

    public void Attach(IStreamChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        if (inner is not null)
        {
            throw new InvalidOperationException("the stream is attached already");
        }

        inner = channel;
    }

    public IoResult Read(Span<byte> buffer) => guard.Allows(Rights.Read) ? Inner.Read(buffer) : IoResult.Failed(DeviceError.AccessDenied, 0);

    public IoResult Write(ReadOnlySpan<byte> data) => guard.Allows(Rights.Write) ? Inner.Write(data) : IoResult.Failed(DeviceError.AccessDenied, 0);

    public bool Reconnect() => guard.Allows(Rights.Read) && Inner.Reconnect();

    public void Dispose() => inner?.Dispose();

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason) => handler.OnLinkChanged(this, state, reason);

    public void OnReadable(IStreamChannel channel) => handler.OnReadable(this);

    public void OnWritable(IStreamChannel channel) => handler.OnWritable(this);
}

/// <summary>Hands each accepted connection to the service as a guarded channel.</summary>
internal sealed class GuardedListenerHandler(StreamGuard guard, IListenerHandler handler) : IListenerHandler
{
    public IStreamHandler? OnAccepted(IStreamChannel connection)
    {
        // Per connection, on the control plane of a listener: one small wrapper each.
        var placeholder = new ForwardingHandler();
        var guarded = new GuardedStreamChannel(guard, placeholder);
        guarded.Attach(connection);
        var serviceHandler = handler.OnAccepted(guarded);
        if (serviceHandler is null)
        {
            return null;
        }

        placeholder.Target = serviceHandler;
        return guarded;
    }

    /// <summary>Lets the guarded channel exist before the service names its handler.</summary>
    private sealed class ForwardingHandler : IStreamHandler
    {
        public IStreamHandler? Target { get; set; }

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason) => Target?.OnLinkChanged(channel, state, reason);

        public void OnReadable(IStreamChannel channel) => Target?.OnReadable(channel);

        public void OnWritable(IStreamChannel channel) => Target?.OnWritable(channel);
    }
}
