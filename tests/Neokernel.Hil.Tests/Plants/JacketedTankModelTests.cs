using Neokernel.Hil.Plants;

namespace Neokernel.Hil.Tests.Plants;

public sealed class JacketedTankModelTests
{
    [Fact]
    public void At_rest_the_temperatures_are_the_steady_state_formulas()
    {
        var parameters = JacketedTankParameters.Default;
        var tank = new JacketedTankModel(parameters, stepSeconds: 1.0) { HeaterPercent = 50.0 };
        Assert.Equal(2500.0, tank.HeaterPowerWatts);
        Assert.Equal(45.0, tank.SteadyStateTemperatureCelsius, 12);
        Assert.Equal(51.25, tank.SteadyStateJacketTemperatureCelsius, 12);

        // 10 000 s is 45 slow time constants: what is left of the transient is below 1e-15 K.
        tank.Step(10_000.0);
        Assert.Equal(45.0, tank.TemperatureCelsius, 9);
        Assert.Equal(51.25, tank.JacketTemperatureCelsius, 9);
        Assert.Equal(45.0, tank.MeasuredTemperatureCelsius, 9);

        tank.AmbientTemperatureCelsius = 30.0;
        tank.HeaterPercent = 0.0;
        tank.Step(10_000.0);
        Assert.Equal(30.0, tank.TemperatureCelsius, 9);
        Assert.Equal(30.0, tank.JacketTemperatureCelsius, 9);
    }

    /// <summary>
    /// The exact discretisation against a fine RK4 integration of the same two equations, written
    /// here from the ODE and not from the model's matrices: at h = 1 ms RK4's global error is of
    /// order (h/τ)⁴ ≈ 1e-12 of the rise, so the two must agree within 1e-8 K at every 0.1 s sample.
    /// </summary>
    [Fact]
    public void The_step_response_agrees_with_a_fine_RK4_integration_of_the_ode()
    {
        var p = JacketedTankParameters.Default with { DeadTimeSeconds = 0.0 };
        var tank = new JacketedTankModel(p, stepSeconds: 0.1) { HeaterPercent = 70.0 };
        var power = tank.HeaterPowerWatts;
        (double Jacket, double Contents) Derivative(double jacket, double contents) =>
        (
            (power - (p.JacketTransferWattsPerKelvin * (jacket - contents))) / p.JacketHeatCapacityJoulesPerKelvin,
            ((p.JacketTransferWattsPerKelvin * (jacket - contents)) - (p.HeatLossWattsPerKelvin * (contents - p.AmbientTemperatureCelsius))) / p.HeatCapacityJoulesPerKelvin
        );

        const double h = 0.001;
        var (tj, t) = (p.JacketTemperatureInitialCelsius, p.TemperatureInitialCelsius);
        var deviationMax = 0.0;
        for (var sample = 1; sample <= 6000; sample++)
        {
            for (var i = 0; i < 100; i++)
            {
                var k1 = Derivative(tj, t);
                var k2 = Derivative(tj + (h / 2 * k1.Jacket), t + (h / 2 * k1.Contents));
                var k3 = Derivative(tj + (h / 2 * k2.Jacket), t + (h / 2 * k2.Contents));
                var k4 = Derivative(tj + (h * k3.Jacket), t + (h * k3.Contents));
                tj += h / 6 * (k1.Jacket + (2 * k2.Jacket) + (2 * k3.Jacket) + k4.Jacket);
                t += h / 6 * (k1.Contents + (2 * k2.Contents) + (2 * k3.Contents) + k4.Contents);
            }

            tank.Step(0.1);
            deviationMax = Math.Max(deviationMax, Math.Max(Math.Abs(tank.JacketTemperatureCelsius - tj), Math.Abs(tank.TemperatureCelsius - t)));
        }

        Assert.True(deviationMax < 1e-8, $"the discretisation is {deviationMax} K from RK4");
        Assert.Equal(600.0, tank.ElapsedSeconds, 9);
        Assert.InRange(tank.TemperatureCelsius, 50.0, 60.0);
    }

