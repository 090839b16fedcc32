using System.Globalization;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>The figures issue 6 asks for, each against its target, with a link to the section that measured it next to its anchor.</summary>
internal static class IssueTable
{
    public static string Section(CommandDeliveryResult delivery, RestartResult restarts, MemoryResult memory, DemoLoopResult demoLoop)
    {
        var text = new StringBuilder();
        text.AppendLine("## Summary: the figures of issue 6");
        text.AppendLine();
        text.AppendLine("| Figure | measured | target | met | section |");
        text.AppendLine("|---|---:|---:|---|---|");
        var complete = restarts.Complete;
        var floor = restarts.Anchors.FirstOrDefault(a => a.Ns.Count > 0);
        double? restartRatio = complete.Count > 0 && floor is not null
            ? (double)P50([.. complete.Select(c => c.TotalNs!.Value - c.BackoffNs!.Value)]) / P50([.. floor.Ns])
            : null;
        Row(text, "restart time less backoff, vs a bare start of the binary", restartRatio, 1.5, "×", "F1", "#restart-time");
        var ready = complete.Where(c => c.ReadyNs is not null).ToList();
        double? readyRatio = ready.Count > 0 && floor is not null
            ? (double)P50([.. ready.Select(c => c.ToReadyLessBackoffNs!.Value)]) / P50([.. floor.Ns])
            : null;
        Row(text, "the same, less the wait for the driver's next 10 ms release (kill → ready)", readyRatio, 1.5, "×", "F1", "#restart-time");
        double? detectionMs = complete.Count > 0 ? P50([.. complete.Select(c => c.DetectionNs!.Value)]) / 1e6 : null;
        Row(text, "exit detection p50", detectionMs, 1, " ms", "F1", "#restart-time");
        double? doorbellUs = delivery.EventNs.Length > 0 ? Stats.Percentile(delivery.EventNs, 50) / 1e3 : null;
        Row(text, "one-way command delivery p50, to an isolated event-driven (best-effort) service", doorbellUs, 100, " µs", "F1", "#command-delivery");
        double? cyclicUs = delivery.CyclicNs.Length > 0 ? Stats.Percentile(delivery.CyclicNs, 50) / 1e3 : null;
        Row(text, "one-way command delivery p50, to an isolated rt-fifo controller (taken at its next 10 ms cycle start)", cyclicUs, 100, " µs", "F0", "#command-delivery");
        double? loopRatio = demoLoop.Pairs.Count > 0 ? demoLoop.MedianP99Ratio : null;
        Row(text, "loop latency p99 of the demo's isolated controller vs cyclictest, beside an allocating TCP service", loopRatio, 1.2, "", "F2", "#demo-loop-latency");
        double? memoryMb = memory.Services.Count > 0 ? memory.MedianPrivateDirtyKb / 1024 : null;
        Row(text, "private memory of one isolated service process (smaps Private_Dirty, median)", memoryMb, MemoryResult.TargetPrivateDirtyKb / 1024.0, " MB", "F2", "#memory-of-an-isolated-service-process");
        text.AppendLine();
        text.AppendLine("The command delivery to the rt-fifo controller waits for the controller's next release by design (half its 10 ms period on average); the ≤ 100 µs target is met by the doorbell path, which an event-driven service sees at once.");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>The figures issue 7 asks for: what the OS sandbox costs a restart, and the demo's loop with it on.</summary>
    public static string HardeningSection(RestartResult sandboxed, RestartResult unsandboxed, DemoLoopResult demoLoop)
    {
        var text = new StringBuilder();
        text.AppendLine("## Summary: the figures of issue 7 (the OS sandbox)");
        text.AppendLine();
        text.AppendLine("| Figure | measured | target | met | section |");
        text.AppendLine("|---|---:|---:|---|---|");
        Row(text, "restart time less backoff, sandbox on, vs the same restarts with `--no-sandbox` (slower by)", SlowerPercent(sandboxed, unsandboxed), 10, " %", "F0", "#sandbox-cost");
        double? loopRatio = demoLoop.Pairs.Count > 0 ? demoLoop.MedianP99Ratio : null;
        Row(text, "loop latency p99 of the demo's isolated controller vs cyclictest, sandbox on", loopRatio, 1.2, "", "F2", "#demo-loop-latency");
        text.AppendLine();
        text.AppendLine(SandboxCost(sandboxed, unsandboxed));
        return text.ToString();
    }

    /// <summary>The restart rows with and without the sandbox, side by side.</summary>
    public static string SandboxCost(RestartResult sandboxed, RestartResult unsandboxed)
    {
        var text = new StringBuilder();
        text.AppendLine("<a id=\"sandbox-cost\"></a>");
        text.AppendLine("### What the sandbox costs a restart");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"The restart benchmark below (#restart-time, sandbox on, the default) run again right after it with `neokernel run --no-sandbox`, same kills and spacing: {sandboxed.Complete.Count} and {unsandboxed.Complete.Count} complete restarts. p50 in ms."));
        text.AppendLine();
        text.AppendLine("| Step | sandbox on | `--no-sandbox` |");
        text.AppendLine("|---|---:|---:|");
        Line(text, "restart time less backoff", sandboxed, unsandboxed, c => c.TotalNs!.Value - c.BackoffNs!.Value);
        Line(text, "spawn (restart → Running; the sandbox's spawner thread, Landlock, network namespace)", sandboxed, unsandboxed, c => c.SpawnNs!.Value);
        Line(text, "child start → ready (the child's setresuid, capabilities and seccomp among it)", sandboxed, unsandboxed, c => c.ChildToReadyNs);
        Line(text, "detection (kill → fault)", sandboxed, unsandboxed, c => c.DetectionNs!.Value);
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>The figures issue 8 asks for of the slave: its throughput against the libmodbus slave and far above pymodbus.</summary>
    public static string ModbusSlaveSection(SlaveThroughputResult slave)
    {
        var text = new StringBuilder();
        text.AppendLine("## Summary: the figures of issue 8 (Modbus slave)");
        text.AppendLine();
        text.AppendLine("| Figure | measured | target | met | section |");
        text.AppendLine("|---|---:|---:|---|---|");
        foreach (var connections in SlaveThroughputResult.ConnectionCounts)
        {
            var plural = connections == 1 ? "1 connection" : $"{connections} connections";
            AtLeast(text, $"slave requests/s, ours ÷ the libmodbus slave, {plural}", slave.Ratio(SlaveThroughputResult.Libmodbus, connections), 1);
            AtLeast(text, $"slave requests/s, ours ÷ the pymodbus slave, {plural}", slave.Ratio(SlaveThroughputResult.Pymodbus, connections), 2);
        }

        text.AppendLine();
        return text.ToString();
    }

