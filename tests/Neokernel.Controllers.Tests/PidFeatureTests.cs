namespace Neokernel.Controllers.Tests;

/// <summary>The complete PID's features one by one: form, weights, anti-windup, rate limit, feedforward, modes, cascade limits.</summary>
public sealed class PidFeatureTests
{
    private const double Dt = 0.1;
    private static readonly PidTuning Isa = new(Kc: 2.0, TiSeconds: 10.0, TdSeconds: 2.0, DerivativeFilter: 10.0, OutputMin: -1000.0, OutputMax: 1000.0);
    private static readonly PidTuning Pi = new(Kc: 2.0, TiSeconds: 10.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0);

    [Fact]
    public void Parallel_form_with_Kp_Kc_Ki_Kc_over_Ti_Kd_Kc_Td_computes_the_ISA_controller()
    {
        var isa = new PidController(Isa);
        var parallel = new PidController(PidTuning.Parallel(Isa.Kc, Isa.Kc / Isa.TiSeconds, Isa.Kc * Isa.TdSeconds, Isa.DerivativeFilter, Isa.OutputMin, Isa.OutputMax));
        for (var i = 0; i < 2000; i++)
        {
            var setpoint = i < 1000 ? 10.0 : -30.0;
            var processValue = 5.0 * Math.Sin(i * 0.05);
            var expected = isa.Update(setpoint, processValue, Dt);
            Assert.Equal(expected, parallel.Update(setpoint, processValue, Dt), 9);
        }

        Assert.Equal(isa.IntegralTerm, parallel.IntegralTerm, 9);
        Assert.Equal(isa.DerivativeTerm, parallel.DerivativeTerm, 9);
    }

    [Fact]
    public void Parallel_tuning_reports_its_ISA_equivalent_and_refuses_mixed_forms()
    {
        var parallel = PidTuning.Parallel(4.0, 0.5, 2.0, 10.0, 0.0, 100.0);
        Assert.Equal((4.0, 8.0, 0.5), (parallel.IsaGain, parallel.IsaIntegralSeconds, parallel.IsaDerivativeSeconds));
        Assert.Equal("Kc", Assert.ThrowsAny<ArgumentException>(() => (parallel with { Kc = 1.0 }).Validate()).ParamName);
        Assert.Equal("ProportionalGain", Assert.ThrowsAny<ArgumentException>(() => (Pi with { ProportionalGain = 1.0 }).Validate()).ParamName);
        Assert.Equal("IntegralGainPerSecond", Assert.ThrowsAny<ArgumentException>(() => (parallel with { IntegralGainPerSecond = -0.5 }).Validate()).ParamName);
        Assert.Equal("ProportionalGain", Assert.ThrowsAny<ArgumentException>(() => (parallel with { ProportionalGain = 0 }).Validate()).ParamName);
    }

    [Theory]
    [InlineData("SetpointWeightProportional", -0.1)]
    [InlineData("SetpointWeightDerivative", 1.5)]
    [InlineData("OutputRateUpPerSecond", -1.0)]
    [InlineData("OutputRateDownPerSecond", double.NaN)]
    public void Invalid_new_tuning_members_are_refused_naming_the_member(string member, double value)
    {
        var tuning = member switch
        {
            "SetpointWeightProportional" => Pi with { SetpointWeightProportional = value },
            "SetpointWeightDerivative" => Pi with { SetpointWeightDerivative = value },
            "OutputRateUpPerSecond" => Pi with { OutputRateUpPerSecond = value },
            _ => Pi with { OutputRateDownPerSecond = value },
        };
        Assert.Equal(member, Assert.ThrowsAny<ArgumentException>(() => new PidController(tuning)).ParamName);
        Assert.Equal("AntiWindup", Assert.ThrowsAny<ArgumentException>(() => (Pi with { AntiWindup = (AntiWindup)5 }).Validate()).ParamName);
        Assert.Equal("Form", Assert.ThrowsAny<ArgumentException>(() => (Pi with { Form = (PidForm)5 }).Validate()).ParamName);
    }

    [Fact]
    public void Setpoint_weight_b_scales_the_proportional_step_and_c_adds_a_filtered_setpoint_kick()
    {
        var tuning = Isa with { SetpointWeightProportional = 0.5, SetpointWeightDerivative = 1.0 };
        var weighted = new PidController(tuning);
        var plain = new PidController(Isa);
        weighted.Update(10.0, 10.0, Dt);
        plain.Update(10.0, 10.0, Dt);
        var weightedOutput = weighted.Update(20.0, 10.0, Dt);
        var plainOutput = plain.Update(20.0, 10.0, Dt);

        // P: Kc·(b·20 − 10) = 2·0 = 0 instead of 2·10; D: Kc·Td·N/(Td + N·dt)·c·Δsp = 40/3 · 10; the integral before this step is 0 in both.
        Assert.Equal(400.0 / 3.0, weighted.DerivativeTerm, 9);
        Assert.Equal(400.0 / 3.0, weightedOutput, 9);
        Assert.Equal(20.0, plainOutput, 9);
        Assert.Equal(0.0, plain.DerivativeTerm);
    }

