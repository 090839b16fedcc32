using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Supervision;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Tests;

public sealed class SupervisorTests
{
    private const long Ms = 1_000_000;

    /// <summary>Whatever the faults, no window of withinMs ever holds more than maxRestarts restarts.</summary>
    [Property(MaxTest = 60)]
    public bool Supervisor_NeverExceedsRestartIntensity(byte maxRestartsSeed, ushort withinSeed, byte backoffSeed, int[] faultCycles)
    {
        var maxRestarts = maxRestartsSeed % 6;
        var withinMs = 100 + (withinSeed % 3000);
        var faults = new HashSet<long>((faultCycles ?? []).Select(c => (long)(Math.Abs(c % 400) + 1)));
        var system = new TestSystem();
        var manifest = system.Add("flaky", "test.flaky");
        manifest.Restart.MaxRestarts = maxRestarts;
        manifest.Restart.WithinMs = withinMs;
        manifest.Restart.BackoffInitialMs = backoffSeed % 50;
        manifest.Restart.BackoffMaxMs = 200;
        var cycles = 0L;
        system.Catalog.Program("test.flaky", () => new DelegateService(_ => { }, _ =>
        {
            cycles++;
            if (faults.Contains(cycles))
            {
                throw new InvalidOperationException("injected");
            }
        }));
        var (kernel, platform) = system.Boot();
        platform.RunUntil(10_000 * Ms);
        var restarts = kernel.Trace.Events(TraceEventKind.Restart).Select(e => e.TimeNs).ToList();
        foreach (var t in restarts)
        {
            var inWindow = restarts.Count(r => r > t - (withinMs * Ms) && r <= t);
            if (inWindow > maxRestarts)
            {
                return false;
            }
        }

        var service = kernel.Service("flaky");
        return service.State is ServiceState.Running or ServiceState.Restarting or ServiceState.Failed;
    }

    [Theory]
    [InlineData(100, 5_000, 0, 100)]
    [InlineData(100, 5_000, 1, 200)]
    [InlineData(100, 5_000, 3, 800)]
    [InlineData(100, 5_000, 10, 5_000)]
    [InlineData(0, 5_000, 4, 0)]
    public void BackoffNs_DoublesUpToTheCap(long initialMs, long maxMs, int recent, long expectedMs) =>
        Assert.Equal(expectedMs * Ms, Supervisor.BackoffNs(initialMs, maxMs, recent));
}
