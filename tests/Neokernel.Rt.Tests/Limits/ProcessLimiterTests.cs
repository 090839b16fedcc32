using System.Diagnostics;
using System.Globalization;
using Neokernel.Kernel.Manifests;
using Neokernel.Rt.Linux.Limits;

namespace Neokernel.Rt.Tests.Limits;

/// <summary>
/// The limiter against a cgroup filesystem in memory: the v2 path (delegation, memory.max,
/// cpu.max), v1's real-time runtime, failures, and the warnings when there is nothing to use.
/// </summary>
public sealed class ProcessLimiterTests : IDisposable
{
    private const string Own = "/sys/fs/cgroup/system.slice/neokernel.service";
    private const int ChildPid = 4242;
    private static readonly int KernelPid = Environment.ProcessId;
    private static readonly string Prefix = $"neokernel-{KernelPid.ToString(CultureInfo.InvariantCulture)}-";
    private readonly StringWriter warnings = new();

    public void Dispose() => warnings.Dispose();

    [Fact]
    public void Apply_UnifiedGroupHoldingTheKernel_MovesTheKernelToALeaf_AndLimitsTheChildInAGroupOfItsOwn()
    {
        var files = UnifiedTree();
        var limiter = Limiter(files, V2Mount, $"0::/system.slice/neokernel.service\n");

        using var applied = limiter.Apply(ChildPid, "level-sensor", 3, new ProcessLimits(33_554_432, 5_000, 10_000, 0, true));

        var group = $"{Own}/{Prefix}level-sensor-3";
        Assert.Equal([group], applied.Group!.Directories);
        Assert.Equal("memory cpu", files.Read($"{Own}/cgroup.subtree_control"));
        Assert.Equal(KernelPid.ToString(CultureInfo.InvariantCulture), files.Read($"{Own}/{Prefix}kernel/cgroup.procs"));
        Assert.Equal("33554432", files.Read($"{group}/memory.max"));
        Assert.Equal("0", files.Read($"{group}/memory.swap.max"));
        Assert.Equal("5000 10000", files.Read($"{group}/cpu.max"));
        Assert.Equal([$"{group}/cpu.max"], applied.Group.CpuFiles);
        Assert.Equal("4242", files.Read($"{group}/cgroup.procs"));
        Assert.Empty(warnings.ToString());
    }

