using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Tests.Devices;

/// <summary>No register banks: the stream tests open none.</summary>
internal sealed class NoDevices : IDeviceProvider
{
    public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException(uri);
}

/// <summary>Sends every byte it reads back on the same channel: the far end of the echo tests, on either platform.</summary>
internal sealed class EchoPeer : IListenerHandler, IStreamHandler
{
    private readonly byte[] buffer = new byte[4096];

    public int Accepted { get; private set; }

    public long BytesEchoed { get; private set; }

    public IStreamHandler? OnAccepted(IStreamChannel connection)
    {
        Accepted++;
        return this;
    }

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
    {
    }

    public void OnReadable(IStreamChannel channel)
    {
        while (channel.Read(buffer) is { IsDone: true, Bytes: var count })
        {
            var written = channel.Write(buffer.AsSpan(0, count));
            BytesEchoed += written.Bytes;
        }
    }

    public void OnWritable(IStreamChannel channel)
    {
    }
}

/// <summary>
/// The driver side of an echo: writes a numbered message when the link comes up and after each
/// full echo, and keeps a digest of every event with its time, so two runs can be compared bit for bit.
/// </summary>
internal sealed class EchoClient(IClock clock, int messages) : IStreamHandler
{
    private readonly byte[] outgoing = new byte[32];
    private readonly byte[] incoming = new byte[4096];
    private int pending;

    public List<string> Log { get; } = [];

    /// <summary>Off for the allocation test: the text log is for a failing run's message.</summary>
    public bool KeepLog { get; set; } = true;

    public ulong Digest { get; private set; } = StableHash.FnvOffset;

    public int Echoed { get; private set; }

    public List<(LinkState State, DeviceError Reason)> Links { get; } = [];

    public bool Done => Echoed >= messages;

    public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
    {
        Links.Add((state, reason));
        Record(1, (long)state, (long)reason);
        if (state == LinkState.Up)
        {
            SendNext(channel);
        }
    }

    public void OnReadable(IStreamChannel channel)
    {
        while (channel.Read(incoming) is { IsDone: true, Bytes: var count })
        {
            Record(2, count, incoming[0]);
            pending -= count;
            if (pending == 0)
            {
                Echoed++;
                SendNext(channel);
            }
        }
    }

    public void OnWritable(IStreamChannel channel) => Record(3, 0, 0);

    private void SendNext(IStreamChannel channel)
    {
        if (Done)
        {
            return;
        }

        outgoing.AsSpan().Fill((byte)Echoed);
        var result = channel.Write(outgoing);
        if (result.Status != IoStatus.Done)
        {
            throw new InvalidOperationException("the echo window is far larger than one message");
        }

        pending = result.Bytes;
    }

    private void Record(long kind, long a, long b)
    {
        Digest = StableHash.Mix(StableHash.Mix(StableHash.Mix(StableHash.Mix(Digest, (ulong)clock.NowNs), (ulong)kind), (ulong)a), (ulong)b);
        if (KeepLog)
        {
            Log.Add($"{clock.NowNs} {kind} {a} {b}");
        }
    }
}
