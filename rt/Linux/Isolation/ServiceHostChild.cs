using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Simulation;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// What a service host process was told on its command line. <c>RealTime</c> false (<c>--no-rt</c>):
/// rt-fifo and rt-deadline tasks run best-effort on the event loop.
/// </summary>
public sealed record ServiceHostArguments(string ServiceId, int SocketFd, ulong Seed, int Incarnation, long OriginNs, bool RealTime = true)
{
    /// <summary>The kernel's wall clock at time zero (<c>--wall-clock-at-zero-unix-ns</c>); null reads this process's own.</summary>
    public long? WallClockAtZeroUnixNs { get; init; }
}

/// <summary>
/// The child side of process isolation: <c>neokernel service-host</c>. It talks to its kernel on the socket it inherited
/// (never a path), receives its service's spec (<see cref="HostedServiceSpec"/>) and its capabilities as file
/// descriptors, maps them (read-only where it may only read), and runs its one service on its own
/// event loop (<see cref="SingleServiceKernel"/>), on the kernel's clock origin so release grids
/// and timestamps agree. It reads no manifest: the context is built from what it was handed, and
/// what it was not handed is not there, neither as a capability nor as shared memory. It never
/// restarts the service itself: on a fault it tells the kernel and exits, and the kernel's
/// supervisor decides.
/// <para>
/// A cyclic task whose timing grants rt-fifo or rt-deadline runs on a <see cref="RealtimeCyclicExecutor"/>
/// thread with exactly that class, priority and CPU, and the main thread lends it the event loop
/// once the service has started (<see cref="RealtimeServiceExecutor"/>): from then on the service's
/// deliveries and its timers run on the task's thread at the start of each cycle,
/// and the main thread only sleeps until it is told to stop. After start the process allocates
/// (almost) nothing, so the collector has no reason to stop the task; it publishes its
/// collection counts in the status page, and the kernel shows them.
/// </para>
/// </summary>
public static class ServiceHostChild
{
    /// <summary>The exit code of a service host that ran out of memory by an injected fault.</summary>
    private const int ExitOutOfMemory = 1;

    /// <summary>How often the child checks its service is still running and publishes its collection counts.</summary>
    private const long WatchIntervalNs = 20_000_000;

