using System.Text.RegularExpressions;

namespace Neokernel.Cli.Tests;

/// <summary>
/// <c>neokernel fault inject</c> against a running <c>neokernel run</c>, through its control
/// socket: each kind that acts live strikes the service in its own process (kill -9, SIGSTOP,
/// memory exhaustion at the cgroup's limit, a fault on its device channel or Modbus connection),
/// the run's plain output names the injection and its outcome, and the kernel recovers the
/// service. A fault the live run cannot strike is refused with why, and the run goes on.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class LiveFaultInjectionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static string TankModbus => Path.Combine(Repository.Root, "manifests", "systems", "tank-modbus.yaml");

    [Fact]
    public void Run_TankDemo_EachLiveFaultStrikesAndTheServiceRecovers()
    {
        using var run = LiveRun.Start(Repository.TankDemo, TimeSpan.FromSeconds(120));
        run.WaitForLine(l => l.StartsWith("t=", StringComparison.Ordinal) && l.Contains("tank.outputs.mode=1.000", StringComparison.Ordinal), Wait);

        var crash = Inject(run, "level-sensor", "crash");
        Assert.Matches(@"^level-sensor: kill -9 of process \d+$", crash);
        Outcome(run, "level-sensor crash", "recovered: restarted, cycling again ");

        var hang = Inject(run, "level-sensor", "hang", "--for", "1s");
        Assert.Matches(@"^level-sensor: SIGSTOP of process \d+, SIGCONT after 1s unless it is gone by then$", hang);
        Outcome(run, "level-sensor hang+1s", "recovered: restarted, cycling again "); // the heartbeat watchdog caught it

        // Stuck far from the tank's level (about 0.2 to 0.4 early in the run), so no frame can show it by chance; the
        // level sensor adds its own measurement noise (a few thousandths) to what its channel reads.
        Inject(run, "level-sensor", "sensor-stuck", "--for", "2s", "--value", "1.5");
        var stuck = run.WaitForLine(l => l.Contains("level-sensor sensor-stuck:sim://tank/level+2s=1.5 (injected at ", StringComparison.Ordinal) && l.Contains("in effect until", StringComparison.Ordinal), Wait);
        var ended = Outcome(run, "level-sensor sensor-stuck:sim://tank/level+2s=1.5", "ended: it rode through without a restart");
        var during = run.Lines(stuck.Index, ended.Index);
        Assert.True(during.Any(l => l.StartsWith("t=", StringComparison.Ordinal) && Regex.IsMatch(l, @"tank\.inputs\.level=1\.(49\d|50\d)")),
            "no frame showed the stuck level while the fault was in effect:\n" + string.Join("\n", during));

        var memory = Inject(run, "pump-actuator", "memory-exhaustion");
        Assert.Matches(@"^pump-actuator: process \d+ allocates until its memory limit stops it$", memory);
        Outcome(run, "pump-actuator memory-exhaustion", "recovered: restarted, cycling again ");

        Assert.Equal("tank-plant: the kernel's fault path (it runs in the kernel's process)", Inject(run, "tank-plant", "crash"));
        Outcome(run, "tank-plant crash", "recovered: restarted, cycling again ");

        Assert.Equal(0, run.Stop());
        Assert.False(File.Exists(run.Control), "the run left its control socket behind");
        Assert.Contains("level-sensor: recovered 2 times", run.Printed, StringComparison.Ordinal);
    }

    /// <summary>What a live run refuses, and the words of why (one run for all: each refusal leaves it as it was).</summary>
    private static readonly (string Request, string Why)[] Refusals =
    [
        ("tank-plant hang", "'tank-plant' runs in the kernel's process: a hang there would be the kernel's own"),
        ("level-sensor overrun", "overrun acts at a seam of the simulation only; inject it with neokernel sim --faults or a campaign"),
        ("level-sensor ipc-drop", "ipc-drop acts at a seam of the simulation only"),
        ("nosuch crash", "no service 'nosuch' in system 'tank-demo'; its services are tank-plant, level-sensor, tank-controller, pump-actuator, operator, gateway"),
        ("level-sensor sensor-stuck --device sim://tank/nothing", "no service reads device 'sim://tank/nothing'; the system's devices are sim://tank/level, sim://tank/pump"),
        ("tank-controller sensor-stuck", "'tank-controller' holds nothing sensor-stuck acts on"),
        ("operator memory-exhaustion", "'operator' declares no memory limit (memory.limitBytes in its manifest)"),
        ("level-sensor frobnicate", "unknown fault 'frobnicate'; the faults are crash, hang, "),
    ];

    [Fact]
    public void Run_TankDemo_AFaultTheRunCannotStrike_IsRefusedWithWhy()
    {
        using var run = LiveRun.Start(Repository.TankDemo, TimeSpan.FromSeconds(60));
        foreach (var (request, why) in Refusals)
        {
            var result = CliResult.Run(["fault", "inject", .. request.Split(' '), "--control", run.Control]);
            Assert.True(result.ExitCode == 1, $"{request}: exit {result.ExitCode}, {result.Output}{result.Error}");
            Assert.StartsWith("neokernel: the run refused it: ", result.Error, StringComparison.Ordinal);
            Assert.Contains(why, result.Error, StringComparison.Ordinal);
        }

        // the run goes on, still answers, and shows only what struck
        Assert.Matches(@"^level-sensor: kill -9 of process \d+$", Inject(run, "level-sensor", "crash"));
        Outcome(run, "level-sensor crash", "recovered: restarted");
        Assert.Equal(0, run.Stop());
        Assert.Single(run.Printed.Split('\n'), l => l.StartsWith("injected at ", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_TankModbus_ALiveModbusTimeout_MakesTheLevelBadUntilItEnds()
    {
        using var run = LiveRun.Start(TankModbus, TimeSpan.FromSeconds(60), "--simulated");
        run.WaitForLine(l => l.StartsWith("t=", StringComparison.Ordinal) && l.Contains("tank.outputs.mode=1.000", StringComparison.Ordinal), Wait);

        Assert.Matches(@"^plc-io: on its channel, in its process \d+$", Inject(run, "plc-io", "modbus-timeout", "--for", "2s"));
        const string Fault = "plc-io modbus-timeout:modbus-tcp://127.0.0.1:1502?unit=1+2s";
        var effect = run.WaitForLine(l => l.Contains(Fault + " (injected at ", StringComparison.Ordinal) && l.Contains("in effect until", StringComparison.Ordinal), Wait);
        var ended = Outcome(run, Fault, "ended: it rode through without a restart");
        var during = run.Lines(effect.Index, ended.Index).Where(l => l.StartsWith("t=", StringComparison.Ordinal)).ToList();
        Assert.Contains(during, l => l.Contains("tank.inputs.level=", StringComparison.Ordinal) && l.Contains("(bad) tank.outputs.pump", StringComparison.Ordinal) && l.Contains("tank.outputs.mode=4.000", StringComparison.Ordinal));

        // the values come back once the slave answers again
        var back = run.WaitForLine(l => l.StartsWith("t=", StringComparison.Ordinal) && l.Contains("tank.outputs.mode=1.000", StringComparison.Ordinal) && !l.Contains("level=0.000", StringComparison.Ordinal), Wait, ended.Index);

        // a delay well inside the master's 50 ms timeout slows the replies and costs nothing else
        Assert.Matches(@"^plc-io: on its channel, in its process \d+$", Inject(run, "plc-io", "modbus-delay", "--for", "1s", "--value", "10"));
        Outcome(run, "plc-io modbus-delay:modbus-tcp://127.0.0.1:1502?unit=1+1s=10", "ended: it rode through without a restart", back.Index);
        Assert.Equal(0, run.Stop());
    }

    [Theory]
    [InlineData(new[] { "fault", "inject", "level-sensor" }, "fault inject takes SERVICE and FAULT")]
    [InlineData(new[] { "fault", "frob" }, "unknown fault subcommand 'frob'; known: inject")]
    [InlineData(new[] { "fault", "inject", "a", "crash", "--control", "x.sock", "--system", "y" }, "give --control PATH or --system NAME, not both")]
    [InlineData(new[] { "fault", "inject", "a", "sensor-stuck", "--for", "banana" }, "--for banana: not a duration")]
    [InlineData(new[] { "fault", "inject", "a", "sensor-stuck:sim://x", "--device", "sim://y" }, "names its target already; leave out --device")]
    public void Fault_UsageError_ExitsTwoWithWhatToWrite(string[] args, string message)
    {
        var result = CliResult.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Fault_NoRunAtTheSocket_ExitsOneAndSaysSo()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nk-none-{Guid.NewGuid():N}.sock");
        var result = CliResult.Run("fault", "inject", "level-sensor", "crash", "--control", path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no run answers at {path}", result.Error, StringComparison.Ordinal);
        Assert.Contains("is neokernel run of that system still running?", result.Error, StringComparison.Ordinal);
    }

    /// <summary>Injects through the CLI, as an operator would; returns what it printed.</summary>
    private static string Inject(LiveRun run, string service, string fault, params string[] options)
    {
        var result = CliResult.Run(["fault", "inject", service, fault, .. options, "--control", run.Control]);
        Assert.True(result.ExitCode == 0, $"fault inject {service} {fault} exited {result.ExitCode}: {result.Error}\n{run.Printed}");
        return result.Output.Trim();
    }

    private static (string Line, int Index) Outcome(LiveRun run, string injection, string outcome, int from = 0) =>
        run.WaitForLine(l => l.Contains($" {injection} (injected at ", StringComparison.Ordinal) && l.Contains("): " + outcome, StringComparison.Ordinal), Wait, from);
}
