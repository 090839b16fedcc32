using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Services;

/// <summary>
/// Regions and endpoints that belong to no system, each behind capabilities of its own: the real
/// kernel objects, so a service can be tested against them (Neokernel.Testing's
/// FakeServiceContext) or measured, without booting a kernel from manifests.
/// </summary>
/// <remarks>
/// This forges no authority: everything it hands out reaches only objects it made itself, never
/// an object of a running system. The rights follow the role each holder has, as the system file
/// would grant them: a region's declared writer holds Read and Write, anyone else Read; an
/// endpoint's provider holds Read and Write, a routed client Call. <see cref="RevokeAll"/> revokes
/// every capability handed out, as a stopping instance's are.
/// </remarks>
public sealed class StandaloneKernelObjects : IFaultSink
{
    /// <summary>Regions one set may hold.</summary>
    public const int RegionsMax = 256;

    /// <summary>Endpoints one set may hold.</summary>
    public const int EndpointsMax = 256;

    private readonly Dictionary<string, Region> regions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Endpoint> endpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CapabilitySpace> spaces = new(StringComparer.Ordinal);
    private readonly List<Exception> handlerFaults = [];

    /// <param name="platform">Gives the region memory, the endpoint queues and the timers that deliver messages.</param>
    public StandaloneKernelObjects(IPlatform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        Platform = platform;
        Trace = new KernelTrace(platform.Clock);
    }

    public IPlatform Platform { get; }

    /// <summary>What the objects recorded: publishes, sends, deliveries, denials.</summary>
    public KernelTrace Trace { get; }

    /// <summary>Exceptions thrown by a message or reply handler, in order; the kernel would fault the handler's service.</summary>
    public IReadOnlyList<Exception> HandlerFaults => handlerFaults;

    /// <summary>Makes a region of <paramref name="pointNames"/> whose one writer is <paramref name="writer"/>; its points read Bad until written.</summary>
    public Region CreateRegion(string name, IReadOnlyList<string> pointNames, string writer)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(writer);
        ArgumentNullException.ThrowIfNull(pointNames);
        CheckCanAdd(regions, name, RegionsMax, "region");

