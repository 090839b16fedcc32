using System.Globalization;
using System.Text.Json;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;

namespace Neokernel.Benchmarks;

/// <summary>One line of <c>run --quality-log</c>: times on CLOCK_MONOTONIC.</summary>
internal readonly record struct QualityLine(long ObservedNs, string Point, string Quality, long SourceNs, long Sequence);

/// <summary>What <c>run --quality-log</c> wrote: the platform's origin and the transitions.</summary>
internal sealed record QualityLogFile(long OriginNs, IReadOnlyList<QualityLine> Lines)
{
    private const string OriginKey = "origin-ns ";

    public static QualityLogFile Read(string path)
    {
        long? originNs = null;
        var lines = new List<QualityLine>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith('#'))
            {
                var at = line.IndexOf(OriginKey, StringComparison.Ordinal);
                if (at >= 0)
                {
                    originNs = Number(line[(at + OriginKey.Length)..].Split(' ')[0], path);
                }

                continue;
            }

            var fields = line.Split(' ');
            if (fields.Length != 5)
            {
                throw new InvalidDataException($"{path}: '{line}' is not 'observed-ns point quality source-ns region-sequence'");
            }

            lines.Add(new QualityLine(Number(fields[0], path), fields[1], fields[2], Number(fields[3], path), Number(fields[4], path)));
        }

        return new QualityLogFile(originNs ?? throw new InvalidDataException($"{path}: no '# ... {OriginKey}N' header line"), lines);
    }

    private static long Number(string text, string path) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"{path}: '{text}' is not a number of nanoseconds");
}

/// <summary>One kernel trace event from <c>--trace-jsonl</c>; time in platform ns (add the origin for CLOCK_MONOTONIC).</summary>
internal readonly record struct TraceLine(long Sequence, long TimeNs, string Kind, string Service, long Arg0, long Arg1, string? Note);

internal static class TraceFile
{
    public static IReadOnlyList<TraceLine> Read(string path) =>
        [.. File.ReadLines(path).Where(l => l.Length > 0).Select(Parse)];

    private static TraceLine Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var e = json.RootElement;
        var kind = e.GetProperty("kind").GetString() ?? "";
        var schema = TraceSchema.All.FirstOrDefault(s => s.Name == kind);
        return new TraceLine(
            e.GetProperty("seq").GetInt64(),
            e.GetProperty("tNs").GetInt64(),
            kind,
            e.GetProperty("service").GetString() ?? "",
            Number(e, schema?.Arg0),
            Number(e, schema?.Arg1),
            e.TryGetProperty("note", out var note) ? note.GetString() : null);
    }

    /// <summary>An argument under its schema name; 0 where the kind leaves it unused.</summary>
    private static long Number(JsonElement e, TraceField? field) =>
        field is not null && e.TryGetProperty(field.Name, out var value) ? value.GetInt64() : 0;
}

/// <summary>
/// One kill and what followed, all on CLOCK_MONOTONIC (ns). A time is null where the files did not
/// show that step (the trace ring had overwritten it, or the driver never came back).
/// </summary>
internal sealed record RestartSample(long KillNs, long? FaultNs, long? RestartNs, long? RunningNs, long? FirstGoodSourceNs, long? FirstGoodObservedNs)
{
    /// <summary>
    /// Publishes of the region from the kernel's Bad mark to the Good sample the watch saw: 1 when it
    /// saw the restarted driver's very first sample; more when the event loop stalled past a sample
    /// (then the restart time is late by that many driver periods, less one).
    /// </summary>
    public long? PublishesToFirstSeen { get; init; }

    /// <summary>When the killed process's pidfd turned readable, polled by the harness right after its kill: the OS's part of the detection ends here.</summary>
    public long? PidfdReadableNs { get; init; }

    /// <summary>Which of the demos side by side this kill hit (1-based).</summary>
    public int Instance { get; init; } = 1;

    public bool Complete => FaultNs is not null && RestartNs is not null && RunningNs is not null && FirstGoodSourceNs is not null;

    /// <summary>kill -9 to the first good sample: the restart time.</summary>
    public long? TotalNs => FirstGoodSourceNs - KillNs;

    /// <summary>kill to the kernel's fault: the child's pidfd reporting the exit, through the control thread.</summary>
    public long? DetectionNs => FaultNs - KillNs;

    /// <summary>kill to a readable pidfd: the OS tearing the process down (its address space, locked memory, descriptors).</summary>
    public long? ExitNs => PidfdReadableNs - KillNs;

    /// <summary>readable pidfd to the fault: ours (the control thread's wake-up and reading, its post, the kernel loop's wake-up).</summary>
    public long? ExitToFaultNs => FaultNs - PidfdReadableNs;

