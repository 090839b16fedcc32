using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Services;

/// <summary>
/// The context of one service instance: its capability space and the kernel calls that go
/// through it. Every open checks the capability and traces the grant or the denial. When the
/// instance stops, its space is revoked, and every reader, writer, client and device it opened
/// stops working with it.
/// </summary>
internal sealed partial class ServiceContext : IServiceContext, ITimerCallback
{
    /// <summary>Timers one instance may make: bounded like everything else.</summary>
    public const int TimersMax = ServiceTimers.PerInstanceMax;

    private readonly SystemKernel kernel;
    private readonly ServiceRuntime runtime;
    private readonly List<IDisposable> devices = [];
    private readonly List<ICyclicTaskHandle> tasks = [];
    private readonly List<Endpoint> served = [];
    private readonly List<ServiceTimer> timers = [];
    private IPlatformTimer? loopHeartbeat;
    private IClock? clock;
    private RetainStore? retainStore;
    private bool tornDown;

    public ServiceContext(SystemKernel kernel, ServiceRuntime runtime, CapabilitySpace space, DeterministicRandom random)
    {
        this.kernel = kernel;
        this.runtime = runtime;
        Space = space;
        Random = random;
    }

    public CapabilitySpace Space { get; }

    public string ServiceId => runtime.Id;

    public ServiceSpec Spec => runtime.Spec;

    public ProgramParameters Parameters => runtime.Spec.Program.Parameters;

    public DeterministicRandom Random { get; }

    public IClock Clock
    {
        get
        {
            var capability = Require(CapabilityKind.Clock, "clock", Rights.Read, "every service is granted the clock; this instance was torn down");
            capability.MarkUsed();
            return clock ??= kernel.Platform.ClockFor(runtime.Id);
        }
    }

    public IServiceTimer CreateTimer(ITimerCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var capability = Require(CapabilityKind.Clock, "clock", Rights.Read, "every service is granted the clock; this instance was torn down");
        if (timers.Count >= TimersMax)
        {
            throw new InvalidOperationException($"service '{ServiceId}' already has {TimersMax} timers, the most one instance may make; re-arm the ones it has");
        }

        capability.MarkUsed();
        var timer = new ServiceTimer(kernel.Platform, callback, capability, runtime);
        timers.Add(timer);
        return timer;
    }

    public CyclicStatistics? CyclicStatistics => tasks.Count > 0 ? tasks[0].Statistics : null;

    public bool HasCyclicTask => tasks.Count > 0;

    public RegionReader OpenRegionReader(string region)
    {
        var capability = Require(CapabilityKind.Region, region, Rights.Read, $"list '{region}' under regions with access: read");
        capability.MarkUsed();
        var target = (Region)capability.KernelObject;
        var staleness = Staleness.For(kernel.Platform.Clock, kernel.System.Find(target.Writer)?.Spec);
        return new RegionReader(target, capability, kernel.Trace, runtime.TraceId, staleness);
    }

    public RegionWriter OpenRegionWriter(string region)
    {
        var capability = Require(CapabilityKind.Region, region, Rights.Write, $"only the one writer declared with access: write may write '{region}'");
        capability.MarkUsed();
        var target = (Region)capability.KernelObject;
        return new RegionWriter(target, capability, kernel.Trace, runtime.TraceId, kernel.Platform.RegionPublishFilterFor(target.Name, target.PointNames));
    }

    public EndpointServer ServeEndpoint(string endpoint, IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var capability = Require(CapabilityKind.Endpoint, endpoint, Rights.Read | Rights.Write, $"list '{endpoint}' under endpoints.provides");
        capability.MarkUsed();
        var target = (Endpoint)capability.KernelObject;
        var server = new EndpointServer(target, capability, handler, runtime, runtime.TraceId);
        served.Add(target);
        target.Bind(server);
        return server;
    }

    public EndpointClient OpenEndpointClient(string endpoint, IReplyHandler? replyHandler = null)
    {
        var capability = Require(CapabilityKind.Endpoint, endpoint, Rights.Call, $"list '{endpoint}' under endpoints.uses and route it in the system manifest");
        capability.MarkUsed();
        var target = (Endpoint)capability.KernelObject;
        var clientId = target.ClientIdOf(runtime.Id);
        if (clientId < 0)
        {
            throw Deny(CapabilityKind.Endpoint, endpoint, Rights.Call, $"route client '{runtime.Id}' to '{endpoint}' in the system manifest");
        }

        return new EndpointClient(target, capability, replyHandler, runtime, kernel.Platform, runtime.TraceId, clientId, runtime.Incarnation);
    }

    public IDeviceChannel OpenDevice(string name)
    {
        var capability = Space.Find(CapabilityKind.Device, name);
        if (capability is null || !capability.IsValid)
        {
            throw Deny(CapabilityKind.Device, name, Rights.Read, "list it under devices with its uri");
        }

        var uri = (string)capability.KernelObject;
        if (Devices.DeviceUri.TryParse(uri, out var address, out _) && address!.Transport != Devices.DeviceTransport.RegisterBank)
        {
            throw new InvalidOperationException($"service '{ServiceId}': device '{name}' ({uri}) is a stream device: open it with OpenStream or OpenListener");
        }

        capability.MarkUsed();
        var access = DeviceAccess.None;
        access |= (capability.Rights & Rights.Read) != 0 ? DeviceAccess.Read : DeviceAccess.None;
        access |= (capability.Rights & Rights.Write) != 0 ? DeviceAccess.Write : DeviceAccess.None;
        var channel = new GuardedDeviceChannel(kernel.Platform.Devices.Open(uri, access), capability, kernel.Trace, runtime.TraceId, kernel.Trace.Intern(uri));
        devices.Add(channel);
        return channel;
    }

