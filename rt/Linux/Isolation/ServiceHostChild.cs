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

/// <summary>What a service host process was told on its command line.</summary>
public sealed record ServiceHostArguments(string ServiceId, string SocketPath, ulong Seed, int Incarnation, long OriginNs);

/// <summary>
/// The child side of process isolation: <c>neokernel service-host</c>. It connects to the kernel,
/// receives its capabilities as file descriptors, maps them (read-only where it may only read),
/// and runs its one service on its own event loop, on the kernel's clock origin so release grids
/// and timestamps agree. Its local kernel grants from the same manifests, and the memory it was
/// not handed is not shared: both the manifest and the OS say no. It never restarts the service
/// itself: on a fault it tells the kernel and exits, and the kernel's supervisor decides.
/// </summary>
public static class ServiceHostChild
{
    /// <summary>How often the child checks its service is still running.</summary>
    private const long WatchIntervalNs = 20_000_000;

    public static int Run(
        SystemDefinition system,
        ProgramCatalog catalog,
        ServiceHostArguments arguments,
        Func<IReadOnlyDictionary<string, RegionMemory>, IDeviceProvider> devicesFor,
        TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(devicesFor);
        ArgumentNullException.ThrowIfNull(error);
        var service = system.Find(arguments.ServiceId)
            ?? throw new ArgumentException($"system '{system.Manifest.System}' has no service '{arguments.ServiceId}'", nameof(arguments));

        // The kernel's supervisor restarts; here a fault ends the process.
        service.Manifest.Restart.Policy = "temporary";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(arguments.SocketPath));
        var grants = Grants.Receive(socket);
        using var status = grants.Status ?? throw new InvalidDataException("the kernel sent no status page");
        var devices = devicesFor(grants.Devices);
        var platform = new PacedPlatform(arguments.Seed, devices, new GrantedRegionMemory(grants.Regions), arguments.OriginNs)
        {
            MessageQueues = new GrantedMessageQueues(grants.Rings),
        };
        platform.DecorateCyclicExecutor(inner => new HeartbeatExecutor(inner, status));
        var kernel = new SystemKernel(system, catalog, platform);
        kernel.Boot([arguments.ServiceId], arguments.Incarnation);
        var runtime = kernel.Service(arguments.ServiceId);
        if (runtime.State != ServiceState.Running)
        {
            IsolationProtocol.WriteTraceCounts(status.Bytes, kernel.Trace);
            IsolationProtocol.SendText(socket, $"fault: {runtime.LastFault}");
            return 1;
        }

        IsolationProtocol.SendText(socket, "started");
        using var stop = new CancellationTokenSource();
        var listener = new Thread(() => ListenForQuit(socket, stop)) { IsBackground = true, Name = "service-host-socket" };
        listener.Start();
        var watch = new Watch(runtime, socket, stop, status, kernel.Trace);
        watch.Timer = platform.CreateTimer(watch);
        watch.Timer.ArmAt(platform.NowNs + WatchIntervalNs);
        platform.RunUntil(long.MaxValue, stop.Token);
        var faulted = runtime.State != ServiceState.Running;
        kernel.Shutdown();
        IsolationProtocol.WriteTraceCounts(status.Bytes, kernel.Trace);
        return faulted ? 1 : 0;
    }

    private static void ListenForQuit(Socket socket, CancellationTokenSource stop)
    {
        try
        {
            while (IsolationProtocol.Receive(socket) is { } message && message.Type != IsolationProtocol.Quit)
            {
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

        stop.Cancel();
    }

    /// <summary>
    /// Publishes the trace counts the kernel reads, and ends the event loop once the service is no
    /// longer running, telling the kernel why.
    /// </summary>
    private sealed class Watch(ServiceRuntime runtime, Socket socket, CancellationTokenSource stop, MemfdRegionMemory status, KernelTrace trace) : ITimerCallback
    {
        public IPlatformTimer? Timer { get; set; }

        public void OnTimer(long nowNs)
        {
            IsolationProtocol.WriteTraceCounts(status.Bytes, trace);
            if (runtime.State == ServiceState.Running)
            {
                Timer!.ArmAt(nowNs + WatchIntervalNs);
                return;
            }

            try
            {
                IsolationProtocol.SendText(socket, $"fault: {runtime.LastFault}");
            }
            catch (SocketException)
            {
                // Nobody to tell.
            }

            stop.Cancel();
        }
    }

    /// <summary>The capabilities the kernel sent, by kind.</summary>
    private sealed class Grants
    {
        public Dictionary<string, (CapabilityGrant Grant, SafeFileHandle Fd)> Regions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, RegionMemory> Devices { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, SharedMessageRing> Rings { get; } = new(StringComparer.Ordinal);

        public MemfdRegionMemory? Status { get; private set; }

        public static Grants Receive(Socket socket)
        {
            var grants = new Grants();
            while (IsolationProtocol.Receive(socket) is { } message)
            {
                switch (message.Type)
                {
                    case IsolationProtocol.Ready:
                        return grants;
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
                        grants.Rings[ring.Name] = SharedMessageRing.Attach(ring.Name, Single(message.Fds), ring.Capacity, ring.MaxMessageBytes);
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
        public ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer) =>
            inner.Start(spec, body, new Observer(observer, status));

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
