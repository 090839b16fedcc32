using Neokernel.Hil;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>
/// The relay experiment on plants written here (first order plus dead time) and on hil's tank:
/// it measures the ultimate period, proposes gains that settle a step within a stated time, and
/// fails cleanly, returning the output to its pre-test value.
/// </summary>
public sealed class RelayAutoTunerTests
{
    private const double Dt = 0.05;
    private static readonly PidTuning Initial = new(Kc: 1.0, TiSeconds: 30.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0);

    /// <summary>A first-order-plus-dead-time plant, y' = (K·u(t − θ) − y)/τ, integrated exactly per step.</summary>
    private sealed class FirstOrderPlusDeadTime
    {
        private readonly double gain;
        private readonly double decay;
        private readonly double[] delayLine;
        private int delayIndex;

        public FirstOrderPlusDeadTime(double gain, double timeConstantSeconds, double deadTimeSeconds, double initialOutput)
        {
            this.gain = gain;
            decay = Math.Exp(-Dt / timeConstantSeconds);
            delayLine = new double[Math.Max(1, (int)Math.Round(deadTimeSeconds / Dt))];
            Array.Fill(delayLine, initialOutput);
            Value = gain * initialOutput;
        }

        public double Value { get; private set; }

        public double Step(double output)
        {
            var delayed = delayLine[delayIndex];
            delayLine[delayIndex] = output;
            delayIndex = (delayIndex + 1) % delayLine.Length;
            Value = (decay * Value) + ((1 - decay) * gain * delayed);
            return Value;
        }
    }

    private static RelayTuneSettings Relay => new(
        RelayAmplitude: 10.0,
        HysteresisProcessValue: 0.1,
        ProcessValueMin: 5.0,
        ProcessValueMax: 45.0,
        TimeoutSeconds: 600.0);

    /// <summary>A loop at steady state on a FOPDT plant (K 0.5, τ 10 s, θ 2 s): output 50 %, PV 25.</summary>
    private static (PidLoop Loop, FirstOrderPlusDeadTime Plant) SteadyLoop(double gain = 0.5)
    {
        var plant = new FirstOrderPlusDeadTime(gain, 10.0, 2.0, 50.0);
        var loop = new PidLoop(Initial, gain * 50.0, BadInputPolicy.Hold, 0.0);
        loop.Controller.Reset(50.0);
        for (var i = 0; i < 100; i++)
        {
            plant.Step(loop.Step(plant.Value, Quality.Good, Dt).Output);
        }

        return (loop, plant);
    }

    private static int RunExperiment(PidLoop loop, FirstOrderPlusDeadTime plant, int cyclesMax = 20_000)
    {
        var cycles = 0;
        while (loop.AutoTune.State == AutoTuneState.Running && cycles < cyclesMax)
        {
            plant.Step(loop.Step(plant.Value, Quality.Good, Dt).Output);
            cycles++;
        }

        return cycles;
    }

    [Fact]
    public void On_a_dead_time_plant_it_finds_the_ultimate_point_and_offers_without_applying()
    {
        var (loop, plant) = SteadyLoop();
        Assert.Equal(CommandStatus.Ok, loop.StartAutoTune(Relay));
        Assert.Equal(AutoTuneState.Running, loop.AutoTune.State);
        RunExperiment(loop, plant);

        Assert.Equal(AutoTuneState.Offered, loop.AutoTune.State);
        var result = loop.AutoTune.Result;

        // Analytically the phase crosses −180° at ω = 0.836 rad/s (atan(ωτ) + ωθ = π): Pu = 7.5 s, Ku = sqrt(1 + (ωτ)²)/K = 16.8.
        // The relay's describing function is an approximation; hysteresis lengthens the period a little.
        Assert.InRange(result.UltimatePeriodSeconds, 7.0, 8.6);
        Assert.InRange(result.UltimateGain, 12.0, 20.0);
        Assert.Equal(0.6 * result.UltimateGain, result.ZieglerNichols.Kc, 12);
        Assert.Equal(result.UltimatePeriodSeconds / 8.0, result.ZieglerNichols.TdSeconds, 12);
        Assert.Equal(result.UltimateGain / 2.2, result.TyreusLuyben.Kc, 12);
        Assert.Equal(2.2 * result.UltimatePeriodSeconds, result.TyreusLuyben.TiSeconds, 12);

        // Offered, not applied; the output went back to where it was.
        Assert.Equal(Initial, loop.Controller.Tuning);
        Assert.Equal(50.0, loop.Controller.Output);
    }

