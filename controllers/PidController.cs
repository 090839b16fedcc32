using System.Diagnostics;

namespace Neokernel.Controllers;

/// <summary>
/// A PID controller for the data plane: allocation-free, and built only from + − * / and clamping
/// so that it gives bit-identical results on every CPU. With the defaults of
/// <see cref="PidTuning"/>'s init-only members it computes exactly what the ISA controller of the
/// walking skeleton computed.
/// <list type="bullet">
/// <item>ISA or parallel form (<see cref="PidTuning.Form"/>); setpoint weights b on P and c on D.
/// c = 0 is derivative on measurement: a setpoint step gives no derivative kick.</item>
/// <item>The derivative is filtered (Td/N) and discretised with backward Euler, which is stable for
/// every sample time.</item>
/// <item>Output limits and rate limits. The rate limit holds in every mode; only
/// <see cref="TrackOutput"/> (a safe state) and <see cref="Reset"/> move the output past it.</item>
/// <item>Anti-windup by back-calculation (the integrator is pulled toward the value that just
/// reaches the limit, with gain dt/(Tt+dt) so it never overshoots) or by clamping (conditional
/// integration). Both see the output after the rate limit and with the feedforward, and
/// <see cref="PidInputs.OutputBlocked"/> stops integration in a direction an inner loop cannot follow.</item>
/// <item>Modes. Manual: the operator's output. Auto: the local setpoint. Cascade: the remote
/// setpoint. Tracking: the output follows <see cref="PidInputs.TrackingValue"/>. In manual and
/// tracking the integrator follows the output, so the first automatic step starts from there;
/// entering cascade, or leaving it for auto, the integrator absorbs the change of setpoint at the
/// first update, so the switch of setpoint source moves no output either.</item>
/// <item>External reset feedback (<see cref="PidInputs.ExternalReset"/>): the integral is a lag,
/// with time constant Ti, of the output actually used downstream (a selector's output), rather than
/// of this controller's own error. While the controller is the one selected that is integral action;
/// while it is not, its output stays its proportional demand above the selected output, so it takes
/// over the moment its demand is the lower (or higher) one, and never winds up: the override
/// structure of Shinskey's process control.</item>
/// <item><see cref="Retune"/> changes gains, form and weights without a bump.</item>
/// </list>
/// </summary>
public sealed class PidController
{
    private PidTuning tuning;
    private double trackingTimeSeconds;
    private double proportionalGain;
    private double derivativeLagSeconds;
    private bool integralOn;
    private bool derivativeOn;
    private double integral;
    private double derivative;
    private double previousDerivativeInput;
    private bool havePreviousProcessValue;
    private double proportional;
    private double feedforward;
    private double manualOutput;
    private bool rebasePending;
    private bool haveInputs;
    private double lastSetpoint;
    private double lastProcessValue;

    public PidController(PidTuning tuning)
    {
        Retune(tuning);
        Reset(Math.Clamp(0.0, tuning.OutputMin, tuning.OutputMax));
    }

    public PidTuning Tuning => tuning;

    public PidMode Mode { get; private set; } = PidMode.Auto;

    /// <summary>The output of the last <see cref="Update(double, double, double)"/> (or the value set by manual, tracking or reset).</summary>
    public double Output { get; private set; }

    /// <summary>The operator's output, used in manual.</summary>
    public double ManualOutput => manualOutput;

    /// <summary>The integral (bias) part of the output, for diagnostics.</summary>
    public double IntegralTerm => integral;

    /// <summary>The filtered derivative part of the output, for diagnostics.</summary>
    public double DerivativeTerm => derivative;

    /// <summary>The setpoint the last update used: the remote one in cascade, the local one otherwise.</summary>
    public double SetpointInUse => lastSetpoint;

    /// <summary>Whether an update has had usable inputs since construction or the last <see cref="Reset"/>: the controller has controlled.</summary>
    public bool HasControlled => haveInputs;

    /// <summary>
    /// The directions in which the last update's output was held by a limit (output limits or rate
    /// limits) against what the algorithm (auto, cascade) or the target (manual, tracking) asked.
    /// </summary>
    public PidLimit Limit { get; private set; }

    /// <summary>
    /// For an outer loop feeding this one in cascade: the directions in which moving this loop's
    /// setpoint would push its output further into a limit (<see cref="Limit"/> through the sign of
    /// the gain). Give it to the outer loop as <see cref="PidInputs.OutputBlocked"/>, and the outer
    /// integrator stops in that direction: windup propagates back. None outside auto and cascade,
    /// where the setpoint does not move the output; the outer loop then tracks
    /// <see cref="SetpointInUse"/> instead (its tracking mode).
    /// </summary>
    public PidLimit SetpointLimit =>
        Mode is not (PidMode.Auto or PidMode.Cascade) ? PidLimit.None
        : proportionalGain > 0 ? Limit
        : Mirror(Limit);

