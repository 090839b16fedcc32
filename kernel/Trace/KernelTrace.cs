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
public sealed class KernelTrace
{
    public const int CapacityDefault = 65_536;
    public const int NotesMax = 1_024;

    private readonly TraceEvent[] ring;
    private readonly long[] countsByKind = new long[(int)TraceEventKind.Heartbeat + 1];
    private readonly List<string> names = [];
    private readonly Dictionary<string, int> nameIndex = new(StringComparer.Ordinal);
    private readonly Queue<(long Sequence, string Text)> notes = new();
    private readonly IClock clock;
    private readonly Lock gate = new();
    private long next;
    private ulong digest = StableHash.FnvOffset;

    public KernelTrace(IClock clock, int capacity = CapacityDefault)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        this.clock = clock;
        ring = new TraceEvent[capacity];
        Intern("kernel");
    }

    public int Capacity => ring.Length;

    /// <summary>How many events were ever recorded.</summary>
    public long Count => Volatile.Read(ref next);

    /// <summary>How many events of <paramref name="kind"/> were ever recorded: what a service host process reports to the kernel.</summary>
    public long CountOf(TraceEventKind kind)
    {
        lock (gate)
        {
            return countsByKind[(int)kind];
        }
    }

    /// <summary>Digest over every event recorded so far.</summary>
    public ulong Digest
    {
        get
        {
            lock (gate)
            {
                return digest;
            }
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

    /// <summary>Records one event. Allocation-free.</summary>
    public void Record(TraceEventKind kind, int subject, int obj = -1, long arg0 = 0, long arg1 = 0)
    {
        var now = clock.NowNs;
        lock (gate)
        {
            var sequence = next;
            ring[(int)(sequence % ring.Length)] = new TraceEvent(sequence, now, kind, subject, obj, arg0, arg1);
            next = sequence + 1;
            countsByKind[(int)kind]++;
            var h = StableHash.Mix(digest, (ulong)now);
            h = StableHash.Mix(h, ((ulong)kind << 56) ^ ((ulong)(uint)subject << 24) ^ (uint)(obj + 1));
            h = StableHash.Mix(h, (ulong)arg0);
            digest = StableHash.Mix(h, (ulong)arg1);
        }
    }

    /// <summary>Records an event with a text note (a fault message). Control plane: allocates.</summary>
    public void Record(TraceEventKind kind, int subject, string note, long arg0 = 0, long arg1 = 0)
    {
        lock (gate)
        {
            notes.Enqueue((next, note));
            while (notes.Count > NotesMax)
            {
                notes.Dequeue();
            }
        }

        Record(kind, subject, -1, arg0 ^ (long)StableHash.Fnv1a64(note), arg1);
    }

    /// <summary>The events still in the ring, oldest first. Control plane.</summary>
    public IReadOnlyList<TraceEvent> Snapshot()
    {
        lock (gate)
        {
            var count = (int)Math.Min(next, ring.Length);
            var result = new TraceEvent[count];
            var first = next - count;
            for (var i = 0; i < count; i++)
            {
                result[i] = ring[(int)((first + i) % ring.Length)];
            }

            return result;
        }
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

    /// <summary>The fields both exports share: the object, the two arguments and the note.</summary>
    private void WriteDetails(Utf8JsonWriter json, TraceEvent e)
    {
        if (e.Object >= 0)
        {
            json.WriteString("object", NameOf(e.Object));
        }

        json.WriteNumber("arg0", e.Arg0);
        json.WriteNumber("arg1", e.Arg1);
        var note = NoteOf(e.Sequence);
        if (note is not null)
        {
            json.WriteString("note", note);
        }
    }

    public static string KindName(TraceEventKind kind) => kind switch
    {
        TraceEventKind.Boot => "boot",
        TraceEventKind.Shutdown => "shutdown",
        TraceEventKind.ServiceState => "service-state",
        TraceEventKind.CapabilityGrant => "grant",
        TraceEventKind.CapabilityDeny => "deny",
        TraceEventKind.CapabilityRevoke => "revoke",
        TraceEventKind.IpcSend => "send",
        TraceEventKind.IpcReject => "reject",
        TraceEventKind.IpcDeliver => "deliver",
        TraceEventKind.IpcReply => "reply",
        TraceEventKind.RegionPublish => "publish",
        TraceEventKind.QualityChange => "quality",
        TraceEventKind.Fault => "fault",
        TraceEventKind.Restart => "restart",
        TraceEventKind.SafeState => "safe-state",
        TraceEventKind.Overrun => "overrun",
        TraceEventKind.Watchdog => "watchdog",
        TraceEventKind.Heartbeat => "heartbeat",
        _ => kind.ToString(),
    };
}
