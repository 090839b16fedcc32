using System.Text.Json.Nodes;

namespace Neokernel.Cli.Tests;

public sealed class CommandTests
{
    [Fact]
    public void Validate_Demo_IsValid()
    {
        var result = CliResult.Run("validate", Repository.TankDemo);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("valid", result.Output, StringComparison.Ordinal);
    }

    /// <summary>Every service file stands on its own, those no system of the repository uses yet (the jacketed tank's plant) too.</summary>
    [Fact]
    public void Validate_EveryServiceFile_IsValid()
    {
        var files = Directory.GetFiles(Path.Combine(Repository.Root, "manifests", "services"), "*.yaml").Order(StringComparer.Ordinal).ToArray();
        Assert.Contains(files, f => Path.GetFileName(f) == "jacketed-tank-plant.yaml");
        var result = CliResult.Run(["validate", .. files]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"{files.Length} manifest file(s) valid", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BrokenService_NamesFileLineColumnFieldAndWhatIsAllowed()
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "tank-controller.yaml"), "  periodUs: 10000", "  periodUs: fast"));
        var service = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(system))!, "services", "tank-controller.yaml");
        var line = File.ReadAllLines(service).ToList().FindIndex(l => l.Contains("periodUs", StringComparison.Ordinal)) + 1;
        var result = CliResult.Run("validate", system);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"tank-controller.yaml:{line}:", result.Error, StringComparison.Ordinal);
        Assert.Contains("timing.periodUs", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    tiSeconds: 60", "    tiSeconds: -60", "program.parameters.tiSeconds: -60 is out of range; allowed: a number in 0 or more s")]
    [InlineData("    kc: 250", "    kc: strong", "program.parameters.kc: 'strong' is not a number")]
    [InlineData("    inputPoint: level\n", "", "program.parameters.inputPoint: required parameter of program 'controllers.pid' is missing")]
    [InlineData("    kc: 250", "    gain: 250", "program.parameters.gain: unknown parameter for program 'controllers.pid'")]
    [InlineData("    kc: 250", "    kc: 250\n    kp: 2", "program.parameters.kp: kp is a gain of the parallel form, and form is isa")]
    public void Validate_BadParameterValue_IsAnErrorAtItsPlace(string oldText, string newText, string message)
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "tank-controller.yaml"), oldText, newText));
        var result = CliResult.Run("validate", system);
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"tank-controller\.yaml:\d+:\d+: error: ", result.Error);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    /// <summary>validate holds the cascade's gateway and a scripted operator to what the block network serves, at the client's own line.</summary>
    [Theory]
    [InlineData("heated-tank-cascade-gateway.yaml", "value: outer.MAN_OUT, access: read-write}", "value: outer.KP, access: read-write}",
        "program.tables.blockValues[2].value: 'outer.KP' is not a value of endpoint 'heated-tank-cascade-controller.commands' of 'heated-tank-cascade-controller' (controllers.blocks,",
        "allowed: block.PIN of one of the network's blocks (filter, outer, inner, overheat)")]
    [InlineData("heated-tank-cascade-gateway.yaml", "value: inner.OUT}", "value: inner.OUT, access: read-write}",
        "program.tables.blockValues[4].value: 'inner.OUT' is set here but not settable on endpoint 'heated-tank-cascade-controller.commands'",
        "allowed: settable there: outer.SP, outer.MAN, outer.MAN_OUT, outer.KC, outer.TI, inner.KC, inner.TI, overheat.H_LIMIT, overheat.HH_LIMIT;")]
    [InlineData("heated-tank-cascade-gateway.yaml", "value: outer.KC, access: read-write, writeRole: engineer}", "value: outer.KC, access: read-write, writeRole: admin}",
        "program.tables.blockValues[6].writeRole: unknown role 'admin'", "allowed: operator or engineer")]
    [InlineData("heated-tank-cascade-gateway.yaml", "value: inner.TI, access: read-write, writeRole: engineer}", "value: inner.TI, writeRole: engineer}",
        "program.tables.blockValues[9].writeRole: inner.TI is read only, so nobody writes it", "allowed: access: read-write, or leave writeRole out")]
    public void Validate_CascadeClientAtOddsWithTheNetwork_IsAnErrorAtItsPlace(string file, string oldText, string newText, string message, string allowed)
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", file), oldText, newText))))!;
        var result = CliResult.Run("validate", Path.Combine(root, "systems", "heated-tank-cascade.yaml"));

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"heated-tank-cascade-gateway\.yaml:\d+:\d+: error: ", result.Error);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Contains(allowed, result.Error, StringComparison.Ordinal);
    }

    /// <summary>A gateway whose rows are all removed treats the network's endpoint as a loop: validate says it speaks BlockNetworkCommands, and how to show it.</summary>
    [Fact]
    public void Validate_GatewayTakesANetworkForALoop_NamesTheContractAndTheTable()
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Repository.CopyManifests(dir =>
        {
            var gateway = Path.Combine(dir, "services", "heated-tank-cascade-gateway.yaml");
            File.WriteAllLines(gateway, File.ReadAllLines(gateway).Where(l => !l.Contains("{endpoint: heated-tank-cascade-controller.commands", StringComparison.Ordinal) && !l.Contains("blockValues:", StringComparison.Ordinal)));
        })))!;
        var result = CliResult.Run("validate", Path.Combine(root, "systems", "heated-tank-cascade.yaml"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("endpoints.uses[2]: endpoint 'heated-tank-cascade-controller.commands' of 'heated-tank-cascade-controller' (controllers.blocks,", result.Error, StringComparison.Ordinal);
        Assert.Contains("speaks BlockNetworkCommands, not the ControllerCommands this program sends; allowed: an endpoint that speaks ControllerCommands: none in this system does; a block network's values are shown through rows of the blockValues table naming its endpoint", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("connectionsMax=50", "connectionsMax=64", "program.parameters.device: device 'opc' allows 64 connections", "connectionsMax=1..50")]
    [InlineData("    device: opc", "    device: modem", "program.parameters.device: no device 'modem' in this service's devices", "allowed: opc")]
    public void Validate_GatewayDeviceItCannotServe_IsAnErrorAtItsPlace(string oldText, string newText, string message, string allowed)
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "gateway.yaml"), oldText, newText));
        var result = CliResult.Run("validate", system);
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"gateway\.yaml:\d+:\d+: error: ", result.Error);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Contains(allowed, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RegionWithTwoWriters_IsAnError()
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "pump-actuator.yaml"), "  - name: tank.outputs\n    access: read", "  - name: tank.outputs\n    access: write"));
        var result = CliResult.Run("validate", system);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("tank.outputs", result.Error, StringComparison.Ordinal);
        Assert.Contains("tank-controller", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run x.yaml --sandbox-user 0:0", "--sandbox-user: sandbox user '0:0' is root")]
    [InlineData("run x.yaml --sandbox-user no-such-account", "--sandbox-user: sandbox user 'no-such-account': no such account")]
    [InlineData("run x.yaml --no-sandbox=yes", "--no-sandbox takes no value")]
    public void Run_SandboxOptionMistakes_AreUsageErrors(string arguments, string message)
    {
        var result = CliResult.Run(arguments.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate", "unknown command 'frobnicate'")]
    [InlineData("sim", "sim takes one system manifest")]
    [InlineData("sim x.yaml --seed -1", "--seed -1: not a non-negative integer")]
    [InlineData("sim x.yaml --duration soon", "--duration soon: not a duration")]
    [InlineData("sim x.yaml --sed 4", "unknown option --sed")]
    [InlineData("lifecycle --format svg", "known formats are dot and mermaid")]
    [InlineData("sim x.yaml --seed --duration 1s", "--seed needs a value")]
    [InlineData("run x.yaml --trace-jsonl --duration 1s", "--trace-jsonl needs a value")]
    [InlineData("sim x.yaml --trace-chrome=", "--trace-chrome needs a value")]
    [InlineData("sim x.yaml --fail-on-fault=yes", "--fail-on-fault takes no value")]
    [InlineData("sim a.yaml b.yaml", "sim takes one system manifest")]
    [InlineData("programs extra", "programs takes no arguments besides its options; 'extra' is one too many")]
    [InlineData("lifecycle extra", "lifecycle takes no arguments besides its options; 'extra' is one too many")]
    public void BadCommandLine_ExitsTwoWithAClearMessage(string commandLine, string message)
    {
        var result = CliResult.Run(commandLine.Split(' '));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Programs_ListsEveryBuiltInProgram()
    {
        var result = CliResult.Run("programs");
        foreach (var program in new[] { "hil.tank-plant", "hil.level-sensor", "hil.pump-actuator", "controllers.pid", "controllers.operator-script" })
        {
            Assert.Contains(program, result.Output, StringComparison.Ordinal);
        }

        Assert.Contains("  tiSeconds (number, s, default 0, 0 or more): ", result.Output, StringComparison.Ordinal);
        Assert.Contains("  inputRegion (string, required): ", result.Output, StringComparison.Ordinal);
        Assert.Contains("  safeOutputPercent (number, %, default 0, 0..100): ", result.Output, StringComparison.Ordinal);
    }

    /// <summary>The schema file carries every program's parameters as the programs declare them; regenerate with neokernel programs --schema.</summary>
    [Fact]
    public void Schema_ProgramParameters_AreWhatTheProgramsDeclare()
    {
        var file = Path.Combine(Repository.Root, "manifests", "schema", "service.schema.json");
        var written = JsonNode.Parse(File.ReadAllText(file))!["allOf"];

        var declared = JsonNode.Parse(CliResult.Run("programs", "--schema").Output);

        Assert.True(JsonNode.DeepEquals(declared, written), "service.schema.json allOf differs from neokernel programs --schema; paste its output there");
    }

    [Fact]
    public void Lifecycle_PrintsTheStateMachine()
    {
        Assert.Contains("stateDiagram", CliResult.Run("lifecycle").Output, StringComparison.Ordinal);
        Assert.Contains("digraph", CliResult.Run("lifecycle", "--format", "dot").Output, StringComparison.Ordinal);
    }
}
