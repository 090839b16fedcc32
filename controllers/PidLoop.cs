using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;

namespace Neokernel.Controllers;

/// <summary>One cycle's result: the output to publish and the quality to publish it with.</summary>
public readonly record struct PidLoopOutput(double Output, Quality Quality);

/// <summary>Told of every change of a loop's actual mode, on the thread that caused it (the cyclic body or the command handler). Must not allocate.</summary>
public interface ILoopModeObserver
{
    void OnModeChanged(in LoopModeChange change);
}

/// <summary>
/// The control loop of <see cref="PidService"/> without the kernel: setpoint, mode machine
/// (<see cref="LoopModeMachine"/>: operator's target, tracking, bad input as the manifest says,
/// cascade shed) and operator commands around a <see cref="PidController"/>. The service only
/// moves values between regions and this class, so everything that decides something is testable here.
/// </summary>
/// <remarks>
/// Modes change through the loop (<see cref="Apply"/>, <see cref="SetTracking"/>, and the quality
/// edges <see cref="Step"/> sees), never by <see cref="PidController.SetMode"/> on
/// <see cref="Controller"/>: the loop sets the controller's mode from its machine's.
/// </remarks>
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
        Modes = new LoopModeMachine(badInputPolicy);
        Controller.SetMode(ControllerMode(Modes.Mode, Controller.Mode));
    }

    public PidController Controller { get; }

    /// <summary>The mode machine: actual mode, the operator's target, the conditions, the last change's cause.</summary>
    public LoopModeMachine Modes { get; }

    /// <summary>The actual mode.</summary>
    public LoopMode Mode => Modes.Mode;

    /// <summary>Told of every mode change (the service traces them); null for none.</summary>
    public ILoopModeObserver? ModeObserver { get; set; }

    /// <summary>The local setpoint: the operator's, or in cascade the remote one it tracks, so that leaving cascade keeps it.</summary>
    public double Setpoint { get; private set; }

    public BadInputPolicy BadInputPolicy { get; }

    public double SafeOutput { get; }

    /// <summary>
    /// PV tracking: in manual and tracking the setpoint follows the process value, so that the
    /// switch to auto starts with no error and no proportional bump. Off by default: on a tank the
    /// operator's setpoint is a decision, and a setpoint that wanders while in manual loses it.
    /// </summary>
    public bool SetpointTracksProcessValue { get; set; }

    /// <summary>The setpoint in cascade mode, set by the wiring each cycle (an outer loop's output).</summary>
    public double RemoteSetpoint { get; set; } = double.NaN;

    /// <summary>Added to the output in auto and cascade (a measured disturbance's compensation); 0 for none.</summary>
    public double Feedforward { get; set; }

    /// <summary>The value the output follows in tracking mode.</summary>
    public double TrackingValue { get; set; } = double.NaN;

    /// <summary>Directions the integrator may not move the output in: an inner loop's <see cref="PidController.SetpointLimit"/>.</summary>
    public PidLimit OutputBlocked { get; set; }

    /// <summary>The relay auto-tuner: its state, failure and offered result.</summary>
    public RelayAutoTuner AutoTune { get; } = new();

    /// <summary>The process value of the last usable input.</summary>
    public double ProcessValue { get; private set; }

    /// <summary>The input's quality at the last cycle (Bad before the first).</summary>
    public Quality InputQuality { get; private set; }

    /// <summary>The output of the last cycle and its quality.</summary>
    public PidLoopOutput LastOutput { get; private set; }

    /// <summary>What a GetStatus request is answered with: a plain value, allocation-free. Gains in ISA terms, whatever the form.</summary>
    public LoopStatus Status()
    {
        var tuning = Controller.Tuning;
        return new LoopStatus(
            Controller.Mode,
            (InputQualityCode)InputQuality,
            Setpoint,
            ProcessValue,
            LastOutput.Output,
            tuning.IsaGain,
            tuning.IsaIntegralSeconds,
            tuning.IsaDerivativeSeconds,
            tuning.OutputMin,
            tuning.OutputMax,
            Modes.Mode,
            Modes.Target,
            Modes.LastCause);
    }

    /// <summary>
    /// The wiring's tracking switch: on, the output follows <see cref="TrackingValue"/> in auto
    /// and cascade (an override, an outer loop's initialisation); off, the loop goes back to its
    /// target bumplessly. Manual and bad input beat it (<see cref="LoopModeTable"/>).
    /// A relay experiment in progress is aborted first (its output goes back to the pre-test value).
    /// </summary>
    public void SetTracking(bool on)
    {
        if (on && AutoTune.State == AutoTuneState.Running)
        {
            AbortAutoTune();
        }

        Fire(on ? LoopModeTrigger.TrackingOn : LoopModeTrigger.TrackingOff);
    }

    /// <summary>
    /// One cycle. <paramref name="inputQuality"/> is the input point's quality, or Bad when the
    /// read failed. Uncertain input is still used: it is a value, only a doubtful one.
    /// </summary>
    public PidLoopOutput Step(double processValue, Quality inputQuality, double dtSeconds)
    {
        var usable = inputQuality != Quality.Bad && double.IsFinite(processValue);
        InputQuality = usable ? inputQuality : Quality.Bad;
        Fire(usable ? LoopModeTrigger.InputRecovered : LoopModeTrigger.InputBad);
        Fire(double.IsFinite(RemoteSetpoint) ? LoopModeTrigger.RemoteSetpointRecovered : LoopModeTrigger.RemoteSetpointBad);
        if (AutoTune.State == AutoTuneState.Running)
        {
            LastOutput = usable ? RelayStep(processValue, dtSeconds) : AbortedByBadInput(dtSeconds);
            return LastOutput;
        }

        LastOutput = Modes.Mode switch
        {
            LoopMode.Hold => new PidLoopOutput(Controller.Hold(), Quality.Uncertain),
            LoopMode.SafeState => new PidLoopOutput(Controller.TrackOutput(SafeOutput), Quality.Good),
            _ when usable => UpdateWith(processValue, dtSeconds),

            // Manual with a bad input: the operator's output, ramped; the process value stays the last usable one.
            _ => new PidLoopOutput(Controller.Update(new PidInputs(Setpoint, double.NaN), dtSeconds), Quality.Good),
        };
        return LastOutput;
    }

    /// <summary>
    /// Fires a trigger; when the actual mode changed, sets the controller's mode to match (its
    /// SetMode is bumpless; a safe state takes the safe value at once; a return from a hold or
    /// safe state re-bases the integrator, since the process value moved meanwhile) and tells
    /// the observer. Allocation-free.
    /// </summary>
    private void Fire(LoopModeTrigger trigger)
    {
        if (!Modes.Fire(trigger, out var change))
        {
            return;
        }

        Controller.SetMode(ControllerMode(change.To, Controller.Mode));
        if (change.To == LoopMode.SafeState)
        {
            // At the change, wherever it comes from (an operator's auto under bad input too): the safe value, at once.
            Controller.TrackOutput(SafeOutput);
        }
        else if (change.From is LoopMode.Hold or LoopMode.SafeState)
        {
            Controller.RebaseAtNextUpdate();
            if (change.To == LoopMode.Manual)
            {
                // Bad input that came from manual left the controller in manual: the operator starts at the present output all the same.
                Controller.SetManualOutput(Controller.Output);
            }
        }

        ModeObserver?.OnModeChanged(change);
    }

    /// <summary>The controller's mode in a loop mode: under bad input the controller keeps the mode it returns to.</summary>
    private static PidMode ControllerMode(LoopMode mode, PidMode current) => mode switch
    {
        LoopMode.Manual => PidMode.Manual,
        LoopMode.Auto => PidMode.Auto,
        LoopMode.Cascade => PidMode.Cascade,
        LoopMode.Tracking => PidMode.Tracking,
        _ => current,
    };

    private PidLoopOutput UpdateWith(double processValue, double dtSeconds)
    {
        ProcessValue = processValue;
        var mode = Controller.Mode;
        if (mode == PidMode.Cascade && double.IsFinite(RemoteSetpoint))
        {
            Setpoint = RemoteSetpoint;
        }
        else if (SetpointTracksProcessValue && mode is PidMode.Manual or PidMode.Tracking)
        {
            Setpoint = processValue;
        }

        var inputs = new PidInputs(Setpoint, processValue)
        {
            Feedforward = Feedforward,
            RemoteSetpoint = RemoteSetpoint,
            TrackingValue = TrackingValue,
            OutputBlocked = OutputBlocked,
        };
        return new PidLoopOutput(Controller.Update(inputs, dtSeconds), Quality.Good);
    }

    /// <summary>
    /// Starts a relay experiment around the current output and setpoint. Refused (WrongMode) in
    /// cascade (also a cascade shed to auto: the remote setpoint's return would end it), tracking,
    /// hold or safe state, while one runs, or before a usable input; InvalidValue when the
    /// settings are wrong or the relay would leave the output limits. The relay's steps are put on
    /// the output as they are (the tuning's rate limit does not shape them, or the measurement
    /// would be of the ramp): choose d for what the actuator may take.
    /// </summary>
    public CommandStatus StartAutoTune(in RelayTuneSettings settings)
    {
        if (AutoTune.State == AutoTuneState.Running || InputQuality == Quality.Bad
            || Modes.Mode is not (LoopMode.Auto or LoopMode.Manual) || Modes.Target == PidMode.Cascade)
        {
            return CommandStatus.WrongMode;
        }

        try
        {
            AutoTune.Start(settings, Controller.Tuning, Setpoint, Controller.Output, ProcessValue);
        }
        catch (ArgumentException)
        {
            return CommandStatus.InvalidValue;
        }

        return CommandStatus.Ok;
    }

    /// <summary>Aborts a running experiment; the output returns to its pre-test value at once. WrongMode when none runs.</summary>
    public CommandStatus AbortAutoTune()
    {
        if (!AutoTune.Abort())
        {
            return CommandStatus.WrongMode;
        }

        ReturnToPreTestOutput();
        return CommandStatus.Ok;
    }

    /// <summary>Applies the offered gains of <paramref name="rule"/> (bumplessly, through Retune). WrongMode when nothing is offered.</summary>
    public CommandStatus AcceptAutoTune(TuningRule rule)
    {
        if (AutoTune.State != AutoTuneState.Offered)
        {
            return CommandStatus.WrongMode;
        }

        Controller.Retune(AutoTune.Result.Proposal(rule));
        AutoTune.Clear();
        return CommandStatus.Ok;
    }

    /// <summary>
    /// An engineer's new gains, in ISA form (a parallel-form loop goes over to ISA with the same
    /// controller): each NaN keeps the present one. Kc must be finite, nonzero and of the present
    /// sign (the action is the manifest's, not a tuning), Ti and Td finite and zero or positive;
    /// otherwise InvalidValue and nothing changes. Bumpless, through <see cref="PidController.Retune"/>.
    /// </summary>
    public CommandStatus Retune(in TuningChange change)
    {
        var present = Controller.Tuning;
        var kc = double.IsNaN(change.Kc) ? present.IsaGain : change.Kc;
        var ti = double.IsNaN(change.TiSeconds) ? present.IsaIntegralSeconds : change.TiSeconds;
        var td = double.IsNaN(change.TdSeconds) ? present.IsaDerivativeSeconds : change.TdSeconds;
        if (!double.IsFinite(kc) || kc == 0 || (kc > 0) != (present.IsaGain > 0)
            || !double.IsFinite(ti) || ti < 0 || !double.IsFinite(td) || td < 0)
        {
            return CommandStatus.InvalidValue;
        }

        Controller.Retune(present with
        {
            Form = PidForm.Isa,
            Kc = kc,
            TiSeconds = ti,
            TdSeconds = td,
            ProportionalGain = 0,
            IntegralGainPerSecond = 0,
            DerivativeGainSeconds = 0,
        });
        return CommandStatus.Ok;
    }

    /// <summary>Drops an offer, or acknowledges a failure; the tuning stays as it was. WrongMode when there is neither.</summary>
    public CommandStatus RejectAutoTune()
    {
        if (AutoTune.State is not (AutoTuneState.Offered or AutoTuneState.Failed))
        {
            return CommandStatus.WrongMode;
        }

        AutoTune.Clear();
        return CommandStatus.Ok;
    }

    private PidLoopOutput RelayStep(double processValue, double dtSeconds)
    {
        ProcessValue = processValue;
        var relay = AutoTune.Step(processValue, dtSeconds);
        if (AutoTune.State != AutoTuneState.Running)
        {
            return new PidLoopOutput(ReturnToPreTestOutput(), Quality.Good);
        }

        return new PidLoopOutput(Controller.TrackOutput(relay), Quality.Good);
    }

    /// <summary>Bad input ended the experiment: back to the pre-test output, then whatever the mode machine made of the bad input.</summary>
    private PidLoopOutput AbortedByBadInput(double dtSeconds)
    {
        AutoTune.Step(double.NaN, dtSeconds);
        var output = ReturnToPreTestOutput();
        return Modes.Mode switch
        {
            LoopMode.Hold => new PidLoopOutput(Controller.Hold(), Quality.Uncertain),
            LoopMode.SafeState => new PidLoopOutput(Controller.TrackOutput(SafeOutput), Quality.Good),
            _ => new PidLoopOutput(output, Quality.Good),
        };
    }

    /// <summary>The experiment ended: the output goes back to where it was, and manual keeps that as the operator's output.</summary>
    private double ReturnToPreTestOutput()
    {
        var output = Controller.TrackOutput(AutoTune.BiasOutput);
        if (Controller.Mode == PidMode.Manual)
        {
            Controller.SetManualOutput(output);
        }

        return output;
    }

    /// <summary>
    /// Applies an operator command; returns the status for the reply. Refused commands change
    /// nothing. An operator chooses manual, auto or cascade (the target mode: Ok means the target
    /// was taken, the actual mode follows as the mode table says, so auto asked under bad input
    /// waits for the input); tracking belongs to the loop's wiring (<see cref="SetTracking"/>).
    /// A manual output needs the actual mode Manual. New gains (<see cref="Retune"/>) are taken in
    /// any mode. While a relay experiment runs, the loop takes no setpoint, mode, manual output or
    /// gains: abort it first.
    /// </summary>
    public CommandStatus Apply(in ControllerCommand command)
    {
        if (AutoTune.State == AutoTuneState.Running && command.Kind is ControllerCommandKind.SetSetpoint
                or ControllerCommandKind.SetMode or ControllerCommandKind.SetManualOutput or ControllerCommandKind.SetTuning)
        {
            return CommandStatus.WrongMode;
        }

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
                if (command.Mode is not (PidMode.Auto or PidMode.Manual or PidMode.Cascade))
                {
                    return CommandStatus.InvalidValue;
                }

                Fire(LoopModeMachine.OperatorTrigger(command.Mode));
                return CommandStatus.Ok;
            case ControllerCommandKind.SetManualOutput:
                if (!double.IsFinite(command.Value))
                {
                    return CommandStatus.InvalidValue;
                }

                if (Modes.Mode != LoopMode.Manual)
                {
                    return CommandStatus.WrongMode;
                }

                Controller.SetManualOutput(command.Value);
                return CommandStatus.Ok;
            case ControllerCommandKind.GetStatus or ControllerCommandKind.GetAutoTune:
                return CommandStatus.Ok;
            case ControllerCommandKind.StartAutoTune:
                return StartAutoTune(Settings(command.AutoTune));
            case ControllerCommandKind.AbortAutoTune:
                return AbortAutoTune();
            case ControllerCommandKind.AcceptAutoTune:
                return AcceptAutoTune(command.Rule);
            case ControllerCommandKind.RejectAutoTune:
                return RejectAutoTune();
            case ControllerCommandKind.SetTuning:
                return Retune(command.Tuning);
            default:
                return CommandStatus.UnknownCommand;
        }
    }

    /// <summary>The relay experiment as the command protocol reports it: state, failure, what it measured and what each rule offers.</summary>
    public AutoTuneReport AutoTuneReport()
    {
        var offered = AutoTune.State == AutoTuneState.Offered;
        var result = offered ? AutoTune.Result : default;
        var zieglerNichols = result.ZieglerNichols;
        var tyreusLuyben = result.TyreusLuyben;
        return new AutoTuneReport(
            AutoTune.State,
            AutoTune.Failure,
            AutoTune.ElapsedSeconds,
            result.UltimatePeriodSeconds,
            result.AmplitudeProcessValue,
            result.UltimateGain,
            offered ? zieglerNichols.IsaGain : 0,
            offered ? zieglerNichols.IsaIntegralSeconds : 0,
            offered ? zieglerNichols.IsaDerivativeSeconds : 0,
            offered ? tyreusLuyben.IsaGain : 0,
            offered ? tyreusLuyben.IsaIntegralSeconds : 0,
            offered ? tyreusLuyben.IsaDerivativeSeconds : 0);
    }

    private static RelayTuneSettings Settings(in AutoTuneRequest request) => new(
        request.RelayAmplitude,
        request.HysteresisProcessValue,
        request.ProcessValueMin,
        request.ProcessValueMax,
        request.TimeoutSeconds,
        request.PeriodsToMeasure,
        request.AmplitudeMinProcessValue,
        request.WithDerivative);

    /// <summary>Decodes and applies a command message in one go; what the endpoint handler calls.</summary>
    public CommandStatus Handle(ReadOnlySpan<byte> message)
    {
        var status = ControllerCommands.Decode(message, out var command);
        return status == CommandStatus.Ok ? Apply(command) : status;
    }
}
