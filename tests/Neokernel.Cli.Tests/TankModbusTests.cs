using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The tank demo's loop over Modbus TCP (manifests/systems/tank-modbus.yaml): deterministic under
/// sim with the plant as simulated hardware, and in real time against <c>neokernel plant serve</c>,
/// which the runtime cannot tell from remote I/O.
/// </summary>
[Collection(Neokernel.Testing.SerialCollection.Name)]
public sealed partial class TankModbusTests
{
    private static string TankModbus => Path.Combine(Repository.Root, "manifests", "systems", "tank-modbus.yaml");

    [Fact]
    public void Sim_TankModbus_ReachesTheSteppedSetpoint_AndRepeatsItsDigest()
    {
        var first = CliResult.Run("sim", TankModbus, "--duration", "400s");
        var again = CliResult.Run("sim", TankModbus, "--duration", "400s");

        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Equal(first.Digest(), again.Digest());
        Assert.Contains("services: 4 running, 0 failed, 0 in safe state; restarts 0; faults 0", first.Output, StringComparison.Ordinal);
        Assert.InRange(Point(first.Output, "tank.inputs.level"), 1.17, 1.23);
    }

    [Fact]
    public void Sim_TankModbus_PlantThatFailsForGood_LeavesTheLevelBadAndThePumpStopped()
    {
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "tank-plant-modbus.yaml"), "levelInitialMeters: 0.4", "levelInitialMeters: 3.0"));
        var result = CliResult.Run("sim", Path.Combine(Path.GetDirectoryName(system)!, "tank-modbus.yaml"), "--duration", "30s");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("neokernel: failed for good: tank-plant", result.Error, StringComparison.Ordinal);
        // The driver runs on; the slave it polls is gone, so its level is Bad and the controller,
        // holding on bad input, never drives the pump.
        Assert.Contains("services: 3 running, 1 failed", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"tank\.inputs\.level=[0-9.]+\(bad\)", result.Output);
        Assert.Matches(@"tank\.outputs\.pump=0\.000", result.Output);
    }

    [Fact]
    public void Run_TankModbus_AgainstPlantServe_ClosesTheLoopOverRealTcp()
    {
        var port = FreePort();
        var system = Repository.CopyManifests(dir =>
            Repository.Replace(Path.Combine(dir, "services", "plc-io.yaml"), "modbus-tcp://127.0.0.1:1502", $"modbus-tcp://127.0.0.1:{port}"));
        using var stop = new CancellationTokenSource();
        using var plantOutput = new StringWriter();
        using var plantError = new StringWriter();
        var plant = new Thread(() => Cli.Run(["plant", "serve", "tank", "--modbus", $"127.0.0.1:{port}"], plantOutput, plantError, stop.Token));
        plant.Start();
        try
        {
            var result = CliResult.Run("run", Path.Combine(Path.GetDirectoryName(system)!, "tank-modbus.yaml"), "--duration", "12s", "--plain");

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            Assert.Contains("left out simulated hardware: tank-plant", result.Error, StringComparison.Ordinal);
            // The controller saw a Good level from the slave and drove the pump: the level rose from 0.4 m.
            var line = result.Output.Split('\n').Last(l => l.StartsWith("t=", StringComparison.Ordinal));
            Assert.DoesNotContain("tank.inputs.level=0.000", line, StringComparison.Ordinal);
            Assert.DoesNotContain("level=" + "(bad)", line, StringComparison.Ordinal);
            Assert.InRange(Point(line, "tank.inputs.level"), 0.41, 1.0);
            Assert.InRange(Point(line, "tank.outputs.pump"), 1.0, 100.0);
        }
        finally
        {
            stop.Cancel();
            plant.Join(TimeSpan.FromSeconds(10));
        }

        Assert.Contains($"serving plant tank as a Modbus TCP slave on 127.0.0.1:{port}", plantOutput.ToString(), StringComparison.Ordinal);
        Assert.Equal("", plantError.ToString());
    }

    [Theory]
    [InlineData("serve", "plant serve takes one plant name; known: tank")]
    [InlineData("serve boiler --modbus 127.0.0.1:1502", "plant serve takes one plant name; known: tank")]
    [InlineData("serve tank", "plant serve needs --modbus HOST:PORT")]
    [InlineData("serve tank --modbus plc.local:502", "--modbus plc.local:502:")]
    [InlineData("grow tank", "plant needs a subcommand: serve")]
    public void Plant_Mistakes_AreUsageErrors(string arguments, string message)
    {
        var result = CliResult.Run(["plant", .. arguments.Split(' ')]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    private static double Point(string text, string point)
    {
        var match = Regex.Matches(text, Regex.Escape(point) + "=(-?[0-9.]+)").Last();
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
