using System.Buffers;
using System.Text;
using System.Text.Json;
using Neokernel.Kernel.Platform;

namespace Neokernel.Kernel.Trace;

/// <summary>Every kind of kernel decision the trace records.</summary>
public enum TraceEventKind : byte
{
    Boot,
    Shutdown,
    ServiceState,
    CapabilityGrant,
    CapabilityDeny,
    CapabilityRevoke,
    IpcSend,
    IpcReject,
    IpcDeliver,
    IpcReply,
    RegionPublish,
    QualityChange,
    Fault,
    Restart,
    SafeState,
    Overrun,
    Watchdog,
    Heartbeat,
    Control,
    Ready,
    ModeChange,
    Retain,
    Warning,
    FaultInject,
}

/// <summary>
/// One kernel event. A plain struct of numbers so that recording it allocates nothing; names
/// are resolved through the trace's name table when it is exported.
/// </summary>
public readonly record struct TraceEvent(
    long Sequence,
    long TimeNs,
    TraceEventKind Kind,
    int Subject,
    int Object,
    long Arg0,
    long Arg1);

/// <summary>
/// The kernel's flight recorder: a bounded ring of the newest events, a running digest over
/// every event ever recorded (so it does not depend on the ring's size), and export as JSON
/// lines or Chrome/Perfetto trace JSON. Recording is allocation-free; the digest is stable
/// across runs, processes and architectures for the same sequence of events.
/// </summary>
/// <remarks>
/// Recording takes no lock, so a real-time thread never waits for a thread the OS preempted
/// while it held one. A writer claims the next sequence number with one atomic increment,
/// writes its slot and publishes it by stamping the slot with its sequence (a per-slot seqlock:
/// the stamp is cleared while the slot is written, so a reader never takes a torn event). The
/// digest is a chain over the events in sequence order; whoever finds the fold free
/// (<c>folding</c>, taken by compare-and-swap, never waited for) folds every published event
/// after the last folded one, so with one writer (the simulation, and every test digest) each
/// event is folded by its own Record, exactly as before. A writer waits only if the fold is a
/// whole ring behind its slot, which no bounded burst reaches.
/// </remarks>
public sealed class KernelTrace
{
    public const int CapacityDefault = 65_536;
    public const int NotesMax = 1_024;

    private readonly TraceEvent[] ring;
    private readonly long[] stamps;

    /// <summary>Capacity − 1 when the capacity is a power of two (the default): a slot is then a mask, not a 64-bit division, on every event.</summary>
    private readonly long slotMask;
    private readonly long[] countsByKind = new long[Enum.GetValues<TraceEventKind>().Length];
    private readonly List<string> names = [];
    private readonly Dictionary<string, int> nameIndex = new(StringComparer.Ordinal);
    private readonly Queue<(long Sequence, string Text)> notes = new();
    private readonly IClock clock;
    private readonly Lock gate = new();
    private long next;
    private long folded;
    private int folding;
    private ulong digest = StableHash.FnvOffset;