    [Fact]
    public void A_setpoint_weight_change_by_retune_does_not_bump()
    {
        var pid = new PidController(Pi);
        pid.Reset(40.0);
        for (var i = 0; i < 50; i++)
        {
            pid.Update(50.0, 50.0, Dt);
        }

        var before = pid.Output;
        Assert.Equal(40.0, before);
        pid.Retune(Pi with { SetpointWeightProportional = 0.3, Kc = 5.0 });

        // The error is zero, so no integral moves; the proportional term changed from 0 to 5·(15 − 50).
        Assert.Equal(before, pid.Update(50.0, 50.0, Dt), 9);
        Assert.Equal(before, pid.Update(50.0, 50.0, Dt), 9);
    }

    [Fact]
    public void A_gain_change_by_retune_does_not_bump_with_a_standing_error()
    {
        var pid = new PidController(Pi with { TiSeconds = 0.0 });
        pid.Update(50.0, 45.0, Dt);
        var before = pid.Output;
        pid.Retune(Pi with { TiSeconds = 0.0, Kc = 6.0 });
        Assert.Equal(before, pid.Update(50.0, 45.0, Dt), 9);
        Assert.Equal(before + (6.0 * 1.0), pid.Update(50.0, 44.0, Dt), 9);
    }

    [Fact]
    public void Clamping_stops_the_integrator_at_the_limit_while_back_calculation_pulls_it_to_the_limit()
    {
        var clamping = new PidController(Pi with { AntiWindup = AntiWindup.Clamping, OutputMin = -100.0 });
        var backCalculation = new PidController(Pi with { OutputMin = -100.0 });
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(100.0, clamping.Update(50.0, 0.0, Dt));
            backCalculation.Update(50.0, 0.0, Dt);
        }

        // Clamping: P alone is at the limit, so only the first step (which reached it exactly) integrated, 2·0.1/10·50.
        Assert.Equal(1.0, clamping.IntegralTerm, 12);

        // Back-calculation settles where the pull balances the integration: above the limit by Tt·Kc/Ti·e.
        Assert.InRange(backCalculation.IntegralTerm, 0.0, 200.0);
        Assert.True(backCalculation.IntegralTerm > clamping.IntegralTerm);