    [Fact]
    public void The_exact_discretisation_does_not_depend_on_the_step()
    {
        var fine = new JacketedTankModel(JacketedTankParameters.Default, stepSeconds: 0.01) { HeaterPercent = 100.0 };
        var coarse = new JacketedTankModel(JacketedTankParameters.Default, stepSeconds: 5.0) { HeaterPercent = 100.0 };
        fine.Step(300.0);
        coarse.Step(300.0);
        Assert.Equal(fine.TemperatureCelsius, coarse.TemperatureCelsius, 9);
        Assert.Equal(fine.JacketTemperatureCelsius, coarse.JacketTemperatureCelsius, 9);
        Assert.Equal(fine.MeasuredTemperatureCelsius, coarse.MeasuredTemperatureCelsius, 9);
    }

    [Fact]
    public void The_sensor_reports_the_contents_the_dead_time_late_in_whole_steps()
    {
        // 5.04 s at 0.1 s rounds to 50 steps.
        var tank = new JacketedTankModel(JacketedTankParameters.Default with { DeadTimeSeconds = 5.04 }, stepSeconds: 0.1) { HeaterPercent = 100.0 };
        Assert.Equal(5.0, tank.DeadTimeEffectiveSeconds, 12);
        var truth = new List<double>();
        for (var k = 1; k <= 500; k++)
        {
            tank.Step(0.1);
            truth.Add(tank.TemperatureCelsius);
            var expected = k <= 50 ? JacketedTankParameters.Default.TemperatureInitialCelsius : truth[k - 51];
            Assert.Equal(expected, tank.MeasuredTemperatureCelsius);
        }

        Assert.True(tank.TemperatureCelsius > tank.MeasuredTemperatureCelsius, "the true temperature is ahead of the measured one while heating");
        var undelayed = new JacketedTankModel(JacketedTankParameters.Default with { DeadTimeSeconds = 0.0 }) { HeaterPercent = 100.0 };
        undelayed.Step(50.0);
        Assert.Equal(tank.TemperatureCelsius, undelayed.TemperatureCelsius);
        Assert.Equal(undelayed.TemperatureCelsius, undelayed.MeasuredTemperatureCelsius);
    }

    /// <summary>
    /// The jacket's own response is the excess Tj − T settling at P/Uj; the contents' is T − Ta
    /// settling at P/UA. The first is governed by the fast mode (about 4.5 s), the second by the
    /// slow one (about 220 s): an inner loop on the jacket can be tuned some forty times faster.
    /// </summary>
    [Fact]
    public void The_jacket_reaches_63_percent_of_its_rise_much_sooner_than_the_contents()
    {
        var p = JacketedTankParameters.Default with { DeadTimeSeconds = 0.0 };
        var tank = new JacketedTankModel(p, stepSeconds: 0.1) { HeaterPercent = 50.0 };
        Assert.InRange(tank.FastTimeConstantSeconds, 4.0, 5.0);
        Assert.InRange(tank.SlowTimeConstantSeconds, 200.0, 240.0);
        var jacketRise = tank.HeaterPowerWatts / p.JacketTransferWattsPerKelvin;
        var contentsRise = tank.HeaterPowerWatts / p.HeatLossWattsPerKelvin;
        double? jacketSeconds = null;
        double? contentsSeconds = null;
        while (contentsSeconds is null && tank.ElapsedSeconds < 2000.0)
        {
            tank.Step(0.1);
            if (jacketSeconds is null && tank.JacketTemperatureCelsius - tank.TemperatureCelsius >= 0.632 * jacketRise)
            {
                jacketSeconds = tank.ElapsedSeconds;
            }

            if (tank.TemperatureCelsius - p.AmbientTemperatureCelsius >= 0.632 * contentsRise)
            {
                contentsSeconds = tank.ElapsedSeconds;
            }
        }

        Assert.NotNull(jacketSeconds);
        Assert.NotNull(contentsSeconds);
        Assert.InRange(jacketSeconds.Value, 3.0, 10.0);
        Assert.InRange(contentsSeconds.Value, 180.0, 260.0);
        Assert.True(contentsSeconds.Value > 20.0 * jacketSeconds.Value, $"jacket {jacketSeconds} s, contents {contentsSeconds} s");
    }

