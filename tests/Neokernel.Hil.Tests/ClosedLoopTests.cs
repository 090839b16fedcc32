using Neokernel.Controllers;
using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

/// <summary>
/// The whole tank loop on the kernel and the simulation platform: plant → level sensor → PID →
/// pump actuator → plant, with the scripted operator stepping the setpoint over IPC.
/// </summary>
public sealed class ClosedLoopTests
{
    private const long SecondNs = 1_000_000_000;
    private const long PeriodUs = 100_000;

    [Fact]
    public void The_pid_holds_the_level_and_follows_the_operators_setpoint_step()
    {
        var (kernel, platform, probe) = Boot(seed: 1);
        platform.RunUntil(290 * SecondNs);
        Assert.All(kernel.Services, s => Assert.Equal(ServiceState.Running, s.State));
        Assert.Equal(Quality.Good, probe.LevelQuality);
        Assert.InRange(probe.LevelMeters, 0.97, 1.03);
        Assert.Equal(1.0, probe.SetpointMeters);
        Assert.Equal(1.0, probe.Mode);

        platform.RunUntil(700 * SecondNs);
        Assert.Equal(1.2, probe.SetpointMeters);
        Assert.InRange(probe.LevelMeters, 1.17, 1.23);
        Assert.InRange(probe.PumpPercent, 0.0, 100.0);
        Assert.Equal(Quality.Good, probe.PumpQuality);
        Assert.All(kernel.Services, s => Assert.Equal(0, s.Restarts));
        kernel.Shutdown();
    }

    [Fact]
    public void The_same_seed_gives_the_same_trace_and_another_seed_another()
    {
        static string Digest(ulong seed)
        {
            var (kernel, platform, _) = Boot(seed);
            platform.RunUntil(60 * SecondNs);
            kernel.Shutdown();
            return kernel.Trace.DigestHex;
        }

        Assert.Equal(Digest(5), Digest(5));
        Assert.NotEqual(Digest(5), Digest(6));
    }

    [Fact]
    public void When_the_level_signal_is_lost_the_controller_holds_its_output()
    {
        var (kernel, platform, probe) = Boot(seed: 2);
        platform.RunUntil(200 * SecondNs);
        Assert.Equal(Quality.Good, probe.PumpQuality);
        probe.Devices.Disconnect("sim://tank/level");
        platform.RunUntil(201 * SecondNs);
        var held = probe.PumpPercent;
        platform.RunUntil(230 * SecondNs);
        Assert.Equal(Quality.Bad, probe.LevelQuality);
        Assert.Equal(Quality.Uncertain, probe.PumpQuality);
        Assert.Equal(held, probe.PumpPercent);

        probe.Devices.Reconnect("sim://tank/level");
        platform.RunUntil(240 * SecondNs);
        Assert.Equal(Quality.Good, probe.LevelQuality);
        Assert.Equal(Quality.Good, probe.PumpQuality);
        Assert.All(kernel.Services, s => Assert.Equal(0, s.Restarts));
        kernel.Shutdown();
    }

    [Fact]
    public void The_running_loop_allocates_nothing()
    {
        var (kernel, platform, _) = Boot(seed: 3);
        platform.RunUntil(100 * SecondNs);

        // Each pass runs one period of all six services; the passes span the operator's setpoint
        // request and the controller's reply at 300 s.
        const long periodNs = PeriodUs * 1_000;
        AllocationAssert.NoAllocations(1_500, _ => platform.RunUntil(platform.NowNs + periodNs));
        Assert.True(platform.NowNs > 300 * SecondNs);
        kernel.Shutdown();
    }

    [Theory]
    [InlineData(true, 1.2)]
    [InlineData(false, 1.0)]
    public void A_restarted_controller_keeps_the_operators_setpoint_only_with_a_retain_store(bool retain, double setpointAfterRestart)
    {
        var (kernel, platform, probe) = Boot(seed: 3, retain);
        platform.RunUntil(310 * SecondNs);
        Assert.Equal(1.2, probe.SetpointMeters);

        probe.Controller!.ReportFault("test: the controller crashes");
        platform.RunUntil(320 * SecondNs);

        Assert.Equal(ServiceState.Running, kernel.Service("level-controller").State);
        Assert.Equal(1, kernel.Service("level-controller").Restarts);
        Assert.Equal(setpointAfterRestart, probe.SetpointMeters);
        Assert.Equal(retain ? ["tank-loop/level-controller"] : [], platform.Retained.Paths.ToArray());
        kernel.Shutdown();
    }