        // With the error reversed, clamping integrates again (toward the inside) at once.
        var inside = clamping.Update(50.0, 60.0, Dt);
        Assert.True(inside < 100.0);
        Assert.Equal(1.0 - 0.2, clamping.IntegralTerm, 12);
    }

    [Fact]
    public void Rate_limit_ramps_the_output_and_back_calculation_sees_the_ramp()
    {
        var tuning = Pi with { OutputRateUpPerSecond = 5.0, OutputRateDownPerSecond = 10.0 };
        var pid = new PidController(tuning);
        var previous = pid.Output;
        for (var i = 0; i < 100; i++)
        {
            var output = pid.Update(50.0, 0.0, Dt);
            Assert.Equal(previous + 0.5, output, 9);
            Assert.Equal(PidLimit.High, pid.Limit);
            previous = output;
        }

        // Without awareness of the ramp the integrator would hold 2/10·50·10 s = 100 more.
        Assert.InRange(pid.IntegralTerm, -200.0, 60.0);
        var down = pid.Update(0.0, 50.0, Dt);
        Assert.Equal(previous - 1.0, down, 9);
        Assert.Equal(PidLimit.Low, pid.Limit);
    }

    [Fact]
    public void Clamping_holds_the_integrator_while_the_rate_limit_holds_the_output()
    {
        var pid = new PidController(Pi with { AntiWindup = AntiWindup.Clamping, OutputRateUpPerSecond = 1.0 });
        for (var i = 0; i < 50; i++)
        {
            pid.Update(50.0, 45.0, Dt);
        }

        Assert.Equal(5.0, pid.Output, 9);
        Assert.Equal(0.0, pid.IntegralTerm, 12);
    }

    [Fact]
    public void Feedforward_is_added_to_the_output_and_the_integrator_does_not_wind_up_against_it()
    {
        var pid = new PidController(Pi);
        var inputs = new PidInputs(50.0, 50.0) { Feedforward = 30.0 };
        Assert.Equal(30.0, pid.Update(inputs, Dt), 12);

        // Feedforward alone saturates the output; a standing error would wind the integrator up without anti-windup.
        var saturating = new PidInputs(50.0, 40.0) { Feedforward = 95.0 };
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal(100.0, pid.Update(saturating, Dt));
        }

        Assert.InRange(pid.IntegralTerm, -100.0, 100.0);
        var steps = 0;
        while (pid.Update(saturating with { ProcessValue = 60.0 }, Dt) >= 100.0)
        {
            steps++;
            Assert.True(steps < 10, "still saturated a second after the error reversed");
        }
    }

    [Fact]
    public void Feedforward_with_clamping_does_not_wind_up_either()
    {
        var pid = new PidController(Pi with { AntiWindup = AntiWindup.Clamping });
        var saturating = new PidInputs(50.0, 40.0) { Feedforward = 95.0 };
        for (var i = 0; i < 10_000; i++)
        {
            pid.Update(saturating, Dt);
        }

        Assert.Equal(0.0, pid.IntegralTerm, 12);
    }

    [Fact]
    public void Manual_output_ramps_at_the_rate_limit()
    {
        var pid = new PidController(Pi with { OutputRateUpPerSecond = 10.0 });
        pid.SetMode(PidMode.Manual);
        pid.SetManualOutput(50.0);
        Assert.Equal(0.0, pid.Output);
        Assert.Equal(1.0, pid.Update(50.0, 50.0, Dt), 12);
        for (var i = 0; i < 100; i++)
        {
            pid.Update(50.0, 50.0, Dt);
        }

        Assert.Equal(50.0, pid.Output, 12);
    }

    [Fact]
    public void Tracking_follows_the_tracking_value_and_returns_to_auto_without_a_bump()
    {
        var pid = new PidController(Pi);
        for (var i = 0; i < 50; i++)
        {
            pid.Update(50.0, 48.0, Dt);
        }

        pid.SetMode(PidMode.Tracking);
        var tracking = new PidInputs(50.0, 48.0) { TrackingValue = 72.0 };
        Assert.Equal(72.0, pid.Update(tracking, Dt));
        Assert.Equal(100.0, pid.Update(tracking with { TrackingValue = 140.0 }, Dt));
        Assert.Equal(PidLimit.High, pid.Limit);
        Assert.Equal(72.0, pid.Update(tracking, Dt));
        Assert.Equal(72.0, pid.Update(tracking with { TrackingValue = double.NaN }, Dt));

        pid.SetMode(PidMode.Auto);
        var first = pid.Update(50.0, 48.0, Dt);

        // Unchanged inputs: the integrator held 72 − P, so the output goes on from 72.
        Assert.Equal(72.0, first, 9);
    }

    [Theory]
    [InlineData(PidMode.Manual, PidMode.Auto)]
    [InlineData(PidMode.Manual, PidMode.Cascade)]
    [InlineData(PidMode.Auto, PidMode.Manual)]
    [InlineData(PidMode.Auto, PidMode.Cascade)]
    [InlineData(PidMode.Cascade, PidMode.Auto)]
    [InlineData(PidMode.Cascade, PidMode.Manual)]
    [InlineData(PidMode.Tracking, PidMode.Auto)]
    [InlineData(PidMode.Tracking, PidMode.Cascade)]
    [InlineData(PidMode.Auto, PidMode.Tracking)]
    [InlineData(PidMode.Cascade, PidMode.Tracking)]
    public void Every_mode_transition_is_bumpless(PidMode from, PidMode to)
    {
        var tuning = Isa with { SetpointWeightDerivative = 1.0, OutputMin = 0.0, OutputMax = 100.0 };
        var pid = new PidController(tuning);

        // Local and remote setpoints differ by 5: a switch of source must not show as a step.
        var inputs = new PidInputs(40.0, 38.0) { RemoteSetpoint = 45.0, Feedforward = 3.0 };
        pid.SetMode(PidMode.Manual);
        pid.SetManualOutput(55.0);
        pid.SetMode(from);
        for (var i = 0; i < 30; i++)
        {
            pid.Update(inputs with { TrackingValue = pid.Output }, Dt);
        }

        var before = pid.Output;
        pid.SetMode(to);
        var after = pid.Update(inputs with { TrackingValue = before }, Dt);

        // At most one integral step, Kc/Ti·|e|·dt ≤ 2/10·7·0.1, plus the derivative's decay (zero input change).
        Assert.True(Math.Abs(after - before) <= 0.15, $"{from} to {to}: {before} then {after}");
    }

    [Fact]
    public void Cascade_uses_the_remote_setpoint_and_holds_without_one()
    {
        var pid = new PidController(Pi with { TiSeconds = 0.0 });
        pid.SetMode(PidMode.Cascade);
        var inputs = new PidInputs(10.0, 40.0) { RemoteSetpoint = 45.0 };
        var first = pid.Update(inputs, Dt);
        Assert.Equal(45.0, pid.SetpointInUse);
        Assert.Equal(first + (2.0 * 5.0), pid.Update(inputs with { RemoteSetpoint = 50.0 }, Dt), 12);
        Assert.Equal(pid.Output, pid.Update(inputs with { RemoteSetpoint = double.NaN }, Dt));
    }

    [Theory]
    [InlineData(2.0, 500.0, PidLimit.High, PidLimit.High)]
    [InlineData(-2.0, 500.0, PidLimit.Low, PidLimit.High)]
    [InlineData(2.0, -500.0, PidLimit.Low, PidLimit.Low)]
    [InlineData(-2.0, -500.0, PidLimit.High, PidLimit.Low)]
    public void SetpointLimit_tells_the_outer_loop_which_way_the_inner_cannot_follow(double kc, double remoteSetpoint, PidLimit limit, PidLimit setpointLimit)
    {
        var inner = new PidController(Pi with { Kc = kc });
        inner.SetMode(PidMode.Cascade);
        inner.Update(new PidInputs(0.0, 0.0) { RemoteSetpoint = 0.0 }, Dt);
        inner.Update(new PidInputs(0.0, 0.0) { RemoteSetpoint = remoteSetpoint }, Dt);
        Assert.Equal(limit, inner.Limit);
        Assert.Equal(setpointLimit, inner.SetpointLimit);
        inner.SetMode(PidMode.Manual);
        inner.Update(0.0, 0.0, Dt);
        Assert.Equal(PidLimit.None, inner.SetpointLimit);
    }

    [Fact]
    public void Windup_propagates_back_an_outer_loop_stops_integrating_where_the_inner_is_limited()
    {
        var outerTuning = new PidTuning(Kc: 1.0, TiSeconds: 5.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0);
        var blocked = new PidController(outerTuning);
        var free = new PidController(outerTuning);
        var inner = new PidController(Pi);
        inner.SetMode(PidMode.Cascade);

        // The inner loop's plant cannot reach its setpoint: its process value stays at 20 whatever the output.
        const double innerProcessValue = 20.0;
        var outerWhenInnerLimited = double.NaN;
        for (var i = 0; i < 3000; i++)
        {
            var outerOutput = blocked.Update(new PidInputs(80.0, 60.0) { OutputBlocked = inner.SetpointLimit }, Dt);
            free.Update(80.0, 60.0, Dt);
            inner.Update(new PidInputs(0.0, innerProcessValue) { RemoteSetpoint = outerOutput }, Dt);
            if (double.IsNaN(outerWhenInnerLimited) && inner.SetpointLimit == PidLimit.High)
            {
                outerWhenInnerLimited = blocked.Output;
            }
        }

        // Once the inner output sat at its limit the outer output stopped rising, after the one step the flag takes to
        // come back (Kc·dt/Ti·e = 0.4); without the flag it ran to its own limit.
        Assert.Equal(PidLimit.High, inner.SetpointLimit);
        Assert.False(double.IsNaN(outerWhenInnerLimited));
        Assert.InRange(blocked.Output, 0.0, outerWhenInnerLimited + 0.4 + 1e-9);
        Assert.True(blocked.Output < 60.0, $"the outer output wound up to {blocked.Output}");
        Assert.Equal(100.0, free.Output);

        // Blocked only upward: a reversed error still integrates down.
        var integral = blocked.IntegralTerm;
        blocked.Update(new PidInputs(50.0, 60.0) { OutputBlocked = PidLimit.High }, Dt);
        Assert.True(blocked.IntegralTerm < integral);
    }

    [Fact]
    public void Outer_loop_initialised_by_tracking_the_inner_setpoint_makes_the_switch_to_cascade_bumpless()
    {
        var outer = new PidController(new PidTuning(Kc: 1.0, TiSeconds: 5.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0));
        var inner = new PidController(Pi);
        outer.SetMode(PidMode.Tracking);
        for (var i = 0; i < 20; i++)
        {
            inner.Update(35.0, 30.0, Dt);
            outer.Update(new PidInputs(70.0, 65.0) { TrackingValue = inner.SetpointInUse }, Dt);
        }

        Assert.Equal(35.0, outer.Output);
        var innerBefore = inner.Output;
        outer.SetMode(PidMode.Auto);
        inner.SetMode(PidMode.Cascade);
        var remote = outer.Update(70.0, 65.0, Dt);
        var innerAfter = inner.Update(new PidInputs(35.0, 30.0) { RemoteSetpoint = remote }, Dt);
        Assert.True(Math.Abs(innerAfter - innerBefore) < 0.2, $"{innerBefore} then {innerAfter}");
    }
}
