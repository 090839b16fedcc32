using System.Globalization;
using Neokernel.Contracts;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Rt.TestPeer;

/// <summary>
/// A service host process for the kernel endpoint tests (<c>kernel-host service-host
/// --service ID ...</c>, the arguments <see cref="ProcessServiceHost"/> gives): the real
/// <see cref="ServiceHostChild"/> with a catalog of test programs. <c>test.probe-gateway</c> reads
/// kernel.status (the sensor's statistics and incarnation) and restarts the sensor through
/// kernel.control, publishing what it saw in region <c>probe</c>; <c>test.intruder</c> tries a restart
/// its route does not grant and publishes the answer in region <c>intrusion</c>; <c>test.hung</c>
/// blocks its event loop in a timer callback.
/// </summary>
public static class KernelClientRole
{
    /// <summary>The points of region probe, in order.</summary>
    public static readonly string[] ProbePoints = ["cycles", "latencyP99", "executionP99", "restartReply", "incarnation"];

    public const string System = """
        system: kernel-endpoints
        services:
          - manifest: sensor.yaml
          - manifest: gateway.yaml
          - manifest: intruder.yaml
        routes:
          - { client: gateway, endpoint: kernel.status }
          - { client: gateway, endpoint: kernel.control, operations: [restart] }
          - { client: intruder, endpoint: kernel.control, operations: [acknowledge] }
        """;

    public const string HungSystem = """
        system: kernel-hung
        services:
          - manifest: hung.yaml
        """;

    public const string StallSystem = """
        system: kernel-stall
        services:
          - manifest: stall.yaml
        """;

    public static InMemoryManifestSource Manifests() => new InMemoryManifestSource()
        .Add("system.yaml", System)
        .Add("hung-system.yaml", HungSystem)
        .Add("stall-system.yaml", StallSystem)
        .Add("misbehaving-system.yaml", MisbehavingRole.System)
        .Add("misbehaving.yaml", MisbehavingRole.Manifest)
        .Add("misbehaving-store-system.yaml", MisbehavingRole.SystemWithStore)
        .Add("misbehaving-store.yaml", MisbehavingRole.ManifestWithStore)
        .Add("stall.yaml", """
            id: stall
            kind: driver
            program: { type: test.sensor }
            timing: { class: best-effort, priority: 0, periodUs: 10000 }
            regions: [{ name: io, access: write, points: [level] }]
            restart: { policy: temporary, heartbeatTimeoutMs: 300 }
            """)
        .Add("sensor.yaml", """
            id: sensor
            kind: driver
            program: { type: test.sensor }
            timing: { class: best-effort, priority: 0, periodUs: 10000 }
            regions: [{ name: io, access: write, points: [level] }]
            restart: { maxRestarts: 10, withinMs: 60000, backoffInitialMs: 50, backoffMaxMs: 100 }
            """)
        .Add("gateway.yaml", $$"""
            id: gateway
            kind: gateway
            program: { type: test.probe-gateway }
            regions: [{ name: probe, access: write, points: [{{string.Join(", ", ProbePoints)}}] }]
            endpoints: { uses: [kernel.status, kernel.control] }
            restart: { policy: temporary }
            """)
        .Add("intruder.yaml", """
            id: intruder
            kind: gateway
            program: { type: test.intruder }
            regions: [{ name: intrusion, access: write, points: [reply] }]
            endpoints: { uses: [kernel.control] }
            restart: { policy: temporary }
            """)
        .Add("hung.yaml", """
            id: hung
            kind: gateway
            program: { type: test.hung }
            restart: { policy: temporary, heartbeatTimeoutMs: 500 }
            """);

    public static ProgramCatalog Catalog() => new ProgramCatalog()
        .Add(new ProgramDescriptor("test.sensor", "writes its cycle count", [], static () => new Sensor()))
        .Add(new ProgramDescriptor("test.probe-gateway", "reads kernel.status, restarts the sensor", [], static () => new ProbeGateway()))
        .Add(new ProgramDescriptor("test.intruder", "tries a restart it is not granted", [], static () => new Intruder()))
        .Add(new ProgramDescriptor("test.hung", "blocks its event loop", [], static () => new Hung()))
        .Add(MisbehavingRole.Descriptor);

    /// <summary>Runs the service host; <paramref name="args"/> are what follows the role.</summary>
    public static int Run(string[] args, TextWriter error)
    {
        string Option(string name) => args[Array.IndexOf(args, "--" + name) + 1];
        var arguments = new ServiceHostArguments(
            Option("service"),
            int.Parse(Option("socket-fd"), CultureInfo.InvariantCulture),
            ulong.Parse(Option("seed"), CultureInfo.InvariantCulture),
            int.Parse(Option("incarnation"), CultureInfo.InvariantCulture),
            long.Parse(Option("origin-ns"), CultureInfo.InvariantCulture),
            RealTime: false);
        return ServiceHostChild.Run(Catalog(), arguments, static _ => new NoDevices(), error);
    }

