using System.Globalization;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>The Markdown report (docs/PERFORMANCE.md) and the tables printed to stdout.</summary>
internal static class Report
{
    /// <summary>What a section's heading says when a person, not this harness, measured it: Bench keeps such sections as they are.</summary>
    public const string HandMark = "not by Bench";

    /// <summary>
    /// The sections of <paramref name="previous"/> (the report as it stands) whose heading carries
    /// <see cref="HandMark"/>, each from its "## " heading to the next, in their order: results too
    /// long for Bench to take (a campaign of millions of faults), which a rewrite must not lose.
    /// </summary>
    public static string HandWritten(string previous)
    {
        var kept = new StringBuilder();
        var keeping = false;
        foreach (var line in previous.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                keeping = line.Contains(HandMark, StringComparison.Ordinal);
            }

            if (keeping)
            {
                kept.Append(line).Append('\n');
            }
        }

        return kept.ToString();
    }

    public static string Render(Machine machine, DateTime startedUtc, int repetitions, QueueResult queue, SocketResult sockets, CrossProcessResult crossProcess, CommandDeliveryResult delivery, RestartResult restarts, RestartResult unsandboxed, MemoryResult memory, LatencyResult latency, DemoLoopResult demoLoop, ModbusMasterResult? modbusMaster = null)
    {
        var text = new StringBuilder();
        text.AppendLine("# Performance");
        text.AppendLine();
        text.AppendLine("Written by `./build.sh --target=Bench` (tests/Neokernel.Benchmarks, Release build, JIT; the restart time runs the NativeAOT neokernel, the loop latency rt-bench's neokernel-latency, published with NativeAOT). Do not edit by hand: run it again.");
        text.AppendLine();
        text.AppendLine("## Machine");
        text.AppendLine();
        text.AppendLine("| | |");
        text.AppendLine("|---|---|");
        text.AppendLine(Inv($"| Date (UTC) | {startedUtc:yyyy-MM-dd HH:mm} |"));
        text.AppendLine(Inv($"| CPU | {machine.CpuModel} |"));
        text.AppendLine(Inv($"| Cores | {machine.Cores}{(machine.IsVirtual ? " (virtual machine)" : "")} |"));
        text.AppendLine(Inv($"| Kernel | Linux {machine.Kernel} ({machine.Architecture}) |"));
        text.AppendLine(Inv($"| OS | {machine.Os} |"));
        text.AppendLine(Inv($"| Runtime | {machine.Runtime} |"));
        text.AppendLine();
        if (machine.IsVirtual)
        {
            text.AppendLine(Inv($"Measured on a shared {machine.Cores}-core virtual machine: other jobs run beside the benchmark and the"));
            text.AppendLine("hypervisor takes time away, so single runs vary (see min and max). Every number below is the median of");
        }
        else
        {
            text.AppendLine(Inv($"Measured on a {machine.Cores}-core machine that may run other jobs beside the benchmark, so single runs"));
            text.AppendLine("vary (see min and max). Every number below is the median of");
        }

        text.AppendLine(Inv($"{repetitions} repetitions run back to back in one process; compare ratios, not absolute numbers, and"));
        text.AppendLine("compare only numbers taken on the same machine.");
        text.AppendLine();
        text.AppendLine(IssueTable.Section(delivery, restarts, memory, demoLoop));
        text.AppendLine(IssueTable.HardeningSection(restarts, unsandboxed, demoLoop));
        if (modbusMaster is not null)
        {
            text.AppendLine(IssueTable.ModbusMasterSection(modbusMaster));
        }

        text.AppendLine(Tables(queue, sockets));
        text.AppendLine(CrossProcessReport.Section(crossProcess));
        text.AppendLine("## How it is measured");
        text.AppendLine();
        text.AppendLine("- Timing is `Stopwatch.GetTimestamp()`. Both benchmarks warm up first (tiered JIT), then their repetitions alternate (queue, socket, queue, ...) so that load from other jobs hits both.");
        text.AppendLine(Inv($"- **Queue**: `Neokernel.Kernel.Ipc.BoundedMessageQueue` (capacity 64, 64-byte slots); one thread does `TryEnqueue` of a 64-byte message then `TryDequeue` into a caller's buffer, {queue.OperationsPerRepetition:N0} times per repetition; the repetition's result is its total time divided by the operations."));
        text.AppendLine(Inv($"- **Anchor**: a connected pair of Unix-domain stream sockets (`System.Net.Sockets.Socket`, `UnixDomainSocketEndPoint`) between two threads of the same process; the sender times each 64-byte ping-pong, {sockets.RoundTripsPerRepetition:N0} round trips per repetition, and takes p50 and p99 of them. One message's share is half the round trip."));
        text.AppendLine("- **The ratio is only indicative.** The queue is an in-process, single-threaded ring: no thread wake-up, no system call, no copy across an address space. It is not a cross-process transport; for that, see \"IPC across processes\" above, which compares the shared-memory ring with a socket between two processes.");
        text.AppendLine();
        text.AppendLine(delivery.Section());
        text.AppendLine(RestartReport.Section(restarts));
        text.AppendLine(MemoryBenchmark.Section(memory));
        text.AppendLine(LatencyTables(latency));
        text.AppendLine(LatencyMethod(latency));
        text.AppendLine(DemoLoopBenchmark.Section(demoLoop));
        if (modbusMaster is not null)
        {
            text.AppendLine(ModbusMasterBenchmark.Section(modbusMaster));
        }

        text.AppendLine("## Not measured yet");
        text.AppendLine();
        text.AppendLine("- **Regions** (seqlock publish + snapshot of a 16-point region): `Region`'s constructor and its `Publish`/`TryCopy` are internal to the kernel, and `RegionWriter`/`RegionReader` can only be made by the kernel, so this harness cannot build one from outside. It needs either `[InternalsVisibleTo(\"Neokernel.Benchmarks\")]` in kernel/Neokernel.Kernel.csproj, or a public factory for a standalone region over managed memory (for example `Region.CreateInMemory(name, pointNames, writer)` returning a writer and a reader).");
        return text.ToString();
    }

    public static string Tables(QueueResult queue, SocketResult sockets)
    {
        var text = new StringBuilder();
        text.AppendLine("## IPC: one 64-byte message");
        text.AppendLine();
        text.AppendLine("| Benchmark | Neokernel queue, enqueue+dequeue | Anchor: Unix socket, ½ round trip (p50) | Ratio (anchor / ours) |");
        text.AppendLine("|---|---:|---:|---:|");
        text.AppendLine(Inv($"| 64-byte message, median of {queue.NsPerOp.Count} | {queue.Median:F1} ns/op | {sockets.PerMessageNs:F0} ns | {sockets.PerMessageNs / queue.Median:F0}x |"));
        text.AppendLine();
        text.AppendLine("| Neokernel queue | median | min | max |");
        text.AppendLine("|---|---:|---:|---:|");
        text.AppendLine(Inv($"| enqueue+dequeue, ns/op | {queue.Median:F1} | {queue.NsPerOp.Min():F1} | {queue.NsPerOp.Max():F1} |"));
        text.AppendLine();
        text.AppendLine("| Anchor: Unix-socket ping-pong, 64 bytes | median | min | max |");
        text.AppendLine("|---|---:|---:|---:|");
        text.AppendLine(Inv($"| round trip p50, µs | {sockets.MedianP50Ns / 1000:F1} | {sockets.P50Ns.Min() / 1000:F1} | {sockets.P50Ns.Max() / 1000:F1} |"));
        text.AppendLine(Inv($"| round trip p99, µs | {sockets.MedianP99Ns / 1000:F1} | {sockets.P99Ns.Min() / 1000:F1} | {sockets.P99Ns.Max() / 1000:F1} |"));
        return text.ToString();
    }

    /// <summary>The "Loop latency" section: per-pair table for each scenario, then the medians of the p99 ratios.</summary>
    public static string LatencyTables(LatencyResult latency)
    {
        var text = new StringBuilder();
        text.AppendLine("<a id=\"loop-latency\"></a>");
        text.AppendLine("## Loop latency: 1 kHz cyclic task next to cyclictest");
        text.AppendLine();
        if (latency.NotMeasured is { } reason)
        {
            text.AppendLine(Inv($"Not measured in this run: {reason}."));
            return text.ToString();
        }

        var s = latency.Settings;
        text.AppendLine(Inv($"Wake-up latency of a {1_000_000 / s.PeriodUs} Hz task, SCHED_FIFO priority {s.Priority}, pinned to CPU {s.Cpu}, empty body, {s.Seconds:0.#} s ({s.Cycles:N0} cycles) per run, in µs. Ratio = Neokernel p99 / cyclictest p99 of the same pair (below 1: Neokernel woke sooner). Target: median ratio ≤ 1.2."));
        text.AppendLine();
        foreach (var scenario in latency.Scenarios)
        {
            text.AppendLine(Inv($"**{scenario.Name}** (load: {scenario.Load}; 1-minute load average {scenario.LoadAverageBefore} before the first pair, {scenario.LoadAverageAfter} after the last)"));
            text.AppendLine();
            if (scenario.AllocatingLoad is { } allocated)
            {
                var runs = scenario.Pairs.Select(p => p.Neokernel.Collections).OfType<IReadOnlyList<int>>().ToList();
                var collected = runs.Count(counts => counts.Sum() > 0);
                text.AppendLine(Inv($"The allocating process over the whole scenario: {allocated}. The loop's process beside it: {(collected == 0 ? Inv($"0 collections in each of its {runs.Count} runs") : Inv($"**collections in {collected} of its {runs.Count} runs**"))}."));
                text.AppendLine();
            }

            if (scenario.NotMeasured is { } skipped)
            {
                text.AppendLine(Inv($"Not measured: {skipped}."));
                text.AppendLine();
                continue;
            }

            text.AppendLine("| Pair | Neokernel p50 | p99 | p99.9 | max | cyclictest p50 | p99 | p99.9 | max | p99 ratio | Neokernel GC collections (gen 0/1/2) |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var pair in scenario.Pairs)
            {
                text.AppendLine(Inv($"| {pair.Index}{(pair.Index % 2 == 1 ? " (Neokernel first)" : " (cyclictest first)")} | {Row(pair.Neokernel)} | {Row(pair.Cyclictest)} | {Ratio(pair.P99Ratio)} | {Collections(pair.Neokernel)} |"));
            }

            text.AppendLine();
            text.AppendLine(Inv($"Median p99 ratio, {scenario.Name}: **{Ratio(scenario.MedianP99Ratio)}**"));
            text.AppendLine();
            foreach (var error in scenario.Pairs.SelectMany(p => new[] { p.Neokernel.Error, p.Cyclictest.Error }).OfType<string>())
            {
                text.AppendLine(Inv($"- failed: {error}"));
            }
        }

        var ratios = latency.AllPairs.Select(p => p.P99Ratio).Where(r => !double.IsNaN(r)).ToList();
        if (ratios.Count > 0)
        {
            var median = Stats.Median(ratios);
            text.AppendLine(Inv($"Median p99 ratio over all {ratios.Count} pairs: **{median:F2}** ({(median <= 1.2 ? "meets" : "misses")} the ≤ 1.2 target)."));
            text.AppendLine();
        }

        return text.ToString();
    }

    private static string LatencyMethod(LatencyResult latency)
    {
        var s = latency.Settings;
        var text = new StringBuilder();
        text.AppendLine("### How the loop latency is measured");
        text.AppendLine();
        text.AppendLine("- **Neokernel**: `neokernel-latency` (rt-bench/, NativeAOT) starts one task on `Neokernel.Rt.Linux.RealtimeCyclicExecutor`: its own thread, SCHED_FIFO, pinned, `mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT)`, timer slack 1 ns, pre-faulted stack, imports warmed, then absolute `clock_nanosleep` on CLOCK_MONOTONIC to each release of the grid. The body stores `StartNs - ReleaseNs` into a preallocated array; the main thread only sleeps until the run is done. The loop process holds `/dev/cpu_dma_latency` at 0 like cyclictest does. Its GC collection counts (read at the end) must be 0: any collection would stop the loop thread.");
        text.AppendLine(Inv($"- **Anchor**: `cyclictest -m -p {s.Priority} -a {s.Cpu} -t 1 -i {s.PeriodUs} -l {s.Cycles} -q -h {s.HistogramUs} --histfile=…` (rt-tests), the same period, priority and CPU."));
        text.AppendLine(Inv($"- Both write a histogram in whole microseconds (truncated, as cyclictest computes it) in cyclictest's `--histfile` format; p50/p99/p99.9 are nearest-rank percentiles of it, computed by the same code for both; values past {s.HistogramUs:N0} µs count as overflows (a percentile among them reads as the maximum)."));
        text.AppendLine(Inv($"- Each pair runs the two back to back, alternating which goes first. **loaded** runs every pair under `stress-ng --cpu 2 --vm 1 --vm-bytes 256M` and, beside it, an allocating service in another process: the benchmark harness again (`{AllocatingLoad.Flag} {s.AllocatingMegabytesPerSecond}`, JIT, workstation concurrent GC, unpinned) allocating byte arrays of 64 B to 16 KiB at {s.AllocatingMegabytesPerSecond} MB/s, the newest 1,024 kept alive so some are promoted; both start before the first pair and stop after the last. Its garbage collections stop only its own threads: the loop's process must still show 0. Each scenario starts after a 3 s pause."));
        text.AppendLine("- **Judge by the p99 ratio within a pair, not by max and not across runs**: the kernel is not PREEMPT_RT and the virtual machine adds millisecond outliers; p99 moves by up to 8x between runs on this machine (idle can be worse than loaded), and other engineers compile on the same two cores while it runs.");
        return text.ToString();
    }

    private static string Row(LatencyRun run) => run.Error is null
        ? Inv($"{run.P50Us} | {run.P99Us} | {run.P999Us} | {run.MaxUs}{(run.Overflows > 0 ? Inv($" ({run.Overflows} over)") : "")}")
        : "failed | | |";

    private static string Ratio(double ratio) => double.IsNaN(ratio) ? "-" : Inv($"{ratio:F2}");

    private static string Collections(LatencyRun run) => run.Collections is { } counts ? string.Join("/", counts) : "-";

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
