using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Supervision;
using YamlDotNet.Core;

namespace Neokernel.Kernel.Tests.Manifests;

public sealed class ManifestLoaderTests
{
    private const string MinimalService = "id: svc\nkind: driver\nprogram:\n  type: test.noop\n";

    [Fact]
    public void LoadSystem_TankExampleFromFiles_Succeeds()
    {
        var result = ManifestLoader.LoadSystem(TestPrograms.TankSystemPath, new FileManifestSource(), TestPrograms.Catalog());

        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
        var system = result.System!;
        Assert.Equal("tank-level", system.Spec.Name);
        Assert.Equal(42UL, system.Spec.Seed);
        Assert.Equal(RestartStrategy.RestForOne, system.Spec.Strategy);
        Assert.Equal(["plant", "level-sensor", "pump", "level-controller", "gateway"], system.Services.Select(s => s.Spec.Id));
        Assert.EndsWith(Path.Combine("services", "pump.yaml"), system.Find("pump")!.SourceFile, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutSimulated_ASimulatedPlantReachedByDevice_LeavesItAndItsRoutesOut()
    {
        var source = new InMemoryManifestSource();
        source.Add("system.yaml", "system: s\nservices:\n  - manifest: plant.yaml\n    simulated: true\n  - manifest: driver.yaml\nroutes:\n  - client: plant\n    endpoint: kernel.status\n");
        source.Add("plant.yaml", "id: plant\nkind: plant\nprogram:\n  type: test.noop\nendpoints:\n  uses: [kernel.status]\ndevices:\n  - name: port\n    uri: tcp-listen://127.0.0.1:1502\n    access: read-write\n");
        source.Add("driver.yaml", "id: driver\nkind: driver\nprogram:\n  type: test.noop\ndevices:\n  - name: plc\n    uri: modbus-tcp://127.0.0.1:1502?unit=1\n    access: read-write\n");

        var result = ManifestLoader.LoadSystem("system.yaml", source, TestPrograms.Catalog());

        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
        var full = result.System!;
        Assert.Equal([true, false], full.Services.Select(s => s.Simulated));
        var board = full.WithoutSimulated();
        Assert.Equal(["driver"], board.Services.Select(s => s.Spec.Id));
        Assert.Empty(board.Spec.Routes);
        Assert.Single(full.Spec.Routes);
        Assert.Same(board, board.WithoutSimulated());
    }

    [Fact]
    public void LoadSystem_TankExampleInMemory_ReadsEveryField()
    {
        var source = TestPrograms.InMemory(Path.GetDirectoryName(TestPrograms.TankSystemPath)!);

        var result = ManifestLoader.LoadSystem("system.yaml", source, TestPrograms.Catalog());

        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
        var sensor = result.System!.Find("level-sensor")!;
        Assert.Equal("services/level-sensor.yaml", sensor.SourceFile);
        var spec = sensor.Spec;
        var timing = spec.Timing!;
        Assert.Equal((TimingClass.RtFifo, 80, 1, 1000L, 100L, 500L, 200L, OverrunPolicy.Fault, 3), (timing.Class, timing.Priority, timing.Cpu, timing.PeriodUs, timing.PhaseUs, timing.DeadlineUs, timing.BudgetUs, timing.OverrunPolicy, timing.OverrunsMax));
        Assert.Equal(["level", "quality"], spec.Regions[0].Points.ToArray());
        Assert.Equal("0.001", spec.Program.Parameters.Text("noise"));
        Assert.Equal(new LimitsSpec(33554432L, 2000L, 10000L, 128), spec.Limits);
        Assert.Equal((5, 60000L, 50L, 2000L, 10L), (spec.Restart.MaxRestarts, spec.Restart.WithinMs, spec.Restart.BackoffInitialMs, spec.Restart.BackoffMaxMs, spec.Restart.HeartbeatTimeoutMs));
        var controller = result.System.Find("level-controller")!.Spec;
        Assert.Equal(["pump.command"], controller.Uses.ToArray());
        Assert.Equal(new SafeValueSpec("controller.output", "demand", 0.0), controller.SafeState!.Outputs[0]);
        Assert.Equal(["plant"], controller.DependsOn.ToArray());
        var pump = result.System.Find("pump")!.Spec;
        Assert.Equal((64, 8), (pump.Provides[0].MaxMessageBytes, pump.Provides[0].QueueDepth));
        Assert.Equal("modbus-tcp://127.0.0.1:1502?unit=1", pump.Devices[0].Uri);
    }

    [Fact]
    public void LoadSystem_TankExampleWithoutCatalog_Succeeds()
    {
        var result = ManifestLoader.LoadSystem(TestPrograms.TankSystemPath, new FileManifestSource());

        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
    }

    [Fact]
    public void LoadSystem_DefaultsWhenFieldsAreOmitted_AreTheModelDefaults()
    {
        var source = new InMemoryManifestSource()
            .Add("s.yaml", "system: s\nservices:\n  - manifest: svc.yaml\n")
            .Add("svc.yaml", MinimalService + "timing:\n  periodUs: 1000\n");

        var result = ManifestLoader.LoadSystem("s.yaml", source);

        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
        var spec = result.System!.Services[0].Spec;
        Assert.Equal((TimingClass.BestEffort, 0, OverrunPolicy.Skip, 3, 1000L, 1000L), (spec.Timing!.Class, spec.Timing.Priority, spec.Timing.OverrunPolicy, spec.Timing.OverrunsMax, spec.Timing.DeadlineUs, spec.Timing.BudgetUs));
        Assert.Equal(RestartPolicy.Permanent, spec.Restart.Policy);
        Assert.Equal(1UL, result.System.Spec.Seed);
        Assert.Equal(RestartStrategy.OneForOne, result.System.Spec.Strategy);
    }

    [Fact]
    public void LoadSystem_MissingSystemFile_ReportsTheFile()
    {
        var result = ManifestLoader.LoadSystem("nowhere/system.yaml", new InMemoryManifestSource());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Null(result.System);
        Assert.False(result.Succeeded);
        Assert.Equal("nowhere/system.yaml: error: (file): file not found: nowhere/system.yaml; allowed: an existing manifest file", diagnostic.ToString());
    }

    [Fact]
    public void LoadSystem_SourceThatThrows_ReportsInsteadOfThrowing()
    {
        var result = ManifestLoader.LoadSystem("system.yaml", new ThrowingSource());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Contains("cannot read system.yaml: disk on fire", diagnostic.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadSystem_ServiceFileWithErrors_SkipsCrossChecksThatWouldCascade()
    {
        var source = new InMemoryManifestSource()
            .Add("s.yaml", "system: s\nservices:\n  - manifest: a.yaml\n  - manifest: b.yaml\nroutes:\n  - {client: a, endpoint: b.cmd}\n")
            .Add("a.yaml", MinimalService.Replace("svc", "a", StringComparison.Ordinal) + "endpoints:\n  uses: [b.cmd]\n")
            .Add("b.yaml", "id: b\nkind: driver\nprogram: [oops]\n");

        var result = ManifestLoader.LoadSystem("s.yaml", source);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(new SourceLocation("b.yaml", 3, 10), diagnostic.Location);
        Assert.Equal("program", diagnostic.Field);
    }

    [Fact]
    public void LoadService_ValidFile_ReturnsTheManifest()
    {
        var source = new InMemoryManifestSource().Add("svc.yaml", MinimalService);

        var (manifest, diagnostics) = ManifestLoader.LoadService("svc.yaml", source, TestPrograms.Catalog());

        Assert.Empty(diagnostics);
        Assert.Equal(("svc", "driver", "test.noop"), (manifest!.Id, manifest.Kind, manifest.Program.Type));
    }

    [Fact]
    public void LoadService_MissingFile_ReportsTheFile()
    {
        var (manifest, diagnostics) = ManifestLoader.LoadService("svc.yaml", new InMemoryManifestSource());

        Assert.Null(manifest);
        Assert.Equal("svc.yaml: error: (file): file not found: svc.yaml; allowed: an existing manifest file", Assert.Single(diagnostics).ToString());
    }

    [Fact]
    public void LoadService_SemanticError_ReturnsNoManifest()
    {
        var source = new InMemoryManifestSource().Add("svc.yaml", MinimalService.Replace("driver", "robot", StringComparison.Ordinal));

        var (manifest, diagnostics) = ManifestLoader.LoadService("svc.yaml", source);

        Assert.Null(manifest);
        Assert.Equal("svc.yaml:2:7: error: kind: 'robot' is not allowed; allowed: driver, controller, gateway, plant", Assert.Single(diagnostics).ToString());
    }

    [Fact]
    public void LoadService_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => ManifestLoader.LoadService(null!, new InMemoryManifestSource()));
        Assert.Throws<ArgumentNullException>(() => ManifestLoader.LoadSystem("s.yaml", null!));
    }

    [Fact]
    public void LoadService_ArbitraryText_NeverThrows()
    {
        var property = Prop.ForAll(
            ArbMap.Default.ArbFor<string>(),
            text =>
            {
                var source = new InMemoryManifestSource().Add("svc.yaml", text ?? "");
                var (manifest, diagnostics) = ManifestLoader.LoadService("svc.yaml", source);
                return manifest is not null || diagnostics.Count > 0;
            });

        Check.QuickThrowOnFailure(property);
    }

    [Fact]
    public void LoadService_ValidManifestWithOneLineMangled_NeverThrows()
    {
        var lines = File.ReadAllLines(Path.Combine(Path.GetDirectoryName(TestPrograms.TankSystemPath)!, "services", "level-sensor.yaml"));
        var property = Prop.ForAll(
            Gen.Choose(0, lines.Length - 1).Zip(Gen.Choose(0, 40)).Zip(Gen.Elements(":", "-", " ", "\t", "[", "{", "'", "\"", "#", "&a", "*a", "!!int", "~", "\n  ")).ToArbitrary(),
            pick =>
            {
                var ((line, column), insert) = pick;
                var mangled = lines.ToArray();
                mangled[line] = mangled[line].Insert(Math.Min(column, mangled[line].Length), insert);
                var source = new InMemoryManifestSource().Add("svc.yaml", string.Join('\n', mangled));
                var (manifest, diagnostics) = ManifestLoader.LoadService("svc.yaml", source, TestPrograms.Catalog());
                return (manifest is null) == (diagnostics.Count > 0);
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void LoadService_EveryDiagnostic_HasAFieldAndAProblem()
    {
        var source = new InMemoryManifestSource().Add("svc.yaml", "id: 'X'\nkind: k\nprogram: {type: t}\ntiming: {class: c, priority: 500, periodUs: 5}\nregions: [{name: r, access: a}]\n");

        var (_, diagnostics) = ManifestLoader.LoadService("svc.yaml", source);

        Assert.Equal(5, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.True(d.Location.Line > 0 && d.Field.Length > 0 && d.Problem.Length > 0 && d.Allowed.Length > 0, d.ToString()));
    }

    [Fact]
    public void FromDeserializerError_UnknownProperty_NamesTheFieldWithoutClrTypes()
    {
        var error = Assert.ThrowsAny<YamlException>(() => ManifestShape.CreateDeserializer().Deserialize<ServiceManifest>("id: a\ntiming:\n  peroid: 5\n"));
        var positions = new ManifestPositions("svc.yaml");

        var diagnostic = ManifestLoader.FromDeserializerError(error, positions);

        Assert.Equal(new SourceLocation("svc.yaml", 3, 3), diagnostic.Location);
        Assert.Equal("peroid", diagnostic.Field);
        Assert.Equal("unknown field", diagnostic.Problem);
    }

    [Fact]
    public void FromDeserializerError_WrongType_NamesTheFieldAtThatPosition()
    {
        var error = Assert.ThrowsAny<YamlException>(() => ManifestShape.CreateDeserializer().Deserialize<ServiceManifest>("id: a\ntiming:\n  periodUs: fast\n"));
        var positions = new ManifestPositions("svc.yaml");
        positions.AddValue("timing.periodUs", 3, 13);

        var diagnostic = ManifestLoader.FromDeserializerError(error, positions);

        Assert.Equal("svc.yaml:3:13: error: timing.periodUs: value cannot be read as this field's type; allowed: the type the manifest schema gives this field", diagnostic.ToString());
        Assert.DoesNotContain("Neokernel", diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateSystem_DefinitionBuiltInCode_ReportsFilesWithoutLines()
    {
        var writer = new ServiceManifest { Id = "a", Kind = "driver", Program = new ProgramManifest { Type = "test.noop" }, Regions = [new RegionManifest { Name = "r", Access = "write", Points = ["p"] }] };
        var second = new ServiceManifest { Id = "b", Kind = "driver", Program = new ProgramManifest { Type = "test.noop" }, Regions = [new RegionManifest { Name = "r", Access = "write", Points = ["p"] }] };
        var system = new SystemManifest { System = "s", Services = [new SystemServiceEntry { Manifest = "a.yaml" }, new SystemServiceEntry { Manifest = "b.yaml" }] };
        var diagnostics = ManifestValidator.ValidateSystem(system, "s.yaml", [(writer, "a.yaml"), (second, "b.yaml")], TestPrograms.Catalog());

        Assert.Equal("b.yaml: error: regions[0].access: region 'r' is written by both 'a' (a.yaml) and 'b' (b.yaml); allowed: one writer per region; other services read it", Assert.Single(diagnostics).ToString());
    }

    private sealed class ThrowingSource : IManifestSource
    {
        public string? ReadText(string path) => throw new IOException("disk on fire");

        public string ResolveRelative(string fromFile, string relativePath) => relativePath;
    }
}