    /// <summary>fault to restart: the supervisor's backoff timer.</summary>
    public long? BackoffNs => RestartNs - FaultNs;

    /// <summary>restart to Running: fresh capabilities, status page, socket, fork/exec of the service host.</summary>
    public long? SpawnNs => RunningNs - RestartNs;

    /// <summary>Running to the first good sample: the child's runtime start, spec and grants, the service's context, first release, first cycle.</summary>
    public long? ChildToFirstSampleNs => FirstGoodSourceNs - RunningNs;

    /// <summary>When the kernel heard the child say its service had started (the trace's ready event).</summary>
    public long? ReadyNs { get; init; }

    /// <summary>Running to ready: the child's runtime start, connect, grants, the service's start.</summary>
    public long? ChildToReadyNs => ReadyNs - RunningNs;

    /// <summary>Ready to the first good sample: the wait for the next release of the driver's grid (its timing), then the first cycle.</summary>
    public long? ReadyToFirstSampleNs => FirstGoodSourceNs - ReadyNs;

    /// <summary>Kill to ready, less the backoff: what the runtime and the OS take before the service's timing takes over.</summary>
    public long? ToReadyLessBackoffNs => ReadyNs - KillNs - BackoffNs;
}

/// <summary>Puts the harness's kill times next to the run's quality log and trace.</summary>
internal static class RestartTimeline
{
    public static IReadOnlyList<RestartSample> Match(IReadOnlyList<long> killsNs, QualityLogFile quality, IReadOnlyList<TraceLine> trace, string serviceId, string point)
    {
        var origin = quality.OriginNs;
        var events = trace.Where(e => e.Service == serviceId).Select(e => e with { TimeNs = e.TimeNs + origin }).ToList();
        var faults = events.Where(e => e.Kind == TraceEventKind.Fault.Name()).Select(e => e.TimeNs).ToList();
        var restarts = events.Where(e => e.Kind == TraceEventKind.Restart.Name()).Select(e => e.TimeNs).ToList();
        var running = events.Where(e => e.Kind == TraceEventKind.ServiceState.Name() && e.Arg1 == (long)ServiceState.Running).Select(e => e.TimeNs).ToList();
        var ready = events.Where(e => e.Kind == TraceEventKind.Ready.Name()).Select(e => e.TimeNs).ToList();
        var lines = quality.Lines.Where(l => l.Point == point).ToList();

        var samples = new List<RestartSample>();
        for (var k = 0; k < killsNs.Count; k++)
        {
            var kill = killsNs[k];
            var next = k + 1 < killsNs.Count ? killsNs[k + 1] : long.MaxValue;
            var fault = FirstIn(faults, kill, next);
            var restart = FirstIn(restarts, fault ?? kill, next);
            var start = FirstIn(running, restart ?? kill, next);

            // A Good transition after the kernel marked the point Bad, carrying a sample taken after the kill:
            // the restarted driver's first good sample (not a late one of the killed process, which changes no quality).
            var first = lines.Where(l => l.Quality == "Good" && l.ObservedNs >= (fault ?? kill) && l.ObservedNs < next && l.SourceNs > kill).Select(l => (QualityLine?)l).FirstOrDefault();
            var badMark = first is { } seen ? lines.Where(l => l.Quality == "Bad" && l.ObservedNs <= seen.ObservedNs).Select(l => (QualityLine?)l).LastOrDefault() : null;
            samples.Add(new RestartSample(kill, fault, restart, start, first?.SourceNs, first?.ObservedNs)
            {
                PublishesToFirstSeen = (first?.Sequence - badMark?.Sequence) / 2,
                ReadyNs = FirstIn(ready, start ?? kill, next),
            });
        }

        return samples;
    }

    /// <summary>The service's faults that no kill explains (a missed heartbeat on a busy machine, say), with the kernel's reason.</summary>
    public static IReadOnlyList<string> OtherFaults(IReadOnlyList<RestartSample> samples, QualityLogFile quality, IReadOnlyList<TraceLine> trace, string serviceId)
    {
        var explained = samples.Select(s => s.FaultNs).OfType<long>().ToHashSet();
        return
        [
            .. trace.Where(e => e.Service == serviceId && e.Kind == TraceEventKind.Fault.Name() && !explained.Contains(e.TimeNs + quality.OriginNs))
                .Select(e => string.Create(CultureInfo.InvariantCulture, $"at {e.TimeNs / 1e9:F3} s into the run: {e.Note ?? "(no reason kept)"}")),
        ];
    }

    private static long? FirstIn(List<long> times, long from, long before)
    {
        foreach (var time in times)
        {
            if (time >= from && time < before)
            {
                return time;
            }
        }

        return null;
    }

    private static string Name(this TraceEventKind kind) => KernelTrace.KindName(kind);
}
