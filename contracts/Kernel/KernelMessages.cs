using System.Buffers.Binary;
using System.Text.Unicode;

namespace Neokernel.Contracts;

/// <summary>
/// The wire layouts of the kernel's endpoints, defined once for the kernel and its clients. All
/// little-endian; every request starts with its <see cref="KernelOperation"/>, every reply with a
/// <see cref="KernelReplyStatus"/> (a reply that is not Ok is that one byte). Texts are UTF-8 with
/// a u8 length before them, cut at a character boundary to their bound.
/// <code>
/// request                                   reply (after [u8 status = 0])
/// Summary           [1]                     [u16 services][u16 regions][u8 trace kinds][i64 now ns][i64 trace events][u64 trace digest]
/// Service           [2][u16 service]        [u8 kind][u8 state][u8 flags][i32 incarnation][i32 restarts][i32 faults][text id][text last fault]
/// ServiceStatistics [3][u16 service]        [u8 has task][13 × i64: cycles, overruns, consecutive overruns, latency min mean p99 p999 max, execution min mean p99 p999 max]
/// Region            [4][u16 region]         [u16 points][text name][text writer]
/// RegionPoint       [5][u16 region][u16 pt] [text name]
/// TraceCounters     [6][u8 first kind]      [u8 first kind][u8 count][count × i64]
/// Restart/Stop/Start/Acknowledge [16..19][text service id]   (nothing more)
/// </code>
/// Encoding and decoding work on spans and allocate nothing.
/// </summary>
public static class KernelMessages
{
    public const int IndexedRequestBytes = 3;
    public const int RegionPointRequestBytes = 5;
    public const int TraceCountersRequestBytes = 2;
    public const int SummaryReplyBytes = 30;
    public const int StatisticsFields = 13;
    public const int StatisticsReplyBytes = 2 + (StatisticsFields * 8);

    /// <summary>Trace counts one reply carries: what fits after its three header bytes.</summary>
    public const int TraceCountsPerReplyMax = (KernelEndpoints.MaxMessageBytes - 3) / 8;

    public static KernelOperation OperationOf(ReadOnlySpan<byte> request) => request.IsEmpty ? KernelOperation.None : (KernelOperation)request[0];

    public static KernelReplyStatus StatusOf(ReadOnlySpan<byte> reply) => reply.IsEmpty ? KernelReplyStatus.Malformed : (KernelReplyStatus)reply[0];

    public static int EncodeSummaryRequest(Span<byte> destination)
    {
        destination[0] = (byte)KernelOperation.Summary;
        return 1;
    }

