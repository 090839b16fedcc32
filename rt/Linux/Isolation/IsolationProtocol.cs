using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Trace;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// What the kernel process and a service host process say to each other over their Unix socket.
/// Each message is one FdPassing payload whose first byte is its type; capabilities travel as the
/// file descriptors riding on it. Control plane only: nothing here runs per cycle.
/// </summary>
internal static class IsolationProtocol
{
    /// <summary>Kernel → host: a region (a CapabilityGrant and its memfd, read-only unless granted write).</summary>
    public const byte RegionGrant = (byte)'G';

    /// <summary>Kernel → host: a simulated device's register bank (a CapabilityGrant named by URI and its memfd).</summary>
    public const byte DeviceGrant = (byte)'D';

    /// <summary>Kernel → host: a stream device the kernel opened (a CapabilityGrant named by URI, and its socket or tty).</summary>
    public const byte StreamGrant = (byte)'N';

    /// <summary>Kernel → host: the service's retain store (its directory as UTF-8, and the directory's descriptor, through which alone it writes).</summary>
    public const byte RetainGrant = (byte)'V';

    /// <summary>Host → kernel: connect for me to this device URI (UTF-8); the kernel checks the service holds it.</summary>
    public const byte ConnectRequest = (byte)'C';

    /// <summary>Kernel → host: the answer to a connect request (i32 errno, then the URI), with the connecting socket when errno is 0.</summary>
    public const byte ConnectReply = (byte)'K';

    /// <summary>Kernel → host: one ring of an endpoint (a CapabilityGrant named by the ring, and its memfd).</summary>
    public const byte RingGrant = (byte)'E';

    /// <summary>Kernel → host: the status page the host publishes its heartbeat in.</summary>
    public const byte StatusPage = (byte)'S';

    /// <summary>
    /// Kernel → host: a part of the service's <see cref="Kernel.Services.HostedServiceSpec"/>, as
    /// <see cref="Kernel.Services.HostedServiceSpecCodec"/> encodes it; the parts, in order, are the
    /// whole encoding. Sent before any grant.
    /// </summary>
    public const byte SpecPart = (byte)'P';

    /// <summary>Kernel → host: every grant is sent; start the service.</summary>
    public const byte Ready = (byte)'R';

    /// <summary>Kernel → host: stop the service and exit.</summary>
    public const byte Quit = (byte)'Q';

    /// <summary>
    /// Kernel → host: strike a fault in the service's process now (<c>neokernel fault inject</c>):
    /// a <see cref="Rt.Faults.FaultInjection"/> as text (its time is ignored). The host answers with
    /// a text that begins <see cref="FaultStruckPrefix"/> or <see cref="FaultRefusedPrefix"/>.
    /// </summary>
    public const byte Fault = (byte)'F';

    /// <summary>How a child's answer to <see cref="Fault"/> begins when it struck: the injection as it took effect follows.</summary>
    public const string FaultStruckPrefix = "fault-struck: ";

    /// <summary>How a child's answer to <see cref="Fault"/> begins when it could not strike: why follows.</summary>
    public const string FaultRefusedPrefix = "fault-refused: ";

    /// <summary>Host → kernel: a line of text ("started", "fault: …").</summary>
    public const byte Text = (byte)'T';

    /// <summary>The text a child sends once its service started: the kernel traces it as the incarnation's ready.</summary>
    public const string StartedText = "started";

    /// <summary>How a child's text that reports a fault begins; the kernel quotes it in the fault.</summary>
    public const string FaultPrefix = "fault: ";

    /// <summary>How a child's text that warns begins (a retain store that fell back): the kernel warns with the rest, and it reports no end.</summary>
    public const string WarningPrefix = "warning: ";

    /// <summary>How a child's text that reports a normal end begins; with exit code 0 the service completed.</summary>
    public const string CompletedPrefix = "completed: ";

    /// <summary>The text a child sends when its service ended: its fault, or why it completed.</summary>
    public static string EndText(bool faulted, string? fault, string? completion) =>
        faulted ? FaultPrefix + fault : CompletedPrefix + completion;

