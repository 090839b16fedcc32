using System.Globalization;
using System.Text.RegularExpressions;
using Neokernel.Rt.Linux.Limits;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The tank demo's level-sensor driver declares memory and open-file limits, its operator a CPU
/// limit; their service host processes run under them, and their cgroups are gone once the run ends. Where this machine
/// cannot apply a cgroup limit, the run must say so instead.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class LimitsTests
{
    private const long MemoryLimitBytes = 33_554_432;

    [Fact]
    public void Run_IsolatedDriver_RunsUnderItsManifestLimits()
    {
        CliResult? result = null;
        var run = new Thread(() => result = CliResult.Run("run", Repository.TankDemo, "--duration", "8s", "--plain"));
        run.Start();
        var pid = ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), []);
        var operatorPid = ServiceHostProcesses.WaitFor("operator", TimeSpan.FromSeconds(30), []);
        Thread.Sleep(1_000);
        var probe = new ProcessLimiter(TextWriter.Null);
        var memory = probe.Place(CgroupHierarchy.Memory, out _);
        var cpu = probe.Place(CgroupHierarchy.Cpu, out _);

        var group = GroupOf(pid, "level-sensor");
        Assert.True(group.Length > 0 || memory is null, "the level sensor's process is in no group of its own");
        var operatorGroup = GroupOf(operatorPid, "operator");
        Assert.True(operatorGroup.Length > 0 || cpu is null, "the operator's process is in no group of its own");

        Assert.Matches(@"Max open files\s+256\s+256\s", File.ReadAllText($"/proc/{pid}/limits"));
        Assert.Contains("DOTNET_GCHeapHardLimit=1800000\0", File.ReadAllText($"/proc/{pid}/environ"), StringComparison.Ordinal);
        if (memory is not null)
        {
            var file = memory.Version == CgroupVersion.V2 ? "memory.max" : "memory.limit_in_bytes";
            Assert.Equal(MemoryLimitBytes.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(memory.OwnDirectory, group, file)).Trim());
        }

        if (cpu is not null)
        {
            var quota = cpu.Version == CgroupVersion.V2
                ? File.ReadAllText(Path.Combine(cpu.OwnDirectory, operatorGroup, "cpu.max")).Trim()
                : File.ReadAllText(Path.Combine(cpu.OwnDirectory, operatorGroup, "cpu.cfs_quota_us")).Trim() + " " + File.ReadAllText(Path.Combine(cpu.OwnDirectory, operatorGroup, "cpu.cfs_period_us")).Trim();
            Assert.Equal("10000 100000", quota);
        }

        run.Join();
        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(memory is null, result.Error.Contains("warning: memory.limitBytes of level-sensor, tank-controller, pump-actuator is not enforced by the OS", StringComparison.Ordinal));
        Assert.Equal(cpu is null, result.Error.Contains("warning: cpu.quotaUs of operator is not applied", StringComparison.Ordinal));
        Assert.All(new[] { memory, cpu }.OfType<CgroupPlace>(), p => Assert.False(Directory.Exists(Path.Combine(p.OwnDirectory, group)), $"{group} is left in {p.OwnDirectory}"));
        Assert.All(new[] { memory, cpu }.OfType<CgroupPlace>(), p => Assert.False(Directory.Exists(Path.Combine(p.OwnDirectory, operatorGroup)), $"{operatorGroup} is left in {p.OwnDirectory}"));
    }

    /// <summary>The service's own group: named by the kernel's pid, the service and its incarnation (a loaded machine may have restarted it).</summary>
    private static string GroupOf(int pid, string serviceId) =>
        Regex.Match(File.ReadAllText($"/proc/{pid}/cgroup"), $@"neokernel-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{serviceId}-[0-9]+").Value;
}