    public IRetainStore OpenRetainStore()
    {
        var capability = Require(CapabilityKind.Retain, "retain", Rights.Read | Rights.Write, "add a retain section with the store's path to the manifest");
        if (retainStore is not null)
        {
            return retainStore;
        }

        var storage = kernel.Platform.RetainStorage
            ?? throw new CapabilityDeniedException(ServiceId, CapabilityKind.Retain, "retain", $"the {kernel.Platform.Name} platform keeps no retained values");
        capability.MarkUsed();
        var spec = (RetainSpec)capability.KernelObject;
        retainStore = RetainStore.Open(storage.Open(ServiceId, spec), spec, capability, kernel.Platform, kernel.Trace, runtime.TraceId, text => kernel.Warn(runtime, text));
        return retainStore;
    }

    public ICyclicTaskHandle StartCyclic(ICyclicBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var capability = Require(CapabilityKind.Timer, "cyclic", Rights.Read, "add a timing section with periodUs to the manifest");
        capability.MarkUsed();
        if (tasks.Count > 0)
        {
            throw new InvalidOperationException($"service '{ServiceId}' already runs its cyclic task; a service has one");
        }

        var handle = kernel.Platform.CyclicExecutor.Start(runtime.TaskSpec!, body, runtime);
        tasks.Add(handle);
        return handle;
    }

    public void ReportFault(string reason) => runtime.ReportFault(reason);

    /// <summary>Into the trace of the kernel this context belongs to (an isolated service's: its own process's, which counts it).</summary>
    public void TraceModeChange(int cause, int fromMode, int toMode) =>
        kernel.Trace.Record(TraceEventKind.ModeChange, runtime.TraceId, cause, fromMode, toMode);

    /// <summary>
    /// A service without a cyclic task proves its event loop alive with a beat on that loop: a
    /// handler that never returns stops the beat, and the kernel's watchdog faults the service.
    /// </summary>
    public void StartLoopHeartbeat()
    {
        if (runtime.TaskSpec is not null || tornDown)
        {
            return;
        }

        loopHeartbeat ??= kernel.Platform.CreateTimer(this);
        loopHeartbeat.ArmAt(kernel.Platform.Clock.NowNs + runtime.LoopHeartbeatIntervalNs);
    }

    void ITimerCallback.OnTimer(long nowNs)
    {
        if (tornDown)
        {
            return;
        }

        runtime.NoteHeartbeat(nowNs);
        loopHeartbeat!.ArmAt(nowNs + runtime.LoopHeartbeatIntervalNs);
    }

    public void Complete(string reason) => runtime.HandleCompletion(reason);

    /// <summary>Stops what this instance started; the kernel revokes its capabilities. Safe to call twice.</summary>
    public void Teardown()
    {
        tornDown = true;
        loopHeartbeat?.Cancel();
        foreach (var task in tasks)
        {
            task.Stop();
        }

        foreach (var endpoint in served)
        {
            endpoint.Bind(null);
        }

        foreach (var timer in timers)
        {
            timer.Revoke();
        }

        foreach (var device in devices)
        {
            device.Dispose();
        }

        // After the service's own Stop: a save it made there is written before the medium closes.
        retainStore?.Close();
        retainStore = null;

        tasks.Clear();
        served.Clear();
        devices.Clear();
        timers.Clear();
    }

    private Capability Require(CapabilityKind kind, string name, Rights rights, string howToFix)
    {
        var capability = Space.Find(kind, name);
        if (capability is null || !capability.Allows(rights))
        {
            throw Deny(kind, name, rights, howToFix);
        }

        return capability;
    }

    private CapabilityDeniedException Deny(CapabilityKind kind, string name, Rights rights, string howToFix)
    {
        kernel.Trace.Record(TraceEventKind.CapabilityDeny, runtime.TraceId, kernel.Trace.Intern(name), (long)rights, (long)kind);
        var held = Space.Find(kind, name);
        var reason = held is null
            ? $"its manifest grants no such {kind.ToString().ToLowerInvariant()} ({howToFix})"
            : held.IsValid ? $"it holds {held.Rights} but asked for {rights}" : "the capability was revoked";
        return new CapabilityDeniedException(ServiceId, kind, name, reason);
    }
}

/// <summary>A device channel that goes through the service's device capability on every call.</summary>
internal sealed class GuardedDeviceChannel(IDeviceChannel inner, Capability capability, KernelTrace trace, int subject, int traceId) : IDeviceChannel
{
    public string Uri => inner.Uri;

    public int Read(Span<byte> buffer)
    {
        if (!capability.Allows(Rights.Read))
        {
            trace.Record(TraceEventKind.CapabilityDeny, subject, traceId, (long)Rights.Read);
            return 0;
        }

        return inner.Read(buffer);
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (!capability.Allows(Rights.Write))
        {
            trace.Record(TraceEventKind.CapabilityDeny, subject, traceId, (long)Rights.Write);
            return;
        }

        inner.Write(data);
    }

    public void Dispose() => inner.Dispose();
}
