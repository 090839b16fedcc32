using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Cli.Tests;

/// <summary>heated-tank-cascade.yaml, the cascade written as a block network, as a control engineer would check it.</summary>
public sealed class HeatedTankCascadeTests
{
    private const long SecondNs = 1_000_000_000;

    /// <summary>
    /// From 20 °C to the setpoint of 60 °C: the heater saturates for the first minutes (the inner
    /// loop's limit stops the outer integrator), then the contents approach without overshoot
    /// and stay within ±0.5 °C of 60 °C from 900 s on, the jacket about 10 K above them.
    /// </summary>
    [Fact]
    public void From_cold_the_contents_reach_the_setpoint_without_overshoot_and_stay()
    {
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(Repository.HeatedTankCascade, catalog, TextWriter.Null)!;
        var session = SimulationSession.Boot(system, catalog, seed: 5);
        var inputs = session.Kernel.FindRegion("jacketed-tank.inputs")!;
        var outputs = session.Kernel.FindRegion("jacketed-tank.outputs")!;
        var measured = new RegionSnapshot(inputs.PointCount);
        var commanded = new RegionSnapshot(outputs.PointCount);

        session.Platform.RunUntil(60 * SecondNs);
        Assert.True(session.Kernel.TryInspect(outputs, commanded));
        Assert.Equal(100.0, commanded.Value(outputs.IndexOf("heater")));

        var peak = 0.0;
        for (var t = 61; t <= 1800; t++)
        {
            session.Platform.RunUntil(t * SecondNs);
            Assert.True(session.Kernel.TryInspect(inputs, measured));
            Assert.Equal(Quality.Good, measured.Quality(inputs.IndexOf("temperature")));
            var temperature = measured.Value(inputs.IndexOf("temperature"));
            peak = Math.Max(peak, temperature);
            if (t >= 900)
            {
                Assert.InRange(temperature, 59.5, 60.5);
                Assert.InRange(measured.Value(inputs.IndexOf("jacket")) - temperature, 8.0, 12.0);
            }
        }

        Assert.True(peak < 60.5, $"the contents peaked at {peak:F2} °C");
        Assert.True(session.Kernel.TryInspect(outputs, commanded));
        Assert.Equal(0.0, commanded.Value(outputs.IndexOf("alarm")));
        Assert.Empty(Kernel.KernelInvariants.Check(session.Kernel));
        Assert.All(session.Kernel.Services, s => Assert.Equal(0, s.Faults));
    }

    /// <summary>The cascade's cycle (plant, block network, kernel, trace) in steady state allocates nothing.</summary>
    [Fact]
    public void SteadyState_WholeSystem_AllocatesNothing()
    {
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(Repository.HeatedTankCascade, catalog, TextWriter.Null)!;
        var session = SimulationSession.Boot(system, catalog, seed: 3);
        session.Platform.RunUntil(30 * SecondNs);
        const long periodNs = 100_000_000;
        AllocationAssert.NoAllocations(1_000, _ => session.Platform.RunUntil(session.Platform.NowNs + periodNs));
    }
}
