using System.Globalization;
using Neokernel.Rt.Linux.Limits;
using Neokernel.Rt.Tests.CrossProcess;
using Neokernel.Testing;
using Xunit.Abstractions;

namespace Neokernel.Rt.Tests.Limits;

/// <summary>
/// A real child process (Neokernel.Rt.TestPeer in its limits role) under limits applied by
/// <see cref="ProcessLimiter"/>, as ProcessServiceHost applies them to a service host, running
/// into each one. Where this machine has no usable cgroup controller, the test asserts the
/// warning instead of the limit, so it says the right thing under v2, v1 or neither.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class LimitedPeerTests(ITestOutputHelper output) : IDisposable
{
    private const int OpenFilesMax = 100;
    private const long MemoryLimitBytes = 64L * 1024 * 1024;
    private const int AllocateMiBMax = 256;

    private readonly StringWriter warnings = new();

    public void Dispose() => warnings.Dispose();

    [Fact]
    public void OpenFiles_ChildOverItsLimit_GetsEmfile_AndHoldsNoDescriptorAtOrAboveIt()
    {
        var limits = new ProcessLimits(0, 0, 0, OpenFilesMax, false);
        using var peer = PeerProcess.Start("limits");
        using var applied = new ProcessLimiter(warnings).Apply(peer.Process.Id, "peer", 1, limits);

        peer.SendText("open-files");
        var report = Fields(peer.ReceiveText());

        output.WriteLine(string.Join(';', report));
        Assert.Equal("EMFILE", report["error"]);
        Assert.Equal(OpenFilesMax - 1, int.Parse(report["highest"], CultureInfo.InvariantCulture));
        Assert.True(int.Parse(report["opened"], CultureInfo.InvariantCulture) > 0, "the child opened nothing: its limit was below what it held already");
        peer.SendText("report");
        Assert.Equal(OpenFilesMax.ToString(CultureInfo.InvariantCulture), Fields(peer.ReceiveText())["nofile"]);
        Assert.Equal(0, peer.CloseAndWait());
    }

    [Fact]
    public void Memory_ChildOverItsLimit_IsKilled_AndTheExitNamesTheLimit()
    {
        var limits = new ProcessLimits(MemoryLimitBytes, 0, 0, 0, false);
        var limiter = new ProcessLimiter(warnings);
        using var peer = PeerProcess.Start("limits", info => ProcessLimiter.PrepareStart(info, limits));
        using var applied = limiter.Apply(peer.Process.Id, "peer", 1, limits);

        peer.SendText("report");
        Assert.Equal(limits.GcHeapHardLimitBytes.ToString(CultureInfo.InvariantCulture), Fields(peer.ReceiveText())["gc-available"]);
        peer.SendText($"allocate {AllocateMiBMax}");
        var reached = AllocatedUntilHangUp(peer);

        output.WriteLine($"allocated {reached} MiB; warnings: {warnings}");
        if (limiter.Place(CgroupHierarchy.Memory, out var why) is null)
        {
            Assert.Equal(AllocateMiBMax, reached);
            Assert.Contains($"memory.limitBytes of peer is not enforced by the OS: {why}", warnings.ToString(), StringComparison.Ordinal);
            Assert.Contains("Delegate=yes", warnings.ToString(), StringComparison.Ordinal);
            return;
        }

        Assert.True(peer.Process.WaitForExit(10_000), "the child outlived its memory limit");
        Assert.InRange(reached, 1, MemoryLimitBytes / (1024 * 1024));
        Assert.Equal(137, peer.Process.ExitCode);
        Assert.Equal($"exceeded its memory limit of {MemoryLimitBytes} bytes (memory.limitBytes; the OOM killer ended it)", applied.ExplainExit(peer.Process.ExitCode));
        Assert.Null(applied.ExplainExit(1));
        Assert.Empty(warnings.ToString());
    }

    [Fact]
    public void Cpu_ChildWithAQuota_ItsGroupHoldsTheQuota_AndItIsThrottled()
    {
        var limits = new ProcessLimits(0, 2_000, 10_000, 0, false);
        var limiter = new ProcessLimiter(warnings);
        using var peer = PeerProcess.Start("limits");
        var applied = limiter.Apply(peer.Process.Id, "peer", 1, limits);
        var place = limiter.Place(CgroupHierarchy.Cpu, out var why);
        if (place is null)
        {
            Assert.Null(applied.Group);
            Assert.Contains($"cpu.quotaUs of peer is not applied: {why}", warnings.ToString(), StringComparison.Ordinal);
            Assert.Equal(0, peer.CloseAndWait());
            return;
        }

        var directory = Assert.Single(applied.Group!.Directories);
        Assert.Contains(Path.GetFileName(directory), File.ReadAllText($"/proc/{peer.Process.Id}/cgroup"), StringComparison.Ordinal);
        if (place.Version == CgroupVersion.V2)
        {
            Assert.Equal("2000 10000", File.ReadAllText(Path.Combine(directory, "cpu.max")).Trim());
        }
        else
        {
            Assert.Equal("2000", File.ReadAllText(Path.Combine(directory, "cpu.cfs_quota_us")).Trim());
            Assert.Equal("10000", File.ReadAllText(Path.Combine(directory, "cpu.cfs_period_us")).Trim());
        }

        peer.SendText("spin 1000");
        Assert.Equal("spun", peer.ReceiveText());
        var throttled = ServiceCgroup.Field(File.ReadAllText(Path.Combine(directory, "cpu.stat")), "nr_throttled");
        output.WriteLine($"nr_throttled {throttled}");
        Assert.True(throttled > 0, "one busy second at 20 % of a CPU was never throttled");
        Assert.Equal(0, peer.CloseAndWait());
        applied.Dispose();
        Assert.False(Directory.Exists(directory), $"{directory} is still there after the child exited");
        Assert.Empty(warnings.ToString());
    }

    /// <summary>The last "allocated N" before the child finished or hung up.</summary>
    private static int AllocatedUntilHangUp(PeerProcess peer)
    {
        var reached = 0;
        while (true)
        {
            string text;
            try
            {
                text = peer.ReceiveText();
            }
            catch (InvalidOperationException)
            {
                return reached;
            }

            if (text == "done")
            {
                return reached;
            }

            reached = int.Parse(text["allocated ".Length..], CultureInfo.InvariantCulture);
        }
    }

    private static Dictionary<string, string> Fields(string report) =>
        report.Split(';').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
}
