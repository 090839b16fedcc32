using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Cli.Tests;

/// <summary>
/// What an isolated tank controller will do once endpoints cross processes, shown in one process:
/// the demo's PID (rt-fifo 80) on its own SCHED_FIFO thread, lent the event loop, takes the
/// operator's setpoint request and sends the reply on that thread, and the thread allocates nothing
/// while it does. The test thread never runs the loop after lending it, so every delivery ran on
/// the controller's thread.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class RealtimeControllerTests
{
    private const int SamplesMax = 250;
    private const int WarmUpCycles = 50;

    [Fact]
    public void Controller_OnItsFifoThread_TakesTheOperatorsSetpointRequestOnThatThread_WithoutAllocating()
    {
        var catalog = Composition.Catalog();
        var system = (Composition.LoadSystem(Repository.TankDemo, catalog, TextWriter.Null) ?? throw new InvalidOperationException("the demo does not load"))
            .WithService("operator", s => s with { Program = s.Program with { Parameters = s.Program.Parameters.With("setpointStepAtSeconds", ParameterValue.OfNumber(1.5)) } });
        // The controller retains the operator's setpoint: its store's write is handed to a worker, not made on this thread.
        var platform = new PacedPlatform(1, Composition.Devices()) { RetainStorage = new Rt.Linux.Retain.LinuxRetainStorage(Directory.CreateTempSubdirectory("neokernel-retain-").FullName) };
        var sampler = new ThreadAllocationSampler(SamplesMax);
        RealtimeServiceExecutor? executor = null;
        platform.DecorateCyclicExecutor(inner => new SamplingExecutor(
            executor = new RealtimeServiceExecutor(platform, inner, new RealtimeCyclicOptions { OriginNs = platform.OriginNs }),
            sampler));
        var kernel = new SystemKernel(system, catalog, platform);
        kernel.Boot(["tank-controller", "operator"]);
        executor!.RefuseLateTasks();
        Assert.Equal("tank-controller", executor.Task?.ServiceId);

        executor.Lend();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sampler.Count < SamplesMax && executor.Task is { IsRunning: true })
        {
            Assert.True(DateTime.UtcNow < deadline, "the controller's thread did not run");
            Thread.Sleep(20);
        }

        Assert.True(executor.Reclaim(TimeSpan.FromSeconds(5)));
        var setpoint = Point(kernel, "tank.outputs", "setpoint");
        var controller = kernel.Service("tank-controller");
        kernel.Shutdown();

        Assert.Null(controller.LastFault);
        Assert.Equal(1.2, setpoint, 6);
        Assert.Equal(0, sampler.AllocatedAfter(WarmUpCycles));
    }

    private static double Point(SystemKernel kernel, string regionName, string point)
    {
        var region = kernel.Regions.Single(r => r.Name == regionName);
        var snapshot = new RegionSnapshot(region.PointCount);
        Assert.True(kernel.TryInspect(region, snapshot));
        return snapshot.Value(region.PointNames.ToList().IndexOf(point));
    }

    /// <summary>Samples before each real-time body run: what the previous body and this cycle's deliveries allocated.</summary>
    private sealed class SamplingExecutor(RealtimeServiceExecutor inner, ThreadAllocationSampler sampler) : ICyclicExecutor
    {
        public ICyclicTaskHandle Start(CyclicTaskSpec spec, ICyclicBody body, ICyclicTaskObserver observer) =>
            inner.Start(spec, RealtimeServiceExecutor.IsRealtimeClass(spec.SchedulingClass) ? new SampledBody(body, sampler) : body, observer);

        private sealed class SampledBody(ICyclicBody body, ThreadAllocationSampler sampler) : ICyclicBody
        {
            public void Execute(in CycleInfo cycle)
            {
                sampler.Sample();
                body.Execute(cycle);
            }
        }
    }
}
