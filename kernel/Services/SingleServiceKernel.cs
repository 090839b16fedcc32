using Neokernel.Contracts;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Supervision;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Services;

/// <summary>
/// One service, run by a host process from the grants it was handed: no manifest, no supervisor's
/// restarts, no other service. It builds the service's context from a <see cref="HostedServiceSpec"/>
/// and a platform whose region memory, message queues and devices are the granted ones, starts
/// the program from the catalog, and runs the lifecycle a host needs: start, the cyclic task with
/// its observer and watchdog, timers, and an end that is reported once (a fault, or
/// <see cref="IServiceContext.Complete"/>) and is final: the kernel that granted the service decides
/// what comes next.
/// </summary>
/// <remarks>
/// The context is the kernel's own, granted by the kernel's own code: the regions and endpoints the
/// spec lays out are made as kernel objects (each region's writer and each endpoint's provider
/// stand as records that never start), and the service's capability space is derived from its
/// spec and its routes exactly as in the kernel's process, deny by default. So an open behaves
/// here as it would in-process, and what the spec does not name is not there to be opened.
/// </remarks>
public sealed class SingleServiceKernel
{
    /// <summary>Where the definition a host process runs came from: the kernel's grants, not a file.</summary>
    public const string GrantedSource = "(granted by the kernel)";

    private readonly SystemKernel kernel;
    private readonly ServiceRuntime runtime;

    private SingleServiceKernel(SystemKernel kernel, ServiceRuntime runtime)
    {
        this.kernel = kernel;
        this.runtime = runtime;
    }

    public string ServiceId => runtime.Id;

    public ServiceState State => runtime.State;

    /// <summary>True while the service runs: it neither faulted nor ended.</summary>
    public bool IsRunning => runtime.State == ServiceState.Running;

    /// <summary>True once the service faulted (in its start or later), false while it runs or after a normal end.</summary>
    public bool HasFaulted => runtime.State is not (ServiceState.Running or ServiceState.Stopped);

    public string? LastFault => runtime.LastFault;

    /// <summary>Why the service ended normally, if it did.</summary>
    public string? LastCompletion => runtime.LastCompletion;

    /// <summary>True if the spec gives the service a cyclic task (its cycles are its heartbeat).</summary>
    public bool HasCyclicTask => runtime.TaskSpec is not null;

    public CyclicStatistics? Statistics => runtime.Statistics;

    /// <summary>What this host recorded: the kernel reads its counts from the host's status page.</summary>
    public KernelTrace Trace => kernel.Trace;

    /// <summary>
    /// Builds the service's context and starts it as incarnation <paramref name="incarnation"/>
    /// (its random stream and its endpoint correlations are that incarnation's). A start that
    /// fails leaves it faulted, with the reason in <see cref="LastFault"/>. <paramref name="warned"/>, when
    /// given, is told each warning of the kernel here (a retain store that fell back) from the
    /// service's start on: a host passes them on to the granting kernel.
    /// </summary>
    public static SingleServiceKernel Start(HostedServiceSpec spec, ProgramCatalog catalog, IPlatform platform, int incarnation, int traceCapacity = KernelTrace.CapacityDefault, Action<string, string>? warned = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentOutOfRangeException.ThrowIfLessThan(incarnation, 1);
        var kernel = new SystemKernel(SystemOf(spec, platform.Seed), catalog, platform, traceCapacity);
        if (warned is not null)
        {
            kernel.Warned += warned;
        }

        kernel.Boot([spec.Service.Id], incarnation);
        return new SingleServiceKernel(kernel, kernel.Service(spec.Service.Id));
    }

    /// <summary>Stops the service in order (its own Stop, then teardown and revocation), if it still runs.</summary>
    public void Stop() => kernel.Shutdown();

    /// <summary>
    /// The system a host's kernel objects are made from: the service, with its restart policy
    /// temporary (a fault ends it here; the granting kernel restarts), and for each region it reads
    /// and each endpoint it calls, a record of the writer or provider with just that object.
    /// Routes reproduce each endpoint's clients in client-id order.
    /// </summary>
    internal static SystemDefinition SystemOf(HostedServiceSpec spec, ulong seed)
    {
        var service = spec.Service with { Restart = spec.Service.Restart with { Policy = RestartPolicy.Temporary } };
        var peers = new Dictionary<string, ServiceSpec>(StringComparer.Ordinal);
        ServiceSpec Peer(string id) => peers.TryGetValue(id, out var peer) ? peer : Stand(id, service.Restart);
        foreach (var region in spec.Regions.Where(r => r.Writer != service.Id))
        {
            var writer = Peer(region.Writer);
            peers[region.Writer] = writer with
            {
                Regions = writer.Regions.Add(new RegionSpec(region.Name, RegionAccess.Write, region.Points)),
                Timing = region.WriterPeriodUs > 0 ? Period(region.WriterPeriodUs) : writer.Timing,
            };
        }

        foreach (var endpoint in spec.Endpoints.Where(e => e.Provider != service.Id && e.Provider != KernelEndpoints.Provider))
        {
            var provider = Peer(endpoint.Provider);
            peers[endpoint.Provider] = provider with { Provides = provider.Provides.Add(new ProvidedEndpointSpec(endpoint.Name, endpoint.MaxMessageBytes, endpoint.QueueDepth)) };
        }

        var routes = spec.Endpoints.SelectMany(e => e.Clients.Select(client => new RouteSpec(client, e.Name, OperationsOf(spec, client, e.Name))));
        var system = new SystemSpec($"host of {service.Id}", null, seed, RestartStrategy.OneForOne, [.. routes]);
        ServiceDefinition[] services = [new(service, GrantedSource), .. peers.Values.Select(p => new ServiceDefinition(p, GrantedSource))];
        return new SystemDefinition(system, GrantedSource, services);
    }

    /// <summary>The kernel.control rights of this service's route to <paramref name="endpoint"/>; none for other clients.</summary>
    private static ControlRights OperationsOf(HostedServiceSpec spec, string client, string endpoint) =>
        client == spec.Service.Id
            ? spec.Routes.Where(r => r.Client == client && r.Endpoint == endpoint).Aggregate(ControlRights.None, (rights, r) => rights | r.Operations)
            : ControlRights.None;

    /// <summary>A writer or provider that stands in this host for the real one elsewhere: it is never started.</summary>
    private static ServiceSpec Stand(string id, RestartSpec restart) => new()
    {
        Id = id,
        Kind = ServiceKind.Driver,
        Program = new ProgramSpec("(elsewhere)", ProgramParameters.Empty),
        Restart = restart,
        Isolated = true,
    };

    /// <summary>A writer's period, by which readers here judge its points stale.</summary>
    private static TimingSpec Period(long periodUs) =>
        new(TimingClass.BestEffort, 0, null, periodUs, 0, periodUs, periodUs, OverrunPolicy.Skip, 0);
}
