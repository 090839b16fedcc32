using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Services;

/// <summary>
/// What the kernel hands a host to start one incarnation of a service: the service as a host may
/// drive it (<see cref="HostedService"/>: its spec and its instance events, not the runtime), the
/// incarnation's capability space, and what each of those capabilities refers to, as views a host
/// needs to hand them to another process (<see cref="RegionMemoryOf"/>, <see cref="DeviceUriOf"/>).
/// Nothing here reaches a kernel object the incarnation was not granted.
/// </summary>
public sealed record ServiceLaunch(HostedService Service, int Incarnation, CapabilitySpace Capabilities, DeterministicRandom Random)
{
    /// <summary>The memory behind a region capability of this incarnation: a host maps or hands it over, the rights say how.</summary>
    public RegionMemory RegionMemoryOf(Capability capability) =>
        ((Region)OwnTarget(capability, CapabilityKind.Region)).Memory;

    /// <summary>The URI of the device a device capability of this incarnation names (its manifest's <c>uri</c>).</summary>
    public string DeviceUriOf(Capability capability) => (string)OwnTarget(capability, CapabilityKind.Device);

    /// <summary>
    /// The service's spec and the layout of every region and endpoint this incarnation was granted:
    /// what a host process needs to build the service's context there (<see cref="SingleServiceKernel"/>)
    /// without reading a manifest. Control plane.
    /// </summary>
    public HostedServiceSpec HostSpec() => Service.Runtime.Kernel.DescribeForHost(Service.Spec, Capabilities);

    /// <summary>Whether this incarnation still holds a valid capability for the device at <paramref name="uri"/>.</summary>
    public bool HoldsDevice(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return Capabilities.All.Any(c => c.Kind == CapabilityKind.Device && c.IsValid && (string)c.KernelObject == uri);
    }

    /// <summary>The object behind <paramref name="capability"/>, which must be one of this space's own, of <paramref name="kind"/>.</summary>
    private object OwnTarget(Capability capability, CapabilityKind kind)
    {
        ArgumentNullException.ThrowIfNull(capability);
        if (capability.Kind != kind)
        {
            throw new ArgumentException($"capability {capability} is not a {kind.ToString().ToLowerInvariant()} capability", nameof(capability));
        }

        if (!ReferenceEquals(Capabilities.Find(kind, capability.ObjectName), capability))
        {
            throw new ArgumentException($"capability {capability} is not one of incarnation {Incarnation} of '{Capabilities.Holder}'", nameof(capability));
        }

        return capability.KernelObject;
    }
}

/// <summary>
/// One incarnation of a service as its host sees it: what it is (id and spec) and the instance
/// events a host reports for it (a fault, a normal end, a heartbeat, denials counted in another
/// process). Events of an incarnation that has been replaced are ignored, so a late report from
/// a dead child cannot fault its successor. Loop thread only, like the kernel.
/// </summary>
public sealed class HostedService
{
    private readonly ServiceRuntime runtime;

    internal HostedService(ServiceRuntime runtime, int incarnation)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(incarnation);
        this.runtime = runtime;
        Incarnation = incarnation;
    }

    public string Id => runtime.Id;

    public ServiceSpec Spec => runtime.Spec;

    public int Incarnation { get; }

    /// <summary>The kernel's own view, for the in-process host only.</summary>
    internal ServiceRuntime Runtime => runtime;

    private bool IsCurrent => runtime.Incarnation == Incarnation;

    /// <summary>The instance failed (its process crashed, was killed, or said why); the supervisor decides.</summary>
    public void Fault(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (IsCurrent)
        {
            runtime.HandleFault(reason);
        }
    }

    /// <summary>The instance ended normally: its service said it is done and its process exited cleanly.</summary>
    public void Complete(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (IsCurrent)
        {
            runtime.HandleCompletion(reason);
        }
    }

    /// <summary>
    /// The instance's own process said its service started (its start ran, its first cycle is due
    /// at its next release) at <paramref name="nowNs"/>; traced, so a restart's time splits into
    /// what the runtime takes and what the service's timing asks for.
    /// </summary>
    public void Ready(long nowNs)
    {
        if (IsCurrent)
        {
            runtime.Trace.Record(TraceEventKind.Ready, runtime.TraceId, -1, Incarnation, nowNs - runtime.StartedAtNs);
        }
    }

    /// <summary>The instance showed a sign of life at <paramref name="nowNs"/> (a completed cycle, as its host saw it). Allocation-free.</summary>
    public void Heartbeat(long nowNs)
    {
        if (IsCurrent)
        {
            runtime.NoteHeartbeat(nowNs);
        }
    }

    /// <summary>The instance's own process warned of something that is not a fault (a retain store that fell back): the kernel warns with its words.</summary>
    public void Warn(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        runtime.Kernel.Warn(runtime, text);
    }

    /// <summary>Records in the kernel's trace that the instance was denied <paramref name="denials"/> times where the kernel could not see it (its own process).</summary>
    public void RecordDenialsElsewhere(long denials)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(denials);
        runtime.Trace.Record(TraceEventKind.CapabilityDeny, runtime.TraceId, -1, denials, Incarnation);
    }
}

/// <summary>
/// One incarnation of a service, wherever it runs: in the kernel's process (a program instance
/// and its context) or in an OS process of its own (a child that holds its capabilities as file
/// descriptors). The kernel revokes the capability space itself; the instance releases what it
/// built on it.
/// </summary>
public interface IServiceInstance
{
    CyclicStatistics? Statistics { get; }

    /// <summary>Whether <see cref="Statistics"/> has a value, without taking the snapshot (its percentiles cost a histogram walk).</summary>
    bool HasStatistics => Statistics is not null;

    /// <summary>How long after start the first heartbeat may take: a child process needs time to come up.</summary>
    long StartupGraceNs { get; }

    /// <summary>Runs the service's own start. Throws when it cannot start; the kernel faults the service.</summary>
    void Start();

    /// <summary>Asks the service to stop (its own Stop), then releases what it holds.</summary>
    void Stop();

    /// <summary>Releases what the instance holds without asking the service: after a fault or a crash.</summary>
    void Teardown();
}

/// <summary>Where service instances run. Hosts are chosen per service by the composer of the system.</summary>
public interface IServiceHost
{
    /// <summary>Prepares an instance without running any of the service's code.</summary>
    IServiceInstance Create(ServiceLaunch launch);
}

/// <summary>Runs every service in the kernel's own process: the simulation, and services that are not isolated.</summary>
internal sealed class InProcessServiceHost(SystemKernel kernel) : IServiceHost
{
    public IServiceInstance Create(ServiceLaunch launch)
    {
        var descriptor = kernel.Catalog.Find(launch.Service.Spec.Program.Type)
            ?? throw new InvalidOperationException($"program type '{launch.Service.Spec.Program.Type}' is not built in; neokernel programs lists them");
        var context = new ServiceContext(kernel, launch.Service.Runtime, launch.Capabilities, launch.Random);
        return new Instance(descriptor.Create(), context);
    }

    private sealed class Instance(IService service, ServiceContext context) : IServiceInstance
    {
        public CyclicStatistics? Statistics => context.CyclicStatistics;

        public bool HasStatistics => context.HasCyclicTask;

        public long StartupGraceNs => 0;

        public void Start()
        {
            service.Start(context);
            context.StartLoopHeartbeat();
        }

        public void Stop()
        {
            try
            {
                service.Stop();
            }
            finally
            {
                context.Teardown();
            }
        }

        public void Teardown() => context.Teardown();
    }
}