    [Fact]
    public void ExplainExit_KilledWhileTheGroupCountsAnOomKill_NamesTheLimit()
    {
        var files = UnifiedTree();
        var limiter = Limiter(files, V2Mount, "0::/system.slice/neokernel.service\n");
        var applied = limiter.Apply(ChildPid, "svc", 1, new ProcessLimits(16_777_216, 0, 0, 0, false));
        var group = $"{Own}/{Prefix}svc-1";

        Assert.Null(applied.ExplainExit(137));
        files.Set($"{group}/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
        files.Exit(ChildPid);

        Assert.Equal("exceeded its memory limit of 16777216 bytes (memory.limitBytes; the OOM killer ended it)", applied.ExplainExit(137));
        Assert.Null(applied.ExplainExit(1));
        applied.Dispose();
        Assert.False(files.HasDirectory(group));
    }

    [Fact]
    public void Dispose_ChildStillInTheGroup_WarnsWithTheDirectoryToRemove()
    {
        var files = UnifiedTree();
        var limiter = Limiter(files, V2Mount, "0::/system.slice/neokernel.service\n");
        var applied = limiter.Apply(ChildPid, "svc", 1, new ProcessLimits(16_777_216, 0, 0, 0, false));

        applied.Dispose();

        Assert.StartsWith($"neokernel: warning: the cgroup {Own}/{Prefix}svc-1 (", warnings.ToString(), StringComparison.Ordinal);
        Assert.Contains("remove it with rmdir", warnings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Place_GroupsLeftByAKernelThatIsGone_AreRemoved_OthersStay()
    {
        var files = UnifiedTree();
        files.Set($"{Own}/cgroup.subtree_control", "");
        var stale = $"{Own}/neokernel-2147483647-level-sensor-4";
        var busy = $"{Own}/neokernel-2147483646-pump-actuator-1";
        var ours = $"{Own}/{Prefix}pump-actuator-1";
        var foreign = $"{Own}/postgres";
        foreach (var directory in new[] { stale, busy, ours, foreign })
        {
            files.CreateDirectory(directory);
        }

        files.Set($"{busy}/cgroup.procs", "31337");
        var limiter = Limiter(files, V2Mount, "0::/system.slice/neokernel.service\n");

        Assert.NotNull(limiter.Place(CgroupHierarchy.Memory, out _));

        Assert.False(files.HasDirectory(stale));
        Assert.True(files.HasDirectory(busy) && files.HasDirectory(ours) && files.HasDirectory(foreign));
        Assert.Contains($"the cgroup {busy} of a neokernel that is gone could not be removed", warnings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Place_UnifiedGroupSharedWithOtherProcesses_ExplainsWhyNot()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V2);
        files.AddGroup(Own, "cpu memory", KernelPid, 777);
        var limiter = Limiter(files, V2Mount, "0::/system.slice/neokernel.service\n");

        Assert.Null(limiter.Place(CgroupHierarchy.Memory, out var why));
        Assert.Contains("holds other processes than the kernel, so it cannot hand the memory controller to groups of its own", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_V1RealtimeService_GrantsRealtimeRuntimeCappedAtTheParentsShare()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V1);
        files.AddGroup("/sys/fs/cgroup/cpu", "");
        files.Set("/sys/fs/cgroup/cpu/cpu.rt_runtime_us", "950000\n");
        files.Set("/sys/fs/cgroup/cpu/cpu.rt_period_us", "1000000\n");
        var limiter = Limiter(files, "26 25 0:23 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", "1:cpu:/\n");

        using var applied = limiter.Apply(ChildPid, "svc", 1, new ProcessLimits(0, 10_000, 10_000, 0, true));

        var group = $"/sys/fs/cgroup/cpu/{Prefix}svc-1";
        Assert.Equal(("10000", "10000", "10000", "9500"), (files.Read($"{group}/cpu.cfs_quota_us"), files.Read($"{group}/cpu.cfs_period_us"), files.Read($"{group}/cpu.rt_period_us"), files.Read($"{group}/cpu.rt_runtime_us")));
    }

    [Fact]
    public void Prepare_V1Group_TheSpawningThreadJoinsIt_SoTheChildIsBornThereAndNotMovedAfter()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V1);
        files.AddGroup("/sys/fs/cgroup/memory", "");
        var limiter = Limiter(files, "28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "4:memory:/\n");
        var group = $"/sys/fs/cgroup/memory/{Prefix}svc-2";

        var prepared = limiter.Prepare("svc", 2, new ProcessLimits(16_777_216, 0, 0, 0, false));
        Assert.Equal("16777216", files.Read($"{group}/memory.limit_in_bytes"));
        prepared.JoinThisThread();
        using var applied = limiter.Apply(ChildPid, prepared);

        Assert.Equal("0", files.Read($"{group}/tasks"));
        Assert.Equal("", files.Read($"{group}/cgroup.procs"));
        Assert.Null(prepared.Group);
        Assert.Equal([group], applied.Group!.Directories);
    }

    [Fact]
    public void Prepare_V2Group_NoThreadCanJoinIt_SoTheChildIsMovedInAfterItsStart()
    {
        var files = UnifiedTree();
        var limiter = Limiter(files, V2Mount, "0::/system.slice/neokernel.service\n");
        var group = $"{Own}/{Prefix}svc-1";

        var prepared = limiter.Prepare("svc", 1, new ProcessLimits(16_777_216, 0, 0, 0, false));
        prepared.JoinThisThread();
        Assert.Equal("", files.Read($"{group}/cgroup.procs"));
        using var applied = limiter.Apply(ChildPid, prepared);

        Assert.Equal("4242", files.Read($"{group}/cgroup.procs"));
        Assert.Null(prepared.Group);
    }

    [Fact]
    public void Prepare_DisposedWithoutASpawn_RemovesTheGroup()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V1);
        files.AddGroup("/sys/fs/cgroup/memory", "");
        var limiter = Limiter(files, "28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "4:memory:/\n");

        limiter.Prepare("svc", 1, new ProcessLimits(16_777_216, 0, 0, 0, false)).Dispose();

        Assert.Empty(files.Subdirectories("/sys/fs/cgroup/memory"));
    }

    [Fact]
    public void Apply_LimitTheMachineSupportsButRefuses_ThrowsNamingIt_AndLeavesNoGroup()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V1);
        files.AddGroup("/sys/fs/cgroup/memory", "");
        var limiter = Limiter(files, "28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "4:memory:/\n");
        files.Refused.Add($"/sys/fs/cgroup/memory/{Prefix}svc-1/memory.limit_in_bytes");

        var exception = Assert.Throws<InvalidOperationException>(() => limiter.Apply(ChildPid, "svc", 1, new ProcessLimits(16_777_216, 0, 0, 0, false)));

        Assert.Contains("service 'svc': its cgroup could not be set up (memory.limitBytes 16777216)", exception.Message, StringComparison.Ordinal);
        Assert.Contains("memory.limit_in_bytes: Device or resource busy", exception.Message, StringComparison.Ordinal);
        Assert.Empty(files.Subdirectories("/sys/fs/cgroup/memory"));
    }

