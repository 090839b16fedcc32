using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

public sealed class PidLoopTests
{
    private static readonly PidTuning Tuning = new(Kc: 5.0, TiSeconds: 20.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0);

    [Fact]
    public void Good_and_uncertain_input_is_controlled_and_published_good()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        var good = loop.Step(0.5, Quality.Good, 0.1);
        Assert.Equal(Quality.Good, good.Quality);
        Assert.Equal(2.5, good.Output, 12);
        Assert.Equal(Quality.Good, loop.Step(0.5, Quality.Uncertain, 0.1).Quality);
        Assert.Equal(0.5, loop.ProcessValue);
    }

    [Fact]
    public void Hold_freezes_the_output_and_marks_it_uncertain()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        for (var i = 0; i < 10; i++)
        {
            loop.Step(0.5, Quality.Good, 0.1);
        }

        var last = loop.Controller.Output;
        Assert.Equal(new PidLoopOutput(last, Quality.Uncertain), loop.Step(0.9, Quality.Bad, 0.1));
        Assert.Equal(new PidLoopOutput(last, Quality.Uncertain), loop.Step(double.NaN, Quality.Good, 0.1));
    }

    [Fact]
    public void Safe_state_drives_the_safe_value_and_recovers_bumplessly()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.SafeState, 12.5);
        for (var i = 0; i < 10; i++)
        {
            loop.Step(0.5, Quality.Good, 0.1);
        }

        Assert.Equal(new PidLoopOutput(12.5, Quality.Good), loop.Step(0.5, Quality.Bad, 0.1));
        var resumed = loop.Step(0.5, Quality.Good, 0.1);

        // Same error as before the fault: the output starts from the safe value, moved by one integral step only.
        Assert.Equal(12.5, resumed.Output, 1);
    }

    [Fact]
    public void Commands_change_setpoint_and_mode_and_refuse_what_does_not_fit()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetSetpoint(1.5)));
        Assert.Equal(1.5, loop.Setpoint);
        Assert.Equal(CommandStatus.InvalidValue, loop.Apply(ControllerCommand.SetSetpoint(double.NaN)));
        Assert.Equal(1.5, loop.Setpoint);
        Assert.Equal(CommandStatus.WrongMode, loop.Apply(ControllerCommand.SetManualOutput(40.0)));
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetMode(PidMode.Manual)));
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetManualOutput(40.0)));
        Assert.Equal(40.0, loop.Step(0.2, Quality.Good, 0.1).Output);
        Assert.Equal(CommandStatus.InvalidValue, loop.Apply(ControllerCommand.SetManualOutput(double.PositiveInfinity)));
        Assert.Equal(CommandStatus.InvalidValue, loop.Apply(ControllerCommand.SetMode((PidMode)9)));
        Assert.Equal(CommandStatus.UnknownCommand, loop.Apply(default));
    }

    [Fact]
    public void Handle_decodes_and_applies()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        Span<byte> message = stackalloc byte[ControllerCommands.MaxCommandBytes];
        var length = ControllerCommands.EncodeSetSetpoint(0.75, message);
        Assert.Equal(CommandStatus.Ok, loop.Handle(message[..length]));
        Assert.Equal(0.75, loop.Setpoint);
        Assert.Equal(CommandStatus.Malformed, loop.Handle(message[..3]));
    }

    [Fact]
    public void Step_and_commands_allocate_nothing()
    {
        var loop = new PidLoop(Tuning with { TdSeconds = 1.0 }, 1.0, BadInputPolicy.SafeState, 10.0);
        var message = new byte[ControllerCommands.MaxCommandBytes];
        var length = ControllerCommands.EncodeSetSetpoint(1.25, message);
        AllocationAssert.NoAllocations(10_000, i =>
        {
            loop.Step(i * 0.0001, i % 50 == 0 ? Quality.Bad : Quality.Good, 0.1);
            if (i % 100 == 0)
            {
                loop.Handle(message.AsSpan(0, length));
            }
        });
    }

    [Fact]
    public void Cascade_takes_the_remote_setpoint_and_keeps_it_when_going_back_to_auto()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        loop.Step(0.9, Quality.Good, 0.1);
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetMode(PidMode.Cascade)));
        loop.RemoteSetpoint = 1.4;
        var before = loop.LastOutput.Output;
        Assert.Equal(before, loop.Step(0.9, Quality.Good, 0.1).Output, 9);
        Assert.Equal(1.4, loop.Setpoint);
        Assert.Equal(1.4, loop.Controller.SetpointInUse);
        Assert.Equal(1.0, loop.Status().Mode == PidMode.Cascade ? 1.0 : 0.0);

        loop.Apply(ControllerCommand.SetMode(PidMode.Auto));
        loop.RemoteSetpoint = 3.0;
        loop.Step(0.9, Quality.Good, 0.1);
        Assert.Equal(1.4, loop.Setpoint);
    }

    [Fact]
    public void Tracking_is_the_wiring_s_mode_not_an_operator_s()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0);
        Assert.Equal(CommandStatus.InvalidValue, loop.Apply(ControllerCommand.SetMode(PidMode.Tracking)));
        loop.SetTracking(true);
        loop.TrackingValue = 33.0;
        Assert.Equal(33.0, loop.Step(0.5, Quality.Good, 0.1).Output);
    }

    [Theory]
    [InlineData(false, 1.0)]
    [InlineData(true, 0.4)]
    public void Pv_tracking_in_manual_moves_the_setpoint_with_the_pv_only_when_asked(bool tracks, double setpointAfter)
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0) { SetpointTracksProcessValue = tracks };
        loop.Apply(ControllerCommand.SetMode(PidMode.Manual));
        loop.Apply(ControllerCommand.SetManualOutput(30.0));
        loop.Step(0.4, Quality.Good, 0.1);
        Assert.Equal(setpointAfter, loop.Setpoint);
        loop.Apply(ControllerCommand.SetMode(PidMode.Auto));

        // Either way the first automatic step goes on from the manual output; with PV tracking there is no error
        // to integrate afterwards, without it the integral moves toward the old setpoint.
        Assert.Equal(30.0, loop.Step(0.4, Quality.Good, 0.1).Output, 9);
        var second = loop.Step(0.4, Quality.Good, 0.1).Output;
        Assert.Equal(tracks ? 30.0 : 30.0 + (Tuning.Kc * 0.1 / Tuning.TiSeconds * 0.6), second, 9);
    }

    [Fact]
    public void Feedforward_and_blocked_directions_reach_the_controller()
    {
        var loop = new PidLoop(Tuning, 1.0, BadInputPolicy.Hold, 0.0) { Feedforward = 20.0 };
        Assert.Equal(20.0, loop.Step(1.0, Quality.Good, 0.1).Output, 12);
        loop.OutputBlocked = PidLimit.High;
        var integral = loop.Controller.IntegralTerm;
        loop.Step(0.5, Quality.Good, 0.1);
        Assert.Equal(integral, loop.Controller.IntegralTerm);
    }

    [Fact]
    public void Status_reports_a_parallel_tuning_in_ISA_terms()
    {
        var loop = new PidLoop(PidTuning.Parallel(4.0, 0.5, 2.0, 10.0, 0.0, 100.0), 1.0, BadInputPolicy.Hold, 0.0);
        var status = loop.Status();
        Assert.Equal((4.0, 8.0, 0.5), (status.Kc, status.TiSeconds, status.TdSeconds));
    }
}
