using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;

namespace Neokernel.Controllers;

/// <summary>One cycle's result: the output to publish and the quality to publish it with.</summary>
public readonly record struct PidLoopOutput(double Output, Quality Quality);

/// <summary>
/// The control loop of <see cref="PidService"/> without the kernel: setpoint, bad-input policy and
/// operator commands around a <see cref="PidController"/>. The service only moves values between
/// regions and this class, so everything that decides something is testable here.
/// </summary>
public sealed class PidLoop
{
    public PidLoop(PidTuning tuning, double setpoint, BadInputPolicy badInputPolicy, double safeOutput)
    {
        if (!double.IsFinite(setpoint))
        {
            throw new ArgumentOutOfRangeException(nameof(setpoint), setpoint, "the setpoint must be finite");
        }

        if (!double.IsFinite(safeOutput))
        {
            throw new ArgumentOutOfRangeException(nameof(safeOutput), safeOutput, "the safe output must be finite");
        }

        Controller = new PidController(tuning);
        Setpoint = setpoint;
        BadInputPolicy = badInputPolicy;
        SafeOutput = safeOutput;
    }

    public PidController Controller { get; }

    public double Setpoint { get; private set; }

    public BadInputPolicy BadInputPolicy { get; }

    public double SafeOutput { get; }

    /// <summary>The process value of the last usable input.</summary>
    public double ProcessValue { get; private set; }

    /// <summary>The input's quality at the last cycle (Bad before the first).</summary>
    public Quality InputQuality { get; private set; }

    /// <summary>The output of the last cycle and its quality.</summary>
    public PidLoopOutput LastOutput { get; private set; }

    /// <summary>What a GetStatus request is answered with: a plain value, allocation-free.</summary>
    public LoopStatus Status()
    {
        var tuning = Controller.Tuning;
        return new LoopStatus(
            Controller.Mode,
            (InputQualityCode)InputQuality,
            Setpoint,
            ProcessValue,
            LastOutput.Output,
            tuning.Kc,
            tuning.TiSeconds,
            tuning.TdSeconds,
            tuning.OutputMin,
            tuning.OutputMax);
    }

    /// <summary>
    /// One cycle. <paramref name="inputQuality"/> is the input point's quality, or Bad when the
    /// read failed. Uncertain input is still used: it is a value, only a doubtful one.
    /// </summary>
    public PidLoopOutput Step(double processValue, Quality inputQuality, double dtSeconds)
    {
        var usable = inputQuality != Quality.Bad && double.IsFinite(processValue);
        InputQuality = usable ? inputQuality : Quality.Bad;
        LastOutput = usable ? UpdateWith(processValue, dtSeconds) : BadInputOutput();
        return LastOutput;
    }

    private PidLoopOutput UpdateWith(double processValue, double dtSeconds)
    {
        ProcessValue = processValue;
        return new PidLoopOutput(Controller.Update(Setpoint, processValue, dtSeconds), Quality.Good);
    }

    private PidLoopOutput BadInputOutput() =>
        BadInputPolicy == BadInputPolicy.SafeState
            ? new PidLoopOutput(Controller.TrackOutput(SafeOutput), Quality.Good)
            : new PidLoopOutput(Controller.Hold(), Quality.Uncertain);

    /// <summary>Applies an operator command; returns the status for the reply. Refused commands change nothing.</summary>
    public CommandStatus Apply(in ControllerCommand command)
    {
        switch (command.Kind)
        {
            case ControllerCommandKind.SetSetpoint:
                if (!double.IsFinite(command.Value))
                {
                    return CommandStatus.InvalidValue;
                }

                Setpoint = command.Value;
                return CommandStatus.Ok;
            case ControllerCommandKind.SetMode:
                if (command.Mode is not (PidMode.Auto or PidMode.Manual))
                {
                    return CommandStatus.InvalidValue;
                }

                Controller.SetMode(command.Mode);
                return CommandStatus.Ok;
            case ControllerCommandKind.SetManualOutput:
                if (!double.IsFinite(command.Value))
                {
                    return CommandStatus.InvalidValue;
                }

                if (Controller.Mode != PidMode.Manual)
                {
                    return CommandStatus.WrongMode;
                }

                Controller.SetManualOutput(command.Value);
                return CommandStatus.Ok;
            case ControllerCommandKind.GetStatus:
                return CommandStatus.Ok;
            default:
                return CommandStatus.UnknownCommand;
        }
    }

    /// <summary>Decodes and applies a command message in one go; what the endpoint handler calls.</summary>
    public CommandStatus Handle(ReadOnlySpan<byte> message)
    {
        var status = ControllerCommands.Decode(message, out var command);
        return status == CommandStatus.Ok ? Apply(command) : status;
    }
}
