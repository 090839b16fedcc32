namespace Neokernel.Cli.Tests;

public sealed class SimCommandTests
{
    [Fact]
    public void Sim_SameSeed_SameDigest_DifferentSeed_DifferentDigest()
    {
        var first = CliResult.Run("sim", Repository.TankDemo, "--seed", "7", "--duration", "30s");
        var again = CliResult.Run("sim", Repository.TankDemo, "--seed", "7", "--duration", "30s");
        var other = CliResult.Run("sim", Repository.TankDemo, "--seed", "8", "--duration", "30s");
        Assert.Equal(0, first.ExitCode);
        Assert.Matches("^[0-9a-f]{16}$", first.Digest());
        Assert.Equal(first.Digest(), again.Digest());
        Assert.NotEqual(first.Digest(), other.Digest());
        Assert.Contains("services: 6 running, 0 failed", first.Output, StringComparison.Ordinal);
        Assert.Contains("simulated 30.000 s", first.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Sim_ServiceThatCannotStart_WithFailOnFault_PrintsTheCommandThatReproducesIt()
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "level-sensor.yaml"), "rangeMinMeters: 0.0", "rangeMinMeters: 3.0"));
        var result = CliResult.Run("sim", system, "--seed", "3", "--duration", "10s", "--fail-on-fault");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("invariant violated at", result.Error, StringComparison.Ordinal);
        Assert.Contains("rangeMaxMeters", result.Error, StringComparison.Ordinal);
        Assert.Contains($"reproduce: neokernel sim {system} --seed 3 --duration 10s --fail-on-fault", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Sim_SensorFailsForGood_ControllerGoesToSafeState_PumpStops()
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "level-sensor.yaml"), "rangeMinMeters: 0.0", "rangeMinMeters: 3.0"));
        var result = CliResult.Run("sim", system, "--duration", "30s");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("neokernel: failed for good: level-sensor (exit code 3)", result.Error, StringComparison.Ordinal);
        Assert.Contains("1 failed, 1 in safe state", result.Output, StringComparison.Ordinal);
        Assert.Contains("tank.outputs.pump=0.000", result.Output, StringComparison.Ordinal);
        Assert.Contains("level-sensor: Failed, 6 faults", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Sim_TraceExports_AreWritten()
    {
        var directory = Path.Combine(Path.GetTempPath(), "neokernel-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var jsonl = Path.Combine(directory, "trace.jsonl");
        var chrome = Path.Combine(directory, "trace.json");
        var result = CliResult.Run("sim", Repository.TankDemo, "--duration", "2s", "--trace-jsonl", jsonl, "--trace-chrome", chrome);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\"kind\":\"grant\"", File.ReadAllText(jsonl), StringComparison.Ordinal);
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(chrome));
        Assert.True(document.RootElement.GetProperty("traceEvents").GetArrayLength() > 100);
    }
}
