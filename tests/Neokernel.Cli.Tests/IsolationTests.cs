using System.Globalization;
using System.Diagnostics;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The tank demo with its drivers in processes of their own: kill -9 the level sensor's process
/// while the loop runs; the kernel notices, the level goes bad meanwhile, the supervisor restarts
/// the driver, the level comes back good, and the kernel never stops.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class IsolationTests
{
    private const int Kills = 3;
    private static readonly TimeSpan KillSpacing = TimeSpan.FromSeconds(3);

    [Fact]
    public void Run_KillNineTheSensorDriver_SupervisorRestartsIt_LoopRecovers()
    {
        CliResult? result = null;
        var trace = Path.Combine(Directory.CreateTempSubdirectory("neokernel-ready-").FullName, "trace.jsonl");
        var run = new Thread(() => result = CliResult.Run("run", Repository.TankDemo, "--duration", "16s", "--plain", "--trace-jsonl", trace));
        run.Start();
        var killed = new List<int>();
        for (var i = 0; i < Kills; i++)
        {
            var pid = ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), killed);
            Thread.Sleep(KillSpacing);
            Assert.True(run.IsAlive, $"run ended early: {result?.ExitCode} {result?.Output} {result?.Error}");
            Process.GetProcessById(pid).Kill();
            killed.Add(pid);
        }

        run.Join();
        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("in processes of their own: level-sensor, tank-controller, pump-actuator, operator", result.Output, StringComparison.Ordinal);
        Assert.Contains($"level-sensor:Stopped(restarts {Kills})", result.Output, StringComparison.Ordinal);
        Assert.Contains($"level-sensor: recovered {Kills} times; fault to first cycle p50", result.Output, StringComparison.Ordinal);
        var lines = result.Output.Split('\n');
        Assert.Contains(lines, l => l.Contains("tank.inputs.level=", StringComparison.Ordinal) && l.Contains("(bad)", StringComparison.Ordinal) && l.StartsWith("t=", StringComparison.Ordinal));
        var last = lines.Last(l => l.StartsWith("t=", StringComparison.Ordinal));
        Assert.DoesNotContain("level=0.000", last, StringComparison.Ordinal);
        Assert.Matches(@"tank\.inputs\.level=[0-9.]+ ", last);
        Assert.Contains("tank-controller:Running", last, StringComparison.Ordinal);

        // An incarnation's process says when its service has started: the kernel traces it as ready, once,
        // after Running. The last incarnation ran to the end; an earlier one may have been killed before
        // it was ready (a JIT child on a loaded machine takes seconds).
        var ready = File.ReadLines(trace)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, "\"kind\":\"ready\",\"service\":\"level-sensor\",\"incarnation\":([0-9]+),\"sinceRunningNs\":([0-9]+)"))
            .Where(m => m.Success)
            .Select(m => (Incarnation: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), SinceRunningNs: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(Kills + 1, ready[^1].Incarnation);
        Assert.Equal(ready.Select(r => r.Incarnation).Order().Distinct(), ready.Select(r => r.Incarnation));
        Assert.All(ready, r => Assert.InRange(r.SinceRunningNs, 1, 10_000_000_000));
    }

    /// <summary>
    /// A service host reads no manifest: the children's command lines name no file, and once the
    /// kernel has loaded the system its manifests can go; a sensor killed after that is restarted
    /// from what the kernel sends it, and the loop recovers.
    /// </summary>
    [Fact]
    public void Run_ManifestsGoneAfterLoad_AKilledChildRestartsFromItsGrants()
    {
        var system = Repository.CopyManifests();
        var manifests = Path.GetDirectoryName(Path.GetDirectoryName(system))!;
        CliResult? result = null;
        var run = new Thread(() => result = CliResult.Run("run", system, "--duration", "10s", "--plain"));
        run.Start();
        var killed = new List<int>();
        var pid = ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), killed);
        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        Assert.DoesNotContain(".yaml", commandLine, StringComparison.Ordinal);
        Assert.DoesNotContain(manifests, commandLine, StringComparison.Ordinal);
        Directory.Delete(manifests, recursive: true);
        Thread.Sleep(KillSpacing);
        Assert.True(run.IsAlive, $"run ended early: {result?.ExitCode} {result?.Output} {result?.Error}");
        Process.GetProcessById(pid).Kill();
        killed.Add(pid);
        ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), killed);

        run.Join();
        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("level-sensor:Stopped(restarts 1)", result.Output, StringComparison.Ordinal);
        Assert.Contains("level-sensor: recovered 1 times; fault to first cycle p50", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithDuration_RunsInRealTimeAndStopsCleanly()
    {
        // 5 s: a JIT service host on a loaded 2-core machine can take seconds before its first status-page write.
        var result = CliResult.Run("run", Repository.TankDemo, "--duration", "5s", "--plain");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("running tank-demo in real time", result.Output, StringComparison.Ordinal);
        Assert.Contains("t=1.", result.Output, StringComparison.Ordinal);
        // Read once every child is stopped: past 5 s, by how long the machine takes to stop them.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(result.Output, @"stopped after ([5-9]|[1-9][0-9])\.[0-9]+ s: "), result.Output);
        Assert.Contains("tank-controller:Stopped", result.Output, StringComparison.Ordinal);

        // The isolated controller's loop as its status page held it before the shutdown (the Bench target reads this line).
        Assert.Matches(@"tank-controller: loop statistics: \d+ cycles, \d+ overruns; wake-up µs mean [\d.]+, p99 [\d.]+, p99\.9 [\d.]+, max [\d.]+; execution µs p99 [\d.]+", result.Output);
    }

    [Theory]
    [InlineData(15)] // SIGTERM: what systemd or a container runtime sends to stop a service
    [InlineData(1)] // SIGHUP: the terminal went away; there is nothing to reload
    [InlineData(3)] // SIGQUIT
    public async Task Run_StopSignal_StopsCleanly_AsCtrlCDoes(int signal)
    {
        using var process = StartDemo();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), [], process.Id);
        Thread.Sleep(2_000);
        Assert.Equal(0, Kill(process.Id, signal));
        var exited = process.WaitForExit(TimeSpan.FromSeconds(20));
        if (!exited)
        {
            // Left running it would hold the demo's port (the gateway's 4840) for the tests after it.
            process.Kill(entireProcessTree: true);
        }

        var printed = await output;
        Assert.True(exited, $"neokernel run did not stop on signal {signal}:\n{printed}\n{await error}");
        Assert.True(process.ExitCode == 0, await error);
        Assert.Contains("stopped after ", printed, StringComparison.Ordinal);
        Assert.Contains("tank-controller:Stopped", printed, StringComparison.Ordinal);
        Assert.Empty(ServiceHostProcesses.Children(process.Id));
    }

    [Fact]
    public async Task Run_Sigusr1_IsIgnoredAndSaidSo_TheRunGoesOn()
    {
        using var process = StartDemo();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), [], process.Id);
        Assert.Equal(0, Kill(process.Id, 10));
        Thread.Sleep(1_000);
        Assert.False(process.HasExited, "neokernel run ended on SIGUSR1");
        Assert.Equal(0, Kill(process.Id, 15));
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), "neokernel run did not stop on SIGTERM");
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("neokernel: SIGUSR1 ignored", await error, StringComparison.Ordinal);
        Assert.Contains("tank-controller:Stopped", await output, StringComparison.Ordinal);
    }

    /// <summary>The demo under the neokernel binary for a minute, its output redirected: for tests that signal it.</summary>
    private static Process StartDemo()
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "neokernel")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["run", Repository.TankDemo, "--plain", "--duration", "60s"])
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("neokernel did not start");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