    /// <summary>A request that names one service or region by its index: Service, ServiceStatistics, Region.</summary>
    public static int EncodeIndexedRequest(KernelOperation operation, int index, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        destination[0] = (byte)operation;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], checked((ushort)index));
        return IndexedRequestBytes;
    }

    public static int EncodeRegionPointRequest(int region, int point, Span<byte> destination)
    {
        destination[0] = (byte)KernelOperation.RegionPoint;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], checked((ushort)region));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[3..], checked((ushort)point));
        return RegionPointRequestBytes;
    }

    public static int EncodeTraceCountersRequest(int firstKind, Span<byte> destination)
    {
        destination[0] = (byte)KernelOperation.TraceCounters;
        destination[1] = checked((byte)firstKind);
        return TraceCountersRequestBytes;
    }

    /// <summary>A kernel.control request naming its service by id.</summary>
    public static int EncodeControlRequest(KernelOperation operation, ReadOnlySpan<char> serviceId, Span<byte> destination)
    {
        if (ControlOperationNames.RightOf(operation) == ControlRights.None)
        {
            throw new ArgumentException($"{operation} is not a kernel.control operation", nameof(operation));
        }

        destination[0] = (byte)operation;
        return 1 + WriteText(destination[1..], serviceId, KernelEndpoints.ServiceIdBytesMax);
    }

    public static bool TryDecodeIndex(ReadOnlySpan<byte> request, out int index)
    {
        index = request.Length == IndexedRequestBytes ? BinaryPrimitives.ReadUInt16LittleEndian(request[1..]) : -1;
        return index >= 0;
    }

    public static bool TryDecodeRegionPoint(ReadOnlySpan<byte> request, out int region, out int point)
    {
        var ok = request.Length == RegionPointRequestBytes;
        region = ok ? BinaryPrimitives.ReadUInt16LittleEndian(request[1..]) : -1;
        point = ok ? BinaryPrimitives.ReadUInt16LittleEndian(request[3..]) : -1;
        return ok;
    }

    public static bool TryDecodeTraceCounters(ReadOnlySpan<byte> request, out int firstKind)
    {
        firstKind = request.Length == TraceCountersRequestBytes ? request[1] : -1;
        return firstKind >= 0;
    }

    /// <summary>The service id of a kernel.control request, as UTF-8; false when the request is malformed.</summary>
    public static bool TryDecodeControl(ReadOnlySpan<byte> request, out ReadOnlySpan<byte> serviceIdUtf8)
    {
        serviceIdUtf8 = default;
        return request.Length >= 2 && TryReadText(request[1..], out serviceIdUtf8, out var used) && used == request.Length - 1 && serviceIdUtf8.Length > 0;
    }

    /// <summary>A reply that is only its status.</summary>
    public static int EncodeStatus(KernelReplyStatus status, Span<byte> destination)
    {
        destination[0] = (byte)status;
        return 1;
    }

    public static int EncodeSummary(in SummaryReply summary, Span<byte> destination)
    {
        destination[0] = (byte)KernelReplyStatus.Ok;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], checked((ushort)summary.Services));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[3..], checked((ushort)summary.Regions));
        destination[5] = checked((byte)summary.TraceKinds);
        BinaryPrimitives.WriteInt64LittleEndian(destination[6..], summary.NowNs);
        BinaryPrimitives.WriteInt64LittleEndian(destination[14..], summary.TraceEvents);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[22..], summary.TraceDigest);
        return SummaryReplyBytes;
    }

    public static bool TryDecodeSummary(ReadOnlySpan<byte> reply, out SummaryReply summary)
    {
        summary = default;
        if (reply.Length != SummaryReplyBytes || StatusOf(reply) != KernelReplyStatus.Ok)
        {
            return false;
        }

        summary = new SummaryReply(
            BinaryPrimitives.ReadUInt16LittleEndian(reply[1..]),
            BinaryPrimitives.ReadUInt16LittleEndian(reply[3..]),
            reply[5],
            BinaryPrimitives.ReadInt64LittleEndian(reply[6..]),
            BinaryPrimitives.ReadInt64LittleEndian(reply[14..]),
            BinaryPrimitives.ReadUInt64LittleEndian(reply[22..]));
        return true;
    }

    public static int EncodeService(in ServiceFields fields, ReadOnlySpan<char> id, ReadOnlySpan<char> lastFault, Span<byte> destination)
    {
        destination[0] = (byte)KernelReplyStatus.Ok;
        destination[1] = (byte)fields.Kind;
        destination[2] = (byte)fields.State;
        destination[3] = (byte)fields.Flags;
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], fields.Incarnation);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], fields.Restarts);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], fields.Faults);
        var length = 16;
        length += WriteText(destination[length..], id, KernelEndpoints.ServiceIdBytesMax);
        length += WriteText(destination[length..], lastFault, KernelEndpoints.FaultBytesMax);
        return length;
    }

    public static bool TryDecodeService(ReadOnlySpan<byte> reply, out ServiceReply service)
    {
        service = default;
        if (reply.Length < 18 || StatusOf(reply) != KernelReplyStatus.Ok
            || !TryReadText(reply[16..], out var id, out var idBytes)
            || !TryReadText(reply[(16 + idBytes)..], out var fault, out var faultBytes)
            || 16 + idBytes + faultBytes != reply.Length)
        {
            return false;
        }

        var fields = new ServiceFields(
            (ServiceKindCode)reply[1],
            (ServiceStateCode)reply[2],
            (ServiceFlags)reply[3],
            BinaryPrimitives.ReadInt32LittleEndian(reply[4..]),
            BinaryPrimitives.ReadInt32LittleEndian(reply[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(reply[12..]));
        service = new ServiceReply(fields, id, fault);
        return true;
    }

    /// <summary>Statistics of a cyclic task, or <paramref name="hasTask"/> false (all zero) for a service without one.</summary>
    public static int EncodeStatistics(bool hasTask, in TaskStatistics statistics, Span<byte> destination)
    {
        destination[0] = (byte)KernelReplyStatus.Ok;
        destination[1] = hasTask ? (byte)1 : (byte)0;
        ReadOnlySpan<long> fields =
        [
            statistics.Cycles, statistics.Overruns, statistics.ConsecutiveOverruns,
            statistics.LatencyNsMin, statistics.LatencyNsMean, statistics.LatencyNsP99, statistics.LatencyNsP999, statistics.LatencyNsMax,
            statistics.ExecutionNsMin, statistics.ExecutionNsMean, statistics.ExecutionNsP99, statistics.ExecutionNsP999, statistics.ExecutionNsMax,
        ];
        for (var i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination[(2 + (i * 8))..], fields[i]);
        }

        return StatisticsReplyBytes;
    }

    public static bool TryDecodeStatistics(ReadOnlySpan<byte> reply, out bool hasTask, out TaskStatistics statistics)
    {
        hasTask = false;
        statistics = default;
        if (reply.Length != StatisticsReplyBytes || StatusOf(reply) != KernelReplyStatus.Ok)
        {
            return false;
        }

        hasTask = reply[1] != 0;
        var f = reply[2..];
        statistics = new TaskStatistics(
            Field(f, 0), Field(f, 1), Field(f, 2), Field(f, 3), Field(f, 4), Field(f, 5), Field(f, 6),
            Field(f, 7), Field(f, 8), Field(f, 9), Field(f, 10), Field(f, 11), Field(f, 12));
        return true;
    }

    public static int EncodeRegion(int points, ReadOnlySpan<char> name, ReadOnlySpan<char> writer, Span<byte> destination)
    {
        destination[0] = (byte)KernelReplyStatus.Ok;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], checked((ushort)points));
        var length = 3 + WriteText(destination[3..], name, KernelEndpoints.NameBytesMax);
        return length + WriteText(destination[length..], writer, KernelEndpoints.ServiceIdBytesMax);
    }

    public static bool TryDecodeRegion(ReadOnlySpan<byte> reply, out int points, out ReadOnlySpan<byte> nameUtf8, out ReadOnlySpan<byte> writerUtf8)
    {
        points = -1;
        writerUtf8 = default;
        if (reply.Length < 5 || StatusOf(reply) != KernelReplyStatus.Ok || !TryReadText(reply[3..], out nameUtf8, out var nameBytes))
        {
            nameUtf8 = default;
            return false;
        }

        points = BinaryPrimitives.ReadUInt16LittleEndian(reply[1..]);
        return TryReadText(reply[(3 + nameBytes)..], out writerUtf8, out var writerBytes) && 3 + nameBytes + writerBytes == reply.Length;
    }

    public static int EncodeRegionPoint(ReadOnlySpan<char> name, Span<byte> destination)
    {
        destination[0] = (byte)KernelReplyStatus.Ok;
        return 1 + WriteText(destination[1..], name, KernelEndpoints.NameBytesMax);
    }

    public static bool TryDecodeRegionPoint(ReadOnlySpan<byte> reply, out ReadOnlySpan<byte> nameUtf8)
    {
        nameUtf8 = default;
        return reply.Length >= 2 && StatusOf(reply) == KernelReplyStatus.Ok && TryReadText(reply[1..], out nameUtf8, out var used) && used == reply.Length - 1;
    }

    /// <summary>Trace counts from <paramref name="firstKind"/> on, as many as fit (<see cref="TraceCountsPerReplyMax"/>).</summary>
    public static int EncodeTraceCounters(int firstKind, ReadOnlySpan<long> counts, Span<byte> destination)
    {
        var count = Math.Min(counts.Length, TraceCountsPerReplyMax);
        destination[0] = (byte)KernelReplyStatus.Ok;
        destination[1] = checked((byte)firstKind);
        destination[2] = (byte)count;
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination[(3 + (i * 8))..], counts[i]);
        }

        return 3 + (count * 8);
    }

    /// <summary>The first kind and the counts of a trace counters reply; the counts stay in the reply's bytes.</summary>
    public static bool TryDecodeTraceCounters(ReadOnlySpan<byte> reply, out int firstKind, out int count)
    {
        var ok = reply.Length >= 3 && StatusOf(reply) == KernelReplyStatus.Ok && reply.Length == 3 + (reply[2] * 8);
        firstKind = ok ? reply[1] : -1;
        count = ok ? reply[2] : 0;
        return ok;
    }

    /// <summary>Count number <paramref name="i"/> of a decoded trace counters reply (of kind first + i).</summary>
    public static long TraceCountAt(ReadOnlySpan<byte> reply, int i) => BinaryPrimitives.ReadInt64LittleEndian(reply[(3 + (i * 8))..]);

    private static long Field(ReadOnlySpan<byte> fields, int i) => BinaryPrimitives.ReadInt64LittleEndian(fields[(i * 8)..]);

    /// <summary>[u8 length][UTF-8], cut at a character boundary to <paramref name="bytesMax"/> (and to what the destination holds).</summary>
    private static int WriteText(Span<byte> destination, ReadOnlySpan<char> text, int bytesMax)
    {
        var room = Math.Min(Math.Min(bytesMax, byte.MaxValue), destination.Length - 1);
        Utf8.FromUtf16(text, destination.Slice(1, room), out _, out var written, replaceInvalidSequences: true, isFinalBlock: true);
        destination[0] = (byte)written;
        return 1 + written;
    }

    private static bool TryReadText(ReadOnlySpan<byte> source, out ReadOnlySpan<byte> text, out int used)
    {
        text = default;
        used = 0;
        if (source.IsEmpty || source[0] > source.Length - 1)
        {
            return false;
        }

        text = source.Slice(1, source[0]);
        used = 1 + source[0];
        return true;
    }
}

