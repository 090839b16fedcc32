using System.Diagnostics;
using System.Globalization;

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
        var run = new Thread(() => result = CliResult.Run("run", Repository.TankDemo, "--duration", "16s", "--plain"));
        run.Start();
        var killed = new List<int>();
        for (var i = 0; i < Kills; i++)
        {
            var pid = WaitForChild("level-sensor", TimeSpan.FromSeconds(30), killed);
            Thread.Sleep(KillSpacing);
            Assert.True(run.IsAlive, $"run ended early: {result?.ExitCode} {result?.Output} {result?.Error}");
            Process.GetProcessById(pid).Kill();
            killed.Add(pid);
        }

        run.Join();
        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("in processes of their own: level-sensor, pump-actuator", result.Output, StringComparison.Ordinal);
        Assert.Contains($"level-sensor:Stopped(restarts {Kills})", result.Output, StringComparison.Ordinal);
        Assert.Contains($"level-sensor: recovered {Kills} times; fault to first cycle p50", result.Output, StringComparison.Ordinal);
        var lines = result.Output.Split('\n');
        Assert.Contains(lines, l => l.Contains("tank.inputs.level=", StringComparison.Ordinal) && l.Contains("(bad)", StringComparison.Ordinal) && l.StartsWith("t=", StringComparison.Ordinal));
        var last = lines.Last(l => l.StartsWith("t=", StringComparison.Ordinal));
        Assert.DoesNotContain("level=0.000", last, StringComparison.Ordinal);
        Assert.Matches(@"tank\.inputs\.level=[0-9.]+ ", last);
        Assert.Contains("tank-controller:Running", last, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithDuration_RunsInRealTimeAndStopsCleanly()
    {
        var result = CliResult.Run("run", Repository.TankDemo, "--duration", "2s", "--plain");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("running tank-demo in real time", result.Output, StringComparison.Ordinal);
        Assert.Contains("t=1.", result.Output, StringComparison.Ordinal);
        Assert.Contains("stopped after 2.", result.Output, StringComparison.Ordinal);
        Assert.Contains("tank-controller:Stopped", result.Output, StringComparison.Ordinal);
    }

    /// <summary>The pid of a live service host child of this test process for <paramref name="serviceId"/>, not one already killed.</summary>
    internal static int WaitForChild(string serviceId, TimeSpan timeout, List<int> killed)
    {
        var marker = $"neokernel-{Environment.ProcessId}-{serviceId}-";
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || killed.Contains(pid))
                {
                    continue;
                }

                try
                {
                    var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                    if (commandLine.Contains("service-host", StringComparison.Ordinal) && commandLine.Contains(marker, StringComparison.Ordinal))
                    {
                        return pid;
                    }
                }
                catch (IOException)
                {
                    // The process ended while we looked.
                }
                catch (UnauthorizedAccessException)
                {
                    // Not ours.
                }
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"no service host for '{serviceId}' appeared within {timeout}");
    }
}
