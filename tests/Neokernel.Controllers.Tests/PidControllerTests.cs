using FsCheck;
using FsCheck.Fluent;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

public sealed class PidControllerTests
{
    private static readonly PidTuning Pi = new(Kc: 2.0, TiSeconds: 10.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0);
    private static readonly PidTuning Pid = Pi with { TdSeconds = 2.0 };

    private static Gen<double> Uniform(double min, double max) => PidPropertyTests.Uniform(min, max);

    private static Gen<PidTuning> Tunings => PidPropertyTests.IsaGains;

    [Fact]
    public void Manual_to_auto_jumps_no_more_than_one_steps_proportional_change()
    {
        var cases =
            from tuning in Tunings
            from manualOutput in Uniform(-100.0, 300.0)
            from setpoint in Uniform(-100.0, 100.0)
            from pvManual in Uniform(-100.0, 100.0)
            from pvAuto in Uniform(-100.0, 100.0)
            select (Tuning: tuning with { TdSeconds = 0.0 }, ManualOutput: manualOutput, Setpoint: setpoint, PvManual: pvManual, PvAuto: pvAuto);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pid = new PidController(c.Tuning);
            pid.Update(c.Setpoint, c.PvManual, 0.1);
            pid.SetMode(PidMode.Manual);
            pid.SetManualOutput(c.ManualOutput);
            var held = pid.Update(c.Setpoint, c.PvManual, 0.1);
            pid.SetMode(PidMode.Auto);
            var first = pid.Update(c.Setpoint, c.PvAuto, 0.1);
            var proportionalChange = Math.Abs(c.Tuning.Kc * (c.PvAuto - c.PvManual));
            var tolerance = 1e-9 * (1.0 + Math.Abs(held) + proportionalChange);
            return Math.Abs(first - held) <= proportionalChange + tolerance;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Manual_to_auto_with_unchanged_inputs_does_not_move_the_output_even_with_derivative()
    {
        var pid = new PidController(Pid);
        for (var i = 0; i < 50; i++)
        {
            pid.Update(40.0, 35.0 + (i * 0.1), 0.1);
        }

        pid.SetMode(PidMode.Manual);
        pid.SetManualOutput(62.5);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(62.5, pid.Update(40.0, 39.0, 0.1));
        }

        pid.SetMode(PidMode.Auto);
        Assert.Equal(62.5, pid.Update(40.0, 39.0, 0.1), 9);
    }

    [Fact]
    public void Auto_to_manual_starts_from_the_current_output()
    {
        var pid = new PidController(Pi);
        var auto = pid.Update(50.0, 40.0, 0.1);
        pid.SetMode(PidMode.Manual);
        Assert.Equal(auto, pid.ManualOutput);
        Assert.Equal(auto, pid.Update(50.0, 10.0, 0.1));
    }

    [Fact]
    public void After_long_saturation_the_output_leaves_the_limit_promptly_when_the_error_reverses()
    {
        var pid = new PidController(Pi);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal(100.0, pid.Update(50.0, 0.0, 0.1));
        }

