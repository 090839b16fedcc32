using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Simulation;

namespace Neokernel.Testing;

/// <summary>
/// A service's context without a kernel, for unit tests of one service: the regions and endpoints
/// are the kernel's own objects (<see cref="StandaloneKernelObjects"/>), the clock and the cyclic
/// task run on a <see cref="SimulationPlatform"/>'s virtual time, devices come from the provider
/// the test gives (<see cref="FakeDevices"/> unless told otherwise) under the names it maps.
/// </summary>
/// <remarks>
/// The test declares what the kernel would grant (<see cref="AddRegion"/>, <see cref="AddEndpoint"/>,
/// <see cref="MapDevice"/>), starts the service, plays the other side through <see cref="Objects"/>
/// as a peer (<see cref="PeerId"/>), and moves time with <see cref="RunCycles"/> or <see cref="RunFor"/>,
/// which also deliver messages. What the service asked for is in <see cref="Opened"/>, in order,
/// so a test can assert that a bad configuration was refused before any capability was opened.
/// </remarks>
public sealed class FakeServiceContext : IServiceContext, ICyclicTaskObserver
{
    /// <summary>The holder the test acts as on the other side of regions and endpoints.</summary>
    public const string PeerId = "peer";

    private readonly Dictionary<string, (string Uri, DeviceAccess Access)> devices = new(StringComparer.Ordinal);
    private readonly Lazy<ServiceSpec> spec;
    private readonly ServiceManifest manifest;
    private ICyclicTaskHandle? task;

    /// <param name="parameters">The program's parameters, as a manifest's <c>program.parameters</c>.</param>
    /// <param name="periodUs">The cyclic period the timing grants; 0 grants no timing (no clock, no cyclic task).</param>
    /// <param name="safeState">The manifest's safe state, if any.</param>
    /// <param name="devices">Opens the URIs of <see cref="MapDevice"/>; a <see cref="FakeDevices"/> by default.</param>
    /// <param name="serviceId">The service's id: the writer or provider the test names for what the service owns.</param>
    /// <param name="seed">Seed of the platform and of the service's random stream.</param>
    /// <param name="declarations">The program's parameter declarations: the parameters are typed against them as the kernel's spec builder would (null: left as text).</param>
    /// <param name="kind">The service's kind as a manifest writes it.</param>
    /// <param name="program">The program whose parameters and tables the manifest's are typed against (it replaces <paramref name="declarations"/>).</param>
    /// <param name="tables">The program's tables, as a manifest's <c>program.tables</c>; typed against <paramref name="program"/>.</param>
    public FakeServiceContext(
        IReadOnlyDictionary<string, string>? parameters = null,
        long periodUs = 100_000,
        SafeStateManifest? safeState = null,
        IDeviceProvider? devices = null,
        string serviceId = "svc",
        ulong seed = 7,
        IReadOnlyList<ParameterDeclaration>? declarations = null,
        string kind = "plant",
        ProgramDescriptor? program = null,
        IReadOnlyDictionary<string, List<Dictionary<string, string>>>? tables = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        ArgumentOutOfRangeException.ThrowIfNegative(periodUs);
        ServiceId = serviceId;
        var manifest = new ServiceManifest
        {
            Id = serviceId,
            Kind = kind,
            Program = new ProgramManifest
            {
                Type = program?.Type ?? "test",
                Parameters = new Dictionary<string, string>(parameters ?? new Dictionary<string, string>()),
                Tables = new Dictionary<string, List<Dictionary<string, string>>>(tables ?? new Dictionary<string, List<Dictionary<string, string>>>()),
            },
            Timing = periodUs > 0 ? new TimingManifest { PeriodUs = periodUs } : null,
            SafeState = safeState,
        };

        // Typed when first read, so a test of a bad parameter sees the error where the service reads it.
        this.manifest = manifest;
        spec = new Lazy<ServiceSpec>(() => program is null
            ? SpecBuilder.ServiceWithParameters(manifest, declarations)
            : SpecBuilder.Service(manifest, new ProgramCatalog().Add(program)));
        Devices = devices ?? new FakeDevices();
        Platform = new SimulationPlatform(seed, Devices);
        Objects = new StandaloneKernelObjects(Platform);
        Random = new DeterministicRandom(seed);
        TaskSpec = periodUs > 0
            ? new CyclicTaskSpec(serviceId, TimingClass.BestEffort, 0, null, periodUs * 1_000, 0, periodUs * 1_000, periodUs * 1_000, OverrunPolicy.Skip, 3)
            : null;
    }

