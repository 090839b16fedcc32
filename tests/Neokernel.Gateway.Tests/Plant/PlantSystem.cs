using Neokernel.Controllers;
using Neokernel.Gateway.Plant;
using Neokernel.Hil;
using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Simulation;

namespace Neokernel.Gateway.Tests.Plant;

/// <summary>
/// Test-only gateway program <c>test.plant-gateway</c>: what the gateway service will host
/// behind its OPC UA nodes, the views of the running system and the hands on it, built from its
/// spec as the real program will build them. Each start makes fresh views (a restart is a new
/// instance); the test reads the current ones.
/// </summary>
internal sealed class PlantGatewayProbe : IService
{
    public const string Type = "test.plant-gateway";

    public SystemStatusView Status { get; private set; } = null!;

    public KernelControl Control { get; private set; } = null!;

    public LoopsView Loops { get; private set; } = null!;

    public RegionPointsView Points { get; private set; } = null!;

    public int Starts { get; private set; }

    public void Start(IServiceContext context)
    {
        Status = new SystemStatusView(context, new SystemStatusViewOptions(PeriodMs: 250, RequestTimeoutMs: 50));
        Control = new KernelControl(context, timeoutMs: 200);
        Loops = new LoopsView(context, LoopEndpoint.RoutedIn(context.Spec), new LoopsViewOptions(PeriodMs: 250, RequestTimeoutMs: 50));
        Points = new RegionPointsView(context, RegionPoints.ReadIn(context.Spec));
        Status.Start();
        Loops.Start();
        Starts++;
    }

    public void Stop()
    {
        Status.Stop();
        Loops.Stop();
    }
}

/// <summary>Keeps every completion, in order.</summary>
internal sealed class Completions : ICallCompletion
{
    public List<(long Token, CallOutcome Outcome)> All { get; } = [];

    public void OnCompleted(long token, CallOutcome outcome) => All.Add((token, outcome));
}

/// <summary>Manifests on disk, read in place (the fixtures refer to the repository's service manifests).</summary>
internal sealed class FileManifests : IManifestSource
{
    public string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    public string ResolveRelative(string fromFile, string relativePath) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fromFile)) ?? ".", relativePath));
}

/// <summary>A fixture system of Plant/Systems booted on the simulation with the repository's programs and the probe.</summary>
internal static class PlantSystem
{
    public const long Ms = 1_000_000;

    public static string Fixture(string file) => Path.Combine(Root, "tests", "Neokernel.Gateway.Tests", "Plant", "Systems", file);

    public static string Root { get; } = FindRoot();

    public static ProgramCatalog Catalog(PlantGatewayProbe probe) => new ProgramCatalog().AddHil().AddControllers()
        .Add(new ProgramDescriptor(PlantGatewayProbe.Type, "hosts the gateway's plant views (test)", [], () => probe));

    public static (SystemKernel Kernel, SimulationPlatform Platform, PlantGatewayProbe Gateway) Boot(string systemFile = "tank-gateway.yaml", ulong seed = 1)
    {
        var probe = new PlantGatewayProbe();
        var catalog = Catalog(probe);
        var result = ManifestLoader.LoadSystem(Fixture(systemFile), new FileManifests(), catalog);
        Assert.True(result.Succeeded, ManifestReport.Format(result.Diagnostics));
        var platform = new SimulationPlatform(seed, new SimulatedDeviceBus());
        var kernel = new SystemKernel(result.System!, catalog, platform);
        kernel.Boot();
        return (kernel, platform, probe);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Neokernel.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Neokernel.slnx above {AppContext.BaseDirectory}");
    }
}
