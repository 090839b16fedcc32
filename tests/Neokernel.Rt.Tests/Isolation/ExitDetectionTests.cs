using Neokernel.Kernel;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Linux.Limits;
using Neokernel.Testing;
using Xunit.Abstractions;

namespace Neokernel.Rt.Tests.Isolation;

/// <summary>
/// kill -9 of a service host process reaches the supervisor through the child's pidfd, on the
/// control thread, and a post to the kernel's loop: no poll period in between.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ExitDetectionTests(ITestOutputHelper output)
{
    private const int Kills = 5;

    /// <summary>
    /// Generous bounds for a loaded 2-core machine, where the OS's teardown of a killed .NET process
    /// (its threads and address space go before the pidfd is readable) varies a lot. The measured
    /// values are printed.
    /// </summary>
    private const long DetectionNsMax = 1_000_000_000;

    private const long DetectionNsMedianMax = 50_000_000;

    private const string System = "system: idle\nservices:\n  - manifest: idle.yaml\n";
    private const string Idle = "id: idle\nkind: driver\nprogram:\n  type: test.idle\nrestart:\n  policy: permanent\n  maxRestarts: 20\n  backoffInitialMs: 10\n  backoffMaxMs: 10\n";

    [Fact]
    public void KillNine_IsDetectedAtOnce_ThroughThePidfd()
    {
        var catalog = new ProgramCatalog().Add(new ProgramDescriptor("test.idle", "idles in a process of its own", [], () => throw new InvalidOperationException("the idle service runs only in its own process")));
        var loaded = ManifestLoader.LoadSystem("system.yaml", new InMemoryManifestSource().Add("system.yaml", System).Add("idle.yaml", Idle), catalog);
        Assert.True(loaded.Succeeded, ManifestReport.Format(loaded.Diagnostics));
        var regions = new MemfdRegionMemoryProvider();
        using var platform = new PacedPlatform(1, new StandInServiceHost.NoDevices(), regions, LinuxTime.MonotonicNs());
        using var host = new ProcessServiceHost(platform, StandInServiceHost.Command("idle-host"), new ProcessLimiter(TextWriter.Null));
        var kernel = new SystemKernel(loaded.System!, catalog, platform, hostSelector: _ => host);

        kernel.Boot();
        var idle = kernel.Service("idle");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var killer = new Killer(host, platform, stop);
        killer.Timer = platform.CreateTimer(killer);
        killer.Timer.ArmAt(platform.NowNs + 10_000_000);
        platform.RunUntil(long.MaxValue, stop.Token);
        kernel.Shutdown();

        Assert.Equal(Kills, killer.KillsNs.Count);
        var faults = kernel.Trace.Events(TraceEventKind.Fault).Where(e => e.Subject == idle.TraceId).Select(e => e.TimeNs).ToList();
        var detections = killer.KillsNs.Select(kill => faults.First(f => f >= kill) - kill).Order().ToList();
        output.WriteLine($"kill -9 to fault, ns: {string.Join(", ", detections)}; p50 {detections[detections.Count / 2] / 1_000.0:0.0} us");
        Assert.All(detections, d => Assert.InRange(d, 0, DetectionNsMax));
        Assert.InRange(detections[detections.Count / 2], 0, DetectionNsMedianMax);
    }

    /// <summary>Kills the child 300 ms after each new pid appears (it has connected by then), five times, then stops the loop.</summary>
    private sealed class Killer(ProcessServiceHost host, PacedPlatform platform, CancellationTokenSource stop) : ITimerCallback
    {
        private int lastPid;
        private long seenNs;

        public IPlatformTimer? Timer { get; set; }

        public List<long> KillsNs { get; } = [];

        public void OnTimer(long nowNs)
        {
            var pid = host.Pids.GetValueOrDefault("idle");
            if (pid != 0 && pid != lastPid)
            {
                lastPid = pid;
                seenNs = nowNs;
            }
            else if (pid != 0 && pid == lastPid && seenNs > 0 && nowNs - seenNs > 300_000_000)
            {
                seenNs = 0;
                using var child = global::System.Diagnostics.Process.GetProcessById(pid);
                KillsNs.Add(platform.NowNs);
                child.Kill(); // SIGKILL
            }

            if (KillsNs.Count == Kills && nowNs - KillsNs[^1] > 200_000_000)
            {
                stop.Cancel();
                return;
            }

            Timer!.ArmAt(nowNs + 5_000_000);
        }
    }
}
