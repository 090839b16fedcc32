using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;
using static Neokernel.Gateway.Tests.Transport.UaWire;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>
/// A UA-TCP server on the simulation's virtual network with an echo service above it, and clients
/// made of raw chunks: what the server sends is checked byte for byte, each run repeats from its seed.
/// </summary>
internal sealed class UaBench : IUaServiceHandler, IUaTransportTrace
{
    public const long Ms = 1_000_000;

    private readonly UaEncoder reply = new();

    private UaBench(ulong seed, UaTcpLimits limits, int connectionsMax)
    {
        Platform = new SimulationPlatform(seed, new NoDevices());
        Server = new UaTcpServer(Platform.Streams, DeviceUri.Parse($"tcp-listen://127.0.0.1:4840?connectionsMax={connectionsMax}"), new PlatformUaTransportLoop(Platform, 0), this, limits, this);
        Server.Start();
    }

    public SimulationPlatform Platform { get; }

    public UaTcpServer Server { get; }

    /// <summary>Answer requests at once (echo), or keep them in <see cref="Held"/> to answer later.</summary>
    public bool Hold { get; set; }

    public List<UaRequestContext> Held { get; } = [];

    public List<byte[]> Requests { get; } = [];

    public List<uint> ClosedChannels { get; } = [];

    public List<(uint Status, string Reason)> Closures { get; } = [];

    /// <summary>Makes the next request's handling throw, as a faulty service layer would.</summary>
    public bool ThrowNext { get; set; }

    public static UaBench Start(UaTcpLimits? limits = null, int connectionsMax = 4, ulong seed = 1) => new(seed, limits ?? UaTcpLimits.Default, connectionsMax);

    public UaPeer Connect()
    {
        var peer = new UaPeer();
        peer.Channel = Platform.Streams.Open(DeviceUri.Parse("tcp://127.0.0.1:4840"), peer);
        RunMs(1);
        return peer;
    }

    /// <summary>A client past HEL/ACK and OPN: its channel id is in <see cref="UaPeer.ChannelId"/>.</summary>
    public UaPeer Open(uint lifetimeMs = 60_000, uint maxMessageSize = 0, uint maxChunkCount = 0, uint receiveBufferSize = 65_535)
    {
        var peer = Connect();
        peer.Send(Hello(receiveBufferSize: receiveBufferSize, maxMessageSize: maxMessageSize, maxChunkCount: maxChunkCount));
        peer.Send(UaWire.Open(0, 1, 1, SecurityTokenRequestType.Issue, lifetimeMs));
        RunMs(5);
        var chunks = peer.Take();
        Assert.Equal([UaMessageType.Acknowledge, UaMessageType.Open], chunks.Select(c => c.Type));
        peer.ChannelId = chunks[1].OpenResponse().SecurityToken.ChannelId;
        peer.Sequence = 1;
        return peer;
    }

    public void RunMs(double milliseconds) => Platform.RunUntil(Platform.NowNs + (long)(milliseconds * Ms));

    public void OnRequest(in UaRequestContext context, ReadOnlySpan<byte> body)
    {
        Requests.Add(body.ToArray());
        if (ThrowNext)
        {
            ThrowNext = false;
            throw new InvalidOperationException("the service layer failed on purpose");
        }

        if (Hold)
        {
            Held.Add(context);
            return;
        }

        context.Respond(Echo(body));
    }

    /// <summary>The echo's response: a ResponseHeader with the request's handle, then the whole request body.</summary>
    public ReadOnlySpan<byte> Echo(ReadOnlySpan<byte> body, int extraBytes = 0)
    {
        reply.Reset();
        reply.WriteNodeId(new NodeId(476));
        new ResponseHeader { RequestHandle = UaRequestHandles.OfRequest(body) }.Encode(reply);
        body.CopyTo(reply.Reserve(body.Length));
        reply.Reserve(extraBytes).Clear();
        return reply.Written;
    }

    public void OnChannelClosed(uint channelId) => ClosedChannels.Add(channelId);

    public void ConnectionClosed(string peer, uint status, string reason) => Closures.Add((status, reason));
}

/// <summary>A raw client: sends bytes, keeps what comes back, knows its channel's sequence numbers.</summary>
internal sealed class UaPeer : IStreamHandler
{
    private readonly List<byte> received = [];

    public IStreamChannel Channel { get; set; } = null!;

    public uint ChannelId { get; set; }

    public uint Sequence { get; set; }

    public LinkState State => Channel.State;

    /// <summary>False: the client stops reading, as a stuck one does, and the server's writes back up.</summary>
    public bool Reading { get; set; } = true;

    public void Send(ReadOnlySpan<byte> bytes)
    {
        var written = Channel.Write(bytes);
        Assert.True(written.IsDone && written.Bytes == bytes.Length, $"the test's write went out whole, not {written}");
    }

    /// <summary>Sends a request body in one MSG chunk (or <paramref name="chunkType"/>) with the next sequence number.</summary>
    public void Message(uint requestId, byte[] body, char chunkType = 'F', uint tokenId = 1)
    {
        Sequence++;
        Send(Symmetric("MSG", chunkType, ChannelId, tokenId, Sequence, requestId, body));
    }

    /// <summary>The chunks received since the last take.</summary>
    public List<ServerChunk> Take()
    {
        var chunks = Chunks(received.ToArray());
        received.Clear();
        return chunks;
    }

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
    {
    }

    public void OnReadable(IStreamChannel channel)
    {
        if (!Reading)
        {
            return;
        }

        var buffer = new byte[65_536];
        while (channel.Read(buffer) is { IsDone: true } read)
        {
            received.AddRange(buffer.AsSpan(0, read.Bytes));
        }
    }

    public void OnWritable(IStreamChannel channel)
    {
    }
}
