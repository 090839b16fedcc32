namespace Neokernel.Controllers;

/// <summary>
/// Tuning of a <see cref="PidController"/> in ISA (standard) form:
/// u = Kc (e + 1/Ti ∫e dt − Td d(pv)/dt), with the derivative filtered by Td/N.
/// </summary>
/// <param name="Kc">Controller gain (output units per process-value unit). Nonzero; negative gives reverse action.</param>
/// <param name="TiSeconds">Integral time; 0 turns the integral off (the bias then stays where manual or tracking left it).</param>
/// <param name="TdSeconds">Derivative time; 0 turns the derivative off.</param>
/// <param name="DerivativeFilter">N: the derivative's first-order filter has time constant Td/N. Typically 5..20.</param>
/// <param name="OutputMin">Lower output limit.</param>
/// <param name="OutputMax">Upper output limit.</param>
/// <param name="TrackingTimeSeconds">
/// Anti-windup tracking time Tt for back-calculation; 0 picks the usual default: sqrt(Ti·Td) with a
/// derivative, Ti without one.
/// </param>
public readonly record struct PidTuning(
    double Kc,
    double TiSeconds,
    double TdSeconds,
    double DerivativeFilter,
    double OutputMin,
    double OutputMax,
    double TrackingTimeSeconds = 0)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong and why.</summary>
    public void Validate()
    {
        RequireFinite(Kc, nameof(Kc));
        if (Kc == 0)
        {
            throw new ArgumentException("Kc must be nonzero (negative for reverse action)", nameof(Kc));
        }

        RequireNonNegative(TiSeconds, nameof(TiSeconds));
        RequireNonNegative(TdSeconds, nameof(TdSeconds));
        RequireFinite(DerivativeFilter, nameof(DerivativeFilter));
        if (DerivativeFilter <= 0)
        {
            throw new ArgumentException($"DerivativeFilter (N) must be positive, is {DerivativeFilter}", nameof(DerivativeFilter));
        }

        RequireFinite(OutputMin, nameof(OutputMin));
        RequireFinite(OutputMax, nameof(OutputMax));
        if (OutputMin >= OutputMax)
        {
            throw new ArgumentException($"OutputMin ({OutputMin}) must be below OutputMax ({OutputMax})", nameof(OutputMin));
        }

        RequireNonNegative(TrackingTimeSeconds, nameof(TrackingTimeSeconds));
    }

    /// <summary>The tracking time in use: the configured one, or the default when 0.</summary>
    public double EffectiveTrackingTimeSeconds =>
        TrackingTimeSeconds > 0 ? TrackingTimeSeconds
        : TdSeconds > 0 ? Math.Sqrt(TiSeconds * TdSeconds)
        : TiSeconds;

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"{name} must be a finite number, is {value}", name);
        }
    }

    private static void RequireNonNegative(double value, string name)
    {
        RequireFinite(value, name);
        if (value < 0)
        {
            throw new ArgumentException($"{name} must be zero or positive, is {value}", name);
        }
    }
}

/// <summary>
/// A PID controller in ISA form for the data plane: allocation-free, and built only from
/// + − * / and clamping so that it gives bit-identical results on every CPU.
/// <list type="bullet">
/// <item>Derivative on measurement, filtered (Td/N) and discretised with backward Euler, which is
/// stable for every sample time: a setpoint step gives no derivative kick.</item>
/// <item>Anti-windup by back-calculation: while the output is limited, the integrator is pulled
/// toward the value that would just reach the limit, with gain dt/(Tt+dt) so it never overshoots.</item>
/// <item>Bumpless transfer: in manual (and in <see cref="TrackOutput"/>) the integrator follows the
/// output, so the first automatic step starts from where the operator left it.</item>
/// </list>
/// </summary>
public sealed class PidController
{
    private PidTuning tuning;
    private double trackingTimeSeconds;
    private double integral;
    private double derivative;
    private double previousProcessValue;
    private bool havePreviousProcessValue;
    private double proportional;
    private double manualOutput;

    public PidController(PidTuning tuning)
    {
        Retune(tuning);
        Reset(Math.Clamp(0.0, tuning.OutputMin, tuning.OutputMax));
    }

    public PidTuning Tuning => tuning;

    public PidMode Mode { get; private set; } = PidMode.Auto;

    /// <summary>The output of the last <see cref="Update"/> (or the value set by manual, tracking or reset).</summary>
    public double Output { get; private set; }

    /// <summary>The operator's output, used in manual.</summary>
    public double ManualOutput => manualOutput;

