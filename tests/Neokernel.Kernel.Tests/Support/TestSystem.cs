using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests.Support;

/// <summary>Builds small systems in code, with test programs, on the simulation platform.</summary>
internal sealed class TestSystem
{
    private readonly List<ServiceManifest> services = [];
    private readonly List<RouteManifest> routes = [];

    public string Strategy { get; set; } = "one-for-one";

    public ProgramCatalog Catalog { get; } = new();

    public ServiceManifest Add(string id, string program, long periodUs = 10_000)
    {
        var manifest = new ServiceManifest
        {
            Id = id,
            Kind = "driver",
            Program = new ProgramManifest { Type = program },
            Timing = periodUs > 0 ? new TimingManifest { Class = "best-effort", PeriodUs = periodUs } : null,
            Restart = new RestartManifest { MaxRestarts = 3, WithinMs = 10_000, BackoffInitialMs = 100, BackoffMaxMs = 1_000 },
        };
        services.Add(manifest);
        return manifest;
    }

    public void Route(string client, string endpoint, params string[] operations) =>
        routes.Add(new RouteManifest { Client = client, Endpoint = endpoint, Operations = [.. operations] });

    public SystemDefinition Definition() => SpecBuilder.Definition(SystemManifest(), "test.yaml", ServiceFiles(), Catalog);

    /// <summary>What the validator says of the system as built so far: nothing, for a valid one.</summary>
    public IReadOnlyList<ManifestDiagnostic> Validate() => ManifestValidator.ValidateSystem(SystemManifest(), "test.yaml", ServiceFiles(), Catalog);

    private SystemManifest SystemManifest() => new()
    {
        System = "test",
        Supervisor = new SupervisorManifest { Strategy = Strategy },
        Services = [.. services.Select(s => new SystemServiceEntry { Manifest = s.Id + ".yaml" })],
        Routes = routes,
    };

    private IEnumerable<(ServiceManifest, string)> ServiceFiles() => services.Select(s => (s, s.Id + ".yaml"));

    public (SystemKernel Kernel, SimulationPlatform Platform) Boot(ulong seed = 1)
    {
        var platform = new SimulationPlatform(seed, new NoDevices());
        var kernel = new SystemKernel(Definition(), Catalog, platform);
        kernel.Boot();
        return (kernel, platform);
    }

    /// <summary>Boots the system on real time: the same event loop, paced by CLOCK_MONOTONIC.</summary>
    public (SystemKernel Kernel, PacedPlatform Platform) BootPaced(ulong seed = 1)
    {
        var platform = new PacedPlatform(seed, new NoDevices());
        var kernel = new SystemKernel(Definition(), Catalog, platform);
        kernel.Boot();
        return (kernel, platform);
    }

    public static RegionManifest Writes(string region, params string[] points) => new() { Name = region, Access = "write", Points = [.. points] };

    public static RegionManifest Reads(string region) => new() { Name = region, Access = "read" };
}

/// <summary>A program made of delegates, for tests.</summary>
internal sealed class DelegateService(Action<IServiceContext> start, Action<CycleInfo>? cycle = null) : IService, ICyclicBody
{
    public IServiceContext? Context { get; private set; }

    public void Start(IServiceContext context)
    {
        Context = context;
        start(context);
        if (cycle is not null)
        {
            context.StartCyclic(this);
        }
    }

    public void Stop()
    {
    }

    public void Execute(in CycleInfo info) => cycle?.Invoke(info);
}

internal static class CatalogExtensions
{
    public static ProgramCatalog Program(this ProgramCatalog catalog, string type, Func<IService> create) =>
        catalog.Add(new ProgramDescriptor(type, "test program", [], create));
}