    [Fact]
    public void A_reverse_acting_loop_gets_reverse_acting_gains()
    {
        // A cooling loop: more output lowers the PV (K = −0.5); at 50 % the PV stands at 25 with an offset of 50.
        var plant = new FirstOrderPlusDeadTime(-0.5, 10.0, 2.0, 50.0);
        var loop = new PidLoop(Initial with { Kc = -1.0 }, -25.0, BadInputPolicy.Hold, 0.0);
        loop.Controller.Reset(50.0);
        loop.Step(plant.Value, Quality.Good, Dt);
        Assert.Equal(CommandStatus.Ok, loop.StartAutoTune(Relay with { ProcessValueMin = -45.0, ProcessValueMax = -5.0 }));
        RunExperiment(loop, plant);
        Assert.Equal((AutoTuneState.Offered, AutoTuneFailure.None), (loop.AutoTune.State, loop.AutoTune.Failure));
        Assert.True(loop.AutoTune.Result.TyreusLuyben.Kc < 0);
        Assert.True(loop.AutoTune.Result.ZieglerNichols.Kc < 0);
        Assert.InRange(loop.AutoTune.Result.UltimatePeriodSeconds, 7.0, 8.6);
    }

    [Theory]
    [InlineData(TuningRule.TyreusLuyben, 0.05)]
    [InlineData(TuningRule.ZieglerNichols, 0.40)]
    public void Accepted_gains_settle_a_setpoint_step_within_five_percent_in_four_ultimate_periods(TuningRule rule, double overshootMax)
    {
        var (loop, plant) = SteadyLoop();
        loop.StartAutoTune(Relay);
        RunExperiment(loop, plant);
        var periodSeconds = loop.AutoTune.Result.UltimatePeriodSeconds;
        var output = loop.Controller.Output;
        Assert.Equal(CommandStatus.Ok, loop.AcceptAutoTune(rule));
        Assert.Equal(AutoTuneState.Idle, loop.AutoTune.State);
        Assert.Equal(loop.AutoTune.Result.Proposal(rule), loop.Controller.Tuning);

        // Bumpless: the first cycle with the new gains moves the output only by the new proportional
        // term's answer to how far the PV is from where it stood before the test (the integrator absorbed the rest).
        var moved = Math.Abs(loop.Step(plant.Value, Quality.Good, Dt).Output - output);
        Assert.True(moved <= (loop.Controller.Tuning.Kc * Math.Abs(plant.Value - 25.0)) + 1e-9, $"moved {moved}");

        var settled = StepResponse(loop, plant, from: 25.0, to: 30.0, periodSeconds * 12, out var overshoot, out var settlingSeconds);
        Assert.True(settled, $"{rule}: not within 5 % after {periodSeconds * 12:F1} s");
        Assert.True(settlingSeconds <= 4 * periodSeconds, $"{rule}: settled after {settlingSeconds:F1} s, Pu = {periodSeconds:F2} s");
        Assert.True(overshoot <= overshootMax, $"{rule}: overshoot {overshoot:P0}");
    }

