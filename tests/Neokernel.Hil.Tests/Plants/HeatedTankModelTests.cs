using Neokernel.Hil.Plants;

namespace Neokernel.Hil.Tests.Plants;

public sealed class HeatedTankModelTests
{
    [Fact]
    public void Step_response_matches_the_first_order_solution_after_the_dead_time()
    {
        var parameters = HeatedTankParameters.Default with { DeadTimeSeconds = 5.0 };
        var tank = new HeatedTankModel(parameters, stepSeconds: 0.1) { HeaterPercent = 60.0 };
        var tau = tank.TimeConstantSeconds;
        var rise = tank.HeaterPowerWatts / parameters.HeatLossWattsPerKelvin;
        Assert.Equal(5.0, tank.DeadTimeEffectiveSeconds, 12);
        for (var k = 1; k <= 10_000; k++)
        {
            tank.Step(0.1);
            var t = k * 0.1;
            // T(t) = Ta for t ≤ θ, Ta + P/UA · (1 − e^(−(t − θ)/τ)) after.
            var expected = t <= 5.0 + 1e-9 ? 20.0 : 20.0 + (rise * (1.0 - Math.Exp(-(t - 5.0) / tau)));
            Assert.Equal(expected, tank.TemperatureCelsius, 1e-9);
        }

        Assert.Equal(1000.0, tank.ElapsedSeconds, 9);
        tank.Step(5000.0);
        Assert.Equal(tank.SteadyStateTemperatureCelsius, tank.TemperatureCelsius, 9);
    }

    [Fact]
    public void Without_heat_the_tank_cools_to_ambient_exactly_as_the_exponential()
    {
        var tank = new HeatedTankModel(HeatedTankParameters.Default with { TemperatureInitialCelsius = 80.0, DeadTimeSeconds = 0.0 }, stepSeconds: 1.0);
        tank.Step(200.0);
        Assert.Equal(20.0 + (60.0 * Math.Exp(-1.0)), tank.TemperatureCelsius, 10);
    }

    [Fact]
    public void The_exact_discretisation_does_not_depend_on_the_step()
    {
        var fine = new HeatedTankModel(HeatedTankParameters.Default, stepSeconds: 0.01) { HeaterPercent = 100.0 };
        var coarse = new HeatedTankModel(HeatedTankParameters.Default, stepSeconds: 1.0) { HeaterPercent = 100.0 };
        fine.Step(300.0);
        coarse.Step(300.0);
        Assert.Equal(fine.TemperatureCelsius, coarse.TemperatureCelsius, 9);
    }

    [Fact]
    public void The_temperature_stays_between_ambient_and_the_full_power_equilibrium_and_energy_balances()
    {
        var parameters = HeatedTankParameters.Default with { DeadTimeSeconds = 2.0 };
        var tank = new HeatedTankModel(parameters, stepSeconds: 0.01);
        var ceiling = parameters.AmbientTemperatureCelsius + (parameters.HeaterPowerMaxWatts / parameters.HeatLossWattsPerKelvin);
        var heatInJoules = 0.0;
        var lossJoules = 0.0;
        var start = tank.TemperatureCelsius;
        var delayed = new Queue<double>(Enumerable.Repeat(0.0, 200));
        for (var k = 0; k < 60_000; k++)
        {
            tank.HeaterPercent = (k / 3000) % 2 == 0 ? 100.0 : 10.0;
            delayed.Enqueue(tank.HeaterPowerWatts);
            var before = tank.TemperatureCelsius;
            tank.Step(0.01);
            heatInJoules += delayed.Dequeue() * 0.01;
            lossJoules += parameters.HeatLossWattsPerKelvin * (((before + tank.TemperatureCelsius) / 2.0) - parameters.AmbientTemperatureCelsius) * 0.01;
            Assert.InRange(tank.TemperatureCelsius, parameters.AmbientTemperatureCelsius, ceiling);
        }

        // C·ΔT = heat in − loss; the loss is integrated with the trapezoid rule, O(h²).
        var stored = parameters.HeatCapacityJoulesPerKelvin * (tank.TemperatureCelsius - start);
        Assert.Equal(heatInJoules - lossJoules, stored, stored * 1e-5);
    }

    [Fact]
    public void Ambient_is_a_disturbance_input()
    {
        var tank = new HeatedTankModel(HeatedTankParameters.Default with { DeadTimeSeconds = 0.0 }) { AmbientTemperatureCelsius = 30.0 };
        tank.Step(5000.0);
        Assert.Equal(30.0, tank.TemperatureCelsius, 8);
    }

    [Theory]
    [InlineData(nameof(HeatedTankParameters.HeatCapacityJoulesPerKelvin))]
    [InlineData(nameof(HeatedTankParameters.HeatLossWattsPerKelvin))]
    [InlineData(nameof(HeatedTankParameters.HeaterPowerMaxWatts))]
    [InlineData(nameof(HeatedTankParameters.AmbientTemperatureCelsius))]
    [InlineData(nameof(HeatedTankParameters.DeadTimeSeconds))]
    [InlineData(nameof(HeatedTankParameters.TemperatureInitialCelsius))]
    public void Validate_names_the_parameter_its_value_and_what_is_allowed(string name)
    {
        var d = HeatedTankParameters.Default;
        var broken = name switch
        {
            nameof(d.HeatCapacityJoulesPerKelvin) => d with { HeatCapacityJoulesPerKelvin = 0.0 },
            nameof(d.HeatLossWattsPerKelvin) => d with { HeatLossWattsPerKelvin = -1.0 },
            nameof(d.HeaterPowerMaxWatts) => d with { HeaterPowerMaxWatts = double.NaN },
            nameof(d.AmbientTemperatureCelsius) => d with { AmbientTemperatureCelsius = -300.0 },
            nameof(d.DeadTimeSeconds) => d with { DeadTimeSeconds = -1.0 },
            _ => d with { TemperatureInitialCelsius = double.PositiveInfinity },
        };
        var error = Assert.Throws<ArgumentException>(broken.Validate);
        Assert.Equal(name, error.ParamName);
        Assert.StartsWith(name + " must be", error.Message, StringComparison.Ordinal);
        Assert.Contains(", is ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dead_time_beyond_the_ring_buffer_limit_and_bad_inputs_are_refused()
    {
        var longDelay = HeatedTankParameters.Default with { DeadTimeSeconds = 1e6 };
        Assert.Equal(nameof(HeatedTankParameters.DeadTimeSeconds), Assert.Throws<ArgumentException>(() => new HeatedTankModel(longDelay, 0.1)).ParamName);
        var tank = new HeatedTankModel(HeatedTankParameters.Default);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.HeaterPercent = 101.0);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.Step(0.15));
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.Step(-0.1));
    }
}
