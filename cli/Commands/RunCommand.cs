using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Hil;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Linux.Limits;
using Spectre.Console;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel run</c>: the system in real time on its embedded simulated hardware. The kernel
/// and the services in its process run on one event-loop thread paced by the monotonic clock;
/// isolated services run in processes of their own, their rt-fifo and rt-deadline cyclic tasks
/// on real-time threads with the class their manifest grants (<c>--no-rt</c>: best-effort, for
/// users without the privilege). This thread only draws the status the loop publishes. Ctrl-C
/// (or --duration) stops the services in reverse boot order.
/// </summary>
internal static class RunCommand
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var line = CommandLine.Parse(args, "plain", "in-process", "no-rt");
        var path = SimCommand.SinglePath(line, "run");
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(path, catalog, error);
        var seed = line.Seed(system?.Manifest.Seed ?? 1);
        var durationNs = line.DurationNs();
        var plain = line.Flag("plain") || output != Console.Out || Console.IsOutputRedirected;
        var inProcess = line.Flag("in-process");
        var realTime = !line.Flag("no-rt");
        var qualityLogPath = line.Option("quality-log");
        var jsonl = line.Option("trace-jsonl");
        var chrome = line.Option("trace-chrome");
        line.RejectUnknown();
        if (system is null)
        {
            return 1;
        }

        var regions = new MemfdRegionMemoryProvider();
        // Isolated services run in processes of their own, with their endpoints on shared-memory rings.
        var isolatedServices = inProcess ? [] : system.Services.Select(s => s.Manifest).Where(m => m.IsolationInEffect()).ToList();
        var isolated = isolatedServices.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        using var queues = new SharedMessageQueueProvider(isolated.Contains);
        var platform = new PacedPlatform(seed, new SimulatedDeviceBus(regions), regions, LinuxTime.MonotonicNs()) { MessageQueues = queues };
        queues.ArrivalLoop = platform.Reactor;
        var limiter = new ProcessLimiter(error);
        var processes = new ProcessServiceHost(platform, Composition.ServiceHost(path) with { RealTime = realTime }, limiter);
        if (!inProcess)
        {
            // Before the loop boots anything: one warning per limit this machine cannot apply, naming every service that declares it.
            limiter.WarnAboutMissing(isolatedServices);
        }

        var kernel = new SystemKernel(system, catalog, platform, hostSelector: s => isolated.Contains(s.Id) ? processes : null);
        var board = new StatusBoard(kernel, processes.Collections);
        QualityLog? qualityLog = null;
        Exception? loopFailure = null;
        var loop = new Thread(() =>
        {
            try
            {
                kernel.Boot();
                board.Start(platform);
                if (qualityLogPath is not null)
                {
                    qualityLog = new QualityLog(kernel);
                    qualityLog.Start(platform);
                }

                platform.RunUntil(durationNs ?? long.MaxValue, cancellation);
            }
            catch (Exception exception)
            {
                loopFailure = exception;
            }
            finally
            {
                kernel.Shutdown();
            }
        })
        { Name = "neokernel-loop", IsBackground = true };
        loop.Start();
        output.WriteLine($"running {system.Manifest.System} in real time on {platform.Name}, seed {seed}; Ctrl-C stops");
        WriteIsolation(isolatedServices, inProcess, output);
        WriteRealTime(isolatedServices, realTime, output, error);
        if (plain)
        {
            DrawPlain(loop, board, output);
        }
        else
        {
            DrawLive(loop, board, system);
        }

        loop.Join();
        if (loopFailure is not null)
        {
            error.WriteLine($"neokernel: the kernel stopped: {loopFailure.Message}");
            return 1;
        }

        var final = StatusBoard.Capture(kernel, platform.NowNs);
        output.WriteLine($"stopped after {Format.Seconds(final.TimeNs)}: {StatusBoard.StatusLine(final)}");
        WriteRecoveries(kernel, output);
        WriteProcessIpc(processes, output);
        WriteCollections(processes.Collections, output);
        output.WriteLine($"trace: {kernel.Trace.Count} events; trace digest: {kernel.Trace.DigestHex} (real time: not reproducible, use sim for that)");
        WriteQualityLog(qualityLog, qualityLogPath, platform.OriginNs, output);
        SimCommand.WriteTraces(kernel.Trace, jsonl, chrome, output);
        return 0;
    }

    private static void WriteIsolation(List<ServiceManifest> isolated, bool inProcess, TextWriter output)
    {
        if (inProcess)
        {
            output.WriteLine("every service runs in the kernel's process (--in-process)");
            return;
        }

        output.WriteLine($"in processes of their own: {(isolated.Count == 0 ? "none" : string.Join(", ", isolated.Select(m => m.Id)))}");
    }

    /// <summary>What the IPC of each service in a process of its own did there: counts from its own trace.</summary>
    private static void WriteProcessIpc(ProcessServiceHost processes, TextWriter output)
    {
        foreach (var (id, counts) in processes.TraceCounts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (counts != default)
            {
                output.WriteLine($"{id} (in its process): ipc {counts}");
            }
        }
    }

    /// <summary>
    /// Which cyclic tasks run on real-time threads: those of isolated services whose timing grants
    /// rt-fifo or rt-deadline. With --no-rt they run best-effort, and the user is warned.
    /// </summary>
    private static void WriteRealTime(List<ServiceManifest> isolated, bool realTime, TextWriter output, TextWriter error)
    {
        var realtimeTasks = isolated.Where(m => m.Timing is { } t && RealtimeServiceExecutor.IsRealtimeClass(t.Class)).ToList();
        if (realtimeTasks.Count == 0)
        {
            return;
        }

        if (!realTime)
        {
            error.WriteLine($"warning: --no-rt: {string.Join(", ", realtimeTasks.Select(m => $"{m.Id} ({m.Timing!.Class})"))} run best-effort on their process's event loop: no real-time scheduling, no locked memory, no timing guarantees");
            return;
        }

        output.WriteLine($"on real-time threads in their processes: {string.Join(", ", realtimeTasks.Select(Grant))}");
    }

    private static string Grant(ServiceManifest manifest)
    {
        var timing = manifest.Timing!;
        var priority = timing.Class == LinuxScheduling.ClassFifo ? $" {timing.Priority}" : "";
        return $"{manifest.Id} {timing.Class}{priority}{(timing.Cpu is { } cpu ? $" on cpu {cpu}" : "")}";
    }

    /// <summary>Per isolated service: how often its processes collected garbage after their service started (the goal: never).</summary>
    private static void WriteCollections(CollectionLedger collections, TextWriter output)
    {
        foreach (var (serviceId, (total, processes)) in collections.Ever.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{serviceId}: garbage collections after start in its {processes} process{(processes == 1 ? "" : "es")}: {StatusBoard.Collections(total)}; {total.AllocatedBytes} bytes allocated after start");
        }
    }

    /// <summary>Per service that recovered from faults: how long from fault to its first cycle again.</summary>
    private static void WriteRecoveries(SystemKernel kernel, TextWriter output)
    {
        foreach (var service in kernel.Services.Where(s => s.Recoveries.Count > 0))
        {
            var sorted = service.Recoveries.Sorted();
            output.WriteLine($"{service.Id}: recovered {service.Recoveries.Count} times; fault to first cycle p50 {Format.Millis(sorted[sorted.Length / 2])}, max {Format.Millis(sorted[^1])}");
        }
    }

    private static void WriteQualityLog(QualityLog? log, string? path, long originNs, TextWriter output)
    {
        if (log is null || path is null)
        {
            return;
        }

        using (var writer = new StreamWriter(path))
        {
            log.Write(writer, originNs);
        }

        output.WriteLine($"quality log: {log.Count} quality changes written to {path} (CLOCK_MONOTONIC ns)");
    }

    /// <summary>A status line per second, and a line for each new fault (the reason, e.g. how to fix a refused scheduling class).</summary>
    private static void DrawPlain(Thread loop, StatusBoard board, TextWriter output)
    {
        var last = -1L;
        var faultsSeen = new Dictionary<string, string?>(StringComparer.Ordinal);
        while (!loop.Join(RefreshInterval))
        {
            var frame = board.Latest;
            if (frame is null)
            {
                continue;
            }

            foreach (var service in frame.Services.Where(s => s.LastFault is not null && faultsSeen.GetValueOrDefault(s.Id) != s.LastFault))
            {
                faultsSeen[service.Id] = service.LastFault;
                output.WriteLine($"fault at {Format.Seconds(frame.TimeNs)}: {service.Id}: {service.LastFault}");
            }

            if (frame.TimeNs / 1_000_000_000 == last)
            {
                continue;
            }

            last = frame.TimeNs / 1_000_000_000;
            output.WriteLine($"t={Format.Seconds(frame.TimeNs)} {StatusBoard.StatusLine(frame)}");
        }
    }

    private static void DrawLive(Thread loop, StatusBoard board, SystemDefinition system)
    {
        AnsiConsole.Live(new Text("booting…")).AutoClear(false).Start(context =>
        {
            while (!loop.Join(RefreshInterval))
            {
                if (board.Latest is { } frame)
                {
                    context.UpdateTarget(Render(frame, system));
                }
            }
        });
    }

    private static Rows Render(StatusFrame frame, SystemDefinition system)
    {
        var services = new Table().Title($"{system.Manifest.System} at {Format.Seconds(frame.TimeNs)}")
            .AddColumns("service", "state", "restarts", "cycles", "overruns", "wake p99", "exec p99", "gc after start", "last fault");
        foreach (var s in frame.Services)
        {
            var st = s.Statistics;
            services.AddRow(
                Markup.Escape(s.Id),
                StateMarkup(s.State, s.InSafeState),
                s.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                st?.Cycles.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                st?.Overruns.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                st is { } a ? Format.Micros(a.LatencyNsP99) : "-",
                st is { } b ? Format.Micros(b.ExecutionNsP99) : "-",
                frame.Collections.TryGetValue(s.Id, out var gc) ? StatusBoard.Collections(gc) : "-",
                Markup.Escape(s.LastFault ?? ""));
        }

        var image = new Table().Title("process image").AddColumns("region", "point", "value", "quality");
        foreach (var p in frame.Points)
        {
            image.AddRow(Markup.Escape(p.Region), Markup.Escape(p.Point), Format.Number(p.Value, "0.000"), p.Quality == Quality.Good ? "[green]good[/]" : $"[red]{p.Quality}[/]");
        }

        return new Rows(services, image, new Markup("[grey]Ctrl-C stops the services cleanly[/]"));
    }

    private static string StateMarkup(ServiceState state, bool safe) => state switch
    {
        ServiceState.Running => "[green]running[/]",
        ServiceState.Restarting => "[yellow]restarting[/]",
        ServiceState.Failed => "[red]failed[/]",
        _ when safe => "[red]safe state[/]",
        _ => state.ToString().ToLowerInvariant(),
    };
}
