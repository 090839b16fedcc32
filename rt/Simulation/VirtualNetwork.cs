using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Simulation;

/// <summary>
/// The deterministic counterpart of sockets and serial lines: TCP links between listeners and
/// connectors by address, and serial lines between paired device paths, all on the simulation's
/// virtual time. Its peers are other services or in-process simulated devices that call
/// <see cref="Listen"/> and <see cref="Open"/> themselves.
/// <para>
/// Fault model. It may delay: each TCP write arrives after <see cref="LatencyNs"/> plus a seeded
/// jitter below <see cref="JitterNsMax"/>, in order; a serial write arrives after its characters'
/// time on the line at the sender's baud, plus the same jitter. It refuses a connection to a
/// loopback address nobody listens on (as Linux does), lets one to any other unheard address
/// time out after its <c>connectTimeoutMs</c> (no answer), and closes a connection beyond a
/// listener's <c>connectionsMax</c> right after accepting it. It never loses, reorders or
/// corrupts bytes on an up link. Every draw comes from one stream forked from the platform
/// seed, so a run repeats bit for bit.
/// </para>
/// </summary>
public sealed class VirtualNetwork : IStreamDeviceProvider
{
    public const long LatencyNs = 50_000;
    public const long JitterNsMax = 20_000;

    private const uint LoopbackNet = 0x7F00_0000;

    private readonly IPlatform platform;
    private readonly DeterministicRandom random;
    private readonly Dictionary<string, VirtualListener> listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> serialPairs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VirtualChannel> serialEnds = new(StringComparer.Ordinal);

    public VirtualNetwork(IPlatform platform, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(random);
        this.platform = platform;
        this.random = random;
    }

    internal IPlatform Platform => platform;

    /// <summary>Joins two serial device paths with a null-modem cable, as a socat pty pair does. Before either is opened.</summary>
    public void PairSerial(string pathA, string pathB)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathA);
        ArgumentException.ThrowIfNullOrEmpty(pathB);
        if (pathA == pathB || serialPairs.ContainsKey(pathA) || serialPairs.ContainsKey(pathB))
        {
            throw new ArgumentException($"serial lines '{pathA}' and '{pathB}': each path joins one other path, once");
        }

        serialPairs.Add(pathA, pathB);
        serialPairs.Add(pathB, pathA);
    }

    public IStreamChannel Open(DeviceAddress address, IStreamHandler handler)
    {
        StreamAddressChecks.RequireOpenable(address);
        ArgumentNullException.ThrowIfNull(handler);
        return address.Transport == DeviceTransport.Serial ? OpenSerial(address, handler) : VirtualChannel.Connect(this, address, handler);
    }

    public IStreamListener Listen(DeviceAddress address, IListenerHandler handler)
    {
        StreamAddressChecks.RequireListenable(address);
        ArgumentNullException.ThrowIfNull(handler);

        var listener = new VirtualListener(this, address, handler);
        if (!listeners.TryAdd(address.Endpoint, listener))
        {
            throw new InvalidOperationException($"'{address.Text}': {address.Endpoint} is in use by another listener on the virtual network (EADDRINUSE)");
        }

        return listener;
    }

    /// <summary>A TCP write's one-way delay: the base latency and a seeded jitter.</summary>
    internal long NextLatencyNs() => LatencyNs + random.NextInt64(JitterNsMax);

    /// <summary>A serial write's delay: its characters on the line, and the adapter's seeded jitter.</summary>
    internal long SerialLatencyNs(int bytes, in SerialSettings serial) => (bytes * serial.CharacterNs) + random.NextInt64(JitterNsMax);

    /// <summary>What a connection attempt to <paramref name="address"/> meets when it arrives.</summary>
    internal VirtualListener? ListenerAt(DeviceAddress address)
    {
        if (listeners.TryGetValue(address.Endpoint, out var listener))
        {
            return listener;
        }

        // A wildcard listener (0.0.0.0) hears every address on its port.
        return listeners.GetValueOrDefault("0.0.0.0:" + address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static bool IsLoopback(DeviceAddress address) => (address.Ipv4 & 0xFF00_0000) == LoopbackNet;

    internal void Remove(VirtualListener listener) => listeners.Remove(listener.LocalEndpoint);

    internal void SerialClosed(VirtualChannel end) => serialEnds.Remove(end.Peer);

    private VirtualChannel OpenSerial(DeviceAddress address, IStreamHandler handler)
    {
        if (!serialPairs.TryGetValue(address.Path, out var otherPath))
        {
            return VirtualChannel.Absent(this, address, handler, DeviceError.NotFound);
        }

        if (serialEnds.ContainsKey(address.Path))
        {
            // A tty opened twice with TIOCEXCL: the second opener is refused.
            return VirtualChannel.Absent(this, address, handler, DeviceError.AccessDenied);
        }

        var end = VirtualChannel.SerialEnd(this, address, handler);
        serialEnds.Add(address.Path, end);
        if (serialEnds.TryGetValue(otherPath, out var other))
        {
            VirtualChannel.Join(end, other);
        }

        return end;
    }
}

/// <summary>A listener on the virtual network: each arriving connection becomes a channel pair.</summary>
internal sealed class VirtualListener(VirtualNetwork network, DeviceAddress address, IListenerHandler handler) : IStreamListener
{
    private bool disposed;

    public string Uri => address.Text;

    public string LocalEndpoint => address.Endpoint;

    public int ConnectionsMax => address.ConnectionsMax;

    public int Connections { get; private set; }

    public long Refused { get; private set; }

    /// <summary>A connector arrived: accept it (or close it at once when full); returns the server end.</summary>
    public VirtualChannel? Accept(VirtualChannel client)
    {
        if (disposed)
        {
            return null;
        }

        var server = VirtualChannel.Accepted(network, address, client.Uri);
        VirtualChannel.Join(client, server);
        if (Connections >= ConnectionsMax)
        {
            Refused++;
            server.CloseAsRefused();
            return server;
        }

        Connections++;
        server.OnServerClosed = () => Connections--;
        var serviceHandler = handler.OnAccepted(server);
        if (serviceHandler is null)
        {
            server.Dispose();
            return server;
        }

        server.Bind(serviceHandler);
        return server;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        network.Remove(this);
    }
}