    [Fact]
    public void WarnAboutMissing_NoCgroups_OneWarningPerLimit_NamingEveryServiceAndTheFix()
    {
        var limiter = Limiter(new FakeCgroupFiles(CgroupVersion.V2), "", "");
        ServiceSpec[] services =
        [
            Spec(Service("a", memory: 16_777_216)),
            Spec(Service("b", cpuQuotaUs: 2_000)),
            Spec(Service("c", memory: 16_777_216, cpuQuotaUs: 2_000)),
            Spec(Service("d")),
        ];

        limiter.WarnAboutMissing(services);
        using var applied = limiter.Apply(ChildPid, "c", 2, ProcessLimits.Of(services[2]));

        var lines = warnings.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("neokernel: warning: memory.limitBytes of a, c is not enforced by the OS: no cgroup filesystem is mounted; only the GC heap limit (3/4 of it) holds", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("neokernel: warning: cpu.quotaUs of b, c is not applied: no cgroup filesystem is mounted. To get it: run neokernel as root", lines[1], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.Contains("Delegate=yes", l, StringComparison.Ordinal));
        Assert.Null(applied.Group);
    }

    [Fact]
    public void PrepareStart_MemoryLimit_GivesTheChildItsGcHeapLimitInHex()
    {
        var info = new ProcessStartInfo("true");

        ProcessLimiter.PrepareStart(info, new ProcessLimits(33_554_432, 0, 0, 0, false));

        Assert.Equal("1800000", info.Environment[ProcessLimiter.GcHeapHardLimitVariable]);
    }

    [Fact]
    public void Of_Manifest_TakesEachLimitAndWhetherItIsRealtime()
    {
        var manifest = Service("svc", memory: 8_388_608, cpuQuotaUs: 3_000);
        manifest.Files = new FilesManifest { OpenMax = 128 };
        manifest.Timing = new TimingManifest { Class = "rt-fifo", Priority = 50, PeriodUs = 1000 };

        var limits = ProcessLimits.Of(Spec(manifest));

        Assert.Equal(new ProcessLimits(8_388_608, 3_000, 100_000, 128, true), limits);
        Assert.Equal("memory.limitBytes 8388608, cpu.quotaUs 3000 per cpu.periodUs 100000, files.openMax 128", limits.ToString());
        Assert.Equal("no limits", ProcessLimits.Of(Spec(Service("bare"))).ToString());
    }

    private const string V2Mount = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

    private static FakeCgroupFiles UnifiedTree()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V2);
        files.AddGroup(Own, "cpu memory", KernelPid);
        return files;
    }

    private ProcessLimiter Limiter(FakeCgroupFiles files, string mountInfo, string memberships) =>
        new(warnings, CgroupHierarchy.Discover(files, mountInfo, memberships), files);

    private static ServiceSpec Spec(ServiceManifest manifest) => SpecBuilder.Service(manifest, catalog: null);

    private static ServiceManifest Service(string id, long memory = 0, long cpuQuotaUs = 0) => new()
    {
        Id = id,
        Kind = "driver",
        Memory = memory > 0 ? new MemoryManifest { LimitBytes = memory } : null,
        Cpu = cpuQuotaUs > 0 ? new CpuManifest { QuotaUs = cpuQuotaUs } : null,
    };
}