    public string ServiceId { get; }

    public ServiceSpec Spec => spec.Value;

    public ProgramParameters Parameters => Spec.Program.Parameters;

    public DeterministicRandom Random { get; }

    /// <summary>The virtual time the service's clock, timers and cyclic task run on.</summary>
    public SimulationPlatform Platform { get; }

    /// <summary>The regions and endpoints: open the peer's side here, as <see cref="PeerId"/>.</summary>
    public StandaloneKernelObjects Objects { get; }

    /// <summary>Where <see cref="OpenDevice"/> opens the mapped URIs.</summary>
    public IDeviceProvider Devices { get; }

    /// <summary>The cyclic task the timing grants: best-effort, deadline = period, skip on overrun.</summary>
    public CyclicTaskSpec? TaskSpec { get; }

    /// <summary>What the service asked for, in order: "reader r", "writer r", "serve e", "client e", "device d", "cyclic", "fault why".</summary>
    public List<string> Opened { get; } = [];

    /// <summary>Reasons the service reported with <see cref="ReportFault"/> and faults of its cyclic body, in order.</summary>
    public List<string> Faults { get; } = [];

    /// <summary>Cycles the cyclic task completed.</summary>
    public long CyclesCompleted { get; private set; }

    /// <summary>Overruns of the cyclic task so far.</summary>
    public long Overruns { get; private set; }

    /// <summary>Every service is granted the clock, cyclic or not.</summary>
    public IClock Clock => Platform.Clock;

    /// <summary>Timers on the fake's virtual time: <see cref="RunFor"/> fires them. A callback that throws fails the test.</summary>
    public IServiceTimer CreateTimer(ITimerCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        Opened.Add("timer");
        return new FakeServiceTimer(Platform, callback);
    }

    public CyclicStatistics? CyclicStatistics => task?.Statistics;

    /// <summary>
    /// Adds a region the service may open; its one writer is <paramref name="writer"/> (the service,
    /// or <see cref="PeerId"/> for an input). The service's own regions are also in its
    /// <see cref="Spec"/>, as the manifest declares them, when added before the spec is first read.
    /// </summary>
    public Region AddRegion(string name, string writer, params string[] points)
    {
        if (writer == ServiceId)
        {
            if (spec.IsValueCreated)
            {
                throw new InvalidOperationException($"region '{name}' is added after the service's spec was read; add the service's regions first");
            }

            manifest.Regions.Add(new RegionManifest { Name = name, Access = "write", Points = [.. points] });
        }

        return Objects.CreateRegion(name, points, writer);
    }

    /// <summary>Adds an endpoint: <paramref name="provider"/> serves it and <paramref name="clients"/> are routed to it.</summary>
    public void AddEndpoint(string name, string provider, IReadOnlyList<string> clients, int queueDepth = 16, int maxMessageBytes = 256) =>
        Objects.CreateEndpoint(name, provider, clients, queueDepth, maxMessageBytes);

    /// <summary>Maps the manifest's device <paramref name="name"/> to <paramref name="uri"/> with <paramref name="access"/>.</summary>
    public FakeServiceContext MapDevice(string name, string uri, DeviceAccess access = DeviceAccess.ReadWrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        devices[name] = (uri, access);
        return this;
    }

    /// <summary>Maps each device name to its URI, with read and write access.</summary>
    public FakeServiceContext MapDevices(IReadOnlyDictionary<string, string> uris)
    {
        ArgumentNullException.ThrowIfNull(uris);
        foreach (var (name, uri) in uris)
        {
            MapDevice(name, uri);
        }

        return this;
    }

