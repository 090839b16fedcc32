using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux.Limits;
using Neokernel.Kernel.Trace;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>How to start a service host process: the neokernel binary (or dotnet and its assembly) and the system it runs.</summary>
public sealed record ServiceHostCommand(string FileName, IReadOnlyList<string> PrefixArguments, string SystemPath)
{
    /// <summary>False: the children run rt-fifo and rt-deadline tasks best-effort on their event loop (<c>--no-rt</c>).</summary>
    public bool RealTime { get; init; } = true;
}

/// <summary>
/// Runs a service in an OS process of its own: the same neokernel binary, started as
/// <c>neokernel service-host</c>. The kernel hands the child exactly the capabilities of this
/// incarnation as file descriptors over a Unix socket: each region as its memfd (read-only unless
/// the grant has Write), each simulated device's register bank, and a status page the child
/// publishes its heartbeat in. A crash in the child (an exception, a signal, kill -9) ends only
/// the child: the kernel notices the exit on its next poll and the supervisor restarts it.
/// Everything here runs on the kernel's event-loop thread, from a poll timer. Each child runs
/// under its manifest's limits (memory, CPU, open files), applied by <see cref="ProcessLimiter"/>
/// before the child receives its first capability.
/// </summary>
public sealed class ProcessServiceHost(IPlatform platform, ServiceHostCommand command, ProcessLimiter? limiter = null) : IServiceHost
{
    /// <summary>How often the kernel looks at each child: its socket, its heartbeat page, its exit.</summary>
    public const long PollIntervalNs = 10_000_000;

    /// <summary>How long a child may take to come up (JIT start of a .NET process on a loaded 2-core VM).</summary>
    public const long StartupGraceNs = 15_000_000_000;

    private readonly Dictionary<string, int> pids = new(StringComparer.Ordinal);
    private readonly ProcessLimiter limiter = limiter ?? new ProcessLimiter(Console.Error);
    private readonly Dictionary<string, TraceCounts> traceCounts = new(StringComparer.Ordinal);

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

    public IServiceInstance Create(ServiceLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        return new ProcessInstance(this, platform, command, launch);
    }

