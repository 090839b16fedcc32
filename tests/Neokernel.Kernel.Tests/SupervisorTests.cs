using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Supervision;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Tests;

public sealed class SupervisorTests
{
    private const long Ms = 1_000_000;

    /// <summary>
    /// The cases the restart-intensity property runs, over the ranges the manifests allow and
    /// dense enough to reach the limit: 0 to 5 restarts within 100 ms to 3 s, backoffs of 0 to
    /// 49 ms, and up to 80 faults anywhere in the first 400 cycles (4 s at 10 ms). FsCheck's
    /// default sizes would keep windows near 100 ms and faults in the first 17 cycles.
    /// </summary>
    private static readonly Gen<IntensityCase> IntensityCases =
        from maxRestarts in Gen.Choose(0, 5)
        from withinMs in Gen.Choose(100, 3_000)
        from backoffMs in Gen.Choose(0, 49)
        from count in Gen.Choose(0, 80)
        from faults in Gen.ArrayOf(Gen.Choose(1, 400), count)
        select new IntensityCase(maxRestarts, withinMs, backoffMs, faults);

    /// <summary>
    /// Guards the restart-intensity promise exactly, as Erlang/OTP's supervisor states it: a
    /// fault is followed by a restart while fewer than maxRestarts restarts happened within the
    /// last withinMs, and otherwise the service is Failed and never restarted again. A window
    /// that is too short (halved) or too long restarts where it must fail, or fails where it
    /// must restart.
    /// </summary>
    [Fact]
    public void Supervisor_Faults_RestartBelowTheIntensity_FailAtIt()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), Prop.ForAll(IntensityCases.ToArbitrary(), HoldsRestartIntensity));
    }

    /// <summary>One generated case: what the manifest says and the (global) cycles that fault.</summary>
    public sealed record IntensityCase(int MaxRestarts, int WithinMs, int BackoffInitialMs, int[] FaultCycles)
    {
        public override string ToString() =>
            $"maxRestarts {MaxRestarts}, withinMs {WithinMs}, backoffInitialMs {BackoffInitialMs}, faults at cycles [{string.Join(", ", FaultCycles.Order())}]";
    }

    private static bool HoldsRestartIntensity(IntensityCase c)
    {
        var (kernel, service) = RunFlaky(c);
        var faults = kernel.Trace.Events(TraceEventKind.Fault)
            .Where(e => e.Subject == service.TraceId && kernel.Trace.NoteOf(e.Sequence)?.StartsWith("cyclic task threw", StringComparison.Ordinal) == true)
            .ToList();
        var restarts = kernel.Trace.Events(TraceEventKind.Restart).Where(e => e.Subject == service.TraceId).ToList();
        var windowNs = c.WithinMs * Ms;
        var failed = false;
        foreach (var fault in faults)
        {
            var recent = restarts.Count(r => r.Sequence < fault.Sequence && r.TimeNs > fault.TimeNs - windowNs);
            var exhausted = recent >= c.MaxRestarts;
            var restartedAfter = restarts.Any(r => r.Sequence > fault.Sequence);

            // The last fault's restart may still wait out its backoff when the run ends.
            var restartPending = fault.Sequence == faults[^1].Sequence && service.State == ServiceState.Restarting;
            if (failed || (exhausted && restartedAfter) || (!exhausted && !restartedAfter && !restartPending))
            {
                return false;
            }

            failed = exhausted;
        }

        return failed == (service.State == ServiceState.Failed) && service.State != ServiceState.Stopped;
    }

    /// <summary>The flaky service of <paramref name="c"/> run for 10 simulated seconds; every trace event is still in the ring.</summary>
    private static (SystemKernel Kernel, ServiceRuntime Service) RunFlaky(IntensityCase c)
    {
        var faults = new HashSet<long>(c.FaultCycles.Select(f => (long)f));
        var system = new TestSystem();
        var manifest = system.Add("flaky", "test.flaky");
        manifest.Restart.MaxRestarts = c.MaxRestarts;
        manifest.Restart.WithinMs = c.WithinMs;
        manifest.Restart.BackoffInitialMs = c.BackoffInitialMs;
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
        Assert.True(kernel.Trace.Count <= KernelTrace.CapacityDefault, "the trace ring wrapped: the property would judge from part of the run");
        return (kernel, kernel.Service("flaky"));
    }

    /// <summary>A service that exhausts its restart intensity is Failed, and stays so.</summary>
    [Fact]
    public void Supervisor_IntensityExhausted_ServiceIsFailed()
    {
        var (kernel, service) = RunFlaky(new IntensityCase(2, 1_000, 0, [3, 4, 5, 6]));

        Assert.Equal(ServiceState.Failed, service.State);
        Assert.Equal(2, service.Restarts);
        Assert.Contains(kernel.Trace.Events(TraceEventKind.Fault), e => kernel.Trace.NoteOf(e.Sequence)?.StartsWith("failed: restart intensity exhausted: 2 restarts within 1000 ms", StringComparison.Ordinal) == true);
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
