using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Linux.Limits;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests.Limits;

/// <summary>
/// The kernel side end to end: a system whose one isolated service leaks, hosted by
/// <see cref="ProcessServiceHost"/> in a stand-in service host (the test peer's oom-host role).
/// The OOM killer ends the child at its manifest's limit, and the service's fault says so.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ProcessServiceHostLimitsTests
{
    private const string System = "system: leak\nservices:\n  - manifest: hog.yaml\n";
    private const string Hog = "id: hog\nkind: driver\nprogram:\n  type: test.hog\nmemory:\n  limitBytes: 33554432\nrestart:\n  policy: temporary\n";

    [Fact]
    public void Child_OverItsMemoryLimit_IsFaultedForExceedingIt_NotForABareSignal()
    {
        using var warnings = new StringWriter();
        var limiter = new ProcessLimiter(warnings);
        var catalog = new ProgramCatalog().Add(new ProgramDescriptor("test.hog", "leaks in a process of its own", [], () => throw new InvalidOperationException("the hog runs only in its own process")));
        var loaded = ManifestLoader.LoadSystem("system.yaml", new InMemoryManifestSource().Add("system.yaml", System).Add("hog.yaml", Hog), catalog);
        Assert.True(loaded.Succeeded, ManifestReport.Format(loaded.Diagnostics));
        var regions = new MemfdRegionMemoryProvider();
        var platform = new PacedPlatform(1, new StandInServiceHost.NoDevices(), regions, LinuxTime.MonotonicNs());
        var host = new ProcessServiceHost(platform, StandInServiceHost.Command("oom-host"), limiter);
        var kernel = new SystemKernel(loaded.System!, catalog, platform, hostSelector: _ => host);

        kernel.Boot();
        var hog = kernel.Service("hog");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watch = new StopWhenFaulted(hog, stop);
        watch.Timer = platform.CreateTimer(watch);
        watch.Timer.ArmAt(platform.NowNs + 10_000_000);
        platform.RunUntil(long.MaxValue, stop.Token);
        kernel.Shutdown();

        Assert.NotNull(hog.LastFault);
        if (limiter.Place(CgroupHierarchy.Memory, out var why) is null)
        {
            Assert.Contains($"memory.limitBytes of hog is not enforced by the OS: {why}", warnings.ToString(), StringComparison.Ordinal);
            return;
        }

        Assert.Matches("^service host process [0-9]+ exceeded its memory limit of 33554432 bytes \\(memory.limitBytes; the OOM killer ended it\\)", hog.LastFault);
        Assert.Empty(warnings.ToString());
    }

    private sealed class StopWhenFaulted(ServiceRuntime service, CancellationTokenSource stop) : ITimerCallback
    {
        public IPlatformTimer? Timer { get; set; }

        public void OnTimer(long nowNs)
        {
            if (service.LastFault is not null)
            {
                stop.Cancel();
                return;
            }

            Timer!.ArmAt(nowNs + 10_000_000);
        }
    }
}
