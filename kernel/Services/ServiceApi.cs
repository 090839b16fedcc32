using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Kernel.Services;

/// <summary>
/// A service: a driver, controller, gateway or plant model. It sees only its context and
/// cannot tell whether it runs in the deterministic simulation or on the real-time platform.
/// </summary>
public interface IService
{
    /// <summary>Control plane: open the capabilities it needs and start its cyclic task or handlers. May allocate.</summary>
    void Start(IServiceContext context);

    /// <summary>Control plane: release what <see cref="Start"/> took. The kernel revokes the capabilities anyway.</summary>
    void Stop();
}

/// <summary>
/// Everything a service may touch. Each call checks the capability the manifest granted and
/// throws <see cref="Capabilities.CapabilityDeniedException"/> (and traces the denial) for
/// anything else.
/// </summary>
public interface IServiceContext
{
    string ServiceId { get; }

    /// <summary>The service's validated spec: immutable, so nothing here can widen what the kernel grants.</summary>
    ServiceSpec Spec { get; }

    /// <summary>The program's parameters, typed and checked when the manifest was validated.</summary>
    ProgramParameters Parameters { get; }

    /// <summary>The clock, granted to every service, cyclic or not.</summary>
    IClock Clock { get; }

    /// <summary>
    /// A one-shot or periodic timer whose callback runs on this service's event loop, never
    /// concurrently with its other callbacks; at most 64 per
    /// instance. Control plane: make timers in <see cref="IService.Start"/>, re-arm them anywhere.
    /// </summary>
    IServiceTimer CreateTimer(ITimerCallback callback);

    /// <summary>This service's own deterministic random stream.</summary>
    DeterministicRandom Random { get; }

    RegionReader OpenRegionReader(string region);

    RegionWriter OpenRegionWriter(string region);

    EndpointServer ServeEndpoint(string endpoint, IMessageHandler handler);

    EndpointClient OpenEndpointClient(string endpoint, IReplyHandler? replyHandler = null);

    IDeviceChannel OpenDevice(string name);

    /// <summary>
    /// Opens the stream device (outgoing TCP, serial line) granted as <paramref name="name"/>; its
    /// callbacks go to <paramref name="handler"/> on this service's event loop. A context without
    /// stream devices (a test fake) denies it.
    /// </summary>
    IStreamChannel OpenStream(string name, IStreamHandler handler) =>
        throw new Capabilities.CapabilityDeniedException(ServiceId, Capabilities.CapabilityKind.Device, name, "this context grants no stream devices");

    /// <summary>Listens on the socket granted as <paramref name="name"/>; each accepted connection is offered to <paramref name="handler"/>.</summary>
    IStreamListener OpenListener(string name, IListenerHandler handler) =>
        throw new Capabilities.CapabilityDeniedException(ServiceId, Capabilities.CapabilityKind.Device, name, "this context grants no listening sockets");

    /// <summary>
    /// Opens the service's retain store (its manifest's <c>retain</c> section): what it restored,
    /// and where to save. One store per instance: a second call returns the same one. Denied
    /// without a retain section, or on a platform that keeps no retained values.
    /// </summary>
    IRetainStore OpenRetainStore() =>
        throw new Capabilities.CapabilityDeniedException(ServiceId, Capabilities.CapabilityKind.Retain, "retain", "this context grants no retain store");

    /// <summary>Starts the service's cyclic task on the timing its manifest grants.</summary>
    ICyclicTaskHandle StartCyclic(ICyclicBody body);

    /// <summary>Statistics of the service's cyclic task, if it runs one.</summary>
    CyclicStatistics? CyclicStatistics { get; }

    /// <summary>Tells the supervisor this service cannot go on.</summary>
    void ReportFault(string reason);

    /// <summary>
    /// Records in the kernel's trace that this service's operating mode changed, and why (a
    /// <c>mode</c> event; what the numbers mean is the program's, listed in the trace schema).
    /// Allocation-free and lock-free: a cyclic body may call it.
    /// </summary>
    void TraceModeChange(int cause, int fromMode, int toMode);

    /// <summary>
    /// Tells the supervisor this service has done its work and ends normally: the kernel stops
    /// it, and restarts it only under restart policy permanent (transient and temporary stay stopped).
    /// </summary>
    void Complete(string reason);
}