        // Without anti-windup the integral would hold 2/10 · 50 · 1000 s = 10,000 %, i.e. unwinding for minutes.
        Assert.InRange(pid.IntegralTerm, 0.0, 200.0);
        var stepsToLeave = 0;
        while (pid.Update(50.0, 60.0, 0.1) >= 100.0)
        {
            stepsToLeave++;
            Assert.True(stepsToLeave < 10, "still saturated a second after the error reversed");
        }
    }

    [Fact]
    public void A_setpoint_step_gives_no_derivative_kick()
    {
        var pid = new PidController(Pid with { OutputMin = -1000.0, OutputMax = 1000.0 });
        for (var i = 0; i < 100; i++)
        {
            pid.Update(10.0, 10.0, 0.1);
        }

        var before = pid.Output;
        var after = pid.Update(20.0, 10.0, 0.1);
        Assert.Equal(0.0, pid.DerivativeTerm);
        Assert.Equal(before + (Pid.Kc * 10.0), after, 12);
    }

    [Fact]
    public void A_measurement_step_does_give_a_filtered_derivative()
    {
        var tuning = Pid with { OutputMin = -1000.0, OutputMax = 1000.0 };
        var pid = new PidController(tuning);
        pid.Update(10.0, 10.0, 0.1);
        pid.Update(10.0, 11.0, 0.1);

        // Backward Euler: −Kc·Td·N/(Td + N·dt) · Δpv = −2·2·10/(2 + 1) · 1.
        Assert.Equal(-40.0 / 3.0, pid.DerivativeTerm, 12);
        var kick = pid.DerivativeTerm;
        pid.Update(10.0, 11.0, 0.1);
        Assert.Equal(kick * (2.0 / 3.0), pid.DerivativeTerm, 12);
    }

    [Fact]
    public void Hold_keeps_output_and_integrator_and_resumes_without_a_derivative_kick()
    {
        var pid = new PidController(Pid);
        for (var i = 0; i < 20; i++)
        {
            pid.Update(50.0, 45.0, 0.1);
        }

        var output = pid.Output;
        var integral = pid.IntegralTerm;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(output, pid.Hold());
        }

        Assert.Equal(integral, pid.IntegralTerm);
        var derivative = pid.DerivativeTerm;

        // The measurement moved 15 units while held: the first update takes it as the new reference.
        pid.Update(50.0, 30.0, 0.1);
        Assert.Equal(derivative, pid.DerivativeTerm);
    }

    [Fact]
    public void Non_finite_inputs_hold_instead_of_poisoning_the_state()
    {
        var pid = new PidController(Pi);
        var output = pid.Update(50.0, 40.0, 0.1);
        Assert.Equal(output, pid.Update(double.NaN, 40.0, 0.1));
        Assert.Equal(output, pid.Update(50.0, double.PositiveInfinity, 0.1));
        Assert.True(double.IsFinite(pid.IntegralTerm));
    }

    [Fact]
    public void Without_integral_the_bias_stays_where_manual_left_it()
    {
        var pid = new PidController(Pi with { TiSeconds = 0.0 });
        pid.SetMode(PidMode.Manual);
        pid.SetManualOutput(30.0);
        pid.Update(50.0, 50.0, 0.1);
        pid.SetMode(PidMode.Auto);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(30.0, pid.Update(50.0, 50.0, 0.1));
        }

        Assert.Equal(30.0 + (2.0 * 5.0), pid.Update(50.0, 45.0, 0.1), 12);
    }

    [Fact]
    public void Reset_and_manual_output_are_clamped_to_the_limits()
    {
        var pid = new PidController(Pi);
        pid.Reset(250.0);
        Assert.Equal(100.0, pid.Output);
        pid.SetMode(PidMode.Manual);
        pid.SetManualOutput(-5.0);
        Assert.Equal(0.0, pid.Output);
    }

    [Theory]
    [InlineData(0.0, 10.0, 0.0, 10.0, 0.0, 100.0, "Kc")]
    [InlineData(double.NaN, 10.0, 0.0, 10.0, 0.0, 100.0, "Kc")]
    [InlineData(1.0, -1.0, 0.0, 10.0, 0.0, 100.0, "TiSeconds")]
    [InlineData(1.0, 10.0, -2.0, 10.0, 0.0, 100.0, "TdSeconds")]
    [InlineData(1.0, 10.0, 1.0, 0.0, 0.0, 100.0, "DerivativeFilter")]
    [InlineData(1.0, 10.0, 1.0, 10.0, 100.0, 100.0, "OutputMin")]
    [InlineData(1.0, 10.0, 1.0, 10.0, 0.0, double.PositiveInfinity, "OutputMax")]
    public void Invalid_tuning_is_refused_naming_the_parameter(double kc, double ti, double td, double n, double min, double max, string parameter)
    {
        var exception = Assert.ThrowsAny<ArgumentException>(() => new PidController(new PidTuning(kc, ti, td, n, min, max)));
        Assert.Equal(parameter, exception.ParamName);
    }

    [Fact]
    public void A_non_positive_sample_time_is_a_programming_error()
    {
        var pid = new PidController(Pi);
        Assert.Throws<ArgumentOutOfRangeException>(() => pid.Update(1.0, 0.0, 0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pid.Update(1.0, 0.0, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => pid.SetMode((PidMode)7));
    }

    [Fact]
    public void Update_allocates_nothing()
    {
        var pid = new PidController(Pid);
        var setpoint = 50.0;
        AllocationAssert.NoAllocations(10_000, i =>
        {
            pid.Update(setpoint, (i % 100) * 0.5, 0.01);
            if (i % 1000 == 0)
            {
                pid.Hold();
            }
        });
    }
}
