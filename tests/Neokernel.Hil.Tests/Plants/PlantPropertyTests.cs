using FsCheck;
using FsCheck.Fluent;
using Neokernel.Hil.Plants;
using Neokernel.Kernel.Platform;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests.Plants;

/// <summary>What holds for any valid parameters and any bounded inputs, and that a step allocates nothing.</summary>
public sealed class PlantPropertyTests
{
    private static Gen<double> Between(double min, double max) =>
        Gen.Choose(0, 1_000_000).Select(i => min + ((max - min) * i / 1_000_000.0));

    private static Gen<double[]> Inputs(double min, double max) =>
        Gen.ArrayOf(Between(min, max)).Select(a => a.Length > 200 ? a[..200] : a);

    [Fact]
    public void A_sensor_chain_stays_within_its_saturation_on_its_quantization_grid_for_any_input()
    {
        var anyDouble = Gen.OneOf(
            Between(-1e6, 1e6),
            Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, -double.MaxValue, 0.0));
        var cases =
            from steps in Gen.Choose(1, 1000)
            from low in Gen.Choose(-1000, 0)
            from span in Gen.Choose(1, 2000)
            from bias in Between(-10, 10)
            from noise in Between(0, 5)
            from seed in Gen.Choose(0, int.MaxValue)
            from inputs in Gen.ArrayOf(anyDouble)
            select (Step: steps / 1000.0, Low: low, High: low + span, Bias: bias, Noise: noise, Seed: (ulong)seed, Inputs: inputs);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var min = c.Low * c.Step;
            var max = c.High * c.Step;
            var chain = new SignalChain(
                min,
                new DelayStage(0.3, 0.1, 0.0),
                new BiasStage(c.Bias),
                new NoiseStage(c.Noise, new DeterministicRandom(c.Seed)),
                new SlewStage(50.0, 0.0),
                new QuantizationStage(c.Step),
                new SaturationStage(min, max));
            return c.Inputs.All(input =>
            {
                var value = chain.Process(input, 0.1).Value;
                var grid = value / c.Step;
                return value >= min && value <= max && Math.Abs(grid - Math.Round(grid)) <= 1e-6;
            });
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>A heated vessel starting at ambient: the heated tank's parameters, the first six of the jacketed tank's.</summary>
    private static Gen<HeatedTankParameters> Vessels =>
        from capacity in Between(1, 1e7)
        from loss in Between(1e-3, 1e4)
        from power in Between(0, 1e6)
        from ambient in Between(-50, 200)
        from deadTime in Between(0, 30)
        select new HeatedTankParameters(capacity, loss, power, ambient, deadTime, ambient);

