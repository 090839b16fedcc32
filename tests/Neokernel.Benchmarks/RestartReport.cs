using System.Globalization;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>The "Restart time" section of the report.</summary>
internal static class RestartReport
{
    /// <summary>Below this many samples a p90 says nothing a max does not.</summary>
    private const int SamplesForP90 = 20;

    private const int SamplesForP99 = 100;

    public static string Section(RestartResult result)
    {
        var s = result.Settings;
        var text = new StringBuilder();
        text.AppendLine("<a id=\"restart-time\"></a>");
        text.AppendLine("## Restart time: kill -9 of a driver to its first good sample");
        text.AppendLine();
        if (result.Samples.Count == 0)
        {
            text.AppendLine(Inv($"Not measured in this run: {result.Error}."));
            return text.ToString();
        }

        var complete = result.Complete;
        var p99 = complete.Count >= SamplesForP99;
        text.AppendLine(Inv($"The tank demo under the NativeAOT binary (`neokernel run {s.SystemPath} --plain`), {s.Instances} instance(s) side by side; their {RestartSettings.ServiceId}s' processes killed with SIGKILL in turn, {result.Samples.Count} times in all, {s.SpacingSeconds:0.##} s apart, so each instance's driver every {s.InstanceSpacingSeconds:0.##} s; {complete.Count} of {result.Samples.Count} restarts followed from the kill to the first good sample. In ms; each row's percentiles are of that row alone, so the steps do not add up to the total's."));
        text.AppendLine();
        text.AppendLine(p99 ? "| Step | From → to | p50 | p90 | p99 | max |" : "| Step | From → to | p50 | p90 | max |");
        text.AppendLine(p99 ? "|---|---|---:|---:|---:|---:|" : "|---|---|---:|---:|---:|");
        Row(text, "**Restart time**", "kill -9 (harness) → first good sample of `" + RestartSettings.Point + "` (its source timestamp)", complete.Select(c => c.TotalNs!.Value), p99);
        Row(text, "detection", "kill → the kernel's fault: the child's pidfd is readable on the control thread, which posts the exit to the loop", complete.Select(c => c.DetectionNs!.Value), p99);
        var split = complete.Where(c => c.PidfdReadableNs is not null).ToList();
        Row(text, "· the OS's part", "kill → the killed process's pidfd readable (the harness spins on poll(2) with no timeout): the OS tearing the process down", split.Select(c => c.ExitNs!.Value), p99);
        Row(text, "· ours", "pidfd readable → the kernel's fault: the control thread wakes, reads the exit, posts it; the kernel's loop wakes and faults the service", split.Select(c => c.ExitToFaultNs!.Value), p99);
        Row(text, "backoff", "fault → restart: the supervisor's timer", complete.Select(c => c.BackoffNs!.Value), p99);
        Row(text, "spawn", "restart → Running: fresh capabilities, status page, socketpair, fork/exec of `neokernel service-host`", complete.Select(c => c.SpawnNs!.Value), p99);
        Row(text, "child start → first sample", "runtime start, spec and grants read from the socket it inherited (queued there at spawn), the service's context from them, the first release of the 10 ms grid, first cycle", complete.Select(c => c.ChildToFirstSampleNs!.Value), p99);
        var ready = complete.Where(c => c.ReadyNs is not null).ToList();
        Row(text, "· child start → ready", "Running → the child says its service started (the kernel's `ready` event): runtime start, spec and grants from the inherited socket, the service's context and start", ready.Select(c => c.ChildToReadyNs!.Value), p99);
        Row(text, "· ready → first sample", "the wait for the next release of the driver's 10 ms grid (phase 0: its timing, not the runtime), then its first cycle", ready.Select(c => c.ReadyToFirstSampleNs!.Value), p99);
        Row(text, "restart time less backoff", "what the runtime and the OS take, whatever the restart policy", complete.Select(c => c.TotalNs!.Value - c.BackoffNs!.Value), p99);
        Row(text, "restart time less backoff and grid wait", "kill → ready, less the backoff: what the runtime and the OS take before the service's timing takes over", ready.Select(c => c.ToReadyLessBackoffNs!.Value), p99);
        foreach (var anchor in result.Anchors.Where(a => a.Ns.Count > 0))
        {
            Row(text, "Anchor: " + anchor.Name, anchor.What + Inv($" ({anchor.Ns.Count} starts)"), anchor.Ns, p99);
        }

        text.AppendLine();
        AppendRatio(text, result, complete);
        if (result.KernelRecoveries.Count > 0)
        {
            text.AppendLine(Inv($"The kernels' own count, from each run's summary (fault to the first heartbeat it saw, at its 10 ms status-page read): {string.Join("; ", result.KernelRecoveries.Select(r => $"`{r}`"))}."));
            text.AppendLine();
        }

        var problems = Problems(result).ToList();
        foreach (var problem in problems)
        {
            text.AppendLine(Inv($"- {problem}"));
        }

        if (problems.Count > 0)
        {
            text.AppendLine();
        }

        text.AppendLine(PerKill(result));
        text.AppendLine(Method(result));
        return text.ToString();
    }

