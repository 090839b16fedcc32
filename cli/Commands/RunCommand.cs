using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Hil;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;
using Spectre.Console;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel run</c>: the system in real time on its embedded simulated hardware. The kernel
/// and every service run on one event-loop thread paced by the monotonic clock; this thread
/// only draws the status the loop publishes. Ctrl-C (or --duration) stops the services in
/// reverse boot order.
/// </summary>
internal static class RunCommand
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var line = CommandLine.Parse(args, "plain", "in-process");
        var path = SimCommand.SinglePath(line, "run");
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(path, catalog, error);
        var seed = line.Seed(system?.Manifest.Seed ?? 1);
        var durationNs = line.DurationNs();
        var plain = line.Flag("plain") || output != Console.Out || Console.IsOutputRedirected;
        var inProcess = line.Flag("in-process");
        var qualityLogPath = line.Option("quality-log");
        var jsonl = line.Option("trace-jsonl");
        var chrome = line.Option("trace-chrome");
        line.RejectUnknown();
        if (system is null)
        {
            return 1;
        }

        var regions = new MemfdRegionMemoryProvider();
        var platform = new PacedPlatform(seed, new SimulatedDeviceBus(regions), regions, LinuxTime.MonotonicNs());
        var processes = new ProcessServiceHost(platform, Composition.ServiceHost(path));
        var kernel = new SystemKernel(system, catalog, platform, hostSelector: s => !inProcess && Isolate(s.Manifest) ? processes : null);
        var board = new StatusBoard(kernel);
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
        WriteIsolation(system, inProcess, output);
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
        output.WriteLine($"trace: {kernel.Trace.Count} events; trace digest: {kernel.Trace.DigestHex} (real time: not reproducible, use sim for that)");
        WriteQualityLog(qualityLog, qualityLogPath, platform.OriginNs, output);
        SimCommand.WriteTraces(kernel.Trace, jsonl, chrome, output);
        return 0;
    }

    /// <summary>
    /// Isolated services run in processes of their own; one that provides or calls an endpoint stays
    /// in the kernel's process until endpoints cross processes.
    /// </summary>
    internal static bool Isolate(ServiceManifest manifest) =>
        manifest.IsolationInEffect() && manifest.Endpoints.Provides.Count == 0 && manifest.Endpoints.Uses.Count == 0;

    private static void WriteIsolation(SystemDefinition system, bool inProcess, TextWriter output)
    {
        if (inProcess)
        {
            output.WriteLine("every service runs in the kernel's process (--in-process)");
            return;
        }

        var isolated = system.Services.Where(s => Isolate(s.Manifest)).Select(s => s.Manifest.Id).ToList();
        var waiting = system.Services.Where(s => s.Manifest.IsolationInEffect() && !Isolate(s.Manifest)).Select(s => s.Manifest.Id).ToList();
        output.WriteLine($"in processes of their own: {(isolated.Count == 0 ? "none" : string.Join(", ", isolated))}");
        if (waiting.Count > 0)
        {
            output.WriteLine($"in the kernel's process although isolated: {string.Join(", ", waiting)} (endpoints do not cross processes yet)");
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

    private static void DrawPlain(Thread loop, StatusBoard board, TextWriter output)
    {
        var last = -1L;
        while (!loop.Join(RefreshInterval))
        {
            var frame = board.Latest;
            if (frame is null || frame.TimeNs / 1_000_000_000 == last)
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
            .AddColumns("service", "state", "restarts", "cycles", "overruns", "wake p99", "exec p99", "last fault");
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