    /// <summary>
    /// Changes the tuning without a bump: the proportional term is computed again with the new
    /// gain and weight from the last inputs, the derivative starts afresh, and the integrator
    /// absorbs the difference, so the output stays where it is.
    /// </summary>
    public void Retune(PidTuning newTuning)
    {
        newTuning.Validate();
        tuning = newTuning;
        trackingTimeSeconds = newTuning.EffectiveTrackingTimeSeconds;
        proportionalGain = newTuning.IsaGain;
        integralOn = newTuning.Form == PidForm.Isa ? newTuning.TiSeconds > 0 : newTuning.IntegralGainPerSecond != 0;
        derivativeOn = newTuning.Form == PidForm.Isa ? newTuning.TdSeconds > 0 : newTuning.DerivativeGainSeconds != 0;
        derivativeLagSeconds = newTuning.IsaDerivativeSeconds / newTuning.DerivativeFilter;
        Output = Math.Clamp(Output, newTuning.OutputMin, newTuning.OutputMax);
        manualOutput = Math.Clamp(manualOutput, newTuning.OutputMin, newTuning.OutputMax);
        if (haveInputs)
        {
            proportional = ProportionalTerm(lastSetpoint, lastProcessValue);
        }

        havePreviousProcessValue = false;
        derivative = 0;
        integral = Output - proportional - feedforward;
    }

    /// <summary>Forgets all history and starts again with output <paramref name="outputValue"/> (clamped to the limits).</summary>
    public void Reset(double outputValue)
    {
        RequireFinite(outputValue, nameof(outputValue));
        Output = Math.Clamp(outputValue, tuning.OutputMin, tuning.OutputMax);
        manualOutput = Output;
        integral = Output;
        proportional = 0;
        derivative = 0;
        feedforward = 0;
        havePreviousProcessValue = false;
        haveInputs = false;
        rebasePending = false;
        Limit = PidLimit.None;
    }

