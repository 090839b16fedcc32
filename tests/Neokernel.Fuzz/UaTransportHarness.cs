using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Fuzz;

/// <summary>
/// A UA-TCP server with one in-memory connection and a manual clock, for the fuzz target and the
/// tests that must see every byte without a network: bytes fed in are read by the connection as
/// one read per <see cref="Feed"/> call, bytes it writes pile up in <see cref="Written"/>. The
/// service layer echoes each request back in a response with the request's handle, or is the one
/// given (a whole server's, for the tests that measure its request path). Everything is
/// allocated here, once, so the steady-state path through it allocates nothing.
/// </summary>
public sealed class UaTransportHarness : IStreamDeviceProvider, IUaTransportLoop, IUaServiceHandler, IClock, IDisposable
{
    public const long UaTicksAtZero = 134_000_000_000_000_000;

    /// <summary>Small limits, so that a fuzz input reaches each of them with few bytes: 8 KiB chunks, 64 KiB messages, 16 chunks.</summary>
    public static readonly UaTcpLimits SmallLimits = new()
    {
        ReceiveBufferBytes = 8192,
        SendBufferBytes = 8192,
        MessageBytesMax = 65_536,
        ChunkCountMax = 16,
        SendQueueBytes = 128 * 1024,
    };

    private readonly UaTcpServer server;
    private readonly MemoryChannel channel = new();
    private readonly List<ManualTimer> timers = [];
    private readonly UaEncoder reply = new(65_536);
    private readonly ResponseHeader replyHeader = new();
    private readonly IUaServiceHandler? services;
    private IStreamHandler? handler;
    private long nowNs;

    /// <param name="limits">The transport's limits (default: <see cref="UaTcpLimits.Default"/>).</param>
    /// <param name="services">The layer above the channel; null answers each request with an echo.</param>
    public UaTransportHarness(UaTcpLimits? limits = null, IUaServiceHandler? services = null)
    {
        this.services = services;
        server = new UaTcpServer(this, DeviceUri.Parse("tcp-listen://127.0.0.1:4840?connectionsMax=1"), this, this, limits);
        server.Start();
    }

    public UaTcpServer Server => server;

    public long Requests { get; private set; }

    public bool Connected => channel.State == LinkState.Up;

    public ReadOnlySpan<byte> Written => channel.Written;

    public IClock Clock => this;

    public long NowNs => nowNs;

    public long UtcNowUaTicks => UaTicksAtZero + (nowNs / 100);

    /// <summary>A new connection (the previous one, if any, gone), with nothing written yet.</summary>
    public void Connect()
    {
        if (Connected)
        {
            channel.Dispose();
            handler!.OnLinkChanged(channel, LinkState.Down, DeviceError.ClosedByPeer);
        }

        channel.Open();
        handler = server.OnAccepted(channel) ?? throw new InvalidOperationException("the server refused the harness's connection");
    }

    /// <summary>Delivers <paramref name="bytes"/> as one read, and what the connection reads after it as nothing.</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        if (!Connected)
        {
            return;
        }

        channel.Arrive(bytes);
        handler!.OnReadable(channel);
    }

    public void ClearWritten() => channel.ClearWritten();

    /// <summary>Moves the clock and fires the timers that are due.</summary>
    public void Advance(long ns)
    {
        nowNs += ns;
        foreach (var timer in timers)
        {
            if (timer.IsArmed && timer.DueNs <= nowNs)
            {
                timer.Fire(nowNs);
            }
        }
    }

    public IStreamChannel Open(DeviceAddress address, IStreamHandler handler) => throw new NotSupportedException("the harness only listens");

    public IStreamListener Listen(DeviceAddress address, IListenerHandler handler) => new Listener();

    public IPlatformTimer CreateTimer(ITimerCallback callback)
    {
        var timer = new ManualTimer(callback);
        timers.Add(timer);
        return timer;
    }

    public void OnRequest(in UaRequestContext context, ReadOnlySpan<byte> body)
    {
        Requests++;
        if (services is not null)
        {
            services.OnRequest(context, body);
            return;
        }

        replyHeader.RequestHandle = UaRequestHandles.OfRequest(body);
        replyHeader.Timestamp = UtcNowUaTicks;
        reply.Reset();
        reply.WriteNodeId(new NodeId(EchoResponseTypeId));
        replyHeader.Encode(reply);
        body.CopyTo(reply.Reserve(body.Length));
        context.Respond(reply.Written);
    }

    /// <summary>The type id the echo answers with (CloseSessionResponse's encoding, any would do).</summary>
    public const uint EchoResponseTypeId = 476;

    public void OnChannelClosed(uint channelId) => services?.OnChannelClosed(channelId);

    public void Dispose() => server.Dispose();

    private sealed class Listener : IStreamListener
    {
        public string Uri => "tcp-listen://127.0.0.1:4840";

        public string LocalEndpoint => "127.0.0.1:4840";

        public int ConnectionsMax => 1;

        public int Connections => 0;

        public long Refused => 0;

        public void Dispose()
        {
        }
    }

    private sealed class ManualTimer(ITimerCallback callback) : IPlatformTimer
    {
        public bool IsArmed { get; private set; }

        public long DueNs { get; private set; }

        public void ArmAt(long dueNs)
        {
            DueNs = dueNs;
            IsArmed = true;
        }

        public void Cancel() => IsArmed = false;

        public void Fire(long nowNs)
        {
            IsArmed = false;
            callback.OnTimer(nowNs);
        }
    }

    /// <summary>One end of an in-memory connection: what arrived is read once; what is written is kept, up to 1 MiB.</summary>
    private sealed class MemoryChannel : IStreamChannel
    {
        private readonly byte[] incoming = new byte[1 << 16];
        private readonly byte[] written = new byte[1 << 20];
        private int incomingStart;
        private int incomingEnd;
        private int writtenEnd;

        public string Uri => "tcp-listen://127.0.0.1:4840";

        public string Peer => "127.0.0.1:50000";

        public LinkState State { get; private set; } = LinkState.Down;

        public DeviceError LastError => DeviceError.None;

        public ReadOnlySpan<byte> Written => written.AsSpan(0, writtenEnd);

        public void Open()
        {
            State = LinkState.Up;
            incomingStart = incomingEnd = writtenEnd = 0;
        }

        public void ClearWritten() => writtenEnd = 0;

        public void Arrive(ReadOnlySpan<byte> bytes)
        {
            var take = Math.Min(bytes.Length, incoming.Length);
            bytes[..take].CopyTo(incoming);
            incomingStart = 0;
            incomingEnd = take;
        }

        public IoResult Read(Span<byte> buffer)
        {
            if (State != LinkState.Up)
            {
                return IoResult.Closed(DeviceError.Disposed);
            }

            var take = Math.Min(buffer.Length, incomingEnd - incomingStart);
            if (take == 0)
            {
                return IoResult.WouldBlock;
            }

            incoming.AsSpan(incomingStart, take).CopyTo(buffer);
            incomingStart += take;
            return IoResult.Done(take);
        }

        public IoResult Write(ReadOnlySpan<byte> data)
        {
            if (State != LinkState.Up)
            {
                return IoResult.Closed(DeviceError.Disposed);
            }

            var take = Math.Min(data.Length, written.Length - writtenEnd);
            if (take == 0)
            {
                return IoResult.WouldBlock;
            }

            data[..take].CopyTo(written.AsSpan(writtenEnd));
            writtenEnd += take;
            return IoResult.Done(take);
        }

        public bool Reconnect() => false;

        public void Dispose() => State = LinkState.Down;
    }
}
