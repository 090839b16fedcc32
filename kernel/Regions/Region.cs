using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Neokernel.Kernel.Platform;

namespace Neokernel.Kernel.Regions;

/// <summary>Quality of a process-image point, after OPC UA's three classes. Zeroed memory reads as Bad: never written.</summary>
public enum Quality : int
{
    Bad = 0,
    Uncertain = 1,
    Good = 2,
}

/// <summary>
/// A region: a fixed-size shared block of named points with exactly one writer and any number
/// of readers: the process image that drivers write and controllers read. Each point carries a
/// value, a quality and a source timestamp. Readers take whole snapshots under a sequence lock
/// (<see cref="SeqLock"/>, whose first word is the header's), so a snapshot is never torn, and
/// the writer never waits for a reader. The layout lives in plain bytes so the same region
/// can sit in a managed buffer (simulation) or a shared mapping between processes (Linux).
/// </summary>
public sealed class Region
{
    public const int HeaderBytes = 16;
    public const int PointBytes = 24;
    public const int PointsMax = 4_096;

    /// <summary>A reader gives up after this many torn attempts and reports the snapshot as not taken.</summary>
    public const int ReadAttemptsMax = SeqLock.ReadAttemptsMax;

    private readonly RegionMemory memory;
    private readonly Dictionary<string, int> pointIndex;

    internal Region(string name, IReadOnlyList<string> pointNames, RegionMemory memory, string writer)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(pointNames);
        ArgumentNullException.ThrowIfNull(memory);
        if (pointNames.Count is 0 or > PointsMax)
        {
            throw new ArgumentOutOfRangeException(nameof(pointNames), pointNames.Count, $"a region has 1..{PointsMax} points");
        }

        if (memory.Length < BytesFor(pointNames.Count))
        {
            throw new ArgumentException($"region '{name}' needs {BytesFor(pointNames.Count)} bytes, memory has {memory.Length}", nameof(memory));
        }

        Name = name;
        PointNames = [.. pointNames];
        Writer = writer;
        this.memory = memory;
        pointIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < PointNames.Count; i++)
        {
            pointIndex.Add(PointNames[i], i);
        }
    }

    public string Name { get; }

    /// <summary>The memory behind the region: the platform hands it to a service in another process.</summary>
    internal RegionMemory Memory => memory;

    public IReadOnlyList<string> PointNames { get; }

    public int PointCount => PointNames.Count;

    /// <summary>Service id of the one writer.</summary>
    public string Writer { get; }

    internal int TraceId { get; set; } = -1;

    public int PayloadBytes => PointCount * PointBytes;

    public static int BytesFor(int points) => HeaderBytes + (points * PointBytes);

    /// <summary>Sequence number of the last publish (even when stable).</summary>
    public long Sequence => Volatile.Read(ref SequenceRef);

    private ref long SequenceRef => ref Unsafe.As<byte, long>(ref MemoryMarshal.GetReference(memory.Bytes));

    public int IndexOf(string point)
    {
        if (!pointIndex.TryGetValue(point, out var index))
        {
            throw new ArgumentException($"region '{Name}' has no point '{point}'; it has: {string.Join(", ", PointNames)}", nameof(point));
        }

        return index;
    }

    public bool HasPoint(string point) => pointIndex.ContainsKey(point);

    /// <summary>Publishes <paramref name="payload"/> (PayloadBytes long) as one atomic update. Single writer only.</summary>
    internal long Publish(ReadOnlySpan<byte> payload) =>
        SeqLock.Write(ref SequenceRef, payload, memory.Bytes.Slice(HeaderBytes, PayloadBytes));

    /// <summary>The payload readers see now, without the sequence lock: for its one writer, whose publishes are the only ones that change it meanwhile.</summary>
    internal ReadOnlySpan<byte> Published => memory.Bytes.Slice(HeaderBytes, PayloadBytes);

    /// <summary>Copies a consistent snapshot into <paramref name="destination"/>; false when every attempt was torn.</summary>
    internal bool TryCopy(Span<byte> destination, out long sequenceSeen) =>
        SeqLock.TryRead(ref SequenceRef, memory.Bytes.Slice(HeaderBytes, PayloadBytes), destination, out sequenceSeen);

    /// <summary>
    /// The kernel's own write, used when the writer is gone: marks every point with
    /// <paramref name="quality"/> and keeps the last values, as a PLC's process image does when its
    /// I/O module drops out.
    /// </summary>
    internal void OverwriteQuality(Quality quality)
    {
        var buffer = new byte[PayloadBytes];
        if (!TryCopy(buffer, out _))
        {
            return;
        }

        for (var i = 0; i < PointCount; i++)
        {
            RegionLayout.SetQuality(buffer, i, quality);
        }

        Publish(buffer);
    }

    /// <summary>Kernel write of single points (safe state): keeps the other points as they are.</summary>
    internal void OverwritePoints(ReadOnlySpan<int> points, ReadOnlySpan<double> values, long timestampNs)
    {
        var buffer = new byte[PayloadBytes];
        TryCopy(buffer, out _);
        for (var i = 0; i < points.Length; i++)
        {
            RegionLayout.Set(buffer, points[i], values[i], Quality.Good, timestampNs);
        }

        Publish(buffer);
    }
}

