using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The demo's isolated rt-fifo drivers run their cyclic task on a SCHED_FIFO thread at the
/// priority and CPU their manifest grants, in a process that never collects garbage after start;
/// without the privilege the driver faults with how to fix it, and --no-rt runs it best-effort.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class RealtimeIsolationTests
{
    private const int SchedFifo = 1;

    [Fact]
    public void Run_IsolatedRtFifoDriver_RunsOnSchedFifoAtItsPriority_AndItsProcessNeverCollects()
    {
        CliResult? result = null;
        var run = new Thread(() => result = CliResult.Run("run", Repository.TankDemo, "--duration", "7s", "--plain"));
        run.Start();
        var pid = ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), []);
        var threads = WaitForThread(pid, "level-sensor");
        var chargedBytes = ServiceHostProcesses.AnonymousAndSharedBytes(pid);
        run.Join();

        var cyclic = threads.Single(t => t.Name == "level-sensor");
        Assert.Equal(SchedFifo, cyclic.Policy);
        Assert.Equal(70, cyclic.Priority);
        Assert.Equal("1", cyclic.Cpus);
        Assert.All(threads.Where(t => t.Name != "level-sensor"), t => Assert.Equal(0, t.Priority));

        // Its memory is locked, on fault: what it holds must still fit the 32 MiB memory.limitBytes of its manifest.
        Assert.InRange(chargedBytes, 1, 32L * 1024 * 1024);

        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("on real-time threads in their processes: level-sensor rt-fifo 70 on cpu 1, tank-controller rt-fifo 80 on cpu 1, pump-actuator rt-fifo 60 on cpu 1", result.Output, StringComparison.Ordinal);
        var lines = result.Output.Split('\n');
        var running = lines.Where(l => l.StartsWith("t=", StringComparison.Ordinal) && l.Contains("level-sensor:Running(gc ", StringComparison.Ordinal)).ToList();
        Assert.True(running.Count >= 3, result.Output);
        Assert.All(running, l => Assert.Contains("level-sensor:Running(gc 0)", l, StringComparison.Ordinal));
        // None of its processes collected, however many it had: a deadline fault this VM's
        // scheduler causes now and then restarts a loop into a second process.
        foreach (var service in (string[])["level-sensor", "pump-actuator", "tank-controller"])
        {
            Assert.Contains(lines, l => Regex.IsMatch(l, $"^{service}: garbage collections after start in its [1-9][0-9]* process(es)?: 0;"));
        }
        Assert.DoesNotContain(": level-sensor: ", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithoutCapSysNice_RtDriverFaultsWithHowToFix_AndNoRtRunsItBestEffort()
    {
        var refused = RunUnprivileged("--duration", "5s", "--plain");
        Assert.Contains("fault at ", refused.Output, StringComparison.Ordinal);
        Assert.Contains("level-sensor: service host process", refused.Output, StringComparison.Ordinal);
        Assert.Contains("SCHED_FIFO priority 70 denied (EPERM): run as root or grant CAP_SYS_NICE", refused.Output, StringComparison.Ordinal);
        Assert.Contains("run neokernel run --no-rt", refused.Output, StringComparison.Ordinal);
        Assert.Matches(@"stopped after [0-9.]+ s: .*level-sensor:(Failed|Restarting|Stopped)\(restarts [1-9]", refused.Output);

        var bestEffort = RunUnprivileged("--duration", "4s", "--plain", "--no-rt");
        Assert.True(bestEffort.ExitCode == 0, bestEffort.Error);
        Assert.Contains("warning: --no-rt: level-sensor (rt-fifo), tank-controller (rt-fifo), pump-actuator (rt-fifo) run best-effort", bestEffort.Error, StringComparison.Ordinal);
        // Best-effort has no timing guarantee: on a loaded machine a service may miss a beat and be
        // restarted, but none is refused real-time scheduling any more.
        Assert.False(bestEffort.Output.Contains("denied (EPERM)", StringComparison.Ordinal), bestEffort.Output);
        Assert.Contains("level-sensor:Running", bestEffort.Output, StringComparison.Ordinal);
        // The clock reads "stopped after" once every child is stopped: past 4 s, by how long a loaded machine takes.
        Assert.True(Regex.IsMatch(bestEffort.Output, @"stopped after [4-9]\.[0-9]+ s: .*level-sensor:Stopped "), bestEffort.Output);
    }

    /// <summary>
    /// Waits until the service's cyclic thread exists, gives it a second to configure itself and
    /// run (it is named before it applies its class), then reads every thread's scheduling.
    /// </summary>
    private static IReadOnlyList<(string Name, int Policy, int Priority, string Cpus)> WaitForThread(int pid, string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var threads = ServiceHostProcesses.Threads(pid);
            if (threads.Any(t => t.Name == name))
            {
                Thread.Sleep(1_000);
                return ServiceHostProcesses.Threads(pid);
            }

            Assert.True(DateTime.UtcNow < deadline, $"process {pid} has no thread '{name}': {string.Join(", ", threads.Select(t => t.Name))}");
            Thread.Sleep(50);
        }
    }

    /// <summary>
    /// The neokernel binary of this build, run on the demo without CAP_SYS_NICE (dropped from the
    /// bounding set, so its children cannot have it either) and with RLIMIT_RTPRIO 0: what an
    /// unprivileged user gets.
    /// </summary>
    private static CliResult RunUnprivileged(params string[] arguments)
    {
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["--inh-caps=-sys_nice", "--bounding-set=-sys_nice", Path.Combine(AppContext.BaseDirectory, "neokernel"), "run", Repository.TankDemo, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("setpriv did not start; it is in util-linux");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new CliResult(process.ExitCode, output, error.Result);
    }
}
