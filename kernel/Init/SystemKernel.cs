using Neokernel.Contracts;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Control;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Supervision;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel;

/// <summary>
/// One running system: the kernel objects (regions, endpoints), the services and their
/// supervisor, the trace. It boots a validated system definition in dependency order, grants
/// each service exactly what its manifest and the system's routes allow, and stops in reverse
/// order. Everything it does to the world goes through <see cref="IPlatform"/>.
/// </summary>
public sealed class SystemKernel
{
    private readonly Dictionary<string, Region> regions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Endpoint> endpoints = new(StringComparer.Ordinal);
    private readonly List<ServiceRuntime> services = [];
    private readonly HashSet<(string Client, string Endpoint)> routes = [];
    private List<ServiceRuntime> bootOrder = [];
    private KernelEndpointServer? kernelEndpoints;

    private readonly Func<ServiceRuntime, IServiceHost?>? hostSelector;
    private readonly InProcessServiceHost inProcess;

    /// <param name="system">The validated system.</param>
    /// <param name="catalog">The programs the services run.</param>
    /// <param name="platform">Time, timers, memory and devices.</param>
    /// <param name="traceCapacity">Events the trace ring keeps.</param>
    /// <param name="hostSelector">Chooses where each service runs; null (or a null answer) runs it in this process.</param>
    public SystemKernel(
        SystemDefinition system,
        ProgramCatalog catalog,
        IPlatform platform,
        int traceCapacity = KernelTrace.CapacityDefault,
        Func<ServiceRuntime, IServiceHost?>? hostSelector = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(platform);
        System = system;
        Catalog = catalog;
        Platform = platform;
        Trace = new KernelTrace(platform.Clock, traceCapacity);
        Supervisor = new Supervisor(this, system.Spec.Strategy);
        this.hostSelector = hostSelector;
        inProcess = new InProcessServiceHost(this);
    }

    internal IServiceHost HostFor(ServiceRuntime service) => hostSelector?.Invoke(service) ?? inProcess;

    public SystemDefinition System { get; }

    public ProgramCatalog Catalog { get; }

    public IPlatform Platform { get; }

    public KernelTrace Trace { get; }

    public Supervisor Supervisor { get; }

    public bool IsBooted { get; private set; }

    public bool IsShuttingDown { get; private set; }

    /// <summary>The most warnings <see cref="Warnings"/> keeps; later ones are still traced and told to <see cref="Warned"/>.</summary>
    public const int WarningsKept = 256;

    private readonly List<(string ServiceId, string Text)> warnings = [];

    /// <summary>What the kernel warned of so far (the first <see cref="WarningsKept"/>): retain stores that fell back, failed writes.</summary>
    public IReadOnlyList<(string ServiceId, string Text)> Warnings => warnings;

    /// <summary>Told each warning as it is given, on the loop thread: the CLI prints it.</summary>
    public event Action<string, string>? Warned;

    /// <summary>Warns of something about <paramref name="service"/> that is not a fault: traced (the text is the event's object), kept, told. Control plane.</summary>
    internal void Warn(ServiceRuntime service, string text)
    {
        Trace.Record(TraceEventKind.Warning, service.TraceId, Trace.Intern(text));
        if (warnings.Count < WarningsKept)
        {
            warnings.Add((service.Id, text));
        }

        Warned?.Invoke(service.Id, text);
    }

    /// <summary>Services in the order the system file lists them.</summary>
    public IReadOnlyList<ServiceRuntime> Services => services;

    /// <summary>Services in the order they were started: dependencies first.</summary>
    public IReadOnlyList<ServiceRuntime> BootOrder => bootOrder;

    public IEnumerable<Region> Regions => regions.Values;

    public Region? FindRegion(string name) => regions.GetValueOrDefault(name);

    /// <summary>
    /// The host's view of a region, for displays, reports and tests: the kernel reads its own
    /// objects. Services never hold the kernel, so this is no way around their capabilities.
    /// </summary>
    public bool TryInspect(Region region, RegionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!region.TryCopy(snapshot.Payload, out var sequence))
        {
            return false;
        }