    [Fact]
    public void On_hil_tank_the_proposed_gains_settle_a_level_step_within_five_percent_in_ten_ultimate_periods()
    {
        var tank = new TankModel(TankParameters.Default with { LevelInitialMeters = 1.0 }) { PumpPercent = 50.0 };
        var loop = new PidLoop(new PidTuning(Kc: 50.0, TiSeconds: 200.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0), 1.0, BadInputPolicy.Hold, 0.0);
        loop.Controller.Reset(50.0);
        const double dt = 0.1;
        double Cycle()
        {
            tank.PumpPercent = loop.Step(tank.LevelMeters, Quality.Good, dt).Output;
            tank.Step(dt);
            return tank.LevelMeters;
        }

        for (var i = 0; i < 100; i++)
        {
            Cycle();
        }

        Assert.Equal(CommandStatus.Ok, loop.StartAutoTune(new RelayTuneSettings(20.0, 0.005, 0.5, 1.5, 1200.0, WithDerivative: false)));
        for (var i = 0; i < 20_000 && loop.AutoTune.State == AutoTuneState.Running; i++)
        {
            Cycle();
        }

        // The tank is a lag without dead time: the hysteresis alone sets the limit cycle (Pu about 10 s),
        // so Ku comes out large and the proposed PI is fast, held back by the pump's 0..100 %.
        Assert.Equal(AutoTuneState.Offered, loop.AutoTune.State);
        var periodSeconds = loop.AutoTune.Result.UltimatePeriodSeconds;
        Assert.InRange(periodSeconds, 5.0, 20.0);
        Assert.Equal(CommandStatus.Ok, loop.AcceptAutoTune(TuningRule.TyreusLuyben));
        loop.Apply(ControllerCommand.SetSetpoint(1.0));
        for (var i = 0; i < 3000; i++)
        {
            Cycle();
        }

        loop.Apply(ControllerCommand.SetSetpoint(1.2));
        var settleWithin = 10 * periodSeconds;
        var lastOutside = 0.0;
        for (var t = 0.0; t < 2 * settleWithin; t += dt)
        {
            if (Math.Abs(Cycle() - 1.2) > 0.05 * 0.2)
            {
                lastOutside = t;
            }
        }

        Assert.True(lastOutside <= settleWithin, $"settled after {lastOutside:F0} s, Pu = {periodSeconds:F1} s");
    }

    [Fact]
    public void Without_oscillation_it_times_out_and_returns_the_output()
    {
        var loop = new PidLoop(Initial, 25.0, BadInputPolicy.Hold, 0.0);
        loop.Controller.Reset(40.0);
        loop.Step(25.0, Quality.Good, Dt);
        loop.StartAutoTune(Relay with { TimeoutSeconds = 30.0 });
        var relayed = loop.Step(25.0, Quality.Good, Dt).Output;
        Assert.Equal(50.0, relayed);
        PidLoopOutput last = default;
        for (var i = 0; i < 1000 && loop.AutoTune.State == AutoTuneState.Running; i++)
        {
            // A dead process: the PV does not answer the relay.
            last = loop.Step(25.0, Quality.Good, Dt);
        }

        Assert.Equal((AutoTuneState.Failed, AutoTuneFailure.NoOscillation), (loop.AutoTune.State, loop.AutoTune.Failure));
        Assert.InRange(loop.AutoTune.ElapsedSeconds, 30.0, 30.1);
        Assert.Equal(40.0, last.Output, 12);
        Assert.Equal(Initial, loop.Controller.Tuning);
        Assert.Equal(CommandStatus.WrongMode, loop.AcceptAutoTune(TuningRule.TyreusLuyben));
        Assert.Equal(CommandStatus.Ok, loop.RejectAutoTune());
        Assert.Equal(AutoTuneState.Idle, loop.AutoTune.State);
    }

    [Fact]
    public void A_tiny_oscillation_fails_as_amplitude_too_small()
    {
        var (loop, plant) = SteadyLoop(gain: 0.5);
        loop.StartAutoTune(Relay with { RelayAmplitude = 0.5, HysteresisProcessValue = 0.0, AmplitudeMinProcessValue = 0.2 });
        RunExperiment(loop, plant);
        Assert.Equal((AutoTuneState.Failed, AutoTuneFailure.AmplitudeTooSmall), (loop.AutoTune.State, loop.AutoTune.Failure));
        Assert.Equal(50.0, loop.Controller.Output);
    }

    [Fact]
    public void Leaving_the_safety_band_aborts_at_once_and_returns_the_output()
    {
        var (loop, plant) = SteadyLoop();
        loop.StartAutoTune(Relay with { ProcessValueMin = 24.8, ProcessValueMax = 25.2 });
        RunExperiment(loop, plant);
        Assert.Equal((AutoTuneState.Failed, AutoTuneFailure.ProcessValueOutOfBand), (loop.AutoTune.State, loop.AutoTune.Failure));
        Assert.Equal(50.0, loop.LastOutput.Output);
        Assert.True(loop.AutoTune.ElapsedSeconds < 10.0);
    }