/// <summary>The kernel's summary: what to page through.</summary>
public readonly record struct SummaryReply(int Services, int Regions, int TraceKinds, long NowNs, long TraceEvents, ulong TraceDigest);

/// <summary>The fixed fields of a service reply.</summary>
public readonly record struct ServiceFields(ServiceKindCode Kind, ServiceStateCode State, ServiceFlags Flags, int Incarnation, int Restarts, int Faults);

/// <summary>A decoded service reply; its texts are spans into the reply's bytes, valid while they are.</summary>
public readonly ref struct ServiceReply(ServiceFields fields, ReadOnlySpan<byte> idUtf8, ReadOnlySpan<byte> lastFaultUtf8)
{
    public ServiceFields Fields { get; } = fields;

    public ReadOnlySpan<byte> IdUtf8 { get; } = idUtf8;

    /// <summary>Empty when the service never faulted.</summary>
    public ReadOnlySpan<byte> LastFaultUtf8 { get; } = lastFaultUtf8;
}

/// <summary>A cyclic task's statistics on the wire, in nanoseconds: the kernel's CyclicStatistics field for field.</summary>
public readonly record struct TaskStatistics(
    long Cycles,
    long Overruns,
    long ConsecutiveOverruns,
    long LatencyNsMin,
    long LatencyNsMean,
    long LatencyNsP99,
    long LatencyNsP999,
    long LatencyNsMax,
    long ExecutionNsMin,
    long ExecutionNsMean,
    long ExecutionNsP99,
    long ExecutionNsP999,
    long ExecutionNsMax);