    /// <summary>
    /// Status page, little-endian i64s: 0 the time of the last heartbeat, 8 heartbeats (completed
    /// cycles, or for a service without a cyclic task the beats of its event loop), 16..56 the
    /// host's trace counts (in <see cref="CountedKinds"/> order), 56 a sequence count (odd while
    /// the child writes) over 64..96 the process's <see cref="ProcessCollections"/> since its service
    /// started, 96 a sequence count over 104..208 its cyclic task's <see cref="CyclicStatistics"/>
    /// (its 13 fields in declaration order; the count stays 0 while it has no task).
    /// </summary>
    public const int StatusPageBytes = StatisticsOffset + (StatisticsFields * 8);

    private const int TraceCountsOffset = 16;
    private const int TraceCountKinds = 5;
    internal const int CollectionsSequenceOffset = TraceCountsOffset + (TraceCountKinds * 8);
    private const int CollectionsOffset = CollectionsSequenceOffset + 8;
    private const int CollectionsFields = 4;
    internal const int StatisticsSequenceOffset = CollectionsOffset + (CollectionsFields * 8);
    private const int StatisticsOffset = StatisticsSequenceOffset + 8;
    private const int StatisticsFields = 13;

    public static void Send(Socket socket, byte type, ReadOnlySpan<byte> body, params ReadOnlySpan<SafeHandle> fds)
    {
        var payload = new byte[body.Length + 1];
        payload[0] = type;
        body.CopyTo(payload.AsSpan(1));
        FdPassing.Send(socket, payload, fds);
    }

    public static void SendText(Socket socket, string text) => Send(socket, Text, Encoding.UTF8.GetBytes(text));

    /// <summary>The next message, or null when the peer hung up.</summary>
    public static (byte Type, byte[] Body, SafeFileHandle[] Fds)? Receive(Socket socket) => Receive(socket, new byte[FdPassing.PayloadBytesMax]);

    /// <summary>The next message into <paramref name="buffer"/> (of <see cref="FdPassing.PayloadBytesMax"/> bytes): waiting for it allocates nothing.</summary>
    public static (byte Type, byte[] Body, SafeFileHandle[] Fds)? Receive(Socket socket, byte[] buffer)
    {
        if (!FdPassing.TryReceive(socket, buffer, out var length, out var fds))
        {
            return null;
        }

        if (length == 0)
        {
            throw new InvalidDataException("empty isolation message");
        }

        return (buffer[0], buffer.AsSpan(1, length - 1).ToArray(), fds);
    }

    public static void WriteStatus(Span<byte> page, long cycles, long lastNs)
    {
        BinaryPrimitives.WriteInt64LittleEndian(page, lastNs);
        Volatile.Write(ref MemoryMarshal.AsRef<long>(page[8..]), cycles);
    }

    public static long ReadCycles(Span<byte> page) => Volatile.Read(ref MemoryMarshal.AsRef<long>(page[8..]));

    /// <summary>Child: publishes its collection counts under their sequence count. Allocation-free.</summary>
    public static void WriteCollections(Span<byte> page, ProcessCollections counts)
    {
        ReadOnlySpan<long> fields = [counts.Gen0, counts.Gen1, counts.Gen2, counts.AllocatedBytes];
        WriteSequenced(page, CollectionsSequenceOffset, fields);
    }

    /// <summary>Kernel: the child's collection counts, or null before it published any (or while it keeps writing).</summary>
    public static ProcessCollections? ReadCollections(Span<byte> page)
    {
        Span<long> f = stackalloc long[CollectionsFields];
        return TryReadSequenced(page, CollectionsSequenceOffset, f) ? new ProcessCollections(f[0], f[1], f[2], f[3]) : null;
    }