        var memory = Platform.RegionMemory.Allocate(name, Region.BytesFor(pointNames.Count));
        var region = new Region(name, pointNames, memory, writer) { TraceId = Trace.Intern(name) };
        regions.Add(name, region);
        return region;
    }

    /// <summary>Makes an endpoint that <paramref name="provider"/> serves and <paramref name="clients"/> call, in client-id order.</summary>
    public void CreateEndpoint(string name, string provider, IReadOnlyList<string> clients, int queueDepth, int maxMessageBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(clients);
        CheckCanAdd(endpoints, name, EndpointsMax, "endpoint");

        var spec = new EndpointQueueSpec(name, provider, [.. clients], queueDepth, maxMessageBytes);
        endpoints.Add(name, new Endpoint(spec, Platform.MessageQueues, Platform, Trace));
    }

    public RegionReader OpenRegionReader(string region, string holder)
    {
        var target = RegionNamed(region);
        return new RegionReader(target, GrantRegion(target, holder), Trace, Trace.Intern(holder));
    }

    /// <summary>The writer's access; denied to anyone but the region's declared writer.</summary>
    public RegionWriter OpenRegionWriter(string region, string holder)
    {
        var target = RegionNamed(region);
        var capability = GrantRegion(target, holder);
        if (!capability.Allows(Rights.Write))
        {
            throw Deny(holder, CapabilityKind.Region, region, Rights.Write, $"only its declared writer '{target.Writer}' may write it");
        }

        return new RegionWriter(target, capability, Trace, Trace.Intern(holder), Platform.RegionPublishFilterFor(target.Name, target.PointNames));
    }

    /// <summary>Binds <paramref name="handler"/> as the endpoint's server; denied to anyone but its provider.</summary>
    public EndpointServer ServeEndpoint(string endpoint, string holder, IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var target = EndpointNamed(endpoint);
        var capability = GrantEndpoint(target, holder);
        if (!capability.Allows(Rights.Read | Rights.Write))
        {
            throw Deny(holder, CapabilityKind.Endpoint, endpoint, Rights.Read | Rights.Write, $"its provider is '{target.Provider}'");
        }

        var server = new EndpointServer(target, capability, handler, this, Trace.Intern(holder));
        target.Bind(server);
        return server;
    }

    /// <summary>A client's side; denied to anyone the endpoint was not made with as a client.</summary>
    public EndpointClient OpenEndpointClient(string endpoint, string holder, IReplyHandler? replyHandler = null)
    {
        var target = EndpointNamed(endpoint);
        var capability = GrantEndpoint(target, holder);
        var clientId = target.ClientIdOf(holder);
        if (clientId < 0 || !capability.Allows(Rights.Call))
        {
            throw Deny(holder, CapabilityKind.Endpoint, endpoint, Rights.Call, "it is not among the endpoint's clients");
        }

        return new EndpointClient(target, capability, replyHandler, this, Platform, Trace.Intern(holder), clientId, 1);
    }

    /// <summary>Revokes every capability handed out: readers, writers, servers and clients stop working.</summary>
    public void RevokeAll()
    {
        foreach (var space in spaces.Values)
        {
            space.RevokeAll();
        }

        foreach (var endpoint in endpoints.Values)
        {
            endpoint.Bind(null);
        }
    }

    void IFaultSink.OnHandlerFault(Exception exception) => handlerFaults.Add(exception);

    private Capability GrantRegion(Region region, string holder)
    {
        var rights = string.Equals(region.Writer, holder, StringComparison.Ordinal) ? Rights.Read | Rights.Write : Rights.Read;
        return Grant(holder, CapabilityKind.Region, region.Name, region, rights);
    }

    private Capability GrantEndpoint(Endpoint endpoint, string holder)
    {
        var rights = string.Equals(endpoint.Provider, holder, StringComparison.Ordinal) ? Rights.Read | Rights.Write : Rights.None;
        rights |= endpoint.ClientIdOf(holder) >= 0 ? Rights.Call : Rights.None;
        return Grant(holder, CapabilityKind.Endpoint, endpoint.Name, endpoint, rights);
    }

    /// <summary>One capability per holder and object, granted on first use, so <see cref="RevokeAll"/> reaches every one.</summary>
    private Capability Grant(string holder, CapabilityKind kind, string name, object kernelObject, Rights rights)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        if (!spaces.TryGetValue(holder, out var space))
        {
            space = new CapabilitySpace(holder);
            spaces.Add(holder, space);
        }

        return space.Find(kind, name) ?? space.Grant(kind, name, kernelObject, rights);
    }

    private Region RegionNamed(string name) =>
        regions.TryGetValue(name, out var region)
            ? region
            : throw new ArgumentException($"no region '{name}'; made so far: {string.Join(", ", regions.Keys)}", nameof(name));

    private Endpoint EndpointNamed(string name) =>
        endpoints.TryGetValue(name, out var endpoint)
            ? endpoint
            : throw new ArgumentException($"no endpoint '{name}'; made so far: {string.Join(", ", endpoints.Keys)}", nameof(name));

    private CapabilityDeniedException Deny(string holder, CapabilityKind kind, string name, Rights rights, string reason)
    {
        Trace.Record(TraceEventKind.CapabilityDeny, Trace.Intern(holder), Trace.Intern(name), (long)rights, (long)kind);
        return new CapabilityDeniedException(holder, kind, name, reason);
    }

    private static void CheckCanAdd<T>(Dictionary<string, T> made, string name, int max, string what)
    {
        if (made.ContainsKey(name))
        {
            throw new ArgumentException($"{what} '{name}' exists already", nameof(name));
        }

        if (made.Count >= max)
        {
            throw new InvalidOperationException($"a standalone set holds at most {max} {what}s; '{name}' is one too many");
        }
    }
}
