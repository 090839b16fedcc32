using FsCheck;
using FsCheck.Fluent;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>What must hold for any valid tuning of the complete PID and any sequence of inputs, modes and commands.</summary>
public sealed class PidPropertyTests
{
    private static readonly PidMode[] Modes = [PidMode.Manual, PidMode.Auto, PidMode.Cascade, PidMode.Tracking];

    /// <summary>Every mode, for theories.</summary>
    public static readonly TheoryData<PidMode> AllModes = new(Modes);

    /// <summary>One thing that can happen to a controller: 0 update, 1 mode change, 2 manual output, 3 hold, 4 track an outside output (safe state).</summary>
    public readonly record struct Step(int Kind, PidMode Mode, PidInputs Inputs, double DtSeconds);

    internal static Gen<double> Uniform(double min, double max) =>
        Gen.Choose(0, 1_000_000).Select(i => min + ((max - min) * i / 1_000_000.0));

    private static Gen<double> ZeroOr(Gen<double> positive) => Gen.Frequency((1, Gen.Constant(0.0)), (3, positive));

    private static Gen<double> MaybeNaN(Gen<double> value) => Gen.Frequency((1, Gen.Constant(double.NaN)), (12, value));

    /// <summary>ISA tunings over wide ranges, with and without integral, derivative and tracking time.</summary>
    internal static Gen<PidTuning> IsaGains =>
        from kcMagnitude in Uniform(0.001, 100.0)
        from reverse in Gen.Elements(false, true)
        from ti in ZeroOr(Uniform(0.001, 1000.0))
        from td in ZeroOr(Uniform(0.001, 100.0))
        from n in Uniform(1.0, 50.0)
        from outputMin in Uniform(-100.0, 100.0)
        from span in Uniform(0.01, 200.0)
        from tt in ZeroOr(Uniform(0.001, 100.0))
        select new PidTuning(reverse ? -kcMagnitude : kcMagnitude, ti, td, n, outputMin, outputMin + span, tt);

    private static Gen<PidTuning> Gains =>
        from isa in IsaGains
        from parallel in Gen.Elements(false, true)
        select ToForm(isa, parallel);

    private static Gen<PidTuning> Tunings(bool rateLimited) =>
        from gains in Gains
        from b in Uniform(0.0, 1.0)
        from c in Uniform(0.0, 1.0)
        from clamping in Gen.Elements(false, true)
        from up in rateLimited ? Uniform(0.01, 100.0) : ZeroOr(Uniform(0.01, 100.0))
        from down in rateLimited ? Uniform(0.01, 100.0) : ZeroOr(Uniform(0.01, 100.0))
        select gains with
        {
            SetpointWeightProportional = b,
            SetpointWeightDerivative = c,
            AntiWindup = clamping ? AntiWindup.Clamping : AntiWindup.BackCalculation,
            OutputRateUpPerSecond = up,
            OutputRateDownPerSecond = down,
        };

    private static Gen<PidInputs> Inputs =>
        from setpoint in Uniform(-10_000.0, 10_000.0)
        from processValue in MaybeNaN(Uniform(-10_000.0, 10_000.0))
        from remote in MaybeNaN(Uniform(-10_000.0, 10_000.0))
        from tracking in MaybeNaN(Uniform(-1_000.0, 1_000.0))
        from feedforward in ZeroOr(Uniform(-500.0, 500.0))
        from blocked in Gen.Elements(PidLimit.None, PidLimit.High, PidLimit.Low, PidLimit.High | PidLimit.Low)
        select new PidInputs(setpoint, processValue) { RemoteSetpoint = remote, TrackingValue = tracking, Feedforward = feedforward, OutputBlocked = blocked };

