using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// The three restart policies of Erlang/OTP: permanent restarts after a fault and after a normal
/// end, transient after a fault only, temporary never. A normal end is a service's own
/// <see cref="IServiceContext.Complete"/>.
/// </summary>
public sealed class RestartPolicyTests
{
    private const long Ms = 1_000_000;

    [Theory]
    [InlineData("permanent", ServiceState.Running, 2, 1)]
    [InlineData("transient", ServiceState.Stopped, 1, 0)]
    [InlineData("temporary", ServiceState.Stopped, 1, 0)]
    public void Complete_NormalEnd_OnlyPermanentRestarts(string policy, ServiceState expected, int incarnations, int restarts)
    {
        var (kernel, platform) = Boot(policy, (context, incarnation) => context.Complete("done"));

        platform.RunUntil(2_000 * Ms);

        var service = kernel.Service("job");
        Assert.Equal(expected, service.State);
        Assert.Equal(incarnations, service.Incarnation);
        Assert.Equal(restarts, service.Restarts);
        Assert.Equal("done", service.LastCompletion);
        Assert.Null(service.LastFault);
        Assert.False(service.InSafeState);
    }

    [Theory]
    [InlineData("permanent", ServiceState.Running, 2)]
    [InlineData("transient", ServiceState.Running, 2)]
    [InlineData("temporary", ServiceState.Failed, 1)]
    public void ReportFault_Fault_PermanentAndTransientRestart(string policy, ServiceState expected, int incarnations)
    {
        var (kernel, platform) = Boot(policy, (context, incarnation) => context.ReportFault("broken"));

        platform.RunUntil(2_000 * Ms);

        var service = kernel.Service("job");
        Assert.Equal(expected, service.State);
        Assert.Equal(incarnations, service.Incarnation);
        Assert.Null(service.LastCompletion);
        Assert.Equal("reported: broken", service.LastFault);
    }

    [Fact]
    public void Complete_EveryIncarnation_PermanentStopsAtItsRestartIntensity()
    {
        var (kernel, platform) = Boot("permanent", (context, incarnation) => context.Complete("done again"), everyIncarnation: true);

        platform.RunUntil(5_000 * Ms);

        var service = kernel.Service("job");
        Assert.Equal(ServiceState.Stopped, service.State);
        Assert.Equal(3, service.Restarts);
        Assert.False(service.InSafeState);
        Assert.Contains(kernel.Trace.Events(TraceEventKind.Fault), e => kernel.Trace.NoteOf(e.Sequence)?.StartsWith("not restarted after a normal end", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Complete_DuringItsOwnStart_TakesEffectOnceStarted()
    {
        var system = new TestSystem();
        system.Add("job", "test.job").Restart.Policy = "transient";
        system.Catalog.Program("test.job", () => new DelegateService(c => c.Complete("nothing to do"), _ => { }));

        var (kernel, platform) = system.Boot();
        platform.RunUntil(500 * Ms);

        Assert.Equal(ServiceState.Stopped, kernel.Service("job").State);
        Assert.Equal(1, kernel.Service("job").Incarnation);
    }

    /// <summary>One service "job" that ends, by <paramref name="end"/>, on its third cycle: in its first incarnation, or in every one.</summary>
    private static (SystemKernel Kernel, Rt.Simulation.SimulationPlatform Platform) Boot(string policy, Action<IServiceContext, int> end, bool everyIncarnation = false)
    {
        var system = new TestSystem();
        system.Add("job", "test.job").Restart.Policy = policy;
        var incarnation = 0;
        system.Catalog.Program("test.job", () =>
        {
            IServiceContext? context = null;
            var cycles = 0;
            return new DelegateService(
                c =>
                {
                    context = c;
                    incarnation++;
                },
                _ =>
                {
                    cycles++;
                    if (cycles == 3 && (everyIncarnation || incarnation == 1))
                    {
                        end(context!, incarnation);
                    }
                });
        });
        Assert.Equal(ManifestWords.RestartPolicies.Parse(policy, "restart.policy"), system.Definition().Services[0].Spec.Restart.Policy);
        return system.Boot();
    }
}