    [Fact]
    public void Abort_and_bad_input_end_the_experiment_with_the_pre_test_output()
    {
        var (loop, plant) = SteadyLoop();
        loop.StartAutoTune(Relay);
        RunExperiment(loop, plant, cyclesMax: 50);
        Assert.NotEqual(50.0, loop.Controller.Output);
        Assert.Equal(CommandStatus.Ok, loop.AbortAutoTune());
        Assert.Equal((AutoTuneState.Failed, AutoTuneFailure.Aborted), (loop.AutoTune.State, loop.AutoTune.Failure));
        Assert.Equal(50.0, loop.Controller.Output);
        Assert.Equal(CommandStatus.WrongMode, loop.AbortAutoTune());

        loop.StartAutoTune(Relay);
        RunExperiment(loop, plant, cyclesMax: 50);
        Assert.Equal(new PidLoopOutput(50.0, Quality.Uncertain), loop.Step(double.NaN, Quality.Bad, Dt));
        Assert.Equal((AutoTuneState.Failed, AutoTuneFailure.BadInput), (loop.AutoTune.State, loop.AutoTune.Failure));
    }

    [Fact]
    public void In_manual_the_operator_output_returns_to_the_pre_test_value()
    {
        var (loop, plant) = SteadyLoop();
        loop.Apply(ControllerCommand.SetMode(PidMode.Manual));
        loop.Apply(ControllerCommand.SetManualOutput(45.0));
        loop.Step(plant.Value, Quality.Good, Dt);
        Assert.Equal(CommandStatus.Ok, loop.StartAutoTune(Relay));
        RunExperiment(loop, plant, cyclesMax: 100);
        loop.AbortAutoTune();
        Assert.Equal(PidMode.Manual, loop.Controller.Mode);
        Assert.Equal(45.0, loop.Controller.ManualOutput);
        Assert.Equal(45.0, loop.Step(plant.Value, Quality.Good, Dt).Output);
    }

    [Fact]
    public void Start_and_commands_are_refused_where_they_do_not_fit()
    {
        var (loop, _) = SteadyLoop();
        Assert.Equal(CommandStatus.InvalidValue, loop.StartAutoTune(Relay with { RelayAmplitude = 60.0 }));
        Assert.Equal(CommandStatus.InvalidValue, loop.StartAutoTune(Relay with { PeriodsToMeasure = 0 }));
        Assert.Equal(CommandStatus.WrongMode, loop.RejectAutoTune());
        Assert.Equal(CommandStatus.WrongMode, loop.AcceptAutoTune(TuningRule.ZieglerNichols));

        Assert.Equal(CommandStatus.Ok, loop.StartAutoTune(Relay));
        Assert.Equal(CommandStatus.WrongMode, loop.StartAutoTune(Relay));
        Assert.Equal(CommandStatus.WrongMode, loop.Apply(ControllerCommand.SetSetpoint(30.0)));
        Assert.Equal(CommandStatus.WrongMode, loop.Apply(ControllerCommand.SetMode(PidMode.Manual)));
        Assert.Equal(CommandStatus.Ok, loop.Apply(new ControllerCommand(ControllerCommandKind.GetStatus, 0, PidMode.Auto)));
        loop.AbortAutoTune();
        loop.RejectAutoTune();

        loop.Apply(ControllerCommand.SetMode(PidMode.Cascade));
        Assert.Equal(CommandStatus.WrongMode, loop.StartAutoTune(Relay));
        var fresh = new PidLoop(Initial, 25.0, BadInputPolicy.Hold, 0.0);
        Assert.Equal(CommandStatus.WrongMode, fresh.StartAutoTune(Relay));
    }

