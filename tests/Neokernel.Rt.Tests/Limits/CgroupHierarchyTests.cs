using Neokernel.Rt.Linux.Limits;

namespace Neokernel.Rt.Tests.Limits;

/// <summary>Finding the memory and cpu controllers from mountinfo and /proc/self/cgroup, for each shape Linux systems come in.</summary>
public sealed class CgroupHierarchyTests
{
    private const string UnifiedMount = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

    /// <summary>This build machine: v1 controllers, cgroup2 mounted beside them with none.</summary>
    private const string HybridMounts =
        "25 24 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
        "26 25 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
        "27 25 0:24 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n" +
        "28 25 0:25 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
        "29 25 0:26 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

    private const string HybridMemberships = "9:name=systemd:/\n4:memory:/process_api/f5d4\n2:cpuacct:/\n1:cpu:/\n0::/\n";

    [Fact]
    public void Discover_UnifiedWithControllers_FindsBothInTheProcessGroup()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V2);
        files.AddGroup("/sys/fs/cgroup/system.slice/neokernel.service", "cpuset cpu io memory pids");

        var hierarchy = CgroupHierarchy.Discover(files, UnifiedMount, "0::/system.slice/neokernel.service\n");

        Assert.Equal(new CgroupPlace("memory", CgroupVersion.V2, "/sys/fs/cgroup/system.slice/neokernel.service"), hierarchy.Find(CgroupHierarchy.Memory));
        Assert.Equal(new CgroupPlace("cpu", CgroupVersion.V2, "/sys/fs/cgroup/system.slice/neokernel.service"), hierarchy.Find(CgroupHierarchy.Cpu));
    }

    [Fact]
    public void Discover_UnifiedWithoutTheMemoryController_SaysWhatTheGroupHas()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V2);
        files.AddGroup("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope", "cpu pids");

        var hierarchy = CgroupHierarchy.Discover(files, UnifiedMount, "0::/user.slice/user-1000.slice/session-2.scope\n");

        Assert.Null(hierarchy.Find(CgroupHierarchy.Memory));
        Assert.Equal(CgroupVersion.V2, hierarchy.Find(CgroupHierarchy.Cpu)!.Version);
        Assert.Equal(
            "the memory controller is neither mounted as cgroup v1 nor enabled for this process's cgroup v2 group (/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope/cgroup.controllers lists cpu pids)",
            hierarchy.WhyMissing(CgroupHierarchy.Memory));
    }

    [Fact]
    public void Discover_HybridWithV1Controllers_FindsEachInItsOwnHierarchy()
    {
        var files = new FakeCgroupFiles(CgroupVersion.V1);
        files.AddGroup("/sys/fs/cgroup/unified", "");

        var hierarchy = CgroupHierarchy.Discover(files, HybridMounts, HybridMemberships);

        Assert.Equal(new CgroupPlace("memory", CgroupVersion.V1, "/sys/fs/cgroup/memory/process_api/f5d4"), hierarchy.Find(CgroupHierarchy.Memory));
        Assert.Equal(new CgroupPlace("cpu", CgroupVersion.V1, "/sys/fs/cgroup/cpu"), hierarchy.Find(CgroupHierarchy.Cpu));
    }

    [Fact]
    public void Discover_V1MountedAtAContainersGroup_JoinsRelativeToTheMountRoot()
    {
        const string mounts = "40 30 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n";

        var hierarchy = CgroupHierarchy.Discover(new FakeCgroupFiles(CgroupVersion.V1), mounts, "3:cpu,cpuacct:/docker/abc/worker\n");

        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/worker", hierarchy.Find(CgroupHierarchy.Cpu)!.OwnDirectory);
        Assert.Null(hierarchy.Find(CgroupHierarchy.Memory));
    }

    [Fact]
    public void Discover_NoCgroupFilesystem_SaysSo()
    {
        var hierarchy = CgroupHierarchy.Discover(new FakeCgroupFiles(CgroupVersion.V2), "22 1 0:21 / /proc rw - proc proc rw\n", "");

        Assert.Null(hierarchy.Find(CgroupHierarchy.Memory));
        Assert.Null(hierarchy.Find(CgroupHierarchy.Cpu));
        Assert.Equal("no cgroup filesystem is mounted", hierarchy.WhyMissing(CgroupHierarchy.Cpu));
    }

    [Fact]
    public void OfThisProcess_OnLinux_FindsOrExplainsEachController()
    {
        var hierarchy = CgroupHierarchy.OfThisProcess();

        foreach (var controller in new[] { CgroupHierarchy.Memory, CgroupHierarchy.Cpu })
        {
            var place = hierarchy.Find(controller);
            Assert.True(place is null ? hierarchy.WhyMissing(controller).Length > 0 : Directory.Exists(place.OwnDirectory), controller);
        }
    }
}
