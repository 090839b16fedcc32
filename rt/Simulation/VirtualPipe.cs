using System.Diagnostics;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Simulation;

/// <summary>
/// One direction of a virtual link: a bounded byte ring whose bytes become readable at the due
/// time of the write that carried them, on virtual time. Writes are delivered in order (a later
/// write never overtakes an earlier one), so a stream stays a stream. The ring's capacity is the
/// window: bytes in flight plus bytes unread. Allocates only when made.
/// </summary>
internal sealed class VirtualPipe : ITimerCallback
{
    public const int CapacityBytes = 65_536;

    /// <summary>Writes in flight at once; a write beyond it joins the last one (and its due time).</summary>
    private const int SegmentsMax = 256;

    private readonly byte[] ring = new byte[CapacityBytes];
    private readonly long[] segmentEnds = new long[SegmentsMax];
    private readonly long[] segmentDueNs = new long[SegmentsMax];
    private readonly IPlatformTimer timer;
    private readonly IClock clock;
    private readonly IPipeReceiver receiver;
    private long readPosition;
    private long deliveredPosition;
    private long writePosition;
    private int segmentHead;
    private int segmentCount;
    private long lastDueNs;
    private long finPosition = -1;

    public VirtualPipe(IPlatform platform, IPipeReceiver receiver)
    {
        clock = platform.Clock;
        this.receiver = receiver;
        timer = platform.CreateTimer(this);
    }

    /// <summary>Room for more bytes now.</summary>
    public int Space => CapacityBytes - (int)(writePosition - readPosition);

    /// <summary>Bytes that arrived and are not read yet.</summary>
    public int Readable => (int)(deliveredPosition - readPosition);

    /// <summary>The writer closed and everything it sent has arrived.</summary>
    public bool FinDelivered => finPosition >= 0 && deliveredPosition == finPosition && !HasSegments;

    private bool HasSegments => segmentCount > 0;

    /// <summary>Sends as much of <paramref name="data"/> as fits; it arrives <paramref name="latencyNs"/> from now (after what is in flight).</summary>
    public int Send(ReadOnlySpan<byte> data, long latencyNs)
    {
        Debug.Assert(finPosition < 0, "no write after the writer closed");
        var count = Math.Min(data.Length, Space);
        if (count == 0)
        {
            return 0;
        }

        for (var i = 0; i < count;)
        {
            var index = (int)((writePosition + i) % CapacityBytes);
            var run = Math.Min(count - i, CapacityBytes - index);
            data.Slice(i, run).CopyTo(ring.AsSpan(index, run));
            i += run;
        }

        writePosition += count;
        AddSegment(writePosition, latencyNs);
        return count;
    }

    /// <summary>The writer closed: once what it sent has arrived, the receiver learns of it.</summary>
    public void SendFin(long latencyNs)
    {
        if (finPosition >= 0)
        {
            return;
        }

        finPosition = writePosition;
        AddSegment(writePosition, latencyNs);
    }

    /// <summary>Copies arrived bytes into <paramref name="buffer"/>; returns how many.</summary>
    public int Receive(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, Readable);
        for (var i = 0; i < count;)
        {
            var index = (int)((readPosition + i) % CapacityBytes);
            var run = Math.Min(count - i, CapacityBytes - index);
            ring.AsSpan(index, run).CopyTo(buffer.Slice(i, run));
            i += run;
        }

        readPosition += count;
        return count;
    }

    /// <summary>Drops everything in flight and stops deliveries: the link is gone.</summary>
    public void Cut()
    {
        timer.Cancel();
        segmentCount = 0;
        readPosition = deliveredPosition = writePosition;
    }

    public void OnTimer(long nowNs)
    {
        var before = deliveredPosition;
        while (HasSegments && segmentDueNs[segmentHead] <= nowNs)
        {
            deliveredPosition = segmentEnds[segmentHead];
            segmentHead = (segmentHead + 1) % SegmentsMax;
            segmentCount--;
        }

        if (HasSegments)
        {
            timer.ArmAt(segmentDueNs[segmentHead]);
        }

        receiver.OnArrived(this, deliveredPosition > before, FinDelivered);
    }

    private void AddSegment(long end, long latencyNs)
    {
        var dueNs = Math.Max(lastDueNs, clock.NowNs + latencyNs);
        lastDueNs = dueNs;
        if (segmentCount == SegmentsMax)
        {
            // Bounded: the newest write rides with the last one in flight.
            var last = (segmentHead + segmentCount - 1) % SegmentsMax;
            segmentEnds[last] = end;
            segmentDueNs[last] = dueNs;
            return;
        }

        var slot = (segmentHead + segmentCount) % SegmentsMax;
        segmentEnds[slot] = end;
        segmentDueNs[slot] = dueNs;
        segmentCount++;
        if (segmentCount == 1)
        {
            timer.ArmAt(dueNs);
        }
    }
}

/// <summary>The end of a link that a pipe delivers into.</summary>
internal interface IPipeReceiver
{
    /// <summary>Bytes arrived (<paramref name="bytes"/>) and/or the writer's close did (<paramref name="fin"/>).</summary>
    void OnArrived(VirtualPipe pipe, bool bytes, bool fin);
}