    [Fact]
    public void Periods_that_differ_by_more_than_half_fail_as_irregular()
    {
        var tuner = new RelayAutoTuner();
        tuner.Start(Relay with { ProcessValueMin = -5.0, ProcessValueMax = 5.0 }, Initial, 0.0, 50.0, -1.0);

        // A square wave PV: low in the first half of each period (the relay then pushes up), high in the second.
        // The first full period (2 s) is the transient; then 2, 6 and 2 s are measured.
        double[] periodsSeconds = [2.0, 2.0, 2.0, 6.0, 2.0, 2.0, 2.0];
        foreach (var period in periodsSeconds)
        {
            for (var t = 0.0; t < period - (Dt / 2) && tuner.State == AutoTuneState.Running; t += Dt)
            {
                tuner.Step(t < period / 2 ? -1.0 : 1.0, Dt);
            }
        }

        Assert.Equal((AutoTuneState.Failed, AutoTuneFailure.IrregularOscillation), (tuner.State, tuner.Failure));
        Assert.Throws<InvalidOperationException>(() => tuner.Step(0.0, Dt));
        tuner.Clear();
        Assert.Equal((AutoTuneState.Idle, AutoTuneFailure.None), (tuner.State, tuner.Failure));
    }

    [Fact]
    public void A_regular_square_wave_measures_its_period_and_amplitude_exactly_enough()
    {
        var tuner = new RelayAutoTuner();
        tuner.Start(Relay with { ProcessValueMin = -5.0, ProcessValueMax = 5.0 }, Initial, 0.0, 50.0, -1.0);
        for (var i = 0; i < 10_000 && tuner.State == AutoTuneState.Running; i++)
        {
            // Low PV: relay high (bias + d); high PV: relay low. The step that completes the experiment returns the bias.
            var output = tuner.Step(i % 80 < 40 ? -1.0 : 1.0, Dt);
            Assert.Equal(tuner.State != AutoTuneState.Running ? 50.0 : i % 80 < 40 ? 60.0 : 40.0, output);
        }

        Assert.Equal(AutoTuneState.Offered, tuner.State);
        Assert.Throws<ArgumentException>(() => tuner.Start(Relay with { RelayAmplitude = 60.0 }, Initial, 0.0, 50.0, 0.0));
        Assert.Equal(4.0, tuner.Result.UltimatePeriodSeconds, 9);
        Assert.Equal(1.0, tuner.Result.AmplitudeProcessValue, 12);
        Assert.Equal(40.0 / Math.PI, tuner.Result.UltimateGain, 12);
        var running = new RelayAutoTuner();
        running.Start(Relay, Initial, 0.0, 50.0, 0.0);
        Assert.Throws<InvalidOperationException>(running.Clear);
    }

    [Fact]
    public void A_running_experiment_allocates_nothing_per_cycle()
    {
        var loop = new PidLoop(Initial, 25.0, BadInputPolicy.Hold, 0.0);
        loop.Controller.Reset(50.0);
        loop.Step(25.0, Quality.Good, Dt);
        var settings = Relay with { HysteresisProcessValue = 0.5, PeriodsToMeasure = RelayAutoTuner.PeriodsToMeasureMax, TimeoutSeconds = 1e6 };
        AllocationAssert.NoAllocations(10_000, i =>
        {
            if (loop.AutoTune.State != AutoTuneState.Running)
            {
                loop.RejectAutoTune();
                loop.StartAutoTune(settings);
            }

            // A square wave around the setpoint: the relay switches every 100 cycles.
            loop.Step(i % 200 < 100 ? 24.0 : 26.0, Quality.Good, Dt);
        });
    }

    /// <summary>Steps the setpoint and runs for <paramref name="durationSeconds"/>; true when the PV ended within 5 % of the step.</summary>
    private static bool StepResponse(PidLoop loop, FirstOrderPlusDeadTime plant, double from, double to, double durationSeconds, out double overshoot, out double settlingSeconds)
    {
        loop.Apply(ControllerCommand.SetSetpoint(from));
        for (var i = 0; i < 2000; i++)
        {
            plant.Step(loop.Step(plant.Value, Quality.Good, Dt).Output);
        }

        loop.Apply(ControllerCommand.SetSetpoint(to));
        var band = 0.05 * Math.Abs(to - from);
        var peak = 0.0;
        settlingSeconds = 0.0;
        for (var t = 0.0; t < durationSeconds; t += Dt)
        {
            var value = plant.Step(loop.Step(plant.Value, Quality.Good, Dt).Output);
            peak = Math.Max(peak, (value - from) / (to - from));
            if (Math.Abs(value - to) > band)
            {
                settlingSeconds = t + Dt;
            }
        }

        overshoot = Math.Max(0.0, peak - 1.0);
        return Math.Abs(plant.Value - to) <= band;
    }
}