    private static Gen<Step> Steps(bool withSafeState) =>
        from kind in Gen.Frequency((20, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)), (withSafeState ? 1 : 0, Gen.Constant(4)))
        from mode in Gen.Elements(Modes)
        from inputs in Inputs
        from dt in Uniform(0.0001, 10.0)
        select new Step(kind, mode, inputs, dt);

    [Fact]
    public void Output_stays_within_limits_and_finite_for_any_tuning_inputs_and_modes()
    {
        var cases = Tunings(rateLimited: false).SelectMany(t => Gen.ListOf(Steps(withSafeState: true)).Select(steps => (Tuning: t, Steps: steps.ToArray())));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pid = new PidController(c.Tuning);
            foreach (var step in c.Steps)
            {
                var output = Apply(pid, step);
                if (!double.IsFinite(output) || output < c.Tuning.OutputMin || output > c.Tuning.OutputMax)
                {
                    return false;
                }
            }

            return double.IsFinite(pid.IntegralTerm) && double.IsFinite(pid.DerivativeTerm);
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>The rate limit holds for updates, holds, mode changes and manual outputs; a safe state (TrackOutput) and Reset may pass it, so they are left out.</summary>
    [Fact]
    public void With_a_rate_limit_consecutive_outputs_never_differ_by_more_than_rate_times_dt_across_mode_changes()
    {
        var cases = Tunings(rateLimited: true).SelectMany(t => Gen.ListOf(Steps(withSafeState: false)).Select(steps => (Tuning: t, Steps: steps.ToArray())));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pid = new PidController(c.Tuning);
            var previous = pid.Output;
            foreach (var step in c.Steps)
            {
                var output = Apply(pid, step);
                var dt = step.Kind == 0 ? step.DtSeconds : 0.0;
                var tolerance = 1e-9 * (1.0 + Math.Abs(previous));
                if (output - previous > (c.Tuning.OutputRateUpPerSecond * dt) + tolerance
                    || previous - output > (c.Tuning.OutputRateDownPerSecond * dt) + tolerance)
                {
                    return false;
                }

                previous = output;
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void Update_in_every_mode_allocates_nothing(PidMode mode)
    {
        var tuning = new PidTuning(2.0, 10.0, 1.0, 10.0, 0.0, 100.0)
        {
            SetpointWeightProportional = 0.7,
            SetpointWeightDerivative = 0.2,
            AntiWindup = AntiWindup.Clamping,
            OutputRateUpPerSecond = 20.0,
            OutputRateDownPerSecond = 20.0,
        };
        var pid = new PidController(tuning);
        pid.SetMode(mode);
        AllocationAssert.NoAllocations(10_000, i =>
        {
            var inputs = new PidInputs(50.0, (i % 100) * 0.5)
            {
                RemoteSetpoint = 40.0 + (i % 7),
                TrackingValue = i % 90,
                Feedforward = i % 3,
                OutputBlocked = (PidLimit)(i % 4),
            };
            pid.Update(inputs, 0.01);
            _ = pid.SetpointLimit;
            if (i % 1000 == 0)
            {
                pid.Hold();
            }
        });
    }

    [Fact]
    public void Mode_changes_and_parallel_form_allocate_nothing()
    {
        var pid = new PidController(PidTuning.Parallel(2.0, 0.2, 2.0, 10.0, 0.0, 100.0));
        AllocationAssert.NoAllocations(10_000, i =>
        {
            pid.SetMode(Modes[i % 4]);
            pid.Update(new PidInputs(50.0, 45.0) { RemoteSetpoint = 55.0, TrackingValue = 30.0 }, 0.01);
        });
    }

    private static PidTuning ToForm(PidTuning isa, bool parallel) =>
        parallel
            ? PidTuning.Parallel(isa.Kc, isa.TiSeconds > 0 ? isa.Kc / isa.TiSeconds : 0, isa.Kc * isa.TdSeconds, isa.DerivativeFilter, isa.OutputMin, isa.OutputMax, isa.TrackingTimeSeconds)
            : isa;

    private static double Apply(PidController pid, in Step step)
    {
        switch (step.Kind)
        {
            case 1:
                pid.SetMode(step.Mode);
                return pid.Output;
            case 2:
                pid.SetManualOutput(step.Inputs.Setpoint);
                return pid.Output;
            case 3:
                return pid.Hold();
            case 4:
                return pid.TrackOutput(step.Inputs.ProcessValue is var value && double.IsFinite(value) ? value : 0.0);
            default:
                return pid.Update(step.Inputs, step.DtSeconds);
        }
    }
}
