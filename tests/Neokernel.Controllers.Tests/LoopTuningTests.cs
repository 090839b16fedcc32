using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>
/// An engineer's new gains for a PID loop (<see cref="ControllerCommandKind.SetTuning"/>): on the
/// wire, taken without a bump in any mode, one gain alone with NaN for the others, refused with
/// nothing changed where the gain would be no gain, of the other action or negative, and kept by
/// the retain record.
/// </summary>
public sealed class LoopTuningTests
{
    private static readonly PidTuning Tuning = new(Kc: 5.0, TiSeconds: 20.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0);

    [Fact]
    public void SetTuning_round_trips_bit_for_bit_in_its_documented_layout()
    {
        Span<byte> buffer = stackalloc byte[ControllerCommands.MaxCommandBytes];
        var change = new TuningChange(-2.5, double.NaN, 0.125);
        var length = ControllerCommands.Encode(ControllerCommand.SetTuning(change), buffer);

        Assert.Equal(ControllerCommands.SetTuningBytes, length);
        Assert.Equal(25, length);
        Assert.Equal(0x0A, buffer[0]);
        Assert.Equal(-2.5, BitConverter.ToDouble(buffer[1..9]));
        Assert.True(double.IsNaN(BitConverter.ToDouble(buffer[9..17])));
        Assert.Equal(CommandStatus.Ok, ControllerCommands.Decode(buffer[..length], out var decoded));
        Assert.Equal(ControllerCommandKind.SetTuning, decoded.Kind);
        Assert.Equal(BitConverter.DoubleToInt64Bits(change.Kc), BitConverter.DoubleToInt64Bits(decoded.Tuning.Kc));
        Assert.True(double.IsNaN(decoded.Tuning.TiSeconds));
        Assert.Equal(0.125, decoded.Tuning.TdSeconds);
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.Decode(buffer[..(length - 1)], out _));
        Assert.Throws<ArgumentException>(() => ControllerCommands.Encode(ControllerCommand.SetTuning(change), new byte[24]));
    }

    [Fact]
    public void New_gains_are_taken_without_a_bump_and_then_act()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        for (var i = 0; i < 20; i++)
        {
            loop.Step(0.5, Quality.Good, 0.1);
        }

        var before = loop.Step(0.5, Quality.Good, 0.1).Output;
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetTuning(new TuningChange(10.0, double.NaN, double.NaN))));
        Assert.Equal((10.0, 20.0, 0.0), (loop.Controller.Tuning.Kc, loop.Controller.Tuning.TiSeconds, loop.Controller.Tuning.TdSeconds));

        // The first cycle after the change holds the output (the integrator absorbed it); then the integral runs at twice the rate.
        Assert.Equal(before, loop.Step(0.5, Quality.Good, 0.1).Output, 9);
        var next = loop.Step(0.5, Quality.Good, 0.1).Output;
        Assert.Equal(before + (10.0 * 0.1 / 20.0 * 0.5), next, 9);

        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetTuning(new TuningChange(double.NaN, 40.0, 2.0))));
        Assert.Equal((10.0, 40.0, 2.0), (loop.Controller.Tuning.Kc, loop.Controller.Tuning.TiSeconds, loop.Controller.Tuning.TdSeconds));
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetMode(PidMode.Manual)));
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetTuning(new TuningChange(4.0, double.NaN, double.NaN))));
        Assert.Equal(4.0, loop.Controller.Tuning.Kc);
    }

    [Theory]
    [InlineData(0.0, double.NaN, double.NaN)]
    [InlineData(-5.0, double.NaN, double.NaN)]
    [InlineData(double.PositiveInfinity, double.NaN, double.NaN)]
    [InlineData(double.NaN, -1.0, double.NaN)]
    [InlineData(double.NaN, double.NaN, -0.5)]
    [InlineData(double.NaN, double.PositiveInfinity, double.NaN)]
    public void Gains_that_are_no_gain_of_the_other_action_or_negative_are_refused_and_change_nothing(double kc, double ti, double td)
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        Assert.Equal(CommandStatus.InvalidValue, loop.Apply(ControllerCommand.SetTuning(new TuningChange(kc, ti, td))));
        Assert.Equal(Tuning, loop.Controller.Tuning);
    }

    [Fact]
    public void A_parallel_form_loop_takes_gains_in_isa_form_as_the_same_controller()
    {
        var parallel = Tuning with { Form = PidForm.Parallel, Kc = 0, TiSeconds = 0, ProportionalGain = 2.0, IntegralGainPerSecond = 0.1 };
        var loop = new PidLoop(parallel, 1.0, BadInputPolicy.Hold, 0.0);
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetTuning(new TuningChange(double.NaN, double.NaN, 1.0))));
        var now = loop.Controller.Tuning;
        Assert.Equal((PidForm.Isa, 2.0, 20.0, 1.0), (now.Form, now.Kc, now.TiSeconds, now.TdSeconds));
        Assert.Equal((0.0, 0.0, 0.0), (now.ProportionalGain, now.IntegralGainPerSecond, now.DerivativeGainSeconds));
    }

    [Fact]
    public void While_a_relay_experiment_runs_new_gains_wait()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        for (var i = 0; i < 20; i++)
        {
            loop.Step(0.5, Quality.Good, 0.1);
        }

        Assert.Equal(CommandStatus.Ok, loop.StartAutoTune(new RelayTuneSettings(RelayAmplitude: 1.0, HysteresisProcessValue: 0.01, ProcessValueMin: -10.0, ProcessValueMax: 10.0, TimeoutSeconds: 600.0)));
        Assert.Equal(CommandStatus.WrongMode, loop.Apply(ControllerCommand.SetTuning(new TuningChange(1.0, double.NaN, double.NaN))));
        Assert.Equal(5.0, loop.Controller.Tuning.Kc);
    }

    [Fact]
    public void The_retained_state_carries_the_new_gains()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetTuning(new TuningChange(7.5, 12.0, double.NaN))));
        Span<byte> record = stackalloc byte[PidRetainedState.Bytes];
        PidRetainedState.Of(loop).Encode(record);

        var restarted = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        Assert.True(PidRetainedState.TryDecode(record, out var state, out var problem), problem);
        state.ApplyTo(restarted);
        Assert.Equal((7.5, 12.0), (restarted.Controller.Tuning.Kc, restarted.Controller.Tuning.TiSeconds));
    }

    [Fact]
    public void Taking_new_gains_allocates_nothing()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        Span<byte> message = stackalloc byte[ControllerCommands.MaxCommandBytes];
        var length = ControllerCommands.Encode(ControllerCommand.SetTuning(new TuningChange(6.0, double.NaN, double.NaN)), message);
        var bytes = message[..length].ToArray();
        AllocationAssert.NoAllocations(1_000, i =>
        {
            bytes[1] = (byte)i;
            _ = loop.Handle(bytes);
            _ = loop.Step(0.5, Quality.Good, 0.1);
        });
    }
}
