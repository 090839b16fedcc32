using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux.Limits;
using Neokernel.Rt.Linux.Sandbox;
using Neokernel.Kernel.Trace;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// How to start a service host process: the neokernel binary (or dotnet and its assembly). The
/// child is given no manifest: the kernel sends it its service's spec with its grants.
/// </summary>
public sealed record ServiceHostCommand(string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>False: the children run rt-fifo and rt-deadline tasks best-effort on their event loop (<c>--no-rt</c>).</summary>
    public bool RealTime { get; init; } = true;

    /// <summary>The OS sandbox each child starts in; null: none (<c>--no-sandbox</c>, and tests that do not ask for one).</summary>
    public SandboxSettings? Sandbox { get; init; }
}

/// <summary>
/// Runs a service in an OS process of its own: the same neokernel binary, started as
/// <c>neokernel service-host</c>. The kernel sends the child its service's spec and the layouts
/// of its grants (<see cref="HostedServiceSpec"/>), then exactly the capabilities of this
/// incarnation as file descriptors over a socketpair whose other end only the child inherits
/// (<see cref="ChildSocket"/>): each region as its memfd (read-only unless
/// the grant has Write), each simulated device's register bank, and a status page the child
/// publishes its heartbeat in. A crash in the child (an exception, a signal, kill -9) ends only
/// the child: its pidfd becomes readable at once, and the supervisor restarts it.
/// <para>
/// Two threads share the work. A control thread (<see cref="ProcessControl"/>) does everything
/// that blocks: it spawns the child (<see cref="ChildProcess.Spawn"/>), applies its limits, sends
/// its grants over the socket the child was started with, reads what it says, and reaps it
/// when its pidfd says it exited (<see cref="ChildProcess.OnExited"/>); it posts what the kernel
/// must know to the kernel's event loop. The loop only prepares the grants
/// (<see cref="GrantList"/>), reads the status page on a timer (<see cref="StatusPageReader"/>:
/// heartbeat, collections, trace counts) and reports exits to the supervisor. Each child runs
/// under its manifest's limits (memory, CPU, open files), applied by <see cref="ProcessLimiter"/>
/// before the child receives its first capability.
/// </para>
/// </summary>
public sealed class ProcessServiceHost(IPlatform platform, ServiceHostCommand command, ProcessLimiter? limiter = null) : IServiceHost, IDisposable
{
    /// <summary>How often the kernel reads each child's status page: its heartbeat, collections and trace counts. Exits do not wait for it.</summary>
    public const long StatusIntervalNs = 10_000_000;

    /// <summary>How long a child may take to come up (JIT start of a .NET process on a loaded 2-core VM).</summary>
    public const long StartupGraceNs = 15_000_000_000;

    private readonly Dictionary<string, int> pids = new(StringComparer.Ordinal);

    /// <summary>The running child of each service, for live fault injection. Control thread only.</summary>
    private readonly Dictionary<string, ChildProcess> children = new(StringComparer.Ordinal);
    private readonly ProcessLimiter limiter = limiter ?? new ProcessLimiter(Console.Error);
    private readonly Dictionary<string, TraceCounts> traceCounts = new(StringComparer.Ordinal);
    private readonly ProcessControl control = new(PostFor(platform));
    private readonly IPlatform platform = platform;
    private readonly ServiceListeners listeners = new();

    /// <summary>What each service's processes collected after their service started, as their status pages say.</summary>
    public CollectionLedger Collections { get; } = new();