    private static void AppendRatio(StringBuilder text, RestartResult result, IReadOnlyList<RestartSample> complete)
    {
        var floor = result.Anchors.FirstOrDefault(a => a.Ns.Count > 0);
        if (floor is null || complete.Count == 0)
        {
            return;
        }

        var lessBackoff = P50(complete.Select(c => c.TotalNs!.Value - c.BackoffNs!.Value));
        var total = P50(complete.Select(c => c.TotalNs!.Value));
        var anchor = P50(floor.Ns);
        text.AppendLine(Inv($"Restart time p50 {Ms(total)} ms; less the backoff {Ms(lessBackoff)} ms, which is **{(double)lessBackoff / anchor:F1}×** the p50 of the bare start of the same binary ({floor.Name}, {Ms(anchor)} ms)."));
        var ready = complete.Where(c => c.ReadyNs is not null).ToList();
        if (ready.Count > 0)
        {
            var toReady = P50(ready.Select(c => c.ToReadyLessBackoffNs!.Value));
            text.AppendLine(Inv($"Less the backoff and the wait for the driver's next release (both its manifest's timing: a 10 ms grid is on average 5 ms away), {Ms(toReady)} ms, **{(double)toReady / anchor:F1}×** the bare start."));
        }

        text.AppendLine();
    }

    private static IEnumerable<string> Problems(RestartResult result)
    {
        if (result.Error is { } error)
        {
            yield return "stopped early: " + error;
        }

        foreach (var (sample, index) in result.Samples.Select((sample, index) => (sample, index)).Where(p => !p.sample.Complete))
        {
            yield return Inv($"kill {index + 1}: {(sample.FirstGoodSourceNs is null ? "no good sample after it" : "the trace did not show its fault, restart and start")}");
        }

        if (!result.TraceComplete)
        {
            yield return "the kernel's trace ring had wrapped by the end of the run: the earliest kills have no steps";
        }

        var late = result.Samples.Count(c => c.PublishesToFirstSeen is > 1);
        if (late > 0)
        {
            yield return Inv($"in {late} restarts the quality watch saw a later sample first (the event loop stalled past the first; region publish sequence): those restart times are late by the skipped driver periods");
        }

        foreach (var fault in result.OtherFaults)
        {
            yield return Inv($"a fault of the {RestartSettings.ServiceId} that no kill caused, {fault}");
        }

        foreach (var failure in result.Anchors.SelectMany(a => a.Failures).Distinct())
        {
            yield return "anchor failed: " + failure;
        }
    }

