using System.Diagnostics;
using Neokernel.Kernel.Devices;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>
/// A UA-TCP server on a granted listening socket: up to the listener's <c>connectionsMax</c>
/// connections (the listener refuses the rest), each a <see cref="UaTcpConnection"/> from a pool
/// of slots made at <see cref="Start"/>. A slot makes its buffers when it first serves a client and
/// keeps them; the most recently closed slot serves the next client, so buffers exist for the most
/// connections open at once, not for <c>connectionsMax</c>, and a reconnect allocates nothing.
/// Secure channel ids are unique for the server's life.
/// </summary>
public sealed class UaTcpServer : IListenerHandler, IDisposable
{
    private readonly IStreamDeviceProvider streams;
    private readonly DeviceAddress address;
    private UaTcpConnection[] pool = [];
    private int[] free = [];
    private int freeCount;
    private IStreamListener? listener;
    private uint lastChannelId;

    public UaTcpServer(IStreamDeviceProvider streams, DeviceAddress address, IUaTransportLoop loop, IUaServiceHandler services, UaTcpLimits? limits = null, IUaTransportTrace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(services);
        StreamAddressChecks.RequireListenable(address);
        Limits = limits ?? UaTcpLimits.Default;
        Limits.Validate();
        this.streams = streams;
        this.address = address;
        Loop = loop;
        Services = services;
        Trace = trace;
    }

    public UaTcpLimits Limits { get; }

    public UaTcpCounters Counters { get; } = new();

    /// <summary>The bound address, e.g. <c>127.0.0.1:4840</c>; empty before <see cref="Start"/>.</summary>
    public string LocalEndpoint => listener?.LocalEndpoint ?? "";

    /// <summary>Connections being served now.</summary>
    public int Connections => pool.Length - Volatile.Read(ref freeCount);

    /// <summary>Bytes of every slot's buffers: what the connections served so far hold (<see cref="UaTcpConnection"/> says how they grow).</summary>
    public long BufferBytes
    {
        get
        {
            long total = 0;
            foreach (var connection in pool)
            {
                total += connection.BufferBytes;
            }

            return total;
        }
    }

    /// <summary>Connections the listener closed at once because <c>connectionsMax</c> were open.</summary>
    public long ConnectionsRefused => listener?.Refused ?? 0;

    internal IUaTransportLoop Loop { get; }

    internal IUaServiceHandler Services { get; }

    internal IUaTransportTrace? Trace { get; }

    /// <summary>Makes every connection's state, then binds and listens. Control plane; throws if the address cannot be bound.</summary>
    public void Start()
    {
        if (listener is not null)
        {
            throw new InvalidOperationException($"the OPC UA server on {address.Endpoint} is already started");
        }

        pool = new UaTcpConnection[address.ConnectionsMax];
        free = new int[pool.Length];
        for (var index = 0; index < pool.Length; index++)
        {
            pool[index] = new UaTcpConnection(this, index);
            free[index] = pool.Length - 1 - index;
        }

        freeCount = pool.Length;
        listener = streams.Listen(address, this);
    }

    public IStreamHandler? OnAccepted(IStreamChannel connection)
    {
        if (freeCount == 0)
        {
            // The listener bounds connections to the pool's size; this only guards that promise.
            return null;
        }

        var state = pool[free[freeCount - 1]];
        Volatile.Write(ref freeCount, freeCount - 1);
        Counters.Accept();
        state.Attach(connection);
        return state;
    }

    /// <summary>Closes every connection and the listener.</summary>
    public void Dispose()
    {
        foreach (var connection in pool)
        {
            if (connection.IsOpen)
            {
                connection.Close();
            }
        }

        listener?.Dispose();
    }

    /// <summary>The next secure channel id: never 0, never one in use for the server's life (until 2^32 channels).</summary>
    internal uint NextChannelId()
    {
        lastChannelId = lastChannelId == uint.MaxValue ? 1 : lastChannelId + 1;
        return lastChannelId;
    }

    internal void Release(UaTcpConnection connection)
    {
        Debug.Assert(freeCount < pool.Length, "a connection is released once per attach");
        free[freeCount] = connection.Index;
        Volatile.Write(ref freeCount, freeCount + 1);
    }
}