    /// <summary>
    /// The master figure issue 8 asks for: the poll cycle against libmodbus's client doing the same.
    /// The issue names no target; the rows ask for no slower than the anchor (a ratio of at most 1).
    /// </summary>
    public static string ModbusMasterSection(ModbusMasterResult master)
    {
        var text = new StringBuilder();
        text.AppendLine("## Summary: the figures of issue 8 (Modbus master)");
        text.AppendLine();
        text.AppendLine("| Figure | measured | target | met | section |");
        text.AppendLine("|---|---:|---:|---|---|");
        var anchor = master.Find(ModbusMasterBenchmark.Anchor);
        Row(text, "poll cycle p50, 10 slaves × 100 registers, ours one slave after another vs the libmodbus client (ratio)", Ratio(master.Find(ModbusMasterBenchmark.Sequential), anchor), 1, "", "F2", "#modbus-master-poll-cycle");
        Row(text, "the same, ours with the 10 requests in flight at once (as the driver polls)", Ratio(master.Find(ModbusMasterBenchmark.Concurrent), anchor), 1, "", "F2", "#modbus-master-poll-cycle");
        text.AppendLine();
        return text.ToString();
    }

    private static void AtLeast(StringBuilder text, string figure, double? value, double target)
    {
        var shown = value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) + "×" : "not measured";
        var met = value is { } m ? (m >= target ? "yes" : "no") : "-";
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {figure} | {shown} | ≥ {target:0.##}× | {met} | [modbus-slave-throughput](#modbus-slave-throughput) |"));
    }

    private static double? Ratio(ModbusCycleSeries? ours, ModbusCycleSeries? anchor) =>
        ours is null || anchor is null ? null : Stats.Median(ours.P50Ns) / Stats.Median(anchor.P50Ns);

    private static void Line(StringBuilder text, string step, RestartResult a, RestartResult b, Func<RestartSample, long?> value)
    {
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {step} | {Ms(a, value)} | {Ms(b, value)} |"));
    }

    private static string Ms(RestartResult result, Func<RestartSample, long?> value)
    {
        var values = result.Complete.Select(value).OfType<long>().ToArray();
        return values.Length == 0 ? "-" : (P50(values) / 1e6).ToString("F1", CultureInfo.InvariantCulture);
    }

    private static double? SlowerPercent(RestartResult sandboxed, RestartResult unsandboxed)
    {
        var on = sandboxed.Complete.Select(c => c.TotalNs!.Value - c.BackoffNs!.Value).ToArray();
        var off = unsandboxed.Complete.Select(c => c.TotalNs!.Value - c.BackoffNs!.Value).ToArray();
        return on.Length == 0 || off.Length == 0 ? null : ((double)P50(on) / P50(off) - 1) * 100;
    }

    private static void Row(StringBuilder text, string figure, double? value, double target, string unit, string format, string anchor)
    {
        var shown = value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) + unit : "not measured";
        var met = value is { } m ? (m <= target ? "yes" : "no") : "-";
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {figure} | {shown} | ≤ {target:0.##}{unit} | {met} | [{anchor.TrimStart('#')}]({anchor}) |"));
    }

    private static long P50(long[] ns)
    {
        Array.Sort(ns);
        return Stats.Percentile(ns, 50);
    }
}