    /// <summary>How often the main thread looks for a stop request or the end of the real-time task while the loop is lent.</summary>
    private static readonly TimeSpan LentCheckInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Events the local kernel's trace ring keeps. Nobody exports a service host's ring (the kernel
    /// reads its counts from the status page), and every event kept is memory of this process: the
    /// kernel's default of 65,536 events is 3 MB, more than the rest of the process.
    /// </summary>
    private const int TraceCapacity = 1_024;

    /// <summary>Appended when the OS refuses a real-time class.</summary>
    private const string NoRtHint = "; or run neokernel run --no-rt to run rt-fifo and rt-deadline services best-effort, without real-time guarantees";

    public static int Run(
        ProgramCatalog catalog,
        ServiceHostArguments arguments,
        Func<IReadOnlyDictionary<string, RegionMemory>, IDeviceProvider> devicesFor,
        TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(devicesFor);
        ArgumentNullException.ThrowIfNull(error);
        using var socket = ChildSocket.Inherited(arguments.SocketFd);
        var grants = Grants.Receive(socket);
        var spec = grants.Spec.Service.Id == arguments.ServiceId
            ? grants.Spec
            : throw new InvalidDataException($"the kernel sent the spec of '{grants.Spec.Service.Id}' to the host of '{arguments.ServiceId}'");
        using var status = grants.Status ?? throw new InvalidDataException("the kernel sent no status page");

        // Grants received, service code not yet run: everything this process will hold is here, so
        // from now on the OS refuses the rest (rt/Linux/Sandbox: user, capabilities, seccomp).
        Sandbox.ServiceSandbox.Enter();
        var devices = devicesFor(grants.Devices);

        // Every device channel and Modbus connection carries what `neokernel fault inject` may strike (nothing until then).
        var faults = Simulation.Faults.SimulationFaults.ForLiveInjection(arguments.Seed);
        var platform = new PacedPlatform(arguments.Seed, devices, new GrantedRegionMemory(grants.Regions), arguments.OriginNs, arguments.WallClockAtZeroUnixNs, faults)
        {
            MessageQueues = new GrantedMessageQueues(grants.Rings),
            StreamFds = grants.Streams,
            RetainStorage = grants.Retain is { } retain ? new Retain.GrantedRetainStorage(retain.Directory, retain.Location) : null,
        };
        grants.Streams.ConnectThrough(socket, platform.Post);

        // The service's endpoints sleep on their rings' doorbells in this loop, not on a poll timer.
        foreach (var ring in grants.Rings.Values)
        {
            ring.ArrivalLoop = platform.Reactor;
        }
        RealtimeServiceExecutor? realtime = null;
        HeartbeatExecutor? heartbeats = null;
        platform.DecorateCyclicExecutor(inner =>
        {
            realtime = arguments.RealTime
                ? new RealtimeServiceExecutor(platform, inner, new RealtimeCyclicOptions { OriginNs = arguments.OriginNs }, NoRtHint)
                : null;
            heartbeats = new HeartbeatExecutor(realtime ?? inner, status);
            return heartbeats;
        });
        var service = SingleServiceKernel.Start(spec, catalog, platform, arguments.Incarnation, TraceCapacity, (_, text) => TryTell(socket, IsolationProtocol.WarningPrefix + text));
        realtime?.RefuseLateTasks();
        if (!service.IsRunning)
        {
            IsolationProtocol.WriteTraceCounts(status.Bytes, service.Trace);
            IsolationProtocol.SendText(socket, IsolationProtocol.EndText(service.HasFaulted, service.LastFault, service.LastCompletion));
            return service.HasFaulted ? 1 : 0;
        }

        IsolationProtocol.SendText(socket, IsolationProtocol.StartedText);
        using var stop = new CancellationTokenSource();
        var receiveBuffer = new byte[FdPassing.PayloadBytesMax];
        var listener = new Thread(() => ListenForQuit(socket, receiveBuffer, stop, grants.Streams, injection => Strike(injection, socket, platform, faults))) { IsBackground = true, Name = "service-host-socket" };
        listener.Start();

        // A real-time task's statistics are read on this thread while it sleeps (their reader side), not on the task's.
        var watch = new Watch(service, socket, stop, status, StartMeasuring()) { PublishesStatistics = realtime?.Task is null };
        watch.Timer = platform.CreateTimer(watch);
        watch.Timer.ArmAt(platform.NowNs + WatchIntervalNs);
        watch.OnTimer(platform.NowNs);
        if (realtime?.Task is { } task && !LendUntilStopped(realtime, task, heartbeats!.KernelObserver!, platform, stop, status))
        {
            TryTell(socket, $"{IsolationProtocol.FaultPrefix}the cyclic body of '{arguments.ServiceId}' did not return; the process exits without stopping the service");
            return 1;
        }

        platform.RunUntil(long.MaxValue, stop.Token);
        var faulted = service.HasFaulted;
        service.Stop();
        IsolationProtocol.WriteTraceCounts(status.Bytes, service.Trace);
        return faulted ? 1 : 0;
    }

    /// <summary>
    /// Boot's garbage is collected once, so that gen 0 starts empty and a one-time allocation of
    /// the runtime later cannot reach a collection; what the process collects after this counts.
    /// </summary>
    private static ProcessCollections StartMeasuring()
    {
        // Aggressive: besides compacting, the collector gives the memory boot used back to the OS,
        // so it is not private memory of every service process for the rest of its life.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return ProcessCollections.SinceProcessStart();
    }

    /// <summary>
    /// Lends the loop to the real-time task and sleeps until a stop is asked or the task ends, then
    /// takes the loop back and runs what the task reported. False when the task's thread did not
    /// give the loop back: its body is stuck.
    /// </summary>
    private static bool LendUntilStopped(RealtimeServiceExecutor realtime, RealtimeCyclicTask task, ICyclicTaskObserver kernelObserver, PacedPlatform platform, CancellationTokenSource stop, MemfdRegionMemory status)
    {
        // The cycles released since the service started were skipped, not missed: its heartbeat
        // window starts now, or a slow boot on a loaded machine would look like a hung task. The
        // local kernel hears it as a completed cycle; the status page does not count it.
        kernelObserver.OnCycleCompleted(platform.NowNs);
        realtime.Lend();
        while (!stop.IsCancellationRequested && task.IsRunning)
        {
            Thread.Sleep(LentCheckInterval);
            IsolationProtocol.WriteStatistics(status.Bytes, task.Statistics);
        }

        if (!realtime.Reclaim(TimeSpan.FromMilliseconds(1_000) + TimeSpan.FromTicks(2 * task.PeriodNs / 100)))
        {
            return false;
        }

        realtime.RunPosted();
        return true;
    }

    private static void TryTell(Socket socket, string text)
    {
        try
        {
            IsolationProtocol.SendText(socket, text);
        }
        catch (SocketException)
        {
            // Nobody to tell.
        }
    }

    private static void ListenForQuit(Socket socket, byte[] buffer, CancellationTokenSource stop, GrantedStreamFds streams, Action<string> strike)
    {
        try
        {
            while (IsolationProtocol.Receive(socket, buffer) is { } message && message.Type != IsolationProtocol.Quit)
            {
                if (streams.TryDeliver(message.Type, message.Body, message.Fds))
                {
                    continue;
                }

                if (message.Type == IsolationProtocol.Fault)
                {
                    strike(System.Text.Encoding.UTF8.GetString(message.Body));
                }

                foreach (var fd in message.Fds)
                {
                    fd.Dispose();
                }
            }
        }
        catch (SocketException)
        {
            // The kernel went away: stop as if told to.
        }

        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Run already returned (a watchdog fault ended the service) and disposed the source: nothing left to stop.
        }
    }