    /// <summary>The integral (bias) part of the output, for diagnostics.</summary>
    public double IntegralTerm => integral;

    /// <summary>The filtered derivative part of the output, for diagnostics.</summary>
    public double DerivativeTerm => derivative;

    /// <summary>Changes the tuning without a bump: the integrator absorbs the change of the other terms.</summary>
    public void Retune(PidTuning newTuning)
    {
        newTuning.Validate();
        tuning = newTuning;
        trackingTimeSeconds = newTuning.EffectiveTrackingTimeSeconds;
        Output = Math.Clamp(Output, newTuning.OutputMin, newTuning.OutputMax);
        manualOutput = Math.Clamp(manualOutput, newTuning.OutputMin, newTuning.OutputMax);
        havePreviousProcessValue = false;
        derivative = 0;
        integral = Output - proportional;
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
        havePreviousProcessValue = false;
    }

    /// <summary>
    /// Switches between auto and manual without a bump: entering manual, the operator's output
    /// starts at the current output; leaving it, the integrator already holds the manual output.
    /// </summary>
    public void SetMode(PidMode mode)
    {
        if (mode is not (PidMode.Auto or PidMode.Manual))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "the mode is Auto or Manual");
        }

        if (mode == Mode)
        {
            return;
        }

        if (mode == PidMode.Manual)
        {
            manualOutput = Output;
        }

        Mode = mode;
    }

    /// <summary>The operator's output for manual mode, clamped to the limits; takes effect at once.</summary>
    public void SetManualOutput(double outputValue)
    {
        RequireFinite(outputValue, nameof(outputValue));
        manualOutput = Math.Clamp(outputValue, tuning.OutputMin, tuning.OutputMax);
        if (Mode == PidMode.Manual)
        {
            Output = manualOutput;
            integral = Output - proportional - derivative;
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
    /// Drives the output to an outside value (a safe state) for one cycle with the integrator
    /// tracking it, so that control resumes from there without a bump.
    /// </summary>
    public double TrackOutput(double outputValue)
    {
        RequireFinite(outputValue, nameof(outputValue));
        Output = Math.Clamp(outputValue, tuning.OutputMin, tuning.OutputMax);
        integral = Output - proportional - derivative;
        havePreviousProcessValue = false;
        return Output;
    }

    /// <summary>
    /// One control step: returns the output, always within the limits. A non-finite setpoint or
    /// process value is treated as bad input (<see cref="Hold"/>), so garbage never reaches the
    /// integrator.
    /// </summary>
    public double Update(double setpoint, double processValue, double dtSeconds)
    {
        if (!(dtSeconds > 0) || !double.IsFinite(dtSeconds))
        {
            throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, "the sample time must be positive and finite");
        }

        if (!double.IsFinite(setpoint) || !double.IsFinite(processValue))
        {
            return Hold();
        }

        var error = setpoint - processValue;
        proportional = tuning.Kc * error;
        UpdateDerivative(processValue, dtSeconds);

        if (Mode == PidMode.Manual)
        {
            Output = manualOutput;
            integral = Output - proportional - derivative;
            return Output;
        }

        var unlimited = proportional + integral + derivative;
        var limited = Math.Clamp(unlimited, tuning.OutputMin, tuning.OutputMax);
        UpdateIntegral(error, unlimited, limited, dtSeconds);
        Output = limited;
        return limited;
    }

    private void UpdateDerivative(double processValue, double dtSeconds)
    {
        if (tuning.TdSeconds > 0 && havePreviousProcessValue)
        {
            // Backward Euler of D(s) = −Kc·Td·s / (1 + s·Td/N) acting on the measurement.
            var denominator = tuning.TdSeconds + (tuning.DerivativeFilter * dtSeconds);
            var decay = tuning.TdSeconds / denominator;
            var gain = tuning.Kc * tuning.TdSeconds * tuning.DerivativeFilter / denominator;
            derivative = (decay * derivative) - (gain * (processValue - previousProcessValue));
        }
        else if (tuning.TdSeconds <= 0)
        {
            derivative = 0;
        }

        previousProcessValue = processValue;
        havePreviousProcessValue = true;
    }

    private void UpdateIntegral(double error, double unlimited, double limited, double dtSeconds)
    {
        if (tuning.TiSeconds <= 0)
        {
            return;
        }

        integral += tuning.Kc * dtSeconds / tuning.TiSeconds * error;
        if (limited != unlimited)
        {
            integral += dtSeconds / (trackingTimeSeconds + dtSeconds) * (limited - unlimited);
        }
    }

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be a finite number");
        }
    }
}
