using System.Collections.Immutable;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Kernel.Services;

/// <summary>
/// Everything a host process needs to run one incarnation of a service without reading a manifest:
/// the service's immutable spec, and the layout of each kernel object it was granted, so its
/// context opens them exactly as the kernel's own would (the same points in the same order, the
/// same client ids on each endpoint, the same staleness judgement of each writer). The kernel
/// makes it from the incarnation's capability space (<see cref="ServiceLaunch.HostSpec"/>), so it
/// describes only what was granted; <see cref="HostedServiceSpecCodec"/> carries it to the child;
/// <see cref="SingleServiceKernel"/> runs it there.
/// </summary>
public sealed record HostedServiceSpec(
    ServiceSpec Service,
    ImmutableArray<HostedRegion> Regions,
    ImmutableArray<HostedEndpoint> Endpoints,
    ImmutableArray<RouteSpec> Routes);

/// <summary>
/// A granted region as it is laid out: its points in the writer's order, its one writer, and the
/// writer's period (0 without a cyclic task), by which a reader judges staleness.
/// </summary>
public sealed record HostedRegion(string Name, string Writer, ImmutableArray<string> Points, long WriterPeriodUs);

/// <summary>A granted endpoint's queues: its provider, its routed clients in client-id order, its depth and message size.</summary>
public sealed record HostedEndpoint(string Name, string Provider, ImmutableArray<string> Clients, int QueueDepth, int MaxMessageBytes);
