using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>One process's memory as /proc/PID/smaps_rollup says it, in KiB.</summary>
internal readonly record struct ProcessMemory(string Name, long PrivateDirtyKb, long RssKb, long PssKb)
{
    /// <summary>Reads /proc/<paramref name="pid"/>/smaps_rollup; null when the process is gone or unreadable.</summary>
    public static ProcessMemory? Read(int pid, string name)
    {
        try
        {
            long privateDirty = -1, rss = -1, pss = -1;
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                privateDirty = Field(line, "Private_Dirty:") ?? privateDirty;
                rss = Field(line, "Rss:") ?? rss;
                pss = Field(line, "Pss:") ?? pss;
            }

            return privateDirty < 0 ? null : new ProcessMemory(name, privateDirty, rss, pss);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long? Field(string line, string name) =>
        line.StartsWith(name, StringComparison.Ordinal)
            ? long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)
            : null;
}

/// <summary>What the memory benchmark measured: each isolated service process of the demo, and the anchor.</summary>
internal sealed record MemoryResult(IReadOnlyList<ProcessMemory> Services, ProcessMemory? Anchor, string? NotMeasured)
{
    /// <summary>The bar for one isolated service process.</summary>
    public const long TargetPrivateDirtyKb = 2_048;

    public double MedianPrivateDirtyKb => Services.Count == 0 ? double.NaN : Stats.Median(Services.Select(s => (double)s.PrivateDirtyKb).ToList());

    public static MemoryResult NotMeasuredBecause(string reason) => new([], null, reason);
}

/// <summary>
/// Private memory of the demo's isolated service processes (smaps_rollup Private_Dirty: the pages
/// only that process has written, which is what each further service costs the board), read from
/// a running <c>neokernel run</c> of the NativeAOT binary once its services settled. The anchor is
/// a C real-time loop doing the same kind of job: cyclictest with one SCHED_FIFO thread and locked
/// memory, read the same way.
/// </summary>
internal static class MemoryBenchmark
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(6);

    public static MemoryResult Run(string? neokernelBinary, string systemPath)
    {
        if (neokernelBinary is null || !File.Exists(neokernelBinary))
        {
            return MemoryResult.NotMeasuredBecause("no NativeAOT neokernel binary (--neokernel-binary)");
        }

        if (!File.Exists(systemPath))
        {
            return MemoryResult.NotMeasuredBecause($"{Path.GetFullPath(systemPath)} does not exist; run the harness from the repository root");
        }

        var services = MeasureDemo(neokernelBinary, systemPath);
        var anchor = MeasureAnchor();
        foreach (var service in services)
        {
            Console.WriteLine(Inv($"  memory: {service.Name}: Private_Dirty {service.PrivateDirtyKb} KiB, Rss {service.RssKb} KiB, Pss {service.PssKb} KiB"));
        }

        Console.WriteLine(anchor is { } a ? Inv($"  memory: anchor {a.Name}: Private_Dirty {a.PrivateDirtyKb} KiB, Rss {a.RssKb} KiB") : "  memory: anchor not measured (cyclictest missing?)");
        return services.Count == 0 ? MemoryResult.NotMeasuredBecause("the demo's service processes could not be read") : new MemoryResult(services, anchor, null);
    }

    public static string Section(MemoryResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("## Memory of an isolated service process");
        text.AppendLine();
        if (result.NotMeasured is { } reason)
        {
            text.AppendLine(Inv($"Not measured: {reason}."));
            text.AppendLine();
            return text.ToString();
        }

        text.AppendLine("| process | Private_Dirty (KiB) | Rss (KiB) | Pss (KiB) |");
        text.AppendLine("|---|---|---|---|");
        foreach (var service in result.Services)
        {
            text.AppendLine(Inv($"| {service.Name} (service host, NativeAOT) | {service.PrivateDirtyKb} | {service.RssKb} | {service.PssKb} |"));
        }

        if (result.Anchor is { } anchor)
        {
            text.AppendLine(Inv($"| anchor: {anchor.Name} | {anchor.PrivateDirtyKb} | {anchor.RssKb} | {anchor.PssKb} |"));
        }

        text.AppendLine();
        var median = result.MedianPrivateDirtyKb;
        var ratio = result.Anchor is { PrivateDirtyKb: > 0 } a ? Inv($"; {median / a.PrivateDirtyKb:F1}x the anchor's") : "";
        var verdict = median <= MemoryResult.TargetPrivateDirtyKb ? "met" : "missed";
        text.AppendLine(Inv($"Median Private_Dirty of a service process: {median:F0} KiB{ratio} (target ≤ {MemoryResult.TargetPrivateDirtyKb} KiB: {verdict})."));
        text.AppendLine();
        text.AppendLine(Inv($"- Read from /proc/PID/smaps_rollup {Settle.TotalSeconds:F0} s after `neokernel run manifests/systems/tank-demo.yaml` started (NativeAOT, real time): Private_Dirty is what only that process wrote, the cost of one more service on the board; the executable's pages are clean and shared by every service process (cli/Neokernel.Cli.csproj says why)."));
        text.AppendLine("- Anchor: `cyclictest -m -t1 -p 80 -i 1000` (C, one SCHED_FIFO thread, mlockall), read the same way after it ran 2 s.");
        text.AppendLine();
        return text.ToString();
    }

    private static List<ProcessMemory> MeasureDemo(string binary, string systemPath)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "run", systemPath, "--plain", "--duration", "10s" })
        {
            info.ArgumentList.Add(argument);
        }

        using var run = Process.Start(info) ?? throw new InvalidOperationException($"{binary} did not start");
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        Thread.Sleep(Settle);
        var measured = new List<ProcessMemory>();
        if (run.HasExited)
        {
            Console.WriteLine($"  memory: the demo ended before it was measured: {stderr.Result.Trim()}");
            return measured;
        }

        foreach (var child in ServiceHosts.Children(run.Id))
        {
            if (ServiceHosts.ServiceOf(child) is { } service && ProcessMemory.Read(child, service) is { } memory)
            {
                measured.Add(memory);
            }
        }

        if (!run.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            run.Kill(entireProcessTree: true);
        }

        GC.KeepAlive(stdout.Result + stderr.Result);
        return [.. measured.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    private static ProcessMemory? MeasureAnchor()
    {
        if (!Tool.Exists("cyclictest"))
        {
            return null;
        }

        var info = new ProcessStartInfo("cyclictest") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-m", "-t1", "-p", "80", "-i", "1000", "-q", "-D", "4" })
        {
            info.ArgumentList.Add(argument);
        }

        using var anchor = Process.Start(info);
        if (anchor is null)
        {
            return null;
        }

        var stdout = anchor.StandardOutput.ReadToEndAsync();
        var stderr = anchor.StandardError.ReadToEndAsync();
        Thread.Sleep(TimeSpan.FromSeconds(2));
        var memory = ProcessMemory.Read(anchor.Id, "cyclictest");
        anchor.WaitForExit(TimeSpan.FromSeconds(10));
        GC.KeepAlive(stdout.Result + stderr.Result);
        return memory;
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
