using System.Diagnostics;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The tank controller's retained setpoint under <c>run</c>, in its sandboxed process: the operator
/// steps it to 1.3 m, the controller's process is killed with SIGKILL, and the restarted controller
/// holds 1.3 m, not the manifest's 1.0 m; a second run of the runtime (the operator no longer
/// stepping) starts from 1.3 m too. The store is a file beneath --state-dir, and nothing else.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class RetainTests
{
    [Fact]
    public void Run_KillNineTheController_ItRestoresTheLastRetainedSetpoint_AndSoDoesTheNextRun()
    {
        var state = Directory.CreateTempSubdirectory("neokernel-retain-").FullName;
        var system = Repository.CopyManifests(root =>
        {
            Repository.Replace(Path.Combine(root, "services", "operator.yaml"), "setpointStepAtSeconds: 120", "setpointStepAtSeconds: 1");
            Repository.Replace(Path.Combine(root, "services", "operator.yaml"), "setpointStepTo: 1.2", "setpointStepTo: 1.3");
        });
        CliResult? result = null;
        var run = new Thread(() => result = CliResult.Run("run", system, "--duration", "14s", "--plain", "--state-dir", state));
        run.Start();
        var pid = ServiceHostProcesses.WaitFor("tank-controller", TimeSpan.FromSeconds(30), []);
        var slot = Path.Combine(state, "tank-controller", "retain-a.nkr");
        WaitUntil(() => File.Exists(slot), TimeSpan.FromSeconds(20));
        Assert.True(run.IsAlive, $"run ended early: {result?.ExitCode} {result?.Output} {result?.Error}");
        Process.GetProcessById(pid).Kill();
        run.Join();

        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error);
        // Restarted by the kill; perhaps once more by a deadline fault (this VM's scheduler stalls
        // real-time loops for tens of milliseconds now and then), which restores the store alike.
        Assert.Matches(@"tank-controller:Stopped\(restarts [1-9]", result.Output);
        var last = result.Output.Split('\n').Last(l => l.StartsWith("t=", StringComparison.Ordinal));
        Assert.Matches(@"tank-controller:Running\(restarts [1-9]", last);
        Assert.Contains("tank.outputs.setpoint=1.300 ", last, StringComparison.Ordinal);
        Assert.Contains("retain store " + Path.Combine(state, "tank-controller") + " holds no record yet", result.Error, StringComparison.Ordinal);
        Assert.Equal(["retain-a.nkr"], Directory.GetFiles(Path.Combine(state, "tank-controller")).Select(f => Path.GetFileName(f)!).ToArray());

        // The runtime restarted: the operator's step is gone from its script, the retained setpoint is not.
        Repository.Replace(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(system))!, "services", "operator.yaml"), "setpointStepAtSeconds: 1", "setpointStepAtSeconds: 3600");
        var second = CliResult.Run("run", system, "--duration", "4s", "--plain", "--state-dir", state);

        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("tank.outputs.setpoint=1.300 ", second.Output.Split('\n').Last(l => l.StartsWith("t=", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("retain store", second.Error, StringComparison.Ordinal);
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, $"not within {timeout}");
            Thread.Sleep(100);
        }
    }
}