    /// <summary>The tank loop; with <paramref name="retain"/> given, its controller's context is kept (to fault it) and a retain store granted when true.</summary>
    private static (SystemKernel Kernel, SimulationPlatform Platform, Probe Probe) Boot(ulong seed, bool? retain = null)
    {
        var probe = new Probe();
        var catalog = new ProgramCatalog().AddHil().AddControllers()
            .Add(new ProgramDescriptor("test.probe", "reads the loop's regions", [], () => probe))
            .Add(new ProgramDescriptor("test.pid", "controllers.pid, its context kept for the test", PidServiceSettings.Parameters, () => new ContextKept(new PidService(), c => probe.Controller = c)));
        var services = new List<ServiceManifest>
        {
            Service("plant", "plant", HilPrograms.TankPlantType, new() { ["levelInitialMeters"] = "0.5" }, devices:
            [
                new DeviceManifest { Name = "pump", Uri = "sim://tank/pump", Access = "read" },
                new DeviceManifest { Name = "level", Uri = "sim://tank/level", Access = "write" },
            ]),
            Service("level-sensor", "driver", HilPrograms.LevelSensorType, new()
            {
                ["noiseStdDevMeters"] = "0.002", ["quantizationMeters"] = "0.001", ["rangeMinMeters"] = "0", ["rangeMaxMeters"] = "2",
                ["outputRegion"] = "level", ["outputPoint"] = "level",
            }, devices: [new DeviceManifest { Name = "level", Uri = "sim://tank/level", Access = "read" }], regions: [Writes("level", "level")]),
            Service("level-controller", "controller", ControllerPrograms.PidType, new()
            {
                ["kc"] = "400", ["tiSeconds"] = "100", ["tdSeconds"] = "0", ["outputMin"] = "0", ["outputMax"] = "100", ["setpoint"] = "1.0",
                ["inputRegion"] = "level", ["inputPoint"] = "level", ["outputRegion"] = "pump-cmd", ["outputPoint"] = "pump",
                ["commandEndpoint"] = "level-controller.commands",
            }, regions: [Reads("level"), Writes("pump-cmd", "pump", "setpoint", "pv", "mode")], provides: "level-controller.commands"),
            Service("pump", "driver", HilPrograms.PumpActuatorType, new()
            {
                ["inputRegion"] = "pump-cmd", ["inputPoint"] = "pump", ["slewPercentPerSecond"] = "20",
            }, devices: [new DeviceManifest { Name = "pump", Uri = "sim://tank/pump", Access = "write" }], regions: [Reads("pump-cmd")]),
            Service("operator", "gateway", ControllerPrograms.OperatorScriptType, new()
            {
                ["endpoint"] = "level-controller.commands", ["setpointStepAtSeconds"] = "300", ["setpointStepTo"] = "1.2",
            }, uses: "level-controller.commands"),
            Service("probe", "gateway", "test.probe", [], regions: [Reads("level"), Reads("pump-cmd")]),
        };
        if (retain is { } keeps)
        {
            services[2].Program.Type = "test.pid";
            services[2].Retain = keeps ? new RetainManifest { Path = "tank-loop/level-controller" } : null;
        }

        var system = new SystemManifest
        {
            System = "tank-loop",
            Services = [.. services.Select(s => new SystemServiceEntry { Manifest = s.Id + ".yaml" })],
            Routes = [new RouteManifest { Client = "operator", Endpoint = "level-controller.commands" }],
        };
        var files = services.Select(s => (s, s.Id + ".yaml")).ToList();
        Assert.Empty(ManifestValidator.ValidateSystem(system, "tank-loop.yaml", files, catalog));
        var definition = SpecBuilder.Definition(system, "tank-loop.yaml", files, catalog);
        var platform = new SimulationPlatform(seed, probe.Devices);
        var kernel = new SystemKernel(definition, catalog, platform);
        kernel.Boot();
        return (kernel, platform, probe);
    }