    /// <summary>
    /// Switches mode without a bump: entering manual, the operator's output starts at the current
    /// output; leaving manual or tracking, the integrator already holds the output; entering
    /// cascade, or going from cascade to auto, the next update re-bases the integrator on the new
    /// setpoint. Every mode is accepted here; which an operator may choose is the loop's call.
    /// </summary>
    public void SetMode(PidMode mode)
    {
        if (mode is not (PidMode.Auto or PidMode.Manual or PidMode.Cascade or PidMode.Tracking))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "the mode is Manual, Auto, Cascade or Tracking");
        }

        if (mode == Mode)
        {
            return;
        }

        if (mode == PidMode.Manual)
        {
            manualOutput = Output;
        }

        rebasePending = mode == PidMode.Cascade || (Mode == PidMode.Cascade && mode == PidMode.Auto);
        Mode = mode;
    }

    /// <summary>
    /// The operator's output for manual mode, clamped to the limits. Without a rate limit it takes
    /// effect at once; with one, the updates in manual ramp the output to it.
    /// </summary>
    public void SetManualOutput(double outputValue)
    {
        RequireFinite(outputValue, nameof(outputValue));
        manualOutput = Math.Clamp(outputValue, tuning.OutputMin, tuning.OutputMax);
        if (Mode == PidMode.Manual && !tuning.HasRateLimit)
        {
            Output = manualOutput;
            integral = Output - proportional - derivative - feedforward;
        }
    }

    /// <summary>
    /// Makes the next update in auto or cascade re-base the integrator on that update's
    /// proportional and derivative terms, so the output goes on from where it is: what a return
    /// from a hold or a safe state needs, since the process value moved while the controller could
    /// not see it. Manual and tracking need none (their integrator follows the output). A
    /// controller that has not yet had one usable input (a loop whose input was Bad from its start,
    /// before its first sample) has no output to go on from: its first update starts the algorithm
    /// as at a start, from the initial output plus its proportional action.
    /// </summary>
    public void RebaseAtNextUpdate()
    {
        if (haveInputs && Mode is PidMode.Auto or PidMode.Cascade)
        {
            rebasePending = true;
        }
    }

    /// <summary>
    /// Freezes the controller for one cycle, as on bad input: output and integrator stay. The next
    /// update takes its derivative history afresh, so a process value that moved meanwhile
    /// does not kick.
    /// </summary>
    public double Hold()
    {
        havePreviousProcessValue = false;
        return Output;
    }

    /// <summary>
    /// Drives the output to an outside value (a safe state, a relay experiment) for one cycle with
    /// the integrator tracking it, so that control resumes from there without a bump. A safe state
    /// beats the actuator's protection: the rate limit does not apply here.
    /// </summary>
    public double TrackOutput(double outputValue)
    {
        RequireFinite(outputValue, nameof(outputValue));
        Output = Math.Clamp(outputValue, tuning.OutputMin, tuning.OutputMax);
        integral = Output - proportional - derivative - feedforward;
        havePreviousProcessValue = false;
        return Output;
    }

    /// <summary>One control step with only a local setpoint: see <see cref="Update(in PidInputs, double)"/>.</summary>
    public double Update(double setpoint, double processValue, double dtSeconds) =>
        Update(new PidInputs(setpoint, processValue), dtSeconds);

    /// <summary>
    /// One control step: returns the output, always within the limits (and the rate limit). A
    /// non-finite setpoint in use, process value, feedforward or (in tracking) tracking value is
    /// treated as bad input (<see cref="Hold"/>), so garbage never reaches the integrator; in
    /// manual, where the inputs decide nothing, the output still goes to the operator's.
    /// </summary>
    public double Update(in PidInputs inputs, double dtSeconds)
    {
        if (!(dtSeconds > 0) || !double.IsFinite(dtSeconds))
        {
            throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, "the sample time must be positive and finite");
        }

        var setpoint = Mode == PidMode.Cascade ? inputs.RemoteSetpoint : inputs.Setpoint;
        var processValue = inputs.ProcessValue;
        if (!double.IsFinite(setpoint) || !double.IsFinite(processValue) || !double.IsFinite(inputs.Feedforward)
            || (Mode == PidMode.Tracking && !double.IsFinite(inputs.TrackingValue)))
        {
            return Mode == PidMode.Manual ? FollowManualBlind(dtSeconds) : Hold();
        }

        lastSetpoint = setpoint;
        lastProcessValue = processValue;
        haveInputs = true;
        feedforward = inputs.Feedforward;
        proportional = ProportionalTerm(setpoint, processValue);
        if (rebasePending)
        {
            havePreviousProcessValue = false;
        }

        UpdateDerivative(setpoint, processValue, dtSeconds);
        var output = Mode switch
        {
            PidMode.Manual => FollowTarget(manualOutput, dtSeconds),
            PidMode.Tracking => FollowTarget(inputs.TrackingValue, dtSeconds),
            _ => Control(setpoint - processValue, inputs, dtSeconds),
        };
        AssertInvariants();
        return output;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(Output >= tuning.OutputMin && Output <= tuning.OutputMax, "the output is within its limits");
        Debug.Assert(manualOutput >= tuning.OutputMin && manualOutput <= tuning.OutputMax, "the manual output is within the limits");
        Debug.Assert(double.IsFinite(integral) && double.IsFinite(derivative), "the integrator and the derivative are finite");
        Debug.Assert(!(Mode is PidMode.Manual or PidMode.Tracking) || !rebasePending, "manual and tracking leave no re-base pending");
    }

    /// <summary>Manual and tracking: the output goes to the target (within limits and rate), the integrator follows it.</summary>
    private double FollowTarget(double target, double dtSeconds)
    {
        rebasePending = false;
        Output = LimitOutput(target, dtSeconds);
        integral = Output - proportional - derivative - feedforward;
        return Output;
    }

    /// <summary>
    /// Manual without usable inputs: the output goes to the operator's, the integrator follows it
    /// with the last proportional term, and the derivative starts afresh. The next update with
    /// inputs (in manual) puts the integrator right before any automatic step.
    /// </summary>
    private double FollowManualBlind(double dtSeconds)
    {
        havePreviousProcessValue = false;
        return FollowTarget(manualOutput, dtSeconds);
    }

    /// <summary>Auto and cascade: the algorithm.</summary>
    private double Control(double error, in PidInputs inputs, double dtSeconds)
    {
        if (rebasePending)
        {
            integral = Output - proportional - derivative - feedforward;
            rebasePending = false;
        }

        var unlimited = proportional + integral + derivative;

        // Added only when set: x + 0.0 turns a −0.0 into +0.0, and the output must stay the
        // walking skeleton's to the bit while no feedforward is wired.
        if (feedforward != 0)
        {
            unlimited += feedforward;
        }

        var limited = LimitOutput(unlimited, dtSeconds);
        if (integralOn && double.IsFinite(inputs.ExternalReset))
        {
            // Backward Euler of the lag 1/(1 + s·Ti) from the output used downstream; its input
            // is a limited output, so the lag cannot wind up past what the selector passes on.
            var weight = dtSeconds / (tuning.IsaIntegralSeconds + dtSeconds);
            integral += weight * (inputs.ExternalReset - derivative - feedforward - integral);
        }
        else
        {
            UpdateIntegral(error, unlimited, limited, inputs.OutputBlocked, dtSeconds);
        }

        Output = limited;
        return limited;
    }

    /// <summary>Clamps to the output limits and, where set, to the rate limits around the last output; records <see cref="Limit"/>.</summary>
    private double LimitOutput(double requested, double dtSeconds)
    {
        var low = tuning.OutputMin;
        var high = tuning.OutputMax;
        if (tuning.OutputRateUpPerSecond > 0)
        {
            high = Math.Min(high, Output + (tuning.OutputRateUpPerSecond * dtSeconds));
        }

        if (tuning.OutputRateDownPerSecond > 0)
        {
            low = Math.Max(low, Output - (tuning.OutputRateDownPerSecond * dtSeconds));
        }

        var limited = Math.Clamp(requested, low, high);
        Limit = requested > limited ? PidLimit.High : requested < limited ? PidLimit.Low : PidLimit.None;
        return limited;
    }

    private double ProportionalTerm(double setpoint, double processValue) =>
        proportionalGain * ((tuning.SetpointWeightProportional * setpoint) - processValue);

    private void UpdateDerivative(double setpoint, double processValue, double dtSeconds)
    {
        // With c = 0 the input is the measurement itself, not pv − 0·setpoint, whose zero may
        // carry the other sign: the walking skeleton's arithmetic, to the bit.
        var weight = tuning.SetpointWeightDerivative;
        var input = weight == 0 ? processValue : processValue - (weight * setpoint);
        if (derivativeOn && havePreviousProcessValue)
        {
            // Backward Euler of D(s) = −Kc·Td·s / (1 + s·Td/N) acting on (pv − c·setpoint).
            var (decay, gain) = DerivativeCoefficients(dtSeconds);
            derivative = (decay * derivative) - (gain * (input - previousDerivativeInput));
        }
        else if (!derivativeOn)
        {
            derivative = 0;
        }

        previousDerivativeInput = input;
        havePreviousProcessValue = true;
    }

    private (double Decay, double Gain) DerivativeCoefficients(double dtSeconds)
    {
        if (tuning.Form == PidForm.Isa)
        {
            var denominator = tuning.TdSeconds + (tuning.DerivativeFilter * dtSeconds);
            return (tuning.TdSeconds / denominator, tuning.Kc * tuning.TdSeconds * tuning.DerivativeFilter / denominator);
        }

        var lagDenominator = derivativeLagSeconds + dtSeconds;
        return (derivativeLagSeconds / lagDenominator, tuning.DerivativeGainSeconds / lagDenominator);
    }

    private void UpdateIntegral(double error, double unlimited, double limited, PidLimit outputBlocked, double dtSeconds)
    {
        if (!integralOn)
        {
            return;
        }

        var step = tuning.Form == PidForm.Isa
            ? tuning.Kc * dtSeconds / tuning.TiSeconds * error
            : tuning.IntegralGainPerSecond * dtSeconds * error;
        if (!IntegrationBlocked(step, unlimited, limited, outputBlocked))
        {
            integral += step;
        }

        if (tuning.AntiWindup == AntiWindup.BackCalculation && limited != unlimited)
        {
            integral += dtSeconds / (trackingTimeSeconds + dtSeconds) * (limited - unlimited);
        }
    }

    /// <summary>
    /// Whether this step would push the output in a direction it may not go: one an inner loop
    /// blocks, or (with clamping) further into this controller's own limit.
    /// </summary>
    private bool IntegrationBlocked(double step, double unlimited, double limited, PidLimit outputBlocked)
    {
        var up = step > 0;
        var down = step < 0;
        if ((up && (outputBlocked & PidLimit.High) != 0) || (down && (outputBlocked & PidLimit.Low) != 0))
        {
            return true;
        }

        return tuning.AntiWindup == AntiWindup.Clamping
            && ((up && limited < unlimited) || (down && limited > unlimited));
    }

    private static PidLimit Mirror(PidLimit limit) =>
        ((limit & PidLimit.High) != 0 ? PidLimit.Low : PidLimit.None) | ((limit & PidLimit.Low) != 0 ? PidLimit.High : PidLimit.None);

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be a finite number");
        }
    }
}