    public KernelTrace(IClock clock, int capacity = CapacityDefault)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        this.clock = clock;
        ring = new TraceEvent[capacity];
        stamps = new long[capacity];
        slotMask = (capacity & (capacity - 1)) == 0 ? capacity - 1 : -1;
        Intern("kernel");
    }

    public int Capacity => ring.Length;

    /// <summary>How many events were ever recorded (claimed: a concurrent writer may still be writing the newest).</summary>
    public long Count => Volatile.Read(ref next);

    /// <summary>How many events of <paramref name="kind"/> were ever recorded: what a service host process reports to the kernel.</summary>
    public long CountOf(TraceEventKind kind) => Interlocked.Read(ref countsByKind[(int)kind]);

    /// <summary>Digest over every event recorded so far (every published one: a write in progress on another thread is not yet in it).</summary>
    public ulong Digest
    {
        get
        {
            TryFold();
            return Volatile.Read(ref digest);
        }
    }

    public string DigestHex => Digest.ToString("x16");

    /// <summary>Index of a name (service id, region, endpoint) in the name table. Control plane.</summary>
    public int Intern(string name)
    {
        lock (gate)
        {
            if (!nameIndex.TryGetValue(name, out var index))
            {
                index = names.Count;
                names.Add(name);
                nameIndex.Add(name, index);
            }

            return index;
        }
    }

    public string NameOf(int index)
    {
        lock (gate)
        {
            return index >= 0 && index < names.Count ? names[index] : "";
        }
    }

    /// <summary>Records one event. Allocation-free and lock-free: safe on a real-time thread.</summary>
    public void Record(TraceEventKind kind, int subject, int obj = -1, long arg0 = 0, long arg1 = 0) =>
        Publish(kind, subject, obj, arg0, arg1);

    /// <summary>Records an event with a text note (a fault message). Control plane: allocates.</summary>
    public void Record(TraceEventKind kind, int subject, string note, long arg0 = 0, long arg1 = 0)
    {
        ArgumentNullException.ThrowIfNull(note);
        var sequence = Publish(kind, subject, -1, arg0 ^ (long)StableHash.Fnv1a64(note), arg1);
        lock (gate)
        {
            notes.Enqueue((sequence, note));
            while (notes.Count > NotesMax)
            {
                notes.Dequeue();
            }
        }
    }

    /// <summary>Claims a sequence, writes and stamps its slot, counts it, and folds what is ready. Returns the sequence.</summary>
    private long Publish(TraceEventKind kind, int subject, int obj, long arg0, long arg1)
    {
        var now = clock.NowNs;
        var sequence = Interlocked.Increment(ref next) - 1;
        var index = Slot(sequence);
        WaitForFoldWithin(sequence);

        // Cleared first (a full fence), so a reader that sees the stamp unchanged around its read saw no half-written slot.
        Interlocked.Exchange(ref stamps[index], 0);
        ring[index] = new TraceEvent(sequence, now, kind, subject, obj, arg0, arg1);
        Volatile.Write(ref stamps[index], sequence + 1);
        Interlocked.Increment(ref countsByKind[(int)kind]);
        TryFold();
        return sequence;
    }

    /// <summary>The slot of <paramref name="sequence"/> still holds an event the digest has not folded: help fold it first.</summary>
    private void WaitForFoldWithin(long sequence)
    {
        var spinner = default(SpinWait);
        while (sequence - Volatile.Read(ref folded) >= ring.Length)
        {
            TryFold();
            spinner.SpinOnce();
        }
    }

    /// <summary>
    /// Folds published events into the digest in sequence order, if no other thread is folding.
    /// Looks once more after letting go: an event published while it folded is not left behind.
    /// </summary>
    private void TryFold()
    {
        while (Interlocked.CompareExchange(ref folding, 1, 0) == 0)
        {
            var cursor = folded;
            var slot = Slot(cursor);
            var h = digest;
            while (Volatile.Read(ref stamps[slot]) == cursor + 1)
            {
                h = Fold(h, ring[slot]);
                cursor++;
                slot = slot + 1 == ring.Length ? 0 : slot + 1;
            }

            digest = h;
            Volatile.Write(ref folded, cursor);
            Volatile.Write(ref folding, 0);
            if (Volatile.Read(ref stamps[slot]) != cursor + 1)
            {
                return;
            }
        }
    }

    /// <summary>The ring slot of <paramref name="sequence"/>.</summary>
    private int Slot(long sequence) => (int)(slotMask >= 0 ? sequence & slotMask : sequence % ring.Length);

    private static ulong Fold(ulong digest, in TraceEvent e)
    {
        var h = StableHash.Mix(digest, (ulong)e.TimeNs);
        h = StableHash.Mix(h, ((ulong)e.Kind << 56) ^ ((ulong)(uint)e.Subject << 24) ^ (uint)(e.Object + 1));
        h = StableHash.Mix(h, (ulong)e.Arg0);
        return StableHash.Mix(h, (ulong)e.Arg1);
    }

    /// <summary>The event of <paramref name="sequence"/> if its slot holds it whole now.</summary>
    private bool TryRead(long sequence, out TraceEvent e)
    {
        var index = Slot(sequence);
        var before = Volatile.Read(ref stamps[index]);
        e = ring[index];
        Interlocked.MemoryBarrier();
        return before == sequence + 1 && Volatile.Read(ref stamps[index]) == before;
    }

    /// <summary>
    /// The events still in the ring, oldest first, whole: an event another thread is writing (or
    /// overwriting) at this moment is left out. Control plane.
    /// </summary>
    public IReadOnlyList<TraceEvent> Snapshot()
    {
        TryFold();
        var last = Volatile.Read(ref folded);
        var first = Math.Max(0, last - ring.Length);
        var result = new List<TraceEvent>((int)(last - first));
        for (var sequence = first; sequence < last; sequence++)
        {
            if (TryRead(sequence, out var e))
            {
                result.Add(e);
            }
        }

        return result;
    }

    public IReadOnlyList<TraceEvent> Events(TraceEventKind kind)
    {
        var list = new List<TraceEvent>();
        foreach (var e in Snapshot())
        {
            if (e.Kind == kind)
            {
                list.Add(e);
            }
        }

        return list;
    }

    public string? NoteOf(long sequence)
    {
        lock (gate)
        {
            foreach (var (s, text) in notes)
            {
                if (s == sequence)
                {
                    return text;
                }
            }
        }

        return null;
    }

    /// <summary>One JSON object per line, oldest first.</summary>
    public void WriteJsonLines(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var e in Snapshot())
        {
            buffer.Clear();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("seq", e.Sequence);
                json.WriteNumber("tNs", e.TimeNs);
                json.WriteString("kind", KindName(e.Kind));
                json.WriteString("service", NameOf(e.Subject));
                WriteDetails(json, e);
                json.WriteEndObject();
            }

            writer.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }

    /// <summary>Chrome/Perfetto trace-event JSON: one track per service, instant events in microseconds.</summary>
    public void WriteChromeTrace(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var events = Snapshot();
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ns");
        json.WriteStartArray("traceEvents");
        var subjects = new SortedSet<int>();
        foreach (var e in events)
        {
            subjects.Add(e.Subject);
        }

        foreach (var subject in subjects)
        {
            json.WriteStartObject();
            json.WriteString("name", "thread_name");
            json.WriteString("ph", "M");
            json.WriteNumber("pid", 1);
            json.WriteNumber("tid", subject);
            json.WriteStartObject("args");
            json.WriteString("name", NameOf(subject));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        foreach (var e in events)
        {
            json.WriteStartObject();
            json.WriteString("name", KindName(e.Kind));
            json.WriteString("cat", "kernel");
            json.WriteString("ph", "i");
            json.WriteString("s", "t");
            json.WriteNumber("ts", e.TimeNs / 1000.0);
            json.WriteNumber("pid", 1);
            json.WriteNumber("tid", e.Subject);
            json.WriteStartObject("args");
            json.WriteNumber("seq", e.Sequence);
            WriteDetails(json, e);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The fields both exports share: the object and the two arguments under their <see cref="TraceSchema"/> names, and the note.</summary>
    private void WriteDetails(Utf8JsonWriter json, TraceEvent e)
    {
        var schema = TraceSchema.Of(e.Kind);
        if (schema.Object is { } obj && (e.Object >= 0 || !schema.ObjectIsName))
        {
            if (schema.ObjectIsName)
            {
                json.WriteString(obj.Name, NameOf(e.Object));
            }
            else
            {
                json.WriteNumber(obj.Name, e.Object);
            }
        }

        if (schema.Arg0 is { } arg0)
        {
            json.WriteNumber(arg0.Name, e.Arg0);
        }

        if (schema.Arg1 is { } arg1)
        {
            json.WriteNumber(arg1.Name, e.Arg1);
        }

        var note = NoteOf(e.Sequence);
        if (note is not null)
        {
            json.WriteString("note", note);
        }
    }

    /// <summary>The kind's name in the exports and docs (<see cref="TraceSchema"/>).</summary>
    public static string KindName(TraceEventKind kind) => TraceSchema.Of(kind).Name;
}
