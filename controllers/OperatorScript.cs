using Neokernel.Kernel.Ipc;

namespace Neokernel.Controllers;

/// <summary>Where a scripted operator action stands.</summary>
public enum OperatorStepState
{
    /// <summary>The step time has not come yet, or the last send met a full queue and will be retried.</summary>
    Waiting,

    /// <summary>The request is on its way; the reply has not come.</summary>
    Sent,

    /// <summary>The controller replied Ok.</summary>
    Acknowledged,

    /// <summary>The controller refused the command, or the endpoint refused the message.</summary>
    Failed,
}

/// <summary>
/// The scripted operator of <see cref="OperatorScriptService"/> without the kernel: one setpoint
/// step at a time relative to the start: a loop's SetSetpoint, or with <c>blockValue</c>
/// (<c>block.PIN</c>) a block network's SetValue of that settable input. Keeps trying while the
/// controller's queue is full, so a busy controller delays the step instead of losing it.
/// </summary>
public sealed class OperatorScript
{
    /// <summary>The request buffer a script's requests fit in.</summary>
    public const int RequestBytesMax = BlockNetworkCommands.MessageBytesMax > ControllerCommands.MaxCommandBytes ? BlockNetworkCommands.MessageBytesMax : ControllerCommands.MaxCommandBytes;

    public OperatorScript(double setpointStepAtSeconds, double setpointStepTo, string? blockValue = null)
    {
        if (!double.IsFinite(setpointStepAtSeconds) || setpointStepAtSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(setpointStepAtSeconds), setpointStepAtSeconds, "must be zero or positive");
        }

        if (!double.IsFinite(setpointStepTo))
        {
            throw new ArgumentOutOfRangeException(nameof(setpointStepTo), setpointStepTo, "must be finite");
        }

        // Whole nanoseconds, so the comparison each cycle is integer and exact.
        StepAtNs = (long)(setpointStepAtSeconds * 1e9);
        SetpointStepTo = setpointStepTo;
        if (blockValue is { Length: > 0 })
        {
            Span<byte> probe = stackalloc byte[BlockNetworkCommands.MessageBytesMax];
            if (BlockNetworkCommands.EncodeSetValue(blockValue, setpointStepTo, probe) == 0)
            {
                throw new ArgumentException($"'{blockValue}' is no block value a command can name (block.PIN, 1 to {BlockNetworkCommands.NameBytesMax} UTF-8 bytes)", nameof(blockValue));
            }

            BlockValue = blockValue;
        }
    }

    /// <summary>The block network's settable input the step sets (<c>block.PIN</c>); null for a loop's setpoint.</summary>
    public string? BlockValue { get; }

    public long StepAtNs { get; }

    public double SetpointStepTo { get; }

    public OperatorStepState State { get; private set; }

    /// <summary>The status the controller replied, once it did.</summary>
    public CommandStatus? ReplyStatus { get; private set; }

    /// <summary>
    /// Writes the request into <paramref name="request"/> when it is due and not yet sent; returns
    /// its length, or 0 when there is nothing to send.
    /// </summary>
    public int TakeDueRequest(long elapsedNs, Span<byte> request) =>
        State != OperatorStepState.Waiting || elapsedNs < StepAtNs ? 0
        : BlockValue is null ? ControllerCommands.EncodeSetSetpoint(SetpointStepTo, request)
        : BlockNetworkCommands.EncodeSetValue(BlockValue, SetpointStepTo, request);

    /// <summary>Records what the endpoint said to the send; a full queue means try again next cycle.</summary>
    public void OnSent(SendResult result) => State = result switch
    {
        SendResult.Accepted => OperatorStepState.Sent,
        SendResult.QueueFull => OperatorStepState.Waiting,
        _ => OperatorStepState.Failed,
    };

    public void OnReply(ReadOnlySpan<byte> reply)
    {
        var status = ControllerCommands.DecodeReply(reply);
        ReplyStatus = status;
        State = status == CommandStatus.Ok ? OperatorStepState.Acknowledged : OperatorStepState.Failed;
    }
}