        snapshot.Sequence = sequence;
        return true;
    }

    public ServiceRuntime? FindService(string id) => services.Find(s => s.Id == id);

    public ServiceRuntime Service(string id) => FindService(id) ?? throw new ArgumentException($"no service '{id}' in system '{System.Spec.Name}'", nameof(id));

    /// <summary>
    /// Faults <paramref name="serviceId"/> for <paramref name="reason"/> as if it had crashed: the
    /// fault path every other fault takes (trace, teardown, supervisor). For fault injection on
    /// the simulation platform. False when the service is not running or starting, and nothing happened.
    /// </summary>
    public bool InjectFault(string serviceId, string reason)
    {
        var service = Service(serviceId);
        if (service.State is not (ServiceState.Running or ServiceState.Starting))
        {
            return false;
        }

        service.HandleFault(reason);
        return true;
    }

    /// <summary>Creates the kernel objects and starts every service, dependencies first.</summary>
    public void Boot() => Boot(null);

    /// <summary>
    /// Creates the kernel objects and starts the services in <paramref name="only"/> (all when
    /// null), dependencies first. A service host process boots its one service this way: it sees
    /// the whole system's objects, but only the memory it was handed is shared. It starts at the
    /// incarnation the kernel launched (<paramref name="firstIncarnation"/>), so its random stream
    /// and its endpoint correlations are that incarnation's.
    /// </summary>
    public void Boot(IReadOnlyCollection<string>? only, int firstIncarnation = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(firstIncarnation, 1);
        if (IsBooted)
        {
            throw new InvalidOperationException("the system is already booted");
        }

        Trace.Record(TraceEventKind.Boot, 0, -1, System.Services.Count, (long)Platform.Seed);
        CreateServices();
        CreateRegions();
        CreateEndpoints();
        foreach (var route in System.Spec.Routes)
        {
            routes.Add((route.Client, route.Endpoint));
        }

        LinkDependencies();
        bootOrder = BootOrdering.Order(services);
        IsBooted = true;
        if (only is null)
        {
            // The kernel that runs the whole system serves its own endpoints; a service host's local kernel leaves them to it.
            kernelEndpoints = new KernelEndpointServer(this);
            kernelEndpoints.Bind(endpoints);
        }

        foreach (var service in bootOrder)
        {
            if (only is null || only.Contains(service.Id))
            {
                service.Incarnation = firstIncarnation - 1;
                service.StartInstance();
            }
        }
    }

    /// <summary>Stops every service in reverse boot order. Restarts pending are cancelled.</summary>
    public void Shutdown()
    {
        if (!IsBooted || IsShuttingDown)
        {
            return;
        }

        IsShuttingDown = true;
        for (var i = bootOrder.Count - 1; i >= 0; i--)
        {
            var service = bootOrder[i];
            service.RestartTimer.Cancel();
            service.StopInstance();
        }

        kernelEndpoints?.Unbind();
        Trace.Record(TraceEventKind.Shutdown, 0);
    }

    /// <summary>
    /// Builds a fresh capability space for a service's new instance from its spec and the routes,
    /// at every start and restart. The spec is immutable and the kernel's own, so nothing the
    /// service did in an earlier incarnation can widen this. Write on a region goes only to the
    /// writer the region was created for.
    /// </summary>
    internal CapabilitySpace GrantCapabilities(ServiceRuntime service)
    {
        var space = new CapabilitySpace(service.Id);
        var spec = service.Spec;
        var first = service.GrantedCapabilities.Count == 0;
        void Grant(CapabilityKind kind, string name, object target, Rights rights)
        {
            space.Grant(kind, name, target, rights);
            Trace.Record(TraceEventKind.CapabilityGrant, service.TraceId, Trace.Intern(name), (long)rights, (long)kind);
            if (first)
            {
                service.GrantedCapabilities.Add((kind, name));
            }
        }

        foreach (var entry in spec.Regions)
        {
            var region = regions.GetValueOrDefault(entry.Name)
                ?? throw new InvalidOperationException($"service '{service.Id}' reads region '{entry.Name}' that no service writes");
            var writes = entry.Access == RegionAccess.Write && region.Writer == service.Id;
            Grant(CapabilityKind.Region, entry.Name, region, writes ? Rights.Read | Rights.Write : Rights.Read);
        }

        foreach (var provided in spec.Provides)
        {
            Grant(CapabilityKind.Endpoint, provided.Name, endpoints[provided.Name], Rights.Read | Rights.Write);
        }

        foreach (var used in spec.Uses)
        {
            if (!routes.Contains((service.Id, used)) || !endpoints.TryGetValue(used, out var endpoint))
            {
                Trace.Record(TraceEventKind.CapabilityDeny, service.TraceId, Trace.Intern(used), (long)Rights.Call, (long)CapabilityKind.Endpoint);
                continue;
            }

            Grant(CapabilityKind.Endpoint, used, endpoint, Rights.Call);
        }

        foreach (var device in spec.Devices)
        {
            var rights = ((device.Access & DeviceAccess.Read) != 0 ? Rights.Read : Rights.None)
                | ((device.Access & DeviceAccess.Write) != 0 ? Rights.Write : Rights.None);
            Grant(CapabilityKind.Device, device.Name, device.Uri, rights);
        }

        if (spec.Retain is { } retain)
        {
            Grant(CapabilityKind.Retain, "retain", retain, Rights.Read | Rights.Write);
        }

        // Every service, cyclic or not, has the clock and its timers; a timing section adds the cyclic task.
        Grant(CapabilityKind.Clock, "clock", Platform.Clock, Rights.Read);
        if (spec.Timing is not null)
        {
            Grant(CapabilityKind.Timer, "cyclic", service.TaskSpec!, Rights.Read);
        }

        return space;
    }

    /// <summary>
    /// What a host process needs to run an incarnation of <paramref name="service"/> whose
    /// capabilities are <paramref name="space"/>: the spec, and the layout of each region and
    /// endpoint in the space (and only those), with the service's own routes to them.
    /// </summary>
    internal HostedServiceSpec DescribeForHost(ServiceSpec service, CapabilitySpace space)
    {
        var regionLayouts = new List<HostedRegion>();
        var endpointLayouts = new List<HostedEndpoint>();
        foreach (var capability in space.All)
        {
            if (!capability.IsValid)
            {
                continue;
            }

            if (capability.KernelObject is Region region)
            {
                var writerPeriodUs = System.Find(region.Writer)?.Spec.Timing?.PeriodUs ?? 0;
                regionLayouts.Add(new HostedRegion(region.Name, region.Writer, [.. region.PointNames], writerPeriodUs));
            }
            else if (capability.KernelObject is Endpoint endpoint)
            {
                var queues = endpoint.Spec;
                endpointLayouts.Add(new HostedEndpoint(queues.Name, queues.Provider, [.. queues.Clients], queues.Capacity, queues.MaxMessageBytes));
            }
        }

        var routesHeld = System.Spec.Routes.Where(r => r.Client == service.Id && endpointLayouts.Exists(e => e.Name == r.Endpoint));
        return new HostedServiceSpec(service, [.. regionLayouts], [.. endpointLayouts], [.. routesHeld]);
    }

    /// <summary>A writer stopped or faulted: its regions keep their last values, marked bad.</summary>
    internal void OnWriterGone(ServiceRuntime service)
    {
        foreach (var region in regions.Values)
        {
            if (region.Writer == service.Id)
            {
                region.OverwriteQuality(Quality.Bad);
                Trace.Record(TraceEventKind.QualityChange, service.TraceId, region.TraceId, (long)Quality.Bad);
            }
        }
    }

    /// <summary>
    /// A service failed for good: it and every service that depends on it, directly or not,
    /// and declares a safe state, is stopped and its outputs are driven to the declared values.
    /// </summary>
    internal void ApplySafeState(ServiceRuntime failed)
    {
        var affected = new List<ServiceRuntime>();
        var queue = new Queue<ServiceRuntime>();
        queue.Enqueue(failed);
        while (queue.Count > 0)
        {
            var service = queue.Dequeue();
            if (affected.Contains(service))
            {
                continue;
            }

            affected.Add(service);
            foreach (var dependent in service.Dependents)
            {
                queue.Enqueue(dependent);
            }
        }

        foreach (var service in affected)
        {
            if (service.Spec.SafeState is not { Outputs.Length: > 0 } safe)
            {
                continue;
            }

            service.StopInstance();
            service.InSafeState = true;
            DriveSafeOutputs(service, safe);
            Trace.Record(TraceEventKind.SafeState, service.TraceId, -1, failed.TraceId, safe.Outputs.Length);
        }
    }

    /// <summary>Status of every service, for displays and reports. Control plane: allocates.</summary>
    public IReadOnlyList<ServiceStatus> CaptureStatus()
    {
        var list = new List<ServiceStatus>(services.Count);
        foreach (var s in services)
        {
            list.Add(new ServiceStatus(s.Id, s.Spec.Kind, s.State, s.Incarnation, s.Restarts, s.InSafeState, s.LastFault, s.Statistics));
        }

        return list;
    }

    private void DriveSafeOutputs(ServiceRuntime service, SafeStateSpec safe)
    {
        foreach (var group in safe.Outputs.GroupBy(o => o.Region, StringComparer.Ordinal))
        {
            if (!regions.TryGetValue(group.Key, out var region) || region.Writer != service.Id)
            {
                continue;
            }

            var points = group.Select(o => region.IndexOf(o.Point)).ToArray();
            var values = group.Select(o => o.Value).ToArray();
            region.OverwritePoints(points, values, Platform.Clock.NowNs);
        }
    }

    private void CreateServices()
    {
        for (var i = 0; i < System.Services.Count; i++)
        {
            services.Add(new ServiceRuntime(this, System.Services[i], i));
        }
    }

    private void CreateRegions()
    {
        foreach (var service in services)
        {
            foreach (var entry in service.Spec.Regions)
            {
                if (entry.Access != RegionAccess.Write)
                {
                    continue;
                }

                if (regions.ContainsKey(entry.Name))
                {
                    throw new InvalidOperationException($"region '{entry.Name}' has two writers; a region has exactly one");
                }

                var memory = Platform.RegionMemory.Allocate(entry.Name, Region.BytesFor(entry.Points.Length));
                regions.Add(entry.Name, new Region(entry.Name, entry.Points, memory, service.Id) { TraceId = Trace.Intern(entry.Name) });
            }
        }
    }

    private void CreateEndpoints()
    {
        foreach (var service in services)
        {
            foreach (var provided in service.Spec.Provides)
            {
                var spec = EndpointSpec(System, provided, service.Id);
                endpoints.Add(provided.Name, new Endpoint(spec, Platform.MessageQueues, Platform, Trace));
            }
        }

        foreach (var name in (ReadOnlySpan<string>)[KernelEndpoints.Status, KernelEndpoints.Control])
        {
            if (KernelEndpointSpec(System, name) is { } spec)
            {
                endpoints.Add(name, new Endpoint(spec, Platform.MessageQueues, Platform, Trace));
            }
        }
    }

    /// <summary>
    /// A kernel endpoint's queues, when the system routes a client to it (null otherwise: an
    /// unrouted kernel endpoint is not built). Its provider is the kernel; its size is fixed.
    /// </summary>
    public static EndpointQueueSpec? KernelEndpointSpec(SystemDefinition system, string name)
    {
        ArgumentNullException.ThrowIfNull(system);
        var clients = system.Spec.Routes.Where(r => r.Endpoint == name).Select(r => r.Client).Distinct(StringComparer.Ordinal).ToArray();
        return clients.Length == 0 ? null : new EndpointQueueSpec(name, KernelEndpoints.Provider, clients, KernelEndpoints.QueueDepth, KernelEndpoints.MaxMessageBytes);
    }

    /// <summary>An endpoint's queues as the system defines them: its routed clients in the order of the system file's routes.</summary>
    public static EndpointQueueSpec EndpointSpec(SystemDefinition system, ProvidedEndpointSpec provided, string providerId)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(provided);
        var clients = system.Spec.Routes.Where(r => r.Endpoint == provided.Name).Select(r => r.Client).Distinct(StringComparer.Ordinal).ToArray();
        return new EndpointQueueSpec(provided.Name, providerId, clients, provided.QueueDepth, provided.MaxMessageBytes);
    }

    private void LinkDependencies()
    {
        foreach (var service in services)
        {
            foreach (var entry in service.Spec.Regions)
            {
                if (entry.Access == RegionAccess.Read && regions.TryGetValue(entry.Name, out var region))
                {
                    Link(service, region.Writer);
                }
            }

            foreach (var used in service.Spec.Uses)
            {
                if (endpoints.TryGetValue(used, out var endpoint))
                {
                    Link(service, endpoint.Provider);
                }
            }

            foreach (var other in service.Spec.DependsOn)
            {
                Link(service, other);
            }
        }
    }

    private void Link(ServiceRuntime dependent, string dependencyId)
    {
        var dependency = FindService(dependencyId);
        if (dependency is null || dependency == dependent || dependent.Dependencies.Contains(dependency))
        {
            return;
        }

        dependent.Dependencies.Add(dependency);
        dependency.Dependents.Add(dependent);
    }
}

/// <summary>One service as a display shows it.</summary>
public sealed record ServiceStatus(
    string Id,
    ServiceKind Kind,
    ServiceState State,
    int Incarnation,
    int Restarts,
    bool InSafeState,
    string? LastFault,
    CyclicStatistics? Statistics);

/// <summary>Dependencies first; among equals, the system file's order; services in a dependency cycle in file order.</summary>
internal static class BootOrdering
{
    public static List<ServiceRuntime> Order(IReadOnlyList<ServiceRuntime> services)
    {
        var remaining = new Dictionary<ServiceRuntime, int>();
        foreach (var s in services)
        {
            remaining[s] = s.Dependencies.Count;
        }

        var order = new List<ServiceRuntime>(services.Count);
        while (remaining.Count > 0)
        {
            var next = services.FirstOrDefault(s => remaining.TryGetValue(s, out var n) && n == 0)
                ?? services.First(remaining.ContainsKey);
            remaining.Remove(next);
            order.Add(next);
            foreach (var dependent in next.Dependents)
            {
                if (remaining.TryGetValue(dependent, out var n))
                {
                    remaining[dependent] = n - 1;
                }
            }
        }

        return order;
    }
}