    [Fact]
    public void The_heated_tank_is_finite_and_bounded_for_any_valid_parameters_and_heater_sequence()
    {
        var cases =
            from vessel in Vessels
            from step in Between(0.001, 10)
            from heater in Inputs(0, 100)
            select (P: vessel, Step: step, Heater: heater);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var tank = new HeatedTankModel(c.P, c.Step);
            var ceiling = c.P.AmbientTemperatureCelsius + (c.P.HeaterPowerMaxWatts / c.P.HeatLossWattsPerKelvin);
            return c.Heater.All(heater =>
            {
                tank.HeaterPercent = heater;
                tank.Step(c.Step);
                var t = tank.TemperatureCelsius;
                return double.IsFinite(t) && t >= c.P.AmbientTemperatureCelsius - 1e-9 && t <= (ceiling * (1 + 1e-9)) + 1e-9;
            });
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// From ambient, heat only flows outward: the jacket is never below the contents' floor nor
    /// above its full-power equilibrium Ta + Pmax/UA + Pmax/Uj, the contents never above
    /// Ta + Pmax/UA (the system is monotone, and the exact discretisation keeps Φ and Γ nonnegative),
    /// for any step, even one far longer than the jacket's time constant.
    /// </summary>
    [Fact]
    public void The_jacketed_tank_is_finite_and_bounded_for_any_valid_parameters_and_heater_sequence()
    {
        var cases =
            from vessel in Vessels
            from jacketCapacity in Between(1, 1e6)
            from transfer in Between(1e-3, 1e4)
            from step in Between(0.001, 10)
            from heater in Inputs(0, 100)
            let v = vessel
            select (P: new JacketedTankParameters(v.HeatCapacityJoulesPerKelvin, v.HeatLossWattsPerKelvin, v.HeaterPowerMaxWatts, v.AmbientTemperatureCelsius, v.DeadTimeSeconds, v.TemperatureInitialCelsius, jacketCapacity, transfer, v.AmbientTemperatureCelsius), Step: step, Heater: heater);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var tank = new JacketedTankModel(c.P, c.Step);
            var floor = c.P.AmbientTemperatureCelsius;
            var contentsCeiling = floor + (c.P.HeaterPowerMaxWatts / c.P.HeatLossWattsPerKelvin);
            var jacketCeiling = contentsCeiling + (c.P.HeaterPowerMaxWatts / c.P.JacketTransferWattsPerKelvin);
            bool Within(double t, double ceiling) => double.IsFinite(t) && t >= floor - (1e-9 * Math.Abs(ceiling)) - 1e-9 && t <= ceiling + (1e-9 * Math.Abs(ceiling)) + 1e-9;
            return c.Heater.All(heater =>
            {
                tank.HeaterPercent = heater;
                tank.Step(c.Step);
                return Within(tank.TemperatureCelsius, contentsCeiling) && Within(tank.MeasuredTemperatureCelsius, contentsCeiling) && Within(tank.JacketTemperatureCelsius, jacketCeiling);
            });
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_two_tanks_are_finite_and_within_their_rims_for_any_valid_parameters_and_pump_sequence()
    {
        var cases =
            from upperArea in Between(0.01, 10)
            from upperHeight in Between(0.1, 10)
            from k1 in Between(0, 0.1)
            from lowerArea in Between(0.01, 10)
            from lowerHeight in Between(0.1, 10)
            from k2 in Between(0, 0.1)
            from flow in Between(0, 0.5)
            from upperStart in Between(0, 1)
            from lowerStart in Between(0, 1)
            from pump in Inputs(0, 100)
            select (P: new TwoTankParameters(upperArea, upperHeight, k1, lowerArea, lowerHeight, k2, flow, upperStart * upperHeight, lowerStart * lowerHeight), Pump: pump);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var tanks = new TwoTankModel(c.P);
            var withinRims = c.Pump.All(pump =>
            {
                tanks.PumpPercent = pump;
                tanks.Step(1.0);
                return tanks.UpperLevelMeters >= 0 && tanks.UpperLevelMeters <= c.P.UpperHeightMeters && tanks.LowerLevelMeters >= 0 && tanks.LowerLevelMeters <= c.P.LowerHeightMeters;
            });
            return withinRims && double.IsFinite(tanks.SpilledCubicMeters) && double.IsFinite(tanks.OutflowTotalCubicMeters);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_motor_is_finite_for_any_valid_parameters_and_bounded_inputs()
    {
        var cases =
            from r in Between(0.01, 100)
            from l in Between(1e-5, 1)
            from k in Between(0.001, 1)
            from j in Between(1e-6, 1)
            from b in Between(0, 1)
            from step in Between(1e-4, 0.1)
            from volts in Inputs(-48, 48)
            from load in Between(-1, 1)
            select (P: new DcMotorParameters(r, l, k, k, j, b, 48.0), Step: step, Volts: volts, Load: load);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var motor = new DcMotorModel(c.P, c.Step) { LoadTorqueNewtonMeters = c.Load };
            return c.Volts.All(volts =>
            {
                motor.ArmatureVoltageVolts = volts;
                motor.Step(c.Step * 10);
                return double.IsFinite(motor.CurrentAmperes) && double.IsFinite(motor.SpeedRadiansPerSecond) && double.IsFinite(motor.PositionRadians);
            });
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_valve_stem_stays_in_its_span_for_any_command_sequence()
    {
        var cases =
            from s in Between(0, 20)
            from jFraction in Between(0, 1)
            from start in Between(0, 100)
            from commands in Inputs(-50, 150)
            select (P: new StictionValveParameters(s, s * jFraction, start), Commands: commands);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var valve = new StictionValveModel(c.P);
            return c.Commands.All(command =>
            {
                valve.CommandPercent = command;
                valve.Step(0.1);
                return double.IsFinite(valve.StemPercent) && valve.StemPercent >= 0 && valve.StemPercent <= 100;
            });
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_models_step_and_a_sensor_chains_sample_allocate_nothing()
    {
        var heated = new HeatedTankModel(HeatedTankParameters.Default);
        var tanks = new TwoTankModel(TwoTankParameters.Default);
        var motor = new DcMotorModel(DcMotorParameters.Default);
        var valve = new StictionValveModel(StictionValveParameters.Default);
        var jacketed = new JacketedTankModel(JacketedTankParameters.Default);
        var chain = new SignalChain(
            0.0,
            new DelayStage(0.5, 0.1, 0.0),
            new BiasStage(0.1),
            new NoiseStage(0.05, new DeterministicRandom(3)),
            new SlewStage(10.0, 0.0),
            new QuantizationStage(0.01),
            new SaturationStage(0.0, 100.0));
        AllocationAssert.NoAllocations(10_000, i =>
        {
            heated.HeaterPercent = i % 100;
            heated.Step(0.1);
            tanks.PumpPercent = i % 100;
            tanks.Step(0.1);
            motor.ArmatureVoltageVolts = (i % 48) - 24;
            motor.Step(0.001);
            valve.CommandPercent = i % 100;
            valve.Step(0.1);
            jacketed.HeaterPercent = i % 100;
            jacketed.Step(0.1);
            chain.Process(heated.TemperatureCelsius, 0.1);
        });
    }
}