    private static string PerKill(RestartResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("<details><summary>Every kill, in ms from the kill</summary>");
        text.AppendLine();
        text.AppendLine("| Kill | instance | pidfd readable (harness) | fault | restart | Running | ready | first good sample | seen by the kernel's process |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (sample, index) in result.Samples.Select((sample, index) => (sample, index)))
        {
            text.AppendLine(Inv($"| {index + 1} | {sample.Instance} | {Since(sample, sample.PidfdReadableNs)} | {Since(sample, sample.FaultNs)} | {Since(sample, sample.RestartNs)} | {Since(sample, sample.RunningNs)} | {Since(sample, sample.ReadyNs)} | {Since(sample, sample.FirstGoodSourceNs)} | {Since(sample, sample.FirstGoodObservedNs)} |"));
        }

        text.AppendLine();
        text.AppendLine("</details>");
        return text.ToString();
    }

    private static string Method(RestartResult result)
    {
        var s = result.Settings;
        var text = new StringBuilder();
        text.AppendLine("### How the restart time is measured");
        text.AppendLine();
        text.AppendLine(Inv($"- The harness starts {s.Instances} × `neokernel run {s.SystemPath} --plain --quality-log FILE --trace-jsonl FILE` (the NativeAOT binary; each with its own kernel, and its drivers in processes of their own, as `neokernel service-host`), waits {RestartBenchmark.WarmUp.TotalSeconds:0} s, then every {s.SpacingSeconds:0.##} s kills the next instance's {RestartSettings.ServiceId} process (found in /proc: the child of that kernel with `--service {RestartSettings.ServiceId}`) with `kill(pid, SIGKILL)`. The kill time is CLOCK_MONOTONIC read right before the call. Why several instances: the supervisor doubles a driver's backoff for each of its restarts in the last `withinMs` (10 s), so one demo killed every few seconds would measure a backoff of 200–800 ms, and one killed every 10.5 s would take over 5 minutes for 30 kills. Killed in turn, each instance's driver dies every {s.InstanceSpacingSeconds:0.##} s, and every restart is what follows a lone crash. Between its kills an instance only runs the demo (about 7 % of one core, drivers included, measured with time(1) over 10 s on this machine), beside the restart being measured in another."));
        text.AppendLine("- **First good sample**: `--quality-log` watches every point from the kernel's event loop every 1 ms and logs each quality change with the point's source timestamp. The driver stamps each sample itself, on CLOCK_MONOTONIC from the kernel's clock origin (the log's header gives it), so the restart time ends when the sample was taken, not when someone looked. It is the first change of `" + RestartSettings.Point + "` to Good after the kernel marked it Bad, with a source timestamp after the kill. The log also carries the region's publish sequence, which proves the watch saw the very first sample: the Good sample it logged was the first publish after the kernel's Bad mark in " + Inv($"{result.Samples.Count(c => c.PublishesToFirstSeen == 1)} of {result.Samples.Count}") + " restarts (any other is listed above). The last column of the per-kill table is when the watch saw it (1 ms later at most when the event loop is on time); the controller reads it at its next cycle.");
        text.AppendLine("- **Steps**: fault, restart and Running are the kernel's trace events for the driver (`--trace-jsonl`, platform time plus the origin). Detection is the OS tearing the killed process down until its pidfd is readable, the control thread's wake-up and its post to the kernel's loop; the harness opens the same process's pidfd before the kill and, right after it, spins on poll(2) with a zero timeout until it is readable, so the two rows below detection split it into the OS's part (no sleeper's wake-up in it) and ours (the control thread's wake-up from epoll, reading the exit, its post, the kernel loop's wake-up; the harness spinning takes one of the machine's cores for that millisecond); the backoff is the manifest's `backoffInitialMs: 50`, doubled for each restart of the driver in the last `withinMs` (10 s): with each driver killed every " + Inv($"{s.InstanceSpacingSeconds:0.##}") + " s, " + (s.RestartsAlone ? "its previous restart has left the window when it faults again, so the backoff stays at 50 ms." : "earlier restarts are still in the window when it faults again, so the backoff doubles (see its row).") + " The row *restart time less backoff* does not depend on the policy. Spawn is the `Process.Start` of the service host on the control thread; *child start → first sample* is everything in the new process until its first cycle, including reading its spec and grants from the socket it inherited (the kernel queued them there at spawn), and up to 10 ms until the next release of the driver's 10 ms grid (phase 0). *Ready* is the kernel's `ready` trace event: the control thread's clock when the child's \"started\" arrived, after the service's start ran; from there the first sample waits for the grid, as the manifest's timing asks, so *kill → ready less the backoff* is the runtime's and the OS's whole share.");
        text.AppendLine("- **Anchors**: halfway between two kills (after the restart, while the demos run) the harness starts the same binary with `--version` and with `validate` on the same system and times each from before `Process.Start` to its reaped exit: the floor of any restart (fork/exec and .NET runtime start of the NativeAOT binary), and that floor plus loading the manifests (which a service host no longer does: the kernel sends it its service's spec with its grants).");
        text.AppendLine("- Each run's own summary line (`recovered N times; fault to first cycle ...`) is its kernel's view: from the fault to the first heartbeat its 10 ms status-page read saw, so it lags the sample by up to 10 ms.");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string name, string what, IEnumerable<long> ns, bool p99)
    {
        var sorted = ns.Order().ToArray();
        if (sorted.Length == 0)
        {
            text.AppendLine(p99 ? Inv($"| {name} | {what} | - | - | - | - |") : Inv($"| {name} | {what} | - | - | - |"));
            return;
        }

        var p90 = sorted.Length >= SamplesForP90 ? Ms(Stats.Percentile(sorted, 90)) : "-";
        text.AppendLine(p99
            ? Inv($"| {name} | {what} | {Ms(Stats.Percentile(sorted, 50))} | {p90} | {Ms(Stats.Percentile(sorted, 99))} | {Ms(sorted[^1])} |")
            : Inv($"| {name} | {what} | {Ms(Stats.Percentile(sorted, 50))} | {p90} | {Ms(sorted[^1])} |"));
    }

    private static long P50(IEnumerable<long> ns) => Stats.Percentile([.. ns.Order()], 50);

    private static string Since(RestartSample sample, long? ns) => ns is { } value ? Ms(value - sample.KillNs) : "-";

    private static string Ms(double ns) => (ns / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
