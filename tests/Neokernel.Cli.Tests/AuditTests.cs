namespace Neokernel.Cli.Tests;

/// <summary>
/// `neokernel audit`: what each service used of its grants in a simulated run, and what the OS
/// would allow each service's process under `run`. (In the serial collection since a CI failure
/// was first blamed on it; it runs in simulation and opens no port, so it could run in parallel.)
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class AuditTests
{
    [Fact]
    public void Audit_ReportsUnusedCapabilitiesAndTiming()
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "pump-actuator.yaml"), "devices:\n", "devices:\n  - name: spare\n    uri: sim://tank/spare\n    access: write\n"));
        var result = CliResult.Run("audit", system, "--duration", "5s");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("pump-actuator: device 'spare'", result.Output, StringComparison.Ordinal);
        Assert.Contains("device grants:", result.Output, StringComparison.Ordinal);
        Assert.Contains("pump-actuator: device 'spare' write: sim://tank/spare (register bank", result.Output, StringComparison.Ordinal);
        Assert.Contains("tank-controller: rt-fifo priority 80", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_ShowsWhatTheOsAllowsEachServicesProcess()
    {
        var result = CliResult.Run("audit", Repository.TankDemo, "--duration", "2s", "--sandbox-user", "65534:65534");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        var sensor = lines.IndexOf("  level-sensor:");
        var operatorAt = lines.IndexOf("  operator:");
        Assert.True(sensor > 0 && operatorAt > 0, result.Output);
        Assert.Contains("what the OS allows each service's process under run", result.Output, StringComparison.Ordinal);
        Assert.Contains("  tank-plant: in the kernel's process, so whatever the kernel may do (isolated: false)", lines);
        Assert.Equal("    user: 65534:65534 (65534:65534), no supplementary groups", lines[sensor + 1]);
        Assert.StartsWith("    capabilities: CAP_SYS_NICE, CAP_IPC_LOCK (real-time timing)", lines[sensor + 2], StringComparison.Ordinal);
        Assert.StartsWith("    capabilities: none;", lines[operatorAt + 2], StringComparison.Ordinal);
        Assert.StartsWith("    system calls: seccomp allow-list of ", lines[sensor + 3], StringComparison.Ordinal);
        Assert.StartsWith("    files: ABI ", lines[sensor + 4], StringComparison.Ordinal);
        Assert.StartsWith("    network: an empty network namespace, loopback down", lines[sensor + 5], StringComparison.Ordinal);
    }
}