    /// <summary>
    /// A fault the kernel asked this process to suffer (<c>neokernel fault inject</c>), on the
    /// socket's thread: memory exhaustion here, device and Modbus faults on the loop's thread
    /// (the service's), where its channels are read. The kernel hears what struck or why not.
    /// </summary>
    private static void Strike(string text, Socket socket, PacedPlatform platform, Simulation.Faults.SimulationFaults faults)
    {
        Rt.Faults.FaultInjection injection;
        try
        {
            injection = Rt.Faults.FaultInjection.Parse(text);
        }
        catch (Rt.Faults.FaultSyntaxException exception)
        {
            TryTell(socket, IsolationProtocol.FaultRefusedPrefix + exception.Message);
            return;
        }

        if (injection.Kind == Rt.Faults.FaultKind.MemoryExhaustion)
        {
            TryTell(socket, $"{IsolationProtocol.FaultStruckPrefix}process {Environment.ProcessId} allocates until its memory limit stops it");
            ExhaustMemory(socket);
            return;
        }

        platform.Post(() =>
        {
            try
            {
                faults.InjectNow(injection);
                TryTell(socket, $"{IsolationProtocol.FaultStruckPrefix}on its channel, in its process {Environment.ProcessId}");
            }
            catch (ArgumentException exception)
            {
                TryTell(socket, IsolationProtocol.FaultRefusedPrefix + exception.Message);
            }
        });
    }

    /// <summary>
    /// Allocates and touches memory until the runtime refuses more: at the heap limit the kernel set
    /// from the service's memory limit (DOTNET_GCHeapHardLimit), or its cgroup's OOM killer first.
    /// Then it tells the kernel and exits as a service that ran out of memory.
    /// </summary>
    private static void ExhaustMemory(Socket socket)
    {
        var hoard = new List<byte[]>();
        long held = 0;
        try
        {
            while (true)
            {
                var block = GC.AllocateUninitializedArray<byte>(1 << 20);
                block.AsSpan().Fill(0xA5);
                hoard.Add(block);
                held += block.Length;
            }
        }
        catch (OutOfMemoryException)
        {
            hoard.Clear();
            hoard.TrimExcess();
            TryTell(socket, $"{IsolationProtocol.FaultPrefix}out of memory after {held >> 20} MiB more (memory-exhaustion injected)");
            Environment.Exit(ExitOutOfMemory);
        }
    }

