using Neokernel.Kernel.Ipc;

namespace Neokernel.Controllers.Tests;

public sealed class OperatorScriptTests
{
    [Fact]
    public void Sends_one_setpoint_request_once_the_step_time_has_passed()
    {
        var script = new OperatorScript(setpointStepAtSeconds: 2.0, setpointStepTo: 1.4);
        var buffer = new byte[ControllerCommands.MaxCommandBytes];
        Assert.Equal(0, script.TakeDueRequest(1_999_999_999, buffer));
        var length = script.TakeDueRequest(2_000_000_000, buffer);
        Assert.Equal(ControllerCommands.SetSetpointBytes, length);
        Assert.Equal(CommandStatus.Ok, ControllerCommands.Decode(buffer.AsSpan(0, length), out var command));
        Assert.Equal(ControllerCommand.SetSetpoint(1.4), command);

        script.OnSent(SendResult.Accepted);
        Assert.Equal(OperatorStepState.Sent, script.State);
        Assert.Equal(0, script.TakeDueRequest(3_000_000_000, buffer));
        script.OnReply([0]);
        Assert.Equal(OperatorStepState.Acknowledged, script.State);
        Assert.Equal(CommandStatus.Ok, script.ReplyStatus);
    }

    [Fact]
    public void A_full_queue_is_retried_and_a_refusal_fails()
    {
        var script = new OperatorScript(0.0, 2.0);
        var buffer = new byte[ControllerCommands.MaxCommandBytes];
        Assert.NotEqual(0, script.TakeDueRequest(0, buffer));
        script.OnSent(SendResult.QueueFull);
        Assert.Equal(OperatorStepState.Waiting, script.State);
        Assert.NotEqual(0, script.TakeDueRequest(100, buffer));
        script.OnSent(SendResult.Accepted);
        script.OnReply([(byte)CommandStatus.InvalidValue]);
        Assert.Equal(OperatorStepState.Failed, script.State);
        Assert.Equal(CommandStatus.InvalidValue, script.ReplyStatus);

        var denied = new OperatorScript(0.0, 2.0);
        denied.TakeDueRequest(0, buffer);
        denied.OnSent(SendResult.Denied);
        Assert.Equal(OperatorStepState.Failed, denied.State);
    }

    [Fact]
    public void Nonsense_times_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OperatorScript(-1.0, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OperatorScript(1.0, double.NaN));
    }
}
