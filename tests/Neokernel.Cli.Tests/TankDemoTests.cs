using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Cli.Tests;

/// <summary>The demo plant as a control engineer would check it: does the loop do its job?</summary>
public sealed class TankDemoTests
{
    private const long SecondNs = 1_000_000_000;

    [Fact]
    public void SetpointStep_LevelSettlesWithinTwoPercent()
    {
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(Repository.TankDemo, catalog, TextWriter.Null)!;
        var session = SimulationSession.Boot(system, catalog, seed: 11);
        var inputs = session.Kernel.FindRegion("tank.inputs")!;
        var outputs = session.Kernel.FindRegion("tank.outputs")!;
        var level = new RegionSnapshot(inputs.PointCount);
        var output = new RegionSnapshot(outputs.PointCount);

        session.Platform.RunUntil(119 * SecondNs);
        Assert.True(session.Kernel.TryInspect(outputs, output));
        Assert.Equal(1.0, output.Value(outputs.IndexOf("setpoint")));

        // The operator steps the setpoint to 1.2 m at 120 s; from 300 s on, the level stays within 2 %.
        session.Platform.RunUntil(300 * SecondNs);
        Assert.True(session.Kernel.TryInspect(outputs, output));
        Assert.Equal(1.2, output.Value(outputs.IndexOf("setpoint")));
        for (var t = 300; t <= 600; t++)
        {
            session.Platform.RunUntil(t * SecondNs);
            Assert.True(session.Kernel.TryInspect(inputs, level));
            Assert.Equal(Quality.Good, level.Quality(0));
            Assert.InRange(level.Value(0), 1.2 * 0.98, 1.2 * 1.02);
        }

        Assert.Empty(Kernel.KernelInvariants.Check(session.Kernel));
        Assert.All(session.Kernel.Services, s => Assert.Equal(0, s.Faults));
    }

    /// <summary>The whole demo (plant, drivers, PID, operator, kernel, trace) in steady state allocates nothing per cycle.</summary>
    [Fact]
    public void SteadyState_WholeSystem_AllocatesNothing()
    {
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(Repository.TankDemo, catalog, TextWriter.Null)!;
        var session = SimulationSession.Boot(system, catalog, seed: 3);
        session.Platform.RunUntil(130 * SecondNs);
        const long periodNs = 10_000_000;
        AllocationAssert.NoAllocations(1_000, _ => session.Platform.RunUntil(session.Platform.NowNs + periodNs));
        Assert.All(session.Kernel.Services, s => Assert.Equal(Kernel.Services.ServiceState.Running, s.State));
    }
}