    private static ServiceManifest Service(
        string id,
        string kind,
        string program,
        Dictionary<string, string> parameters,
        List<DeviceManifest>? devices = null,
        List<RegionManifest>? regions = null,
        string? provides = null,
        string? uses = null) => new()
        {
            Id = id,
            Kind = kind,
            Program = new ProgramManifest { Type = program, Parameters = parameters },
            Timing = new TimingManifest { Class = "best-effort", PeriodUs = PeriodUs },
            Devices = devices ?? [],
            Regions = regions ?? [],
            Endpoints = new EndpointsManifest
            {
                Provides = provides is null ? [] : [new ProvidedEndpointManifest { Name = provides }],
                Uses = uses is null ? [] : [uses],
            },
        };

    private static RegionManifest Writes(string region, params string[] points) => new() { Name = region, Access = "write", Points = [.. points] };

    private static RegionManifest Reads(string region) => new() { Name = region, Access = "read" };

    /// <summary>A program whose context the test keeps: to fault it from outside as a crash would.</summary>
    private sealed class ContextKept(IService inner, Action<IServiceContext> keep) : IService
    {
        public void Start(IServiceContext context)
        {
            keep(context);
            inner.Start(context);
        }

        public void Stop() => inner.Stop();
    }

    /// <summary>A service that only reads: what an HMI would see of the loop. Also holds the test's handle on the devices.</summary>
    private sealed class Probe : IService, ICyclicBody
    {
        public FaultyDevices Devices { get; } = new();

        private RegionReader? level;
        private RegionReader? pump;
        private RegionSnapshot? levelSnapshot;
        private RegionSnapshot? pumpSnapshot;

        public double LevelMeters { get; private set; }

        public Quality LevelQuality { get; private set; }

        public double PumpPercent { get; private set; }

        public Quality PumpQuality { get; private set; }

        public double SetpointMeters { get; private set; }

        public double Mode { get; private set; }

        /// <summary>The controller's context, when it runs as test.pid.</summary>
        public IServiceContext? Controller { get; set; }

        public void Start(IServiceContext context)
        {
            level = context.OpenRegionReader("level");
            pump = context.OpenRegionReader("pump-cmd");
            levelSnapshot = level.CreateSnapshot();
            pumpSnapshot = pump.CreateSnapshot();
            context.StartCyclic(this);
        }

        public void Stop()
        {
        }

        public void Execute(in CycleInfo cycle)
        {
            if (level!.TryRead(levelSnapshot!))
            {
                LevelMeters = levelSnapshot!.Value(0);
                LevelQuality = levelSnapshot.Quality(0);
            }

            if (pump!.TryRead(pumpSnapshot!))
            {
                PumpPercent = pumpSnapshot!.Value(pump.IndexOf("pump"));
                PumpQuality = pumpSnapshot.Quality(pump.IndexOf("pump"));
                SetpointMeters = pumpSnapshot.Value(pump.IndexOf("setpoint"));
                Mode = pumpSnapshot.Value(pump.IndexOf("mode"));
            }
        }
    }

    /// <summary>The simulated bus with a cable to pull: a disconnected device reads nothing, as a broken 4–20 mA loop.</summary>
    private sealed class FaultyDevices : IDeviceProvider
    {
        private readonly SimulatedDeviceBus bus = new();
        private readonly HashSet<string> disconnected = new(StringComparer.Ordinal);

        public void Disconnect(string uri) => disconnected.Add(uri);

        public void Reconnect(string uri) => disconnected.Remove(uri);

        public IDeviceChannel Open(string uri, DeviceAccess access) => new Channel(this, bus.Open(uri, access));

        private sealed class Channel(FaultyDevices devices, IDeviceChannel inner) : IDeviceChannel
        {
            public string Uri => inner.Uri;

            public int Read(Span<byte> buffer) => devices.disconnected.Contains(Uri) ? 0 : inner.Read(buffer);

            public void Write(ReadOnlySpan<byte> data) => inner.Write(data);

            public void Dispose() => inner.Dispose();
        }
    }
}