    private sealed class NoDevices : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException($"no device '{uri}' here");
    }

    private sealed class Sensor : IService, ICyclicBody
    {
        private RegionWriter? writer;

        public void Start(IServiceContext context)
        {
            writer = context.OpenRegionWriter("io");
            context.StartCyclic(this);
        }

        public void Stop()
        {
        }

        public void Execute(in CycleInfo cycle)
        {
            writer!.Set(0, cycle.CycleIndex, Quality.Good, cycle.ReleaseNs);
            writer.Publish();
        }
    }

    /// <summary>Every 20 ms one status request about the sensor (service #0); after 20 of its cycles, one restart.</summary>
    private sealed class ProbeGateway : IService, IReplyHandler, ITimerCallback
    {
        private const long TickNs = 20_000_000;
        private readonly byte[] request = new byte[KernelEndpoints.MaxMessageBytes];
        private readonly double[] probe = [0, 0, 0, -1, 0];
        private EndpointClient? status;
        private EndpointClient? control;
        private RegionWriter? writer;
        private KernelOperation pending;
        private bool restartSent;
        private long ticks;

        public void Start(IServiceContext context)
        {
            writer = context.OpenRegionWriter("probe");
            status = context.OpenEndpointClient(KernelEndpoints.Status, this);
            control = context.OpenEndpointClient(KernelEndpoints.Control, this);
            context.CreateTimer(this).ArmPeriodic(TickNs, context.Clock.NowNs + TickNs);
        }

        public void Stop()
        {
        }

        public void OnTimer(long nowNs)
        {
            if (!restartSent && probe[0] >= 20)
            {
                restartSent = control!.Call(request.AsSpan(0, KernelMessages.EncodeControlRequest(KernelOperation.Restart, "sensor", request)), out _) == SendResult.Accepted;
            }

            pending = ticks++ % 2 == 0 ? KernelOperation.ServiceStatistics : KernelOperation.Service;
            status!.Call(request.AsSpan(0, KernelMessages.EncodeIndexedRequest(pending, 0, request)), out _);
            for (var i = 0; i < probe.Length; i++)
            {
                writer!.Set(i, probe[i], Quality.Good, nowNs);
            }

            writer!.Publish();
        }

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply)
        {
            if (client == control)
            {
                probe[3] = (double)KernelMessages.StatusOf(reply);
            }
            else if (pending == KernelOperation.ServiceStatistics && KernelMessages.TryDecodeStatistics(reply, out var hasTask, out var task) && hasTask)
            {
                (probe[0], probe[1], probe[2]) = (task.Cycles, task.LatencyNsP99, task.ExecutionNsP99);
            }
            else if (pending == KernelOperation.Service && KernelMessages.TryDecodeService(reply, out var service))
            {
                probe[4] = service.Fields.Incarnation;
            }
        }
    }

    /// <summary>Asks for a restart its route does not grant, every 100 ms until answered; publishes the answer.</summary>
    private sealed class Intruder : IService, IReplyHandler, ITimerCallback
    {
        private readonly byte[] request = new byte[KernelEndpoints.MaxMessageBytes];
        private EndpointClient? control;
        private RegionWriter? writer;
        private IServiceTimer? timer;

        public void Start(IServiceContext context)
        {
            writer = context.OpenRegionWriter("intrusion");
            control = context.OpenEndpointClient(KernelEndpoints.Control, this);
            timer = context.CreateTimer(this);
            timer.ArmPeriodic(100_000_000, context.Clock.NowNs + 100_000_000);
        }

        public void Stop()
        {
        }

        public void OnTimer(long nowNs) =>
            control!.Call(request.AsSpan(0, KernelMessages.EncodeControlRequest(KernelOperation.Restart, "sensor", request)), out _);

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply)
        {
            timer!.Cancel();
            writer!.Set(0, (double)KernelMessages.StatusOf(reply), Quality.Good, 0);
            writer.Publish();
        }
    }

    /// <summary>Its first timer callback never returns: the loop stops, and so do its heartbeats.</summary>
    private sealed class Hung : IService, ITimerCallback
    {
        public void Start(IServiceContext context) => context.CreateTimer(this).ArmAfter(300_000_000);

        public void Stop()
        {
        }

        public void OnTimer(long nowNs) => Thread.Sleep(Timeout.Infinite);
    }
}