    [Theory]
    [InlineData(nameof(JacketedTankParameters.HeatCapacityJoulesPerKelvin))]
    [InlineData(nameof(JacketedTankParameters.HeatLossWattsPerKelvin))]
    [InlineData(nameof(JacketedTankParameters.JacketHeatCapacityJoulesPerKelvin))]
    [InlineData(nameof(JacketedTankParameters.JacketTransferWattsPerKelvin))]
    [InlineData(nameof(JacketedTankParameters.HeaterPowerMaxWatts))]
    [InlineData(nameof(JacketedTankParameters.AmbientTemperatureCelsius))]
    [InlineData(nameof(JacketedTankParameters.DeadTimeSeconds))]
    [InlineData(nameof(JacketedTankParameters.JacketTemperatureInitialCelsius))]
    [InlineData(nameof(JacketedTankParameters.TemperatureInitialCelsius))]
    public void Validate_names_the_parameter_its_value_and_what_is_allowed(string name)
    {
        var d = JacketedTankParameters.Default;
        var broken = name switch
        {
            nameof(d.HeatCapacityJoulesPerKelvin) => d with { HeatCapacityJoulesPerKelvin = 0.0 },
            nameof(d.HeatLossWattsPerKelvin) => d with { HeatLossWattsPerKelvin = -1.0 },
            nameof(d.JacketHeatCapacityJoulesPerKelvin) => d with { JacketHeatCapacityJoulesPerKelvin = double.NaN },
            nameof(d.JacketTransferWattsPerKelvin) => d with { JacketTransferWattsPerKelvin = 0.0 },
            nameof(d.HeaterPowerMaxWatts) => d with { HeaterPowerMaxWatts = -5.0 },
            nameof(d.AmbientTemperatureCelsius) => d with { AmbientTemperatureCelsius = -300.0 },
            nameof(d.DeadTimeSeconds) => d with { DeadTimeSeconds = double.PositiveInfinity },
            nameof(d.JacketTemperatureInitialCelsius) => d with { JacketTemperatureInitialCelsius = 20_000.0 },
            _ => d with { TemperatureInitialCelsius = double.NegativeInfinity },
        };
        var error = Assert.Throws<ArgumentException>(broken.Validate);
        Assert.Equal(name, error.ParamName);
        Assert.StartsWith(name + " must be", error.Message, StringComparison.Ordinal);
        Assert.Contains(", is ", error.Message, StringComparison.Ordinal);
        Assert.Equal(name, Assert.Throws<ArgumentException>(() => new JacketedTankModel(broken)).ParamName);
    }

    [Fact]
    public void A_dead_time_beyond_the_ring_buffer_limit_and_bad_inputs_are_refused()
    {
        var longDelay = JacketedTankParameters.Default with { DeadTimeSeconds = 1e6 };
        Assert.Equal(nameof(JacketedTankParameters.DeadTimeSeconds), Assert.Throws<ArgumentException>(() => new JacketedTankModel(longDelay, 0.1)).ParamName);
        var tank = new JacketedTankModel(JacketedTankParameters.Default);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.HeaterPercent = -0.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.HeaterPercent = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.AmbientTemperatureCelsius = -274.0);
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.Step(0.15));
        Assert.Throws<ArgumentOutOfRangeException>(() => tank.Step(-0.1));
        Assert.Equal(0.0, tank.ElapsedSeconds);
    }
}