    /// <summary>Child: publishes its cyclic task's statistics under their sequence count. Allocation-free.</summary>
    public static void WriteStatistics(Span<byte> page, in CyclicStatistics s)
    {
        ReadOnlySpan<long> fields =
        [
            s.Cycles, s.Overruns, s.ConsecutiveOverruns,
            s.LatencyNsMin, s.LatencyNsMean, s.LatencyNsP99, s.LatencyNsP999, s.LatencyNsMax,
            s.ExecutionNsMin, s.ExecutionNsMean, s.ExecutionNsP99, s.ExecutionNsP999, s.ExecutionNsMax,
        ];
        WriteSequenced(page, StatisticsSequenceOffset, fields);
    }

    /// <summary>Kernel: the child's cyclic statistics as last published, or null when it has no task (or keeps writing).</summary>
    public static CyclicStatistics? ReadStatistics(Span<byte> page)
    {
        Span<long> f = stackalloc long[StatisticsFields];
        return TryReadSequenced(page, StatisticsSequenceOffset, f)
            ? new CyclicStatistics(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12])
            : null;
    }

    /// <summary>Writes <paramref name="fields"/> after the sequence count at <paramref name="sequenceOffset"/>, under the kernel's <see cref="SeqLock"/>.</summary>
    private static void WriteSequenced(Span<byte> page, int sequenceOffset, ReadOnlySpan<long> fields)
    {
        var payload = page[(sequenceOffset + 8)..(sequenceOffset + 8 + (fields.Length * 8))];
        SeqLock.Write(ref MemoryMarshal.AsRef<long>(page[sequenceOffset..]), MemoryMarshal.AsBytes(fields), payload);
    }

    /// <summary>Reads whole fields or nothing: false before the first publication (sequence 0) and while the writer keeps writing.</summary>
    private static bool TryReadSequenced(Span<byte> page, int sequenceOffset, Span<long> into)
    {
        var payload = page[(sequenceOffset + 8)..(sequenceOffset + 8 + (into.Length * 8))];
        return SeqLock.TryRead(ref MemoryMarshal.AsRef<long>(page[sequenceOffset..]), payload, MemoryMarshal.AsBytes(into), out var seen) && seen != 0;
    }

    /// <summary>The trace events a host counts for the kernel: what its service's IPC did in its process.</summary>
    public static ReadOnlySpan<TraceEventKind> CountedKinds =>
        [TraceEventKind.IpcSend, TraceEventKind.IpcDeliver, TraceEventKind.IpcReply, TraceEventKind.IpcReject, TraceEventKind.CapabilityDeny];

    public static void WriteTraceCounts(Span<byte> page, KernelTrace trace)
    {
        var kinds = CountedKinds;
        for (var i = 0; i < kinds.Length; i++)
        {
            Volatile.Write(ref MemoryMarshal.AsRef<long>(page[(TraceCountsOffset + (i * 8))..]), trace.CountOf(kinds[i]));
        }
    }

    public static TraceCounts ReadTraceCounts(Span<byte> page)
    {
        Span<long> counts = stackalloc long[TraceCountKinds];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref MemoryMarshal.AsRef<long>(page[(TraceCountsOffset + (i * 8))..]));
        }

        return new TraceCounts(counts[0], counts[1], counts[2], counts[3], counts[4]);
    }
}

/// <summary>What a service's IPC did in its own process, as counts of its trace's events.</summary>
public readonly record struct TraceCounts(long Sends, long Deliveries, long Replies, long Rejects, long Denials)
{
    public static TraceCounts operator +(TraceCounts a, TraceCounts b) =>
        new(a.Sends + b.Sends, a.Deliveries + b.Deliveries, a.Replies + b.Replies, a.Rejects + b.Rejects, a.Denials + b.Denials);

    public static TraceCounts operator -(TraceCounts a, TraceCounts b) =>
        new(a.Sends - b.Sends, a.Deliveries - b.Deliveries, a.Replies - b.Replies, a.Rejects - b.Rejects, a.Denials - b.Denials);

    public override string ToString() =>
        $"{Sends} sent, {Deliveries} delivered, {Replies} replies, {Rejects} rejected, {Denials} denied";
}
