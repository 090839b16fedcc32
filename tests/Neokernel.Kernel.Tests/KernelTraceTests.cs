using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Trace;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class KernelTraceTests
{
    private sealed class CountingClock : IClock
    {
        private long nowNs;

        public long NowNs => Interlocked.Increment(ref nowNs);
    }

    [Fact]
    public void Record_ConcurrentWriters_NoEventLostOrTorn_CountsAddUp()
    {
        const int writers = 4;
        const int eventsPerWriter = 20_000;
        var trace = new KernelTrace(new CountingClock(), capacity: writers * eventsPerWriter);
        using var start = new Barrier(writers);
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < eventsPerWriter; i++)
            {
                // Every field derived from (writer, i): a torn slot would mix two events' fields.
                trace.Record(TraceEventKind.IpcSend, w, i, (w * 1_000_000L) + i, ~((w * 1_000_000L) + i));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(writers * eventsPerWriter, trace.Count);
        Assert.Equal(writers * eventsPerWriter, trace.CountOf(TraceEventKind.IpcSend));
        var events = trace.Snapshot();
        Assert.Equal(writers * eventsPerWriter, events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            Assert.Equal(i, e.Sequence);
            Assert.Equal((e.Subject * 1_000_000L) + e.Object, e.Arg0);
            Assert.Equal(~e.Arg0, e.Arg1);
        }

        for (var w = 0; w < writers; w++)
        {
            var own = events.Where(e => e.Subject == w).Select(e => e.Object).ToList();
            Assert.Equal(Enumerable.Range(0, eventsPerWriter), own);
        }
    }

    [Fact]
    public void Digest_ConcurrentWriters_IsTheChainOverTheEventsInSequenceOrder()
    {
        var trace = new KernelTrace(new CountingClock(), capacity: 60_000);
        RecordConcurrently(trace, writers: 3, eventsPerWriter: 20_000);
        var expected = StableHash.FnvOffset;
        foreach (var e in trace.Snapshot())
        {
            expected = Chain(expected, e.TimeNs, e.Kind, e.Subject, e.Object, e.Arg0, e.Arg1);
        }

        Assert.Equal(60_000, trace.Snapshot().Count);
        Assert.Equal(expected, trace.Digest);
    }

    [Fact]
    public void Record_ConcurrentWritersLappingASmallRing_KeepsTheNewestAndCountsAll()
    {
        var trace = new KernelTrace(new CountingClock(), capacity: 1_024);
        RecordConcurrently(trace, writers: 3, eventsPerWriter: 30_000);
        var events = trace.Snapshot();
        Assert.Equal(90_000, trace.Count);
        Assert.Equal(1_024, events.Count);
        Assert.Equal(89_999, events[^1].Sequence);
        Assert.Equal(90_000, trace.CountOf(TraceEventKind.Overrun));
    }

    [Fact]
    public void Record_OneWriter_DigestChainUnchanged()
    {
        // The fold is the digest the kernel always had: a chain over (time, kind|subject|object, arg0, arg1).
        var trace = new KernelTrace(new CountingClock());
        trace.Record(TraceEventKind.Boot, 0, -1, 3, 7);
        trace.Record(TraceEventKind.IpcSend, 2, 5, 1, 16);
        var expected = StableHash.FnvOffset;
        expected = Chain(expected, 1, TraceEventKind.Boot, 0, -1, 3, 7);
        expected = Chain(expected, 2, TraceEventKind.IpcSend, 2, 5, 1, 16);
        Assert.Equal(expected, trace.Digest);
    }

    [Fact]
    public void Record_IsAllocationFree()
    {
        var trace = new KernelTrace(new CountingClock(), capacity: 256);
        AllocationAssert.NoAllocations(10_000, i => trace.Record(TraceEventKind.IpcDeliver, 1, 2, i, i));
    }

    [Fact]
    public void Schema_CoversEveryKind_InEnumOrder_WithDistinctNames()
    {
        var kinds = Enum.GetValues<TraceEventKind>();
        Assert.Equal(kinds.Length, TraceSchema.All.Count);
        foreach (var kind in kinds)
        {
            var schema = TraceSchema.Of(kind);
            Assert.Equal(kind, schema.Kind);
            Assert.False(string.IsNullOrWhiteSpace(schema.Meaning), $"{kind} has no meaning");
            Assert.False(string.IsNullOrWhiteSpace(schema.Subject), $"{kind} has no subject");
            var fields = new[] { schema.Object, schema.Arg0, schema.Arg1 }.OfType<TraceField>().Select(f => f.Name).ToList();
            Assert.Equal(fields.Count, fields.Distinct(StringComparer.Ordinal).Count());
            Assert.DoesNotContain(fields, f => f is "seq" or "tNs" or "kind" or "service" or "note");
        }

        Assert.Equal(kinds.Length, TraceSchema.All.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Schema_DocsTraceMd_IsTheGeneratedText()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "TRACE.md");
        if (Environment.GetEnvironmentVariable("NEOKERNEL_WRITE_TRACE_MD") == "1")
        {
            File.WriteAllText(path, TraceSchema.Markdown());
        }

        Assert.True(File.Exists(path), $"{path} is missing; write TraceSchema.Markdown() there (NEOKERNEL_WRITE_TRACE_MD=1 does)");
        Assert.Equal(TraceSchema.Markdown(), File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void WriteJsonLines_UsesTheSchemasFieldNames()
    {
        var trace = new KernelTrace(new CountingClock());
        var endpoint = trace.Intern("tank.commands");
        trace.Record(TraceEventKind.IpcSend, 0, endpoint, 1, 16);
        trace.Record(TraceEventKind.Heartbeat, 0, -2, 42);
        using var text = new StringWriter();
        trace.WriteJsonLines(text);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var send = System.Text.Json.JsonDocument.Parse(lines[0]);
        Assert.Equal("tank.commands", send.RootElement.GetProperty("endpoint").GetString());
        Assert.Equal(1, send.RootElement.GetProperty("messageKind").GetInt64());
        Assert.Equal(16, send.RootElement.GetProperty("bytes").GetInt64());
        using var heartbeat = System.Text.Json.JsonDocument.Parse(lines[1]);
        Assert.Equal(-2, heartbeat.RootElement.GetProperty("check").GetInt64());
        Assert.Equal(42, heartbeat.RootElement.GetProperty("sinceNs").GetInt64());
    }

    private static void RecordConcurrently(KernelTrace trace, int writers, int eventsPerWriter)
    {
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            for (var i = 0; i < eventsPerWriter; i++)
            {
                trace.Record(TraceEventKind.Overrun, w, -1, i);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }

    private static ulong Chain(ulong digest, long timeNs, TraceEventKind kind, int subject, int obj, long arg0, long arg1)
    {
        var h = StableHash.Mix(digest, (ulong)timeNs);
        h = StableHash.Mix(h, ((ulong)kind << 56) ^ ((ulong)(uint)subject << 24) ^ (uint)(obj + 1));
        h = StableHash.Mix(h, (ulong)arg0);
        return StableHash.Mix(h, (ulong)arg1);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Neokernel.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("no Neokernel.slnx above the test's directory");
    }
}
