using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Hil;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Faults;
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

    /// <summary>How long a live injection may wait for the kernel's loop and the service's process.</summary>
    private static readonly TimeSpan InjectTimeout = TimeSpan.FromSeconds(5);

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var options = RunOptions.Parse(args, output, error);
        if (options is null)
        {
            return 1;
        }

        using var files = OutputFiles.Open(options.TraceJsonlPath, options.TraceChromePath, options.QualityLogPath, error);
        if (files is null)
        {
            return FaultWatch.ExitViolation;
        }

        using var hosts = RunHosts.Compose(options, error);
        using var loop = new KernelLoop(hosts, options, cancellation);
        loop.Start();
        WriteStart(hosts, options, output, error);

        // The operator's line in: neokernel fault inject SERVICE FAULT.
        using var control = ControlSocket.TryStart(options.ControlPath ?? ControlSocket.DefaultPath(options.System.Spec.Name), (service, fault) => hosts.Faults.Inject(service, fault, InjectTimeout), error);
        if (control is not null)
        {
            output.WriteLine($"control socket: {control.Path} (neokernel fault inject SERVICE FAULT)");
        }

        Draw(loop, hosts, options, output);
        loop.Join();
        if (loop.Failure is { } failure)
        {
            error.WriteLine($"neokernel: the kernel stopped: {failure.Message}");
            return FaultWatch.ExitViolation;
        }

        var written = WriteFinalReport(hosts, loop, files, output, error);
        return ExitCode(loop, options, written, error);
    }

    /// <summary>The exit codes of sim (<see cref="FaultWatch"/>): a violation or a failed write is 1, a service failed for good 3.</summary>
    private static int ExitCode(KernelLoop loop, RunOptions options, bool written, TextWriter error)
    {
        if (loop.Violation is { } violation)
        {
            error.WriteLine($"invariant violated at {Format.Seconds(loop.ViolationAtNs)}: {violation}");
            error.WriteLine($"the run stopped there{(options.FailOnFault ? " (--fail-on-fault)" : "")}");
            return FaultWatch.ExitViolation;
        }

        return written ? loop.Watch.EndCode(error) : FaultWatch.ExitViolation;
    }

    /// <summary>The command line of <c>run</c>, read once; the system is loaded and validated with it.</summary>
    private sealed record RunOptions(
        string Path,
        ProgramCatalog Catalog,
        SystemDefinition System,
        ulong Seed,
        long? DurationNs,
        bool Plain,
        bool InProcess,
        bool RealTime,
        bool FailOnFault,
        bool Sandbox,
        Rt.Linux.Sandbox.SandboxUser SandboxUser,
        string? QualityLogPath,
        string? TraceJsonlPath,
        string? TraceChromePath,
        string? StateDirectory,
        string? ControlPath)
    {
        /// <summary>The options, or null when the system did not load (its errors are written to <paramref name="error"/>).</summary>
        public static RunOptions? Parse(IReadOnlyList<string> args, TextWriter output, TextWriter error)
        {
            var line = CommandLine.Parse(args, "plain", "in-process", "no-rt", "fail-on-fault", "no-sandbox", "simulated");
            var path = SimCommand.SinglePath(line, "run");
            var catalog = Composition.Catalog();
            var system = Composition.LoadSystem(path, catalog, error);
            if (system is not null && !line.Flag("simulated") && system.SimulatedServices.Any())
            {
                // On a board the real equipment stands where the simulated hardware would.
                error.WriteLine($"neokernel: left out simulated hardware: {string.Join(", ", system.SimulatedServices.Select(s => s.Spec.Id))} (--simulated runs it too)");
                system = system.WithoutSimulated();
            }

            var seed = line.Seed(system?.Spec.Seed ?? 1);
            var durationNs = line.DurationNs();
            var plain = line.Flag("plain") || output != Console.Out || Console.IsOutputRedirected;
            var inProcess = line.Flag("in-process");
            var realTime = !line.Flag("no-rt");
            var failOnFault = line.Flag("fail-on-fault");
            var sandbox = !line.Flag("no-sandbox");
            var sandboxUser = ResolveUser(line.Option("sandbox-user") ?? Rt.Linux.Sandbox.SandboxUser.DefaultName);
            var qualityLogPath = line.Option("quality-log");
            var jsonl = line.Option("trace-jsonl");
            var chrome = line.Option("trace-chrome");
            var stateDirectory = line.Option("state-dir");
            var controlPath = line.Option("control");
            line.RejectUnknown();
            return system is null
                ? null
                : new RunOptions(path, catalog, system, seed, durationNs, plain, inProcess, realTime, failOnFault, sandbox, sandboxUser, qualityLogPath, jsonl, chrome, stateDirectory, controlPath);
        }
    }

    /// <summary>--sandbox-user: an account or UID:GID, never root; a usage error names what was wrong.</summary>
    public static Rt.Linux.Sandbox.SandboxUser ResolveUser(string name)
    {
        try
        {
            return Rt.Linux.Sandbox.SandboxUser.Resolve(name);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException($"--sandbox-user: {exception.Message}");
        }
    }

    /// <summary>
    /// The platform and the hosts of one run: the paced platform on memfd regions and shared rings,
    /// the process host for isolated services under their limits, the kernel that picks a host per
    /// service, and the board the loop publishes status to.
    /// </summary>
    private sealed class RunHosts : IDisposable
    {
        private readonly SharedMessageQueueProvider queues;

        private RunHosts(SharedMessageQueueProvider queues, PacedPlatform platform, ProcessServiceHost processes, List<ServiceSpec> isolated, HashSet<string> inProcesses, SystemKernel kernel)
        {
            this.queues = queues;
            Platform = platform;
            Processes = processes;
            Isolated = isolated;
            Kernel = kernel;
            Faults = new LiveFaultInjector(kernel, platform, processes, inProcesses.Contains);
            Board = new StatusBoard(kernel, processes.Collections) { Injections = Faults.Capture };
        }

        /// <summary>Live fault injection into this run (<c>neokernel fault inject</c>).</summary>
        public LiveFaultInjector Faults { get; }

        public PacedPlatform Platform { get; }

        public ProcessServiceHost Processes { get; }

        /// <summary>The services that run in processes of their own, decided once for every report.</summary>
        public List<ServiceSpec> Isolated { get; }

        public SystemKernel Kernel { get; }

        public StatusBoard Board { get; }

        public static RunHosts Compose(RunOptions options, TextWriter error)
        {
            var regions = new MemfdRegionMemoryProvider();
            // Isolated services run in processes of their own, with their endpoints on shared-memory rings.
            var isolatedServices = options.InProcess ? [] : options.System.Services.Select(s => s.Spec).Where(m => m.Isolated).ToList();
            var isolated = isolatedServices.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
            var queues = new SharedMessageQueueProvider(isolated.Contains);
            try
            {
                var command = Composition.ServiceHost() with { RealTime = options.RealTime };
                var sandbox = options.Sandbox ? Composition.Sandbox(command, options.SandboxUser) : null;

                // Stores belong to the user the service processes run as: the sandbox's when the kernel is root.
                var storage = new Rt.Linux.Retain.LinuxRetainStorage(Composition.StateDirectory(options.StateDirectory, options.System), sandbox is { Features.Root: true } ? sandbox.User : null);
                if (Composition.StoreOverlap(options.System, storage) is { } overlap)
                {
                    throw new UsageException(overlap);
                }

                // Device channels and Modbus connections carry what `neokernel fault inject` strikes (nothing until then).
                var faults = Rt.Simulation.Faults.SimulationFaults.ForLiveInjection(options.Seed);
                var platform = new PacedPlatform(options.Seed, new SimulatedDeviceBus(regions), regions, LinuxTime.MonotonicNs(), faults: faults) { MessageQueues = queues, RetainStorage = storage };

                // A message into a ring this process consumes rings its doorbell, registered in this loop.
                queues.ArrivalLoop = platform.Reactor;
                var limiter = new ProcessLimiter(error);
                var processes = new ProcessServiceHost(platform, command with { Sandbox = sandbox }, limiter);
                if (!options.InProcess)
                {
                    // Before the loop boots anything: one warning per limit this machine cannot apply, naming every service that declares it.
                    limiter.WarnAboutMissing(isolatedServices);
                    sandbox?.WarnAboutMissing(error, isolatedServices.Count);
                }

                var kernel = new SystemKernel(options.System, options.Catalog, platform, hostSelector: s => isolated.Contains(s.Id) ? processes : null);
                kernel.Warned += (service, text) => error.WriteLine($"neokernel: warning: {service}: {text}");
                return new RunHosts(queues, platform, processes, isolatedServices, isolated, kernel);
            }
            catch
            {
                queues.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Processes.Dispose();
            queues.Dispose();
            Platform.Dispose();
        }
    }

    /// <summary>
    /// The kernel's event-loop thread: boots, starts the status board (and the quality log), runs
    /// the paced loop until the duration or Ctrl-C, and always shuts the kernel down. What it ran
    /// into is read after <see cref="Join()"/>.
    /// </summary>
    private sealed class KernelLoop : IDisposable
    {
        private readonly RunHosts hosts;
        private readonly RunOptions options;
        private readonly CancellationToken cancellation;
        private readonly Thread thread;
        private readonly CancellationTokenSource stopped = new();

        public KernelLoop(RunHosts hosts, RunOptions options, CancellationToken cancellation)
        {
            this.hosts = hosts;
            this.options = options;
            this.cancellation = cancellation;
            Watch = new FaultWatch(hosts.Kernel, options.FailOnFault);
            thread = new Thread(Run) { Name = "neokernel-loop", IsBackground = true };
        }

        /// <summary>The invariants (and with --fail-on-fault, the faults) checked on the loop as in sim.</summary>
        public FaultWatch Watch { get; }

        /// <summary>The first violation the watch saw; the loop stopped there. Null when there was none.</summary>
        public string? Violation { get; private set; }

        public long ViolationAtNs { get; private set; }

        /// <summary>Why the loop stopped early; null when it ran to its end.</summary>
        public Exception? Failure { get; private set; }

        /// <summary>The quality log, when --quality-log asked for one.</summary>
        public QualityLog? QualityLog { get; private set; }

        /// <summary>Each cyclic service's statistics just before the shutdown, which ends their tasks (an isolated one's from its status page).</summary>
        public IReadOnlyList<(string ServiceId, CyclicStatistics Statistics)> FinalStatistics { get; private set; } = [];

        public void Start() => thread.Start();

        public void Dispose() => stopped.Dispose();

        public void Join() => thread.Join();

        /// <summary>Waits up to <paramref name="timeout"/>; true when the loop has ended.</summary>
        public bool Join(TimeSpan timeout) => thread.Join(timeout);

        private void Run()
        {
            try
            {
                hosts.Kernel.Boot();
                hosts.Board.Start(hosts.Platform);
                if (options.QualityLogPath is not null)
                {
                    QualityLog = new QualityLog(hosts.Kernel);
                    QualityLog.Start(hosts.Platform);
                }

                var check = new WatchTimer(this);
                check.Timer = hosts.Platform.CreateTimer(check);
                check.Timer.ArmAt(hosts.Platform.NowNs + SimulationSession.CheckIntervalNs);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, stopped.Token);
                hosts.Platform.RunUntil(options.DurationNs ?? long.MaxValue, stop.Token);
            }
            catch (Exception exception)
            {
                Failure = exception;
            }
            finally
            {
                FinalStatistics = [.. hosts.Kernel.Services.Where(s => s.Statistics is not null).Select(s => (s.Id, s.Statistics!.Value))];
                hosts.Kernel.Shutdown();
            }
        }

        /// <summary>Checks the watch every <see cref="SimulationSession.CheckIntervalNs"/> of the loop's time; the first violation stops the run.</summary>
        private sealed class WatchTimer(KernelLoop loop) : ITimerCallback
        {
            public IPlatformTimer? Timer { get; set; }

            public void OnTimer(long nowNs)
            {
                if (loop.Watch.Check() is { } violation)
                {
                    loop.ViolationAtNs = nowNs;
                    loop.Violation = violation;
                    loop.stopped.Cancel();
                    return;
                }

                Timer!.ArmAt(nowNs + SimulationSession.CheckIntervalNs);
            }
        }
    }

    /// <summary>What runs where, before the first status.</summary>
    private static void WriteStart(RunHosts hosts, RunOptions options, TextWriter output, TextWriter error)
    {
        output.WriteLine($"running {options.System.Spec.Name} in real time on {hosts.Platform.Name}, seed {options.Seed}; Ctrl-C stops");
        WriteIsolation(hosts.Isolated, options.InProcess, output);
        WriteRealTime(hosts.Isolated, options.RealTime, output, error);
    }

    /// <summary>Draws the status the loop publishes until the loop ends: lines when plain, a live table on a terminal.</summary>
    private static void Draw(KernelLoop loop, RunHosts hosts, RunOptions options, TextWriter output)
    {
        if (options.Plain)
        {
            DrawPlain(loop, hosts.Board, output);
        }
        else
        {
            DrawLive(loop, hosts.Board, options.System);
        }
    }

    /// <summary>After the loop ended: the last status, recoveries, what isolated services did in their processes, the trace.</summary>
    private static bool WriteFinalReport(RunHosts hosts, KernelLoop loop, OutputFiles files, TextWriter output, TextWriter error)
    {
        var kernel = hosts.Kernel;
        var final = StatusBoard.Capture(kernel, hosts.Platform.NowNs);
        output.WriteLine($"stopped after {Format.Seconds(final.TimeNs)}: {StatusBoard.StatusLine(final)}");
        WriteRecoveries(kernel, output);
        WriteStatistics(loop.FinalStatistics, output);
        WriteProcessIpc(hosts.Processes, output);
        WriteCollections(hosts.Processes.Collections, output);
        output.WriteLine($"trace: {kernel.Trace.Count} events; trace digest: {kernel.Trace.DigestHex} (real time: not reproducible, use sim for that)");
        var logWritten = WriteQualityLog(loop.QualityLog, files.QualityLog, hosts.Platform.OriginNs, output, error);
        return SimCommand.WriteTraces(kernel.Trace, files, output, error) && logWritten;
    }

    private static void WriteIsolation(List<ServiceSpec> isolated, bool inProcess, TextWriter output)
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
    private static void WriteRealTime(List<ServiceSpec> isolated, bool realTime, TextWriter output, TextWriter error)
    {
        var realtimeTasks = isolated.Where(m => m.IsRealtime).ToList();
        if (realtimeTasks.Count == 0)
        {
            return;
        }

        if (!realTime)
        {
            error.WriteLine($"warning: --no-rt: {string.Join(", ", realtimeTasks.Select(m => $"{m.Id} ({ManifestWords.TimingClasses.Word(m.Timing!.Class)})"))} run best-effort on their process's event loop: no real-time scheduling, no locked memory, no timing guarantees");
            return;
        }

        output.WriteLine($"on real-time threads in their processes: {string.Join(", ", realtimeTasks.Select(Grant))}");
    }

    private static string Grant(ServiceSpec spec)
    {
        var timing = spec.Timing!;
        var priority = timing.Class == TimingClass.RtFifo ? $" {timing.Priority}" : "";
        return $"{spec.Id} {ManifestWords.TimingClasses.Word(timing.Class)}{priority}{(timing.Cpu is { } cpu ? $" on cpu {cpu}" : "")}";
    }

    /// <summary>Per isolated service: how often its processes collected garbage after their service started (the goal: never).</summary>
    private static void WriteCollections(CollectionLedger collections, TextWriter output)
    {
        foreach (var (serviceId, (total, processes)) in collections.Ever.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{serviceId}: garbage collections after start in its {processes} process{(processes == 1 ? "" : "es")}: {StatusBoard.Collections(total)}; {total.AllocatedBytes} bytes allocated after start");
        }
    }

    /// <summary>Per cyclic service, its current incarnation's loop over the whole run: what the live table shows, kept for scripts (the Bench target reads it).</summary>
    private static void WriteStatistics(IReadOnlyList<(string ServiceId, CyclicStatistics Statistics)> statistics, TextWriter output)
    {
        foreach (var (id, s) in statistics)
        {
            output.WriteLine(string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"{id}: loop statistics: {s.Cycles} cycles, {s.Overruns} overruns; wake-up µs mean {s.LatencyNsMean / 1e3:F1}, p99 {s.LatencyNsP99 / 1e3:F1}, p99.9 {s.LatencyNsP999 / 1e3:F1}, max {s.LatencyNsMax / 1e3:F1}; execution µs p99 {s.ExecutionNsP99 / 1e3:F1}, max {s.ExecutionNsMax / 1e3:F1}"));
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

    private static bool WriteQualityLog(QualityLog? log, OutputFiles.OutputFile? file, long originNs, TextWriter output, TextWriter error)
    {
        if (log is null || file is null)
        {
            return true;
        }

        var written = OutputFiles.TryWrite(file, stream => WriteQualityLog(log, stream, originNs), error);
        if (written)
        {
            output.WriteLine($"quality log: {log.Count} quality changes written to {file.Path} (CLOCK_MONOTONIC ns)");
        }

        return written;
    }

    private static void WriteQualityLog(QualityLog log, Stream stream, long originNs)
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        log.Write(writer, originNs);
    }

    /// <summary>A status line per second, and a line for each new fault (the reason, e.g. how to fix a refused scheduling class).</summary>
    private static void DrawPlain(KernelLoop loop, StatusBoard board, TextWriter output)
    {
        var last = -1L;
        var faultsSeen = new Dictionary<string, string?>(StringComparer.Ordinal);
        var injectionsSeen = new Dictionary<(long, string, string), string>();
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

            foreach (var injection in frame.Injections)
            {
                var key = (injection.AtNs, injection.ServiceId, injection.Fault);
                if (!injectionsSeen.TryGetValue(key, out var outcome))
                {
                    output.WriteLine($"injected at {Format.Seconds(injection.AtNs)}: {injection.ServiceId} {injection.Fault}: {injection.Struck}");
                }

                if (outcome != injection.Outcome)
                {
                    injectionsSeen[key] = injection.Outcome;
                    output.WriteLine($"at {Format.Seconds(frame.TimeNs)}: {injection.ServiceId} {injection.Fault} (injected at {Format.Seconds(injection.AtNs)}): {injection.Outcome}");
                }
            }

            if (frame.TimeNs / 1_000_000_000 == last)
            {
                continue;
            }

            last = frame.TimeNs / 1_000_000_000;
            output.WriteLine($"t={Format.Seconds(frame.TimeNs)} {StatusBoard.StatusLine(frame)}");
        }
    }

    private static void DrawLive(KernelLoop loop, StatusBoard board, SystemDefinition system)
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
        var services = new Table().Title($"{system.Spec.Name} at {Format.Seconds(frame.TimeNs)}")
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

        if (frame.Injections.Count == 0)
        {
            return new Rows(services, image, new Markup("[grey]Ctrl-C stops the services cleanly; neokernel fault inject SERVICE FAULT strikes a fault[/]"));
        }

        var injected = new Table().Title("injected faults").AddColumns("at", "service", "fault", "struck", "since");
        foreach (var i in frame.Injections.TakeLast(InjectionsShownMax))
        {
            injected.AddRow(Format.Seconds(i.AtNs), Markup.Escape(i.ServiceId), Markup.Escape(i.Fault), Markup.Escape(i.Struck), Markup.Escape(i.Outcome));
        }

        return new Rows(services, image, injected, new Markup("[grey]Ctrl-C stops the services cleanly[/]"));
    }

    /// <summary>The live table shows the latest this many injections.</summary>
    private const int InjectionsShownMax = 8;

    private static string StateMarkup(ServiceState state, bool safe) => state switch
    {
        ServiceState.Running => "[green]running[/]",
        ServiceState.Restarting => "[yellow]restarting[/]",
        ServiceState.Failed => "[red]failed[/]",
        _ when safe => "[red]safe state[/]",
        _ => state.ToString().ToLowerInvariant(),
    };
}
