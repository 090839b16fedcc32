namespace Neokernel.Controllers;

/// <summary>How the three gains of a <see cref="PidTuning"/> are given.</summary>
public enum PidForm
{
    /// <summary>ISA (standard): u = Kc (e_b + 1/Ti ∫e dt + Td de_c/dt), from Kc, TiSeconds and TdSeconds.</summary>
    Isa = 0,

    /// <summary>
    /// Parallel (independent gains): u = Kp e_b + Ki ∫e dt + Kd de_c/dt, from ProportionalGain,
    /// IntegralGainPerSecond and DerivativeGainSeconds. The same controller as ISA with Kc = Kp,
    /// Ti = Kp/Ki, Td = Kd/Kp; only the arithmetic follows the form's own numbers.
    /// </summary>
    Parallel = 1,
}

/// <summary>How the integrator is kept from winding up while the output is limited.</summary>
public enum AntiWindup
{
    /// <summary>The integrator is pulled toward the value that just reaches the limit, with time constant Tt.</summary>
    BackCalculation = 0,

    /// <summary>Conditional integration: the integrator stops while integrating would push the output further into the limit.</summary>
    Clamping = 1,
}

/// <summary>Directions in which an output is held by a limit (output limits or rate limits).</summary>
[Flags]
public enum PidLimit
{
    None = 0,

    /// <summary>The output wanted to go higher than it was allowed to.</summary>
    High = 1,

    /// <summary>The output wanted to go lower than it was allowed to.</summary>
    Low = 2,
}

