using System.Diagnostics;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The tank demo's operator (a gateway, so isolated) in a process of its own, calling the
/// controller's command endpoint over shared-memory rings: its setpoint step arrives and is
/// acknowledged, across two service host processes too; after kill -9 the restarted operator's
/// command still arrives; a service with no route to the endpoint is handed no ring and denied.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class EndpointIsolationTests
{
    [Fact]
    public void Run_OperatorAndControllerEachInTheirOwnProcess_SetpointRequestArrives_AndIsAcknowledged()
    {
        var system = Repository.CopyManifests(root => StepAt(root, seconds: 2));

        var result = CliResult.Run("run", system, "--duration", "8s", "--plain");

        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        Assert.Contains("in processes of their own: level-sensor, tank-controller, pump-actuator, operator", result.Output, StringComparison.Ordinal);
        Assert.Contains("tank.outputs.setpoint=1.200", LastStatus(result), StringComparison.Ordinal);
        Assert.Contains("operator (in its process): ipc 1 sent, 1 delivered, 0 replies, 0 rejected, 0 denied", result.Output, StringComparison.Ordinal);
        // The gateway asks the loop its status too (its Loops nodes), so the loop answers more than the operator's one request: every one it was handed.
        Assert.Matches(@"tank-controller \(in its process\): ipc 0 sent, ([1-9]\d*) delivered, \1 replies, 0 rejected, 0 denied", result.Output);
    }

    [Fact]
    public void Run_KillNineTheOperatorBeforeItsStep_ItRestarts_AndItsCommandStillArrives()
    {
        var system = Repository.CopyManifests(root => StepAt(root, seconds: 4));
        CliResult? result = null;
        var run = new Thread(() => result = CliResult.Run("run", system, "--duration", "16s", "--plain"));
        run.Start();
        var pid = ServiceHostProcesses.WaitFor("operator", TimeSpan.FromSeconds(30), []);
        Thread.Sleep(500);
        Assert.True(run.IsAlive, $"run ended early: {result?.Output} {result?.Error}");
        Process.GetProcessById(pid).Kill();
        run.Join();

        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        Assert.Contains("operator:Stopped(restarts 1)", result.Output, StringComparison.Ordinal);
        Assert.Contains("tank.outputs.setpoint=1.200", LastStatus(result), StringComparison.Ordinal);
        Assert.Contains("operator (in its process): ipc 1 sent, 1 delivered, 0 replies, 0 rejected, 0 denied", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ServiceWithoutARoute_IsHandedNoRing_ItsOpenIsDeniedAndTraced_TheSetpointStays()
    {
        var system = Repository.CopyManifests(root =>
        {
            File.WriteAllText(Path.Combine(root, "services", "intruder.yaml"), """
                id: intruder
                kind: gateway
                program:
                  type: controllers.operator-script
                  parameters: { endpoint: tank-controller.commands, setpointStepAtSeconds: 0, setpointStepTo: 9.9 }
                timing: { class: best-effort, priority: 0, periodUs: 100000 }
                restart: { policy: temporary }
                """);
            Repository.Replace(Path.Combine(root, "systems", "tank-demo.yaml"), "  - manifest: ../services/operator.yaml", "  - manifest: ../services/operator.yaml\n  - manifest: ../services/intruder.yaml");
            StepAt(root, seconds: 120);
        });

        var result = CliResult.Run("run", system, "--duration", "6s", "--plain");

        // The intruder's denied open faults it, and as a temporary service it is failed for good: exit 3.
        Assert.True(result.ExitCode == 3, result.Error + result.Output);
        Assert.Contains("neokernel: failed for good: intruder (exit code 3)", result.Error, StringComparison.Ordinal);
        Assert.Contains("in processes of their own: level-sensor, tank-controller, pump-actuator, operator, intruder", result.Output, StringComparison.Ordinal);
        Assert.Contains("intruder (in its process): ipc 0 sent, 0 delivered, 0 replies, 0 rejected, 1 denied", result.Output, StringComparison.Ordinal);
        Assert.Contains("tank.outputs.setpoint=1.000", LastStatus(result), StringComparison.Ordinal);
        Assert.Contains("tank-controller:Running", LastStatus(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_InProcess_EveryServiceInTheKernelsProcess_TheCommandStillArrives()
    {
        var system = Repository.CopyManifests(root => StepAt(root, seconds: 1));

        var result = CliResult.Run("run", system, "--duration", "3s", "--plain", "--in-process");

        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        Assert.Contains("every service runs in the kernel's process (--in-process)", result.Output, StringComparison.Ordinal);
        Assert.Contains("tank.outputs.setpoint=1.200", LastStatus(result), StringComparison.Ordinal);
        Assert.DoesNotContain("(in its process)", result.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The operator's step comes after <paramref name="seconds"/>. The controller's overrun watchdog
    /// is off: these tests are about commands, and on a CI machine shared with other builds a
    /// controller in an event loop can miss its 2 ms deadline three times in a row and fail.
    /// </summary>
    private static void StepAt(string root, int seconds)
    {
        Repository.Replace(Path.Combine(root, "services", "operator.yaml"), "setpointStepAtSeconds: 120", $"setpointStepAtSeconds: {seconds}");
        Repository.Replace(Path.Combine(root, "services", "tank-controller.yaml"), "overrunPolicy: fault", "overrunPolicy: skip");
    }

    private static string LastStatus(CliResult result) =>
        result.Output.Split('\n').Last(l => l.StartsWith("t=", StringComparison.Ordinal));
}