    /// <summary>Process ids of the running children, by service id: for operators and tests.</summary>
    public IReadOnlyDictionary<string, int> Pids
    {
        get
        {
            lock (pids)
            {
                return new Dictionary<string, int>(pids, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// Per service run in a process, what its IPC did there (its own trace's counts, summed over
    /// its incarnations): the kernel's view of sends, deliveries, replies, rejects and denials it
    /// cannot record itself.
    /// </summary>
    public IReadOnlyDictionary<string, TraceCounts> TraceCounts
    {
        get
        {
            lock (traceCounts)
            {
                return new Dictionary<string, TraceCounts>(traceCounts, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// Strikes <paramref name="injection"/> at the process of <paramref name="serviceId"/>
    /// (<c>neokernel fault inject</c>): a crash is SIGKILL, a hang SIGSTOP and, after its duration,
    /// SIGCONT (pidfd_send_signal: never a process that reused the pid); memory exhaustion and the
    /// device and Modbus faults the process strikes on itself. Completes with what struck; throws
    /// <see cref="ArgumentException"/> when nothing could (no process runs, the process refused).
    /// Thread-safe.
    /// </summary>
    public Task<string> InjectAsync(string serviceId, Rt.Faults.FaultInjection injection)
    {
        ArgumentNullException.ThrowIfNull(serviceId);
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        control.Post(() =>
        {
            if (!children.TryGetValue(serviceId, out var child))
            {
                answer.TrySetException(new ArgumentException($"service '{serviceId}' has no process running now"));
                return;
            }

            child.Inject(injection, answer);
        });
        return answer.Task;
    }

    public IServiceInstance Create(ServiceLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        return new ProcessInstance(this, platform, command, launch);
    }

    /// <summary>Stops the control thread. Children still running are left to their kernel's shutdown.</summary>
    public void Dispose()
    {
        control.Dispose();
        listeners.Dispose();
    }

    /// <summary>The kernel's loop takes posted results: only the paced (real-time) loop runs beside a control thread.</summary>
    private static Action<Action> PostFor(IPlatform platform) => platform is PacedPlatform paced
        ? paced.Post
        : throw new ArgumentException($"services in processes of their own need the paced real-time loop (PacedPlatform), not '{platform.Name}'", nameof(platform));

    /// <summary>
    /// Starts a child process, inside its sandbox when the command has one, and born in its cgroup
    /// where the spawning thread can join it (cgroup v1). Control thread.
    /// </summary>
    private Process StartChild(ProcessStartInfo info, Kernel.Manifests.ServiceSpec spec, PreparedLimits limits) => command.Sandbox is { } sandbox
        ? SandboxedSpawn.Start(info, sandbox.PolicyFor(spec, command.RealTime, StoreDirectories(spec)), limits.JoinThisThread)
        : limits.Group is not null
            ? SandboxedSpawn.OnThreadOfItsOwn(info, limits.JoinThisThread)
            : Process.Start(info) ?? throw new InvalidOperationException($"service '{spec.Id}': the service host process did not start");

    /// <summary>The one directory a service's process may write: its retain store's, when it has one.</summary>
    private string[] StoreDirectories(Kernel.Manifests.ServiceSpec spec) =>
        spec.Retain is { } retain && platform.RetainStorage is Retain.LinuxRetainStorage storage ? [storage.DirectoryOf(retain)] : [];

    private void NotePid(string serviceId, int pid)
    {
        lock (pids)
        {
            pids[serviceId] = pid;
        }
    }

    private void ForgetPid(string serviceId, int pid)
    {
        lock (pids)
        {
            if (pids.GetValueOrDefault(serviceId) == pid)
            {
                pids.Remove(serviceId);
            }
        }
    }

    /// <summary>Adds what an incarnation counted since the last look; returns the new denials.</summary>
    private long AddTraceCounts(string serviceId, TraceCounts delta)
    {
        lock (traceCounts)
        {
            traceCounts[serviceId] = traceCounts.GetValueOrDefault(serviceId) + delta;
        }

        return delta.Denials;
    }

    /// <summary>
    /// One incarnation in a process, as the kernel's loop sees it: prepares its grants and status
    /// page, hands the spawn to the control thread, and turns what comes back (an exit, a spawn
    /// that failed) into the supervisor's fault. Loop thread only.
    /// </summary>
    private sealed class ProcessInstance(ProcessServiceHost host, IPlatform platform, ServiceHostCommand command, ServiceLaunch launch)
        : IServiceInstance, IDisposable
    {
        /// <summary>How long Stop waits for the child to quit on its own before it is killed.</summary>
        private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(2);

        private ChildProcess? child;
        private StatusPageReader? reader;
        private MemfdRegionMemory? statusPage;
        private bool ended;

        /// <summary>The child's cyclic statistics as its status page last showed them (it publishes every 20 ms); none once torn down.</summary>
        public CyclicStatistics? Statistics => statusPage is null ? null : IsolationProtocol.ReadStatistics(statusPage.Bytes);

        public long StartupGraceNs => ProcessServiceHost.StartupGraceNs;

        public void Start()
        {
            var status = MemfdRegionMemory.Create($"status-{launch.Service.Id}", IsolationProtocol.StatusPageBytes);
            GrantList grants;
            try
            {
                grants = GrantList.For(launch, platform, status, host.listeners);
            }
            catch
            {
                status.Dispose();
                throw;
            }

            statusPage = status;
            child = new ChildProcess(host, launch, StartInfo(), grants, status, OnChildEnded);
            reader = new StatusPageReader(host, launch, status);
            reader.Timer = platform.CreateTimer(reader);
            reader.Timer.ArmAt(platform.Clock.NowNs + StatusIntervalNs);
            host.control.Post(child.Spawn);
        }

        public void Stop()
        {
            if (child is { } running && !ended)
            {
                host.control.Run(() => running.Quit(QuitTimeout), QuitTimeout + TimeSpan.FromSeconds(1));
            }

            Teardown();
        }

        public void Dispose() => Teardown();

        /// <summary>Stops reading the status page (after a last look) and has the control thread kill, reap and close the child.</summary>
        public void Teardown()
        {
            if (child is null)
            {
                return;
            }

            ended = true;
            reader?.Stop();
            host.Collections.EndProcess(launch.Service.Id);

            // The control thread unmaps the page when it closes the child: nothing here reads it after this.
            statusPage = null;
            var closing = child;
            child = null;
            host.control.Post(closing.Close);
        }

        /// <summary>
        /// Posted by the control thread: the child exited, or never started. A child that said
        /// <c>completed:</c> and exited with 0 ended normally (its service said it is done); any
        /// other end is a fault. Loop thread.
        /// </summary>
        private void OnChildEnded(string reason, bool completed)
        {
            if (ended)
            {
                return;
            }

            ended = true;
            reader?.Stop();
            if (completed)
            {
                launch.Service.Complete(reason);
                return;
            }

            launch.Service.Fault(reason);
        }

        private ProcessStartInfo StartInfo()
        {
            var info = new ProcessStartInfo(command.FileName) { UseShellExecute = false, RedirectStandardError = true };
            foreach (var argument in command.PrefixArguments)
            {
                info.ArgumentList.Add(argument);
            }

            string[] arguments =
            [
                "service-host",
                "--service", launch.Service.Id,
                "--seed", platform.Seed.ToString(CultureInfo.InvariantCulture),
                "--incarnation", launch.Incarnation.ToString(CultureInfo.InvariantCulture),
                "--origin-ns", (platform is PacedPlatform paced ? paced.OriginNs : LinuxTime.MonotonicNs()).ToString(CultureInfo.InvariantCulture),
                "--wall-clock-at-zero-unix-ns", platform.Clock.WallClockAtZeroUnixNs.ToString(CultureInfo.InvariantCulture),
            ];
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            if (!command.RealTime)
            {
                info.ArgumentList.Add("--no-rt");
            }

            return info;
        }
    }

    /// <summary>
    /// Reads a child's status page on the kernel's loop: its completed cycles are the service's
    /// heartbeat, its collection counts go to the ledger, its trace counts to the host's totals.
    /// </summary>
    private sealed class StatusPageReader(ProcessServiceHost host, ServiceLaunch launch, MemfdRegionMemory status) : ITimerCallback
    {
        private long cyclesSeen;
        private TraceCounts countsSeen;
        private bool stopped;

        public IPlatformTimer? Timer { get; set; }

        public void OnTimer(long nowNs)
        {
            if (stopped)
            {
                return;
            }

            NoteTraceCounts();
            var cycles = IsolationProtocol.ReadCycles(status.Bytes);
            if (cycles != cyclesSeen)
            {
                cyclesSeen = cycles;
                launch.Service.Heartbeat(nowNs);
            }

            if (IsolationProtocol.ReadCollections(status.Bytes) is { } collections)
            {
                host.Collections.Note(launch.Service.Id, collections);
            }

            Timer!.ArmAt(nowNs + StatusIntervalNs);
        }

        /// <summary>A last look at the trace counts; the page is not read again (the control thread closes it).</summary>
        public void Stop()
        {
            if (stopped)
            {
                return;
            }

            NoteTraceCounts();
            stopped = true;
            Timer?.Cancel();
        }

        /// <summary>The child's trace counts since the last look go to the host's totals; its denials also into the kernel's trace.</summary>
        private void NoteTraceCounts()
        {
            var counts = IsolationProtocol.ReadTraceCounts(status.Bytes);
            var delta = counts - countsSeen;
            countsSeen = counts;
            var denials = host.AddTraceCounts(launch.Service.Id, delta);
            if (denials > 0)
            {
                launch.Service.RecordDenialsElsewhere(denials);
            }
        }
    }

    /// <summary>
    /// Exactly one incarnation's capabilities as the messages that carry them, made on the kernel's
    /// loop (which owns the kernel objects) and queued by the control thread in the child's socket at its spawn.
    /// </summary>
    private sealed class GrantList : IDisposable
    {
        private readonly List<(byte Type, byte[] Body, SafeHandle[] Fds)> messages = [];
        private readonly List<SafeHandle> owned = [];
        private readonly ServiceListeners listeners;

        private GrantList(ServiceListeners listeners) => this.listeners = listeners;

        public static GrantList For(ServiceLaunch launch, IPlatform platform, MemfdRegionMemory status, ServiceListeners listeners)
        {
            var list = new GrantList(listeners);
            try
            {
                list.AddSpec(launch.HostSpec());
                foreach (var capability in launch.Capabilities.All)
                {
                    list.Add(launch, capability, platform);
                }
            }
            catch
            {
                list.Dispose();
                throw;
            }

            list.messages.Add((IsolationProtocol.StatusPage, [], [status.FileDescriptor]));
            return list;
        }

        /// <summary>Every grant, the status page, then Ready. Control thread.</summary>
        public void Send(Socket socket)
        {
            foreach (var (type, body, fds) in messages)
            {
                IsolationProtocol.Send(socket, type, body, fds);
            }

            IsolationProtocol.Send(socket, IsolationProtocol.Ready, []);
        }

        public void Dispose()
        {
            foreach (var fd in owned)
            {
                fd.Dispose();
            }

            owned.Clear();
            messages.Clear();
        }

        /// <summary>The service's spec and the layouts of its grants, in as many messages as the encoding needs.</summary>
        private void AddSpec(HostedServiceSpec spec)
        {
            var encoded = HostedServiceSpecCodec.Encode(spec);
            const int partBytesMax = FdPassing.PayloadBytesMax - 1;
            for (var offset = 0; offset < encoded.Length; offset += partBytesMax)
            {
                messages.Add((IsolationProtocol.SpecPart, encoded[offset..Math.Min(encoded.Length, offset + partBytesMax)], []));
            }
        }

        private void Add(ServiceLaunch launch, Capability capability, IPlatform platform)
        {
            switch (capability.Kind)
            {
                case CapabilityKind.Region:
                    AddRegion(capability, launch.RegionMemoryOf(capability));
                    break;
                case CapabilityKind.Device:
                    AddDevice(capability, launch.Service.Id, launch.DeviceUriOf(capability), platform);
                    break;
                case CapabilityKind.Endpoint:
                    AddRings(capability, launch.Service.Id, platform);
                    break;
                case CapabilityKind.Retain:
                    AddRetain(launch, platform);
                    break;
                default:
                    // Clock and cyclic timer: the child has its own clock on the shared origin.
                    break;
            }
        }

        private void AddRegion(Capability capability, RegionMemory regionMemory)
        {
            var memory = regionMemory as MemfdRegionMemory
                ?? throw new InvalidOperationException($"region '{capability.ObjectName}' is not in shared memory; the platform must allocate regions with MemfdRegionMemoryProvider");
            var grant = CapabilityGrant.ForRegion(capability.ObjectName, capability.Rights, memory.Length);
            AddMemory(IsolationProtocol.RegionGrant, grant, memory, (capability.Rights & Rights.Write) != 0);
        }

        private void AddDevice(Capability capability, string serviceId, string uri, IPlatform platform)
        {
            if (DeviceGrants.IsStream(uri))
            {
                AddStream(capability, serviceId, uri);
                return;
            }

            var memory = (platform.Devices as IShareableDevices)?.SharedMemoryOf(uri) as MemfdRegionMemory
                ?? throw new InvalidOperationException($"device '{uri}' cannot be shared with another process; run the service with isolated: false");
            var grant = new CapabilityGrant(CapabilityKind.Device, uri, capability.Rights, memory.Length, 0, 0);
            AddMemory(IsolationProtocol.DeviceGrant, grant, memory, (capability.Rights & Rights.Write) != 0);
        }

        /// <summary>
        /// The rings this endpoint capability allows (the provider's lanes and reply rings, or a
        /// client's own two), read-write: both ends of a ring move a counter in it. Each ring rides
        /// with its doorbell, the eventfd its consumer sleeps on.
        /// </summary>
        private void AddRings(Capability capability, string serviceId, IPlatform platform)
        {
            var rings = platform.MessageQueues as SharedMessageQueueProvider
                ?? throw new InvalidOperationException($"endpoint '{capability.ObjectName}' is not in shared memory; the platform must make queues with SharedMessageQueueProvider");
            foreach (var ring in rings.RingsFor(capability.ObjectName, serviceId, capability.Rights))
            {
                var grant = CapabilityGrant.ForEndpoint(ring.Name, capability.Rights, ring.Capacity, ring.MaxMessageBytes);
                SafeHandle[] fds = ring.DoorbellDescriptor is { } doorbell ? [ring.FileDescriptor, doorbell] : [ring.FileDescriptor];
                messages.Add((IsolationProtocol.RingGrant, grant.Encode(), fds));
            }
        }

        /// <summary>
        /// A listener or serial line the kernel opened for the service; an outgoing connection has
        /// nothing to hand over at start (the child asks for it). A listener is the service's for the
        /// run (<see cref="ServiceListeners"/>); a serial line is this incarnation's.
        /// </summary>
        private void AddStream(Capability capability, string serviceId, string uri)
        {
            SafeFileHandle? fd;
            if (DeviceGrants.IsListener(uri))
            {
                fd = listeners.Of(serviceId, uri);
            }
            else
            {
                fd = DeviceGrants.Open(serviceId, uri);
                if (fd is null)
                {
                    return;
                }

                owned.Add(fd);
            }

            var grant = new CapabilityGrant(CapabilityKind.Device, uri, capability.Rights, 0, 0, 0);
            messages.Add((IsolationProtocol.StreamGrant, grant.Encode(), [fd]));
        }

        /// <summary>The store's directory, made and given to the service's user, opened here: the child writes through this descriptor alone.</summary>
        private void AddRetain(ServiceLaunch launch, IPlatform platform)
        {
            var storage = platform.RetainStorage as Retain.LinuxRetainStorage
                ?? throw new InvalidOperationException($"service '{launch.Service.Id}' has a retain store, and this platform keeps none in directories; give the paced platform a LinuxRetainStorage");
            var spec = launch.Service.Spec.Retain!;
            var directory = storage.OpenDirectory(launch.Service.Id, spec);
            owned.Add(directory);
            messages.Add((IsolationProtocol.RetainGrant, Encoding.UTF8.GetBytes(storage.DirectoryOf(spec)), [directory]));
        }

        private void AddMemory(byte type, CapabilityGrant grant, MemfdRegionMemory memory, bool writable)
        {
            if (writable)
            {
                messages.Add((type, grant.Encode(), [memory.FileDescriptor]));
                return;
            }

            var readOnly = memory.OpenReadOnlyDescriptor();
            owned.Add(readOnly);
            messages.Add((type, grant.Encode(), [readOnly]));
        }
    }

    /// <summary>
    /// The service host process itself, on the control thread: spawned with its end of the socket,
    /// limited and granted, listened to, and reaped when its pidfd says it exited. Every method runs on the
    /// control thread; what the kernel must hear goes through <c>ended</c>, posted to its loop.
    /// </summary>
    private sealed class ChildProcess(ProcessServiceHost host, ServiceLaunch launch, ProcessStartInfo info, GrantList grants, MemfdRegionMemory status, Action<string, bool> ended)
        : IDisposable
    {
        private readonly StringBuilder childErrors = new();
        private readonly byte[] receiveBuffer = new byte[FdPassing.PayloadBytesMax];
        private Process? process;
        private ChildSocket? pair;
        private SafeFileHandle? pidfd;
        private FdRegistration? talking;
        private FdRegistration? exiting;
        private AppliedLimits? limits;
        private string? lastText;
        private bool exited;
        private bool closed;

        /// <summary>A fault the child was asked to strike on itself, until it answers.</summary>
        private TaskCompletionSource<string>? injected;

        private string ServiceId => launch.Service.Id;

        private Socket? Socket => pair?.Kernel;

        /// <summary>Starts the process with its end of the socket, applies its limits, sends its grants, then listens to it and waits for its exit.</summary>
        public void Spawn()
        {
            if (closed)
            {
                return;
            }

            PreparedLimits? prepared = null;
            try
            {
                pair = ChildSocket.Create();
                var declared = ProcessLimits.Of(launch.Service.Spec);
                ProcessLimiter.PrepareStart(info, declared);
                prepared = host.limiter.Prepare(ServiceId, launch.Incarnation, declared);
                process = pair.Spawn(info, start => host.StartChild(start, launch.Service.Spec, prepared));
                process.ErrorDataReceived += (_, e) => AppendError(e.Data);
                process.BeginErrorReadLine();
                host.NotePid(ServiceId, process.Id);
                host.children[ServiceId] = this;
                limits = host.limiter.Apply(process.Id, prepared);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Whatever failed (the binary, the socket, a limit the OS refused), the service faults with it; the kernel goes on.
                Kill();
                prepared?.Dispose();
                host.control.PostToKernel(() => ended($"service host process of '{ServiceId}' did not start: {exception.Message}", false));
                return;
            }

            WatchExit(process.Id);
            SendGrants();
        }

        /// <summary>Strikes a live fault at this child (see <see cref="InjectAsync"/>). Control thread.</summary>
        public void Inject(Rt.Faults.FaultInjection injection, TaskCompletionSource<string> answer)
        {
            if (closed || exited || process is null || pidfd is null || Socket is not { } socket)
            {
                answer.TrySetException(new ArgumentException($"the process of '{ServiceId}' is not running"));
                return;
            }

            var pid = process.Id;
            switch (injection.Kind)
            {
                case Rt.Faults.FaultKind.Crash:
                    Signal(answer, Pidfd.SigKill, $"kill -9 of process {pid}");
                    return;
                case Rt.Faults.FaultKind.Hang:
                    if (Signal(answer, Pidfd.SigStop, $"SIGSTOP of process {pid}, SIGCONT after {Rt.Faults.FaultText.Duration(injection.DurationNs)} unless it is gone by then"))
                    {
                        var held = pidfd;
                        _ = Task.Delay(TimeSpan.FromTicks(injection.DurationNs / 100)).ContinueWith(_ => host.control.Post(() =>
                        {
                            if (!closed && !exited && ReferenceEquals(pidfd, held))
                            {
                                Pidfd.SendSignal(held, Pidfd.SigCont);
                            }
                        }), TaskScheduler.Default);
                    }

                    return;
            }

            if (injected is not null)
            {
                answer.TrySetException(new ArgumentException($"the process of '{ServiceId}' has not answered the last fault yet"));
                return;
            }

            try
            {
                IsolationProtocol.Send(socket, IsolationProtocol.Fault, Encoding.UTF8.GetBytes(injection.ToString()));
                injected = answer;
            }
            catch (Exception exception) when (exception is SocketException or LinuxErrnoException)
            {
                answer.TrySetException(new ArgumentException($"the process of '{ServiceId}' could not be told: {exception.Message}"));
            }
        }

        private bool Signal(TaskCompletionSource<string> answer, int signal, string what)
        {
            try
            {
                if (Pidfd.SendSignal(pidfd!, signal))
                {
                    answer.TrySetResult(what);
                    return true;
                }

                answer.TrySetException(new ArgumentException($"the process of '{ServiceId}' had exited already"));
            }
            catch (LinuxErrnoException exception)
            {
                answer.TrySetException(new ArgumentException(exception.Message));
            }

            return false;
        }

        /// <summary>Stop: asks the child to quit and waits for it, at most <paramref name="timeout"/>.</summary>
        public void Quit(TimeSpan timeout)
        {
            if (Socket is not { } socket || process is null || exited)
            {
                return;
            }

            try
            {
                IsolationProtocol.Send(socket, IsolationProtocol.Quit, []);
                process.WaitForExit(timeout);
            }
            catch (Exception exception) when (exception is SocketException or LinuxErrnoException)
            {
                // The child is already gone; Close reaps it.
            }
        }

        /// <summary>Kills the child if it still runs, reaps it, and releases everything of this incarnation.</summary>
        public void Close()
        {
            closed = true;
            talking?.Dispose();
            exiting?.Dispose();
            Kill();
            if (process is not null)
            {
                host.ForgetPid(ServiceId, process.Id);
            }

            if (host.children.GetValueOrDefault(ServiceId) == this)
            {
                host.children.Remove(ServiceId);
            }

            injected?.TrySetException(new ArgumentException($"the process of '{ServiceId}' ended before it answered"));
            injected = null;

            limits?.Dispose();
            pair?.Dispose();
            pidfd?.Dispose();
            process?.Dispose();
            grants.Dispose();
            status.Dispose();
            (pair, pidfd, process, limits) = (null, null, null, null);
        }

        public void Dispose() => Close();

        private void WatchExit(int pid)
        {
            pidfd = Pidfd.Open(pid);
            if (pidfd is null)
            {
                OnExited();
                return;
            }

            exiting = host.control.Reactor.Register((int)pidfd.DangerousGetHandle(), FdEvents.Readable, new FdReady(_ => OnExited()));
        }

        /// <summary>
        /// The child gets exactly this incarnation's grants, queued in its socket before it reads
        /// them (its limits are already in force), then the kernel listens to what it says.
        /// </summary>
        private void SendGrants()
        {
            if (closed || exited || Socket is not { } socket)
            {
                return;
            }

            try
            {
                grants.Send(socket);
            }
            catch (Exception exception) when (exception is SocketException or LinuxErrnoException)
            {
                // The child died, or stopped reading for the whole send timeout: it goes, and its pidfd reports the exit.
                lastText = $"{IsolationProtocol.FaultPrefix}the kernel could not hand it its capabilities: {exception.Message}";
                Kill();
                return;
            }

            talking = host.control.Reactor.Register((int)socket.Handle, FdEvents.Readable, new FdReady(_ => ReadMessages()));
        }

        /// <summary>What the child said ("started", "fault: ..."); the last fault text goes into the exit's report.</summary>
        private void ReadMessages()
        {
            try
            {
                while (Socket is { Available: > 0 } socket && IsolationProtocol.Receive(socket, receiveBuffer) is { } message)
                {
                    foreach (var fd in message.Fds)
                    {
                        fd.Dispose();
                    }

                    if (message.Type == IsolationProtocol.Text && Encoding.UTF8.GetString(message.Body) is { } said && said.StartsWith(IsolationProtocol.WarningPrefix, StringComparison.Ordinal))
                    {
                        var warning = said[IsolationProtocol.WarningPrefix.Length..];
                        host.control.PostToKernel(() => launch.Service.Warn(warning));
                    }
                    else if (message.Type == IsolationProtocol.Text && Answer(Encoding.UTF8.GetString(message.Body)))
                    {
                        // The child's answer to a fault it was asked to strike.
                    }
                    else if (message.Type == IsolationProtocol.Text)
                    {
                        lastText = Encoding.UTF8.GetString(message.Body);
                        if (lastText == IsolationProtocol.StartedText)
                        {
                            // Read on this thread, when it arrived (the platform clock is the monotonic clock less the origin).
                            var readyNs = host.platform.Clock.NowNs;
                            host.control.PostToKernel(() => launch.Service.Ready(readyNs));
                        }
                    }
                    else if (message.Type == IsolationProtocol.ConnectRequest)
                    {
                        // The kernel connects for the service, only to an address its capabilities name.
                        KernelConnects.Answer(socket, launch.HoldsDevice, message.Body);
                    }
                }

                if (Socket is { Available: 0 } quiet && quiet.Poll(0, SelectMode.SelectRead))
                {
                    // Readable with nothing to read: the child closed its end.
                    talking?.Dispose();
                }
            }
            catch (Exception exception) when (exception is SocketException or InvalidDataException or ObjectDisposedException)
            {
                talking?.Dispose();
            }
        }

        /// <summary>True when <paramref name="said"/> answers a fault; completes its injection.</summary>
        private bool Answer(string said)
        {
            if (said.StartsWith(IsolationProtocol.FaultStruckPrefix, StringComparison.Ordinal))
            {
                injected?.TrySetResult(said[IsolationProtocol.FaultStruckPrefix.Length..]);
            }
            else if (said.StartsWith(IsolationProtocol.FaultRefusedPrefix, StringComparison.Ordinal))
            {
                injected?.TrySetException(new ArgumentException(said[IsolationProtocol.FaultRefusedPrefix.Length..]));
            }
            else
            {
                return false;
            }

            injected = null;
            return true;
        }

        /// <summary>The pidfd is readable: the child exited. Reaps it and tells the kernel how it ended.</summary>
        private void OnExited()
        {
            exiting?.Dispose();
            if (exited || process is null)
            {
                return;
            }

            exited = true;
            ReadMessages();

            // Read without reaping: the runtime reaps its child on its own SIGCHLD handler, later.
            var code = (pidfd is null ? null : Pidfd.ExitCodeOf(pidfd)) ?? WaitForExitCode();
            var how = limits?.ExplainExit(code) ?? (code > 128 ? $"was killed by signal {code - 128}" : $"exited with code {code}");
            var said = lastText is { } text && text.StartsWith(IsolationProtocol.FaultPrefix, StringComparison.Ordinal) ? $"; it said: {text}" : "";
            var errors = ChildErrors();
            if (code == 0 && lastText is { } done && done.StartsWith(IsolationProtocol.CompletedPrefix, StringComparison.Ordinal))
            {
                var normal = $"service host process {process.Id} exited normally; it said: {done}";
                host.control.PostToKernel(() => ended(normal, true));
                return;
            }

            var reason = $"service host process {process.Id} {how}{said}{(errors.Length > 0 ? "; stderr: " + errors : "")}";
            host.control.PostToKernel(() => ended(reason, false));
        }

        /// <summary>No pidfd, or the runtime reaped the child first: the runtime says how it ended.</summary>
        private int WaitForExitCode()
        {
            process!.WaitForExit();
            return process.ExitCode;
        }

        private void Kill()
        {
            if (process is null)
            {
                return;
            }

            try
            {
                if (!process.HasExited)
                {
                    // The service host alone: it starts no processes (under the sandbox, seccomp
                    // refuses fork and exec). Killing its "tree" would make .NET read the stat file
                    // of every thread of every process on the machine to find descendants, tens of
                    // milliseconds on a busy machine, on the control thread a restart's spawn waits for.
                    process.Kill();
                }

                process.WaitForExit(2_000);
            }
            catch (InvalidOperationException)
            {
                // Not started, or already reaped.
            }
        }

        private void AppendError(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (childErrors)
            {
                if (childErrors.Length < 2_000)
                {
                    childErrors.AppendLine(line);
                }
            }
        }

        private string ChildErrors()
        {
            lock (childErrors)
            {
                return childErrors.ToString().Trim().Replace('\n', ' ');
            }
        }
    }

    /// <summary>A readiness callback as a delegate: the control thread's few registrations, allocated once each.</summary>
    private sealed class FdReady(Action<FdEvents> onReady) : IFdReadyCallback
    {
        public void OnFdReady(FdEvents events) => onReady(events);
    }
}
