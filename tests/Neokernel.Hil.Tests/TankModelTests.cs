using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

public sealed class TankModelTests
{
    [Fact]
    public void Without_outflow_the_level_rises_linearly_as_the_analytic_solution()
    {
        var parameters = new TankParameters(AreaSquareMeters: 2.0, HeightMeters: 10.0, PumpFlowMaxCubicMetersPerSecond: 0.02, ValveCoefficient: 0.01, ValveOpening: 0.0, LevelInitialMeters: 0.5);
        var tank = new TankModel(parameters) { PumpPercent = 60.0 };
        for (var i = 0; i < 1000; i++)
        {
            tank.Step(0.1);
        }

        // h(t) = h0 + Qin·t/A = 0.5 + 0.012·100/2
        Assert.Equal(0.5 + (0.012 * 100.0 / 2.0), tank.LevelMeters, 10);
    }

    [Fact]
    public void The_reference_drain_matches_torricelli_in_closed_form()
    {
        // sqrt(h) = sqrt(h0) − k·t/(2A): from 4 m with k = 1, A = 1, after 2 s: 1 m.
        var reference = Drain(0.001, 2.0);
        Assert.Equal(1.0, reference, 11);
    }

    [Fact]
    public void Halving_the_step_cuts_the_drain_error_about_sixteen_fold()
    {
        var reference = Drain(0.0005, 2.0);
        double[] errors = [Math.Abs(Drain(0.2, 2.0) - reference), Math.Abs(Drain(0.1, 2.0) - reference), Math.Abs(Drain(0.05, 2.0) - reference)];
        Assert.All(errors, e => Assert.True(e > 1e-12, "error below rounding: the test would not see the order"));
        Assert.InRange(errors[0] / errors[1], 13.0, 19.0);
        Assert.InRange(errors[1] / errors[2], 13.0, 19.0);
    }

    [Fact]
    public void Where_inflow_equals_outflow_the_level_settles_and_stays()
    {
        var tank = new TankModel(TankParameters.Default with { LevelInitialMeters = 0.2 }) { PumpPercent = 50.0 };
        Assert.Equal(1.0, tank.SteadyStateLevelMeters, 12);
        for (var i = 0; i < 60_000; i++)
        {
            tank.Step(0.1);
        }

        Assert.Equal(1.0, tank.LevelMeters, 6);
        Assert.Equal(tank.InflowCubicMetersPerSecond, tank.OutflowCubicMetersPerSecond, 8);

        var settled = new TankModel(TankParameters.Default with { LevelInitialMeters = 1.0 }) { PumpPercent = 50.0 };
        settled.Step(100.0);
        Assert.Equal(1.0, settled.LevelMeters, 12);
    }

    [Fact]
    public void An_empty_tank_stays_empty_and_a_full_one_spills()
    {
        var draining = new TankModel(TankParameters.Default with { LevelInitialMeters = 0.01, ValveOpening = 1.0 });
        for (var i = 0; i < 1000; i++)
        {
            draining.Step(1.0);
            Assert.True(draining.LevelMeters >= 0.0);
        }

        Assert.Equal(0.0, draining.LevelMeters);

        var filling = new TankModel(TankParameters.Default with { ValveOpening = 0.0 }) { PumpPercent = 100.0 };
        for (var i = 0; i < 1000; i++)
        {
            filling.Step(1.0);
            Assert.True(filling.LevelMeters <= 2.0);
        }

        Assert.Equal(2.0, filling.LevelMeters);
        filling.PumpPercent = 0.0;
        filling.ValveOpening = 0.5;
        filling.Step(1.0);
        Assert.True(filling.LevelMeters < 2.0, "a full tank drains as soon as the pump stops");
    }

    [Fact]
    public void A_long_step_is_the_same_as_its_sub_steps()
    {
        var whole = new TankModel(TankParameters.Default with { LevelInitialMeters = 1.5 }) { PumpPercent = 20.0 };
        var parts = new TankModel(TankParameters.Default with { LevelInitialMeters = 1.5 }) { PumpPercent = 20.0 };
        whole.Step(1.0);
        for (var i = 0; i < 20; i++)
        {
            parts.Step(0.05);
        }

        Assert.Equal(parts.LevelMeters, whole.LevelMeters);
        Assert.Equal(1.0, whole.ElapsedSeconds, 12);
    }

    [Fact]
    public void Step_allocates_nothing()
    {
        var tank = new TankModel(TankParameters.Default) { PumpPercent = 70.0 };
        AllocationAssert.NoAllocations(10_000, i =>
        {
            tank.PumpPercent = i % 100;
            tank.Step(0.1);
        });
    }

    [Theory]
    [InlineData(0.0, 2.0, 0.5, 0.0, "AreaSquareMeters")]
    [InlineData(1.0, -2.0, 0.5, 0.0, "HeightMeters")]
    [InlineData(1.0, 2.0, 1.5, 0.0, "ValveOpening")]
    [InlineData(1.0, 2.0, 0.5, 3.0, "LevelInitialMeters")]
    public void Invalid_parameters_are_refused_naming_the_parameter(double area, double height, double opening, double level, string parameter)
    {
        var parameters = new TankParameters(area, height, 0.01, 0.01, opening, level);
        Assert.Equal(parameter, Assert.ThrowsAny<ArgumentException>(() => new TankModel(parameters)).ParamName);
    }

    [Fact]
    public void Out_of_range_commands_are_refused()
    {
        var tank = new TankModel(TankParameters.Default);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.PumpPercent = 101.0);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.PumpPercent = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.ValveOpening = -0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.Step(-1.0));
    }

    private static double Drain(double stepSeconds, double durationSeconds)
    {
        var parameters = new TankParameters(AreaSquareMeters: 1.0, HeightMeters: 10.0, PumpFlowMaxCubicMetersPerSecond: 0.0, ValveCoefficient: 1.0, ValveOpening: 1.0, LevelInitialMeters: 4.0);
        var tank = new TankModel(parameters, maxStepSeconds: stepSeconds);
        var steps = (int)Math.Round(durationSeconds / stepSeconds);
        for (var i = 0; i < steps; i++)
        {
            tank.Step(stepSeconds);
        }

        return tank.LevelMeters;
    }
}