    public RegionReader OpenRegionReader(string region)
    {
        Opened.Add("reader " + region);
        return Objects.OpenRegionReader(region, ServiceId);
    }

    public RegionWriter OpenRegionWriter(string region)
    {
        Opened.Add("writer " + region);
        return Objects.OpenRegionWriter(region, ServiceId);
    }

    public EndpointServer ServeEndpoint(string endpoint, IMessageHandler handler)
    {
        Opened.Add("serve " + endpoint);
        return Objects.ServeEndpoint(endpoint, ServiceId, handler);
    }

    public EndpointClient OpenEndpointClient(string endpoint, IReplyHandler? replyHandler = null)
    {
        Opened.Add("client " + endpoint);
        return Objects.OpenEndpointClient(endpoint, ServiceId, replyHandler);
    }

    public IDeviceChannel OpenDevice(string name)
    {
        Opened.Add("device " + name);
        if (!devices.TryGetValue(name, out var device))
        {
            throw Denied(CapabilityKind.Device, name, $"map it with {nameof(MapDevice)}; mapped: {string.Join(", ", devices.Keys)}");
        }

        return Devices.Open(device.Uri, device.Access);
    }

    public ICyclicTaskHandle StartCyclic(ICyclicBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Opened.Add("cyclic");
        if (TaskSpec is null)
        {
            throw Denied(CapabilityKind.Timer, "cyclic", "the fake context was made with periodUs: 0, so it grants no timing");
        }

        if (task is not null)
        {
            throw new InvalidOperationException($"service '{ServiceId}' already runs its cyclic task; a service has one");
        }

        task = Platform.CyclicExecutor.Start(TaskSpec, body, this);
        return task;
    }

    /// <summary>The service said its work is done: recorded in <see cref="Opened"/> as <c>complete REASON</c>.</summary>
    public void Complete(string reason) => Opened.Add("complete " + reason);

    public void ReportFault(string reason)
    {
        Opened.Add("fault " + reason);
        Faults.Add(reason);
    }

    /// <summary>Records the <c>mode</c> event in <see cref="Objects"/>' trace, as the kernel would in its own: read it with <c>Objects.Trace.Events(TraceEventKind.ModeChange)</c>.</summary>
    public void TraceModeChange(int cause, int fromMode, int toMode) =>
        Objects.Trace.Record(Kernel.Trace.TraceEventKind.ModeChange, Objects.Trace.Intern(ServiceId), cause, fromMode, toMode);

    /// <summary>
    /// Runs virtual time until the cyclic task completed <paramref name="cycles"/> more cycles,
    /// delivering the messages due on the way. Stops early when nothing is left to run (the task
    /// stopped or faulted: see <see cref="Faults"/>). Allocation-free once the task runs.
    /// </summary>
    public void RunCycles(int cycles)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cycles);
        var target = CyclesCompleted + cycles;
        while (CyclesCompleted < target && Platform.TryRunNext(long.MaxValue))
        {
        }
    }

    /// <summary>Runs every event due within the next <paramref name="durationNs"/> of virtual time: cycles, deliveries, replies.</summary>
    public void RunFor(long durationNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(durationNs);
        Platform.RunUntil(Platform.NowNs + durationNs);
    }

    /// <summary>Stops the cyclic task and revokes every capability, as the kernel does when the instance stops.</summary>
    public void Teardown()
    {
        task?.Stop();
        Objects.RevokeAll();
    }

    void ICyclicTaskObserver.OnBodyFault(Exception exception) => Faults.Add($"cyclic body threw {exception.GetType().Name}: {exception.Message}");

    void ICyclicTaskObserver.OnOverrun(long lateNs) => Overruns++;

    void ICyclicTaskObserver.OnWatchdog(long consecutiveOverruns) => Faults.Add($"watchdog: {consecutiveOverruns} consecutive overruns");

    void ICyclicTaskObserver.OnCycleCompleted(long nowNs) => CyclesCompleted++;

    private CapabilityDeniedException Denied(CapabilityKind kind, string name, string reason) => new(ServiceId, kind, name, reason);
}