    /// <summary>
    /// Publishes the trace counts and the process's collection counts the kernel reads, and ends the
    /// event loop once the service is no longer running, telling the kernel why. Runs on whichever
    /// thread holds the loop; allocation-free while the service runs.
    /// </summary>
    private sealed class Watch(SingleServiceKernel service, Socket socket, CancellationTokenSource stop, MemfdRegionMemory status, ProcessCollections baseline) : ITimerCallback
    {
        private long loopBeats;

        public IPlatformTimer? Timer { get; set; }

        /// <summary>False while a real-time task holds the loop: its statistics are then published by the main thread.</summary>
        public bool PublishesStatistics { get; set; } = true;

        public void OnTimer(long nowNs)
        {
            if (!service.HasCyclicTask)
            {
                // No cyclic task to beat: this loop's own run is the heartbeat the kernel watches.
                IsolationProtocol.WriteStatus(status.Bytes, ++loopBeats, nowNs);
            }

            IsolationProtocol.WriteTraceCounts(status.Bytes, service.Trace);
            IsolationProtocol.WriteCollections(status.Bytes, ProcessCollections.SinceProcessStart().Since(baseline));
            if (PublishesStatistics && service.Statistics is { } statistics)
            {
                IsolationProtocol.WriteStatistics(status.Bytes, statistics);
            }
            if (service.IsRunning)
            {
                if (!Timer!.IsArmed)
                {
                    Timer.ArmAt(nowNs + WatchIntervalNs);
                }

                return;
            }

            TryTell(socket, IsolationProtocol.EndText(service.HasFaulted, service.LastFault, service.LastCompletion));
            stop.Cancel();
        }
    }