/// <summary>
/// Tuning of a <see cref="PidController"/>. The positional members are the ISA form and today's
/// manifest parameters; the init-only members add the parallel form, setpoint weights, the
/// anti-windup method and rate limits, each with a default that keeps the ISA controller as it was:
/// u = Kc (e + 1/Ti ∫e dt − Td d(pv)/dt), with the derivative filtered by Td/N.
/// </summary>
/// <param name="Kc">ISA controller gain (output units per process-value unit). Nonzero in ISA form, 0 in parallel form; negative gives reverse action.</param>
/// <param name="TiSeconds">ISA integral time; 0 turns the integral off (the bias then stays where manual or tracking left it). 0 in parallel form.</param>
/// <param name="TdSeconds">ISA derivative time; 0 turns the derivative off. 0 in parallel form.</param>
/// <param name="DerivativeFilter">N: the derivative's first-order filter has time constant Td/N (in parallel form Td = Kd/Kp). Typically 5..20.</param>
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
    /// <summary>Which gains the controller computes with; <see cref="PidForm.Isa"/> by default.</summary>
    public PidForm Form { get; init; } = PidForm.Isa;

    /// <summary>Parallel form: Kp, output units per PV unit. Nonzero; its sign is the action.</summary>
    public double ProportionalGain { get; init; }

    /// <summary>Parallel form: Ki, output units per PV unit and second; 0 turns the integral off.</summary>
    public double IntegralGainPerSecond { get; init; }

    /// <summary>Parallel form: Kd, output units per PV unit per second of rate; 0 turns the derivative off.</summary>
    public double DerivativeGainSeconds { get; init; }

    /// <summary>b: the proportional term acts on b·setpoint − pv. 1 (the default) is the full error; 0..1.</summary>
    public double SetpointWeightProportional { get; init; } = 1.0;

    /// <summary>c: the derivative acts on c·setpoint − pv. 0 (the default) is derivative on measurement, no setpoint kick; 0..1.</summary>
    public double SetpointWeightDerivative { get; init; }

    /// <summary>How the integrator is kept from winding up; back-calculation by default.</summary>
    public AntiWindup AntiWindup { get; init; } = AntiWindup.BackCalculation;

    /// <summary>Fastest rise of the output, output units per second; 0 (the default) is no limit.</summary>
    public double OutputRateUpPerSecond { get; init; }

    /// <summary>Fastest fall of the output, output units per second; 0 (the default) is no limit.</summary>
    public double OutputRateDownPerSecond { get; init; }

    /// <summary>True when either rate limit is set.</summary>
    public bool HasRateLimit => OutputRateUpPerSecond > 0 || OutputRateDownPerSecond > 0;

    /// <summary>The controller gain in ISA terms, whatever the form: Kc, or Kp in parallel form.</summary>
    public double IsaGain => Form == PidForm.Isa ? Kc : ProportionalGain;

    /// <summary>The integral time in ISA terms: Ti, or Kp/Ki in parallel form (0 when the integral is off).</summary>
    public double IsaIntegralSeconds =>
        Form == PidForm.Isa ? TiSeconds
        : IntegralGainPerSecond == 0 ? 0
        : ProportionalGain / IntegralGainPerSecond;

    /// <summary>The derivative time in ISA terms: Td, or Kd/Kp in parallel form.</summary>
    public double IsaDerivativeSeconds => Form == PidForm.Isa ? TdSeconds : DerivativeGainSeconds / ProportionalGain;

    /// <summary>The tracking time in use: the configured one, or the default when 0.</summary>
    public double EffectiveTrackingTimeSeconds =>
        TrackingTimeSeconds > 0 ? TrackingTimeSeconds
        : IsaDerivativeSeconds > 0 ? Math.Sqrt(IsaIntegralSeconds * IsaDerivativeSeconds)
        : IsaIntegralSeconds;

    /// <summary>A parallel-form tuning; the other members keep their defaults.</summary>
    public static PidTuning Parallel(
        double proportionalGain,
        double integralGainPerSecond,
        double derivativeGainSeconds,
        double derivativeFilter,
        double outputMin,
        double outputMax,
        double trackingTimeSeconds = 0) =>
        new(0, 0, 0, derivativeFilter, outputMin, outputMax, trackingTimeSeconds)
        {
            Form = PidForm.Parallel,
            ProportionalGain = proportionalGain,
            IntegralGainPerSecond = integralGainPerSecond,
            DerivativeGainSeconds = derivativeGainSeconds,
        };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong and why.</summary>
    public void Validate()
    {
        if (Form == PidForm.Isa)
        {
            ValidateIsaGains();
        }
        else if (Form == PidForm.Parallel)
        {
            ValidateParallelGains();
        }
        else
        {
            throw new ArgumentException($"Form must be Isa or Parallel, is {Form}", nameof(Form));
        }

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
        RequireWeight(SetpointWeightProportional, nameof(SetpointWeightProportional));
        RequireWeight(SetpointWeightDerivative, nameof(SetpointWeightDerivative));
        if (AntiWindup is not (AntiWindup.BackCalculation or AntiWindup.Clamping))
        {
            throw new ArgumentException($"AntiWindup must be BackCalculation or Clamping, is {AntiWindup}", nameof(AntiWindup));
        }

        RequireNonNegative(OutputRateUpPerSecond, nameof(OutputRateUpPerSecond));
        RequireNonNegative(OutputRateDownPerSecond, nameof(OutputRateDownPerSecond));
    }

    private void ValidateIsaGains()
    {
        RequireFinite(Kc, nameof(Kc));
        if (Kc == 0)
        {
            throw new ArgumentException("Kc must be nonzero (negative for reverse action)", nameof(Kc));
        }

        RequireNonNegative(TiSeconds, nameof(TiSeconds));
        RequireNonNegative(TdSeconds, nameof(TdSeconds));
        if (ProportionalGain != 0 || IntegralGainPerSecond != 0 || DerivativeGainSeconds != 0)
        {
            throw new ArgumentException("in ISA form the gains are Kc, TiSeconds and TdSeconds: leave the parallel gains 0", nameof(ProportionalGain));
        }
    }

    private void ValidateParallelGains()
    {
        RequireFinite(ProportionalGain, nameof(ProportionalGain));
        if (ProportionalGain == 0)
        {
            throw new ArgumentException("ProportionalGain must be nonzero (negative for reverse action)", nameof(ProportionalGain));
        }

        RequireSameSign(IntegralGainPerSecond, nameof(IntegralGainPerSecond));
        RequireSameSign(DerivativeGainSeconds, nameof(DerivativeGainSeconds));
        if (Kc != 0 || TiSeconds != 0 || TdSeconds != 0)
        {
            throw new ArgumentException("in parallel form the gains are ProportionalGain, IntegralGainPerSecond and DerivativeGainSeconds: leave Kc, TiSeconds and TdSeconds 0", nameof(Kc));
        }
    }

    private void RequireSameSign(double gain, string name)
    {
        RequireFinite(gain, name);
        if (gain != 0 && (gain > 0) != (ProportionalGain > 0))
        {
            throw new ArgumentException($"{name} ({gain}) must be 0 or have the sign of ProportionalGain ({ProportionalGain}): the sign is the action", name);
        }
    }

    private static void RequireWeight(double value, string name)
    {
        RequireFinite(value, name);
        if (value < 0 || value > 1)
        {
            throw new ArgumentException($"{name} must be within 0..1, is {value}", name);
        }
    }

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
/// What one <see cref="PidController.Update(in PidInputs, double)"/> reads. Only setpoint and
/// process value are required; the rest have defaults that change nothing.
/// </summary>
/// <param name="Setpoint">The local setpoint, used in every mode but cascade.</param>
/// <param name="ProcessValue">The measurement.</param>
public readonly record struct PidInputs(double Setpoint, double ProcessValue)
{
    /// <summary>Added to the output in auto and cascade; the anti-windup sees it, so the integrator does not wind up against it.</summary>
    public double Feedforward { get; init; }

    /// <summary>The setpoint in cascade mode (an outer loop's output, a remote source); ignored otherwise.</summary>
    public double RemoteSetpoint { get; init; } = double.NaN;

    /// <summary>The value the output follows in tracking mode; ignored otherwise.</summary>
    public double TrackingValue { get; init; } = double.NaN;

    /// <summary>
    /// Directions the integrator must not move the output in, whatever this controller's own limits
    /// say: an inner loop's <see cref="PidController.SetpointLimit"/> when this is its outer loop.
    /// </summary>
    public PidLimit OutputBlocked { get; init; }

    /// <summary>
    /// The output used downstream (an override selector's OUT, from the previous cycle), for
    /// external reset feedback in auto and cascade: the integral becomes a lag of it with time
    /// constant Ti. NaN (the default) keeps the ordinary integral. Ignored without integral action.
    /// </summary>
    public double ExternalReset { get; init; } = double.NaN;
}