    private void NotePid(string serviceId, int? pid)
    {
        lock (pids)
        {
            if (pid is { } p)
            {
                pids[serviceId] = p;
            }
            else
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

    private sealed class ProcessInstance(ProcessServiceHost host, IPlatform platform, ServiceHostCommand command, ServiceLaunch launch)
        : IServiceInstance, ITimerCallback, IDisposable
    {
        private readonly string socketPath = Path.Combine(Path.GetTempPath(), $"neokernel-{Environment.ProcessId}-{launch.Service.Id}-{launch.Incarnation}.sock");
        private readonly StringBuilder childErrors = new();
        private IPlatformTimer? poll;
        private Socket? listener;
        private Socket? socket;
        private Process? process;
        private MemfdRegionMemory? status;
        private AppliedLimits? limits;
        private long cyclesSeen;
        private TraceCounts countsSeen;
        private string? lastText;
        private bool ended;

        /// <summary>The child's cyclic statistics as its status page last showed them (it publishes every 20 ms).</summary>
        public CyclicStatistics? Statistics => status is null ? null : IsolationProtocol.ReadStatistics(status.Bytes);

        public long StartupGraceNs => ProcessServiceHost.StartupGraceNs;

        public void Start()
        {
            status = MemfdRegionMemory.Create($"status-{launch.Service.Id}", IsolationProtocol.StatusPageBytes);
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            File.Delete(socketPath);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(1);
            InheritedFds.MarkCloseOnExec();
            var declared = ProcessLimits.Of(launch.Service.Spec);
            var info = StartInfo();
            ProcessLimiter.PrepareStart(info, declared);
            process = Process.Start(info) ?? throw new InvalidOperationException($"service '{launch.Service.Id}': the service host process did not start");
            process.ErrorDataReceived += (_, e) => AppendError(e.Data);
            process.BeginErrorReadLine();
            host.NotePid(launch.Service.Id, process.Id);
            try
            {
                limits = host.limiter.Apply(process.Id, launch.Service.Id, launch.Incarnation, declared);
            }
            catch (Exception exception) when (exception is InvalidOperationException or LinuxErrnoException)
            {
                Teardown();
                throw;
            }

            poll = platform.CreateTimer(this);
            poll.ArmAt(platform.Clock.NowNs + PollIntervalNs);
        }

        public void OnTimer(long nowNs)
        {
            if (ended)
            {
                return;
            }

            if (socket is null && listener!.Poll(0, SelectMode.SelectRead))
            {
                socket = listener.Accept();
                SendGrants();
            }

            DrainMessages();
            NoteTraceCounts();
            var cycles = IsolationProtocol.ReadCycles(status!.Bytes);
            if (cycles != cyclesSeen)
            {
                cyclesSeen = cycles;
                launch.Service.NoteHeartbeat(nowNs);
            }

            if (IsolationProtocol.ReadCollections(status.Bytes) is { } collections)
            {
                host.Collections.Note(launch.Service.Id, collections);
            }

            if (process!.HasExited)
            {
                ReportExit();
                return;
            }

            poll!.ArmAt(nowNs + PollIntervalNs);
        }

        public void Stop()
        {
            if (socket is not null && process is { HasExited: false })
            {
                try
                {
                    IsolationProtocol.Send(socket, IsolationProtocol.Quit, []);
                    process.WaitForExit(2_000);
                }
                catch (SocketException)
                {
                    // The child is already gone; Teardown reaps it.
                }
            }

            Teardown();
        }

        public void Dispose() => Teardown();

        public void Teardown()
        {
            ended = true;
            poll?.Cancel();
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(2_000);
            }

            host.NotePid(launch.Service.Id, null);
            limits?.Dispose();
            NoteTraceCounts();
            host.Collections.EndProcess(launch.Service.Id);
            socket?.Dispose();
            listener?.Dispose();
            status?.Dispose();
            process?.Dispose();
            (socket, listener, status, process, limits) = (null, null, null, null, null);
            File.Delete(socketPath);
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
                "service-host", command.SystemPath,
                "--service", launch.Service.Id,
                "--socket", socketPath,
                "--seed", platform.Seed.ToString(CultureInfo.InvariantCulture),
                "--incarnation", launch.Incarnation.ToString(CultureInfo.InvariantCulture),
                "--origin-ns", (platform is PacedPlatform paced ? paced.OriginNs : LinuxTime.MonotonicNs()).ToString(CultureInfo.InvariantCulture),
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

        /// <summary>Exactly this incarnation's capabilities, each as the memory behind it.</summary>
        private void SendGrants()
        {
            foreach (var capability in launch.Capabilities.All)
            {
                switch (capability.Kind)
                {
                    case CapabilityKind.Region:
                        SendRegion(capability);
                        break;
                    case CapabilityKind.Device:
                        SendDevice(capability);
                        break;
                    case CapabilityKind.Endpoint:
                        SendRings(capability);
                        break;
                    default:
                        // Clock and cyclic timer: the child has its own clock on the shared origin.
                        break;
                }
            }

            IsolationProtocol.Send(socket!, IsolationProtocol.StatusPage, [], status!.FileDescriptor);
            IsolationProtocol.Send(socket!, IsolationProtocol.Ready, []);
        }

        private void SendRegion(Capability capability)
        {
            var region = (Region)capability.KernelObject;
            var memory = region.Memory as MemfdRegionMemory
                ?? throw new InvalidOperationException($"region '{region.Name}' is not in shared memory; the platform must allocate regions with MemfdRegionMemoryProvider");
            var grant = CapabilityGrant.ForRegion(region.Name, capability.Rights, memory.Length);
            SendMemory(IsolationProtocol.RegionGrant, grant, memory, (capability.Rights & Rights.Write) != 0);
        }

        private void SendDevice(Capability capability)
        {
            var uri = (string)capability.KernelObject;
            if (DeviceGrants.IsStream(uri))
            {
                DeviceGrants.Send(socket!, launch.Service.Id, capability);
                return;
            }

            var memory = (platform.Devices as IShareableDevices)?.SharedMemoryOf(uri) as MemfdRegionMemory
                ?? throw new InvalidOperationException($"device '{uri}' cannot be shared with another process; run the service with isolated: false");
            var grant = new CapabilityGrant(CapabilityKind.Device, uri, capability.Rights, memory.Length, 0, 0);
            SendMemory(IsolationProtocol.DeviceGrant, grant, memory, (capability.Rights & Rights.Write) != 0);
        }

        /// <summary>The rings this endpoint capability allows (the provider's lanes and reply rings, or a client's own two), read-write: both ends of a ring move a counter in it.</summary>
        private void SendRings(Capability capability)
        {
            var rings = platform.MessageQueues as SharedMessageQueueProvider
                ?? throw new InvalidOperationException($"endpoint '{capability.ObjectName}' is not in shared memory; the platform must make queues with SharedMessageQueueProvider");
            foreach (var ring in rings.RingsFor(capability.ObjectName, launch.Service.Id, capability.Rights))
            {
                var grant = CapabilityGrant.ForEndpoint(ring.Name, capability.Rights, ring.Capacity, ring.MaxMessageBytes);
                IsolationProtocol.Send(socket!, IsolationProtocol.RingGrant, grant.Encode(), ring.FileDescriptor);
            }
        }

        /// <summary>The child's trace counts since the last look go to the host's totals; its denials also into the kernel's trace.</summary>
        private void NoteTraceCounts()
        {
            if (status is null)
            {
                return;
            }

            var counts = IsolationProtocol.ReadTraceCounts(status.Bytes);
            var delta = counts - countsSeen;
            countsSeen = counts;
            var denials = host.AddTraceCounts(launch.Service.Id, delta);
            if (denials > 0)
            {
                launch.Service.Trace.Record(TraceEventKind.CapabilityDeny, launch.Service.TraceId, -1, denials, launch.Incarnation);
            }
        }

        private void SendMemory(byte type, CapabilityGrant grant, MemfdRegionMemory memory, bool writable)
        {
            if (writable)
            {
                IsolationProtocol.Send(socket!, type, grant.Encode(), memory.FileDescriptor);
                return;
            }

            using var readOnly = memory.OpenReadOnlyDescriptor();
            IsolationProtocol.Send(socket!, type, grant.Encode(), readOnly);
        }

        private void DrainMessages()
        {
            while (socket is { Available: > 0 } && IsolationProtocol.Receive(socket) is { } message)
            {
                foreach (var fd in message.Fds)
                {
                    fd.Dispose();
                }

                if (message.Type == IsolationProtocol.Text)
                {
                    lastText = Encoding.UTF8.GetString(message.Body);
                }
                else if (message.Type == IsolationProtocol.ConnectRequest)
                {
                    KernelConnects.Answer(socket, uri => KernelConnects.Holds(launch.Capabilities, uri), message.Body);
                }
            }
        }

        private void ReportExit()
        {
            ended = true;
            NoteTraceCounts();
            process!.WaitForExit();
            DrainMessages();
            var code = process.ExitCode;
            var how = limits?.ExplainExit(code) ?? (code > 128 ? $"was killed by signal {code - 128}" : $"exited with code {code}");
            var said = lastText is { } text && text.StartsWith("fault:", StringComparison.Ordinal) ? $"; it said: {text}" : "";
            var errors = ChildErrors();
            if (code == 0 && lastText is { } done && done.StartsWith("completed:", StringComparison.Ordinal))
            {
                launch.Service.HandleCompletion($"service host process {process.Id} exited normally; it said: {done}");
                return;
            }

            launch.Service.HandleFault($"service host process {process.Id} {how}{said}{(errors.Length > 0 ? "; stderr: " + errors : "")}");
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
}