    /// <summary>The capabilities the kernel sent, by kind.</summary>
    private sealed class Grants
    {
        public Dictionary<string, (CapabilityGrant Grant, SafeFileHandle Fd)> Regions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, RegionMemory> Devices { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, SharedMessageRing> Rings { get; } = new(StringComparer.Ordinal);

        public GrantedStreamFds Streams { get; } = new();

        public MemfdRegionMemory? Status { get; private set; }

        /// <summary>The retain store's directory and its descriptor, when the service has one.</summary>
        public (string Location, SafeFileHandle Directory)? Retain { get; private set; }

        /// <summary>The service's spec and the layouts of its grants, decoded once the kernel said ready.</summary>
        public HostedServiceSpec Spec { get; private set; } = null!;

        public static Grants Receive(Socket socket)
        {
            var grants = new Grants();
            var spec = new MemoryStream();
            while (IsolationProtocol.Receive(socket) is { } message)
            {
                switch (message.Type)
                {
                    case IsolationProtocol.Ready:
                        grants.Spec = spec.Length > 0
                            ? HostedServiceSpecCodec.Decode(spec.GetBuffer().AsSpan(0, (int)spec.Length))
                            : throw new InvalidDataException("the kernel said ready without sending the service's spec");
                        return grants;
                    case IsolationProtocol.SpecPart when message.Fds.Length == 0:
                        if (spec.Length + message.Body.Length > HostedServiceSpecCodec.BytesMax)
                        {
                            throw new InvalidDataException($"the kernel's spec parts exceed the {HostedServiceSpecCodec.BytesMax} bytes a spec may take");
                        }

                        spec.Write(message.Body);
                        break;
                    case IsolationProtocol.RegionGrant:
                        var region = CapabilityGrant.Decode(message.Body);
                        grants.Regions[region.Name] = (region, Single(message.Fds));
                        break;
                    case IsolationProtocol.DeviceGrant:
                        var device = CapabilityGrant.Decode(message.Body);
                        grants.Devices[device.Name] = MemfdRegionMemory.Attach(device.Name, Single(message.Fds), device.LengthBytes, (device.Rights & Rights.Write) != 0);
                        break;
                    case IsolationProtocol.RingGrant:
                        var ring = CapabilityGrant.Decode(message.Body);
                        grants.Rings[ring.Name] = AttachRing(ring, message.Fds);
                        break;
                    case IsolationProtocol.StreamGrant:
                        grants.Streams.Add(CapabilityGrant.Decode(message.Body).Name, Single(message.Fds));
                        break;
                    case IsolationProtocol.RetainGrant:
                        grants.Retain = (System.Text.Encoding.UTF8.GetString(message.Body), Single(message.Fds));
                        break;
                    case IsolationProtocol.StatusPage:
                        grants.Status = MemfdRegionMemory.Attach("status", Single(message.Fds), IsolationProtocol.StatusPageBytes, writable: true);
                        break;
                    default:
                        throw new InvalidDataException($"unexpected message '{(char)message.Type}' before the kernel said ready");
                }
            }

            throw new InvalidDataException("the kernel hung up before it sent every grant");
        }

        /// <summary>A ring rides with its doorbell (memfd, then eventfd); a ring without one is polled.</summary>
        private static SharedMessageRing AttachRing(CapabilityGrant ring, SafeFileHandle[] fds) => fds.Length switch
        {
            1 => SharedMessageRing.Attach(ring.Name, fds[0], ring.Capacity, ring.MaxMessageBytes),
            2 => SharedMessageRing.Attach(ring.Name, fds[0], ring.Capacity, ring.MaxMessageBytes, fds[1]),
            _ => throw new InvalidDataException($"ring '{ring.Name}' carries {fds.Length} file descriptors; a ring grant carries its memfd and at most its doorbell"),
        };

        private static SafeFileHandle Single(SafeFileHandle[] fds) =>
            fds.Length == 1 ? fds[0] : throw new InvalidDataException($"a grant carries one file descriptor, this one {fds.Length}");
    }

    /// <summary>Regions this process was handed map their memfd; every other region is private memory nobody else sees.</summary>
    private sealed class GrantedRegionMemory(Dictionary<string, (CapabilityGrant Grant, SafeFileHandle Fd)> granted) : IRegionMemoryProvider
    {
        private readonly ManagedRegionMemoryProvider privateMemory = new();

        public RegionMemory Allocate(string regionName, int length)
        {
            if (!granted.TryGetValue(regionName, out var grant))
            {
                return privateMemory.Allocate(regionName, length);
            }

            return MemfdRegionMemory.Attach(regionName, grant.Fd, length, (grant.Grant.Rights & Rights.Write) != 0);
        }
    }

    /// <summary>Publishes every completed cycle to the status page the kernel watches: the heartbeat across processes.</summary>
    private sealed class HeartbeatExecutor(ICyclicExecutor inner, MemfdRegionMemory status) : ICyclicExecutor
    {
        /// <summary>The local kernel's observer of the task last started: its heartbeat, without the status page's count.</summary>
        public ICyclicTaskObserver? KernelObserver { get; private set; }

        public ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer)
        {
            KernelObserver = observer;
            return inner.Start(spec, body, new Observer(observer, status));
        }

        private sealed class Observer(ICyclicTaskObserver inner, MemfdRegionMemory status) : ICyclicTaskObserver
        {
            private long cycles;

            public void OnBodyFault(Exception exception) => inner.OnBodyFault(exception);

            public void OnOverrun(long lateNs) => inner.OnOverrun(lateNs);

            public void OnWatchdog(long consecutiveOverruns) => inner.OnWatchdog(consecutiveOverruns);

            public void OnCycleCompleted(long nowNs)
            {
                IsolationProtocol.WriteStatus(status.Bytes, ++cycles, nowNs);
                inner.OnCycleCompleted(nowNs);
            }
        }
    }
}