/// <summary>A service's configuration is wrong: which service, which parameter, why.</summary>
public sealed class ServiceConfigurationException(string serviceId, string parameter, string problem)
    : Exception($"service '{serviceId}': parameter '{parameter}': {problem}")
{
    public string ServiceId { get; } = serviceId;

    public string Parameter { get; } = parameter;
}

/// <summary>One built-in program: its type name, what it does, the parameters it declares and how to make an instance.</summary>
public sealed record ProgramDescriptor(string Type, string Description, IReadOnlyList<ParameterDeclaration> Parameters, Func<IService> Create)
{
    /// <summary>The tables the program declares (<c>program.tables</c> in a manifest); none by default.</summary>
    public IReadOnlyList<TableDeclaration> Tables { get; init; } = [];

    /// <summary>
    /// The program's own checks of its typed parameters and tables against its service's manifest
    /// (a row naming a point the service does not write, two rows claiming one register): what
    /// column types and ranges cannot say. <c>validate</c> runs it once everything it reads is typed,
    /// and reports each problem where it is written.
    /// </summary>
    public Func<ProgramParameters, Manifests.ServiceManifest, IEnumerable<ProgramProblem>>? Check { get; init; }

    /// <summary>
    /// The contracts the program speaks on the endpoints it provides (a network's command endpoint
    /// and the values it serves there). With <see cref="Uses"/>, <c>validate</c> checks across
    /// services that a client speaks what its endpoint serves; it runs them on services whose own
    /// checks passed.
    /// </summary>
    public Func<ProgramParameters, Manifests.ServiceManifest, IEnumerable<ServedContract>>? Serves { get; init; }

    /// <summary>The contracts the program expects of the endpoints it uses, and the names it reads or sets there.</summary>
    public Func<ProgramParameters, Manifests.ServiceManifest, IEnumerable<ContractUse>>? Uses { get; init; }

    public TableDeclaration? FindTable(string name)
    {
        foreach (var table in Tables)
        {
            if (table.Name == name)
            {
                return table;
            }
        }

        return null;
    }

    public ParameterDeclaration? FindParameter(string name)
    {
        foreach (var parameter in Parameters)
        {
            if (parameter.Name == name)
            {
                return parameter;
            }
        }

        return null;
    }
}

/// <summary>
/// One problem a program's <see cref="ProgramDescriptor.Check"/> found. <paramref name="Path"/> is
/// under <c>program</c>: <c>parameters.device</c>, <c>tables.polls[2].count</c>.
/// </summary>
public sealed record ProgramProblem(string Path, string Problem, string Allowed);

/// <summary>What programs' <see cref="ProgramDescriptor.Check"/>s look up alike.</summary>
public static class ProgramChecks
{
    /// <summary>
    /// The device a program's <c>device</c> parameter names, with its parsed address (null when its
    /// URI does not parse: the device check's own error, reported once there), or a problem at
    /// <c>parameters.device</c> when the service has no device by that name.
    /// </summary>
    public static (DeviceManifest Device, DeviceAddress? Address)? Device(ServiceManifest service, string name, ICollection<ProgramProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(problems);
        var device = service.Devices.FirstOrDefault(d => d.Name == name);
        if (device is null)
        {
            problems.Add(new("parameters.device", $"no device '{name}' in this service's devices", service.Devices.Count == 0 ? "a device of this service (it has none)" : string.Join(", ", service.Devices.Select(d => d.Name))));
            return null;
        }

        return (device, DeviceUri.TryParse(device.Uri, out var address, out _) ? address : null);
    }
}

/// <summary>The built-in programs a system can run. Composed by the host (the CLI) from the libraries.</summary>
public sealed class ProgramCatalog
{
    private readonly Dictionary<string, ProgramDescriptor> programs = new(StringComparer.Ordinal);

    public IEnumerable<ProgramDescriptor> All => programs.Values.OrderBy(p => p.Type, StringComparer.Ordinal);

    public ProgramCatalog Add(ProgramDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (!programs.TryAdd(descriptor.Type, descriptor))
        {
            throw new ArgumentException($"program type '{descriptor.Type}' is registered twice", nameof(descriptor));
        }

        return this;
    }

    public ProgramDescriptor? Find(string type) => programs.GetValueOrDefault(type);
}