/// <summary>Byte layout of one point in a region payload: value (f64), source timestamp (i64 ns), quality (i32), padding.</summary>
internal static class RegionLayout
{
    public static void Set(Span<byte> payload, int point, double value, Quality quality, long timestampNs)
    {
        var slot = payload.Slice(point * Region.PointBytes, Region.PointBytes);
        BinaryPrimitives.WriteDoubleLittleEndian(slot, value);
        BinaryPrimitives.WriteInt64LittleEndian(slot[8..], timestampNs);
        BinaryPrimitives.WriteInt32LittleEndian(slot[16..], (int)quality);
    }

    public static void SetQuality(Span<byte> payload, int point, Quality quality) =>
        BinaryPrimitives.WriteInt32LittleEndian(payload.Slice((point * Region.PointBytes) + 16, 4), (int)quality);

    public static double Value(ReadOnlySpan<byte> payload, int point) =>
        BinaryPrimitives.ReadDoubleLittleEndian(payload.Slice(point * Region.PointBytes, 8));

    public static long Timestamp(ReadOnlySpan<byte> payload, int point) =>
        BinaryPrimitives.ReadInt64LittleEndian(payload.Slice((point * Region.PointBytes) + 8, 8));

    public static Quality QualityOf(ReadOnlySpan<byte> payload, int point) =>
        (Quality)BinaryPrimitives.ReadInt32LittleEndian(payload.Slice((point * Region.PointBytes) + 16, 4));
}

/// <summary>
/// One publish of a region on its way to readers, as an <see cref="IRegionPublishFilter"/> sees
/// it: the writer's staged points (a copy, free to change) beside what readers see now.
/// </summary>
public readonly ref struct RegionPublish
{
    private readonly Span<byte> outgoing;
    private readonly ReadOnlySpan<byte> published;

    internal RegionPublish(Span<byte> outgoing, ReadOnlySpan<byte> published)
    {
        System.Diagnostics.Debug.Assert(outgoing.Length == published.Length, "the publish and what readers see have the same points");
        this.outgoing = outgoing;
        this.published = published;
    }

    public int PointCount => outgoing.Length / Region.PointBytes;

    /// <summary>The value the writer published for <paramref name="point"/>, as changed so far.</summary>
    public double Value(int point) => RegionLayout.Value(outgoing, Checked(point));

    /// <summary>Readers see <paramref name="value"/> for <paramref name="point"/>, with the quality and timestamp the writer gave it.</summary>
    public void SetValue(int point, double value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(outgoing.Slice(Checked(point) * Region.PointBytes, 8), value);

    /// <summary>Readers keep what they see now for <paramref name="point"/>: its value, quality and timestamp.</summary>
    public void Withhold(int point) =>
        published.Slice(Checked(point) * Region.PointBytes, Region.PointBytes).CopyTo(outgoing.Slice(point * Region.PointBytes, Region.PointBytes));

    private int Checked(int point)
    {
        if ((uint)point >= (uint)PointCount)
        {
            throw new ArgumentOutOfRangeException(nameof(point), point, $"the region has {PointCount} points");
        }

        return point;
    }
}

/// <summary>A reader's own copy of a region, reused every cycle: reading into it allocates nothing.</summary>
public sealed class RegionSnapshot
{
    private readonly byte[] payload;

    public RegionSnapshot(int pointCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pointCount, 1);
        PointCount = pointCount;
        payload = new byte[pointCount * Region.PointBytes];
    }

    public int PointCount { get; }

    /// <summary>Sequence of the publish this snapshot shows; 0 means never written.</summary>
    public long Sequence { get; internal set; }

    internal Span<byte> Payload => payload;

    public double Value(int point) => RegionLayout.Value(payload, point);

    public Quality Quality(int point) => RegionLayout.QualityOf(payload, point);

    public long TimestampNs(int point) => RegionLayout.Timestamp(payload, point);
}
