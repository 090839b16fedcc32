namespace Neokernel.Controllers;

/// <summary>
/// How a relay experiment runs.
/// </summary>
/// <param name="RelayAmplitude">d: the relay moves the output to bias ± d (output units). Positive; bias ± d must lie within the output limits.</param>
/// <param name="HysteresisProcessValue">ε: the relay switches when the error passes ±ε (PV units); a little above the noise. Zero or positive.</param>
/// <param name="ProcessValueMin">Lower edge of the safety band: below it the experiment aborts.</param>
/// <param name="ProcessValueMax">Upper edge of the safety band.</param>
/// <param name="TimeoutSeconds">The experiment fails (no oscillation) when it has not measured its periods by then.</param>
/// <param name="PeriodsToMeasure">Full periods averaged for Pu and a, after one period let pass for the transient; 1..<see cref="RelayAutoTuner.PeriodsToMeasureMax"/>.</param>
/// <param name="AmplitudeMinProcessValue">The smallest amplitude a (PV units) taken as a limit cycle; it must exceed ε as well.</param>
/// <param name="WithDerivative">True proposes PID gains, false PI (for noisy measurements).</param>
public readonly record struct RelayTuneSettings(
    double RelayAmplitude,
    double HysteresisProcessValue,
    double ProcessValueMin,
    double ProcessValueMax,
    double TimeoutSeconds,
    int PeriodsToMeasure = 3,
    double AmplitudeMinProcessValue = 0,
    bool WithDerivative = true)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong and why.</summary>
    public void Validate()
    {
        if (!double.IsFinite(RelayAmplitude) || RelayAmplitude <= 0)
        {
            throw new ArgumentException($"RelayAmplitude must be positive and finite, is {RelayAmplitude}", nameof(RelayAmplitude));
        }

        if (!double.IsFinite(HysteresisProcessValue) || HysteresisProcessValue < 0)
        {
            throw new ArgumentException($"HysteresisProcessValue must be zero or positive, is {HysteresisProcessValue}", nameof(HysteresisProcessValue));
        }

        if (!double.IsFinite(ProcessValueMin) || !double.IsFinite(ProcessValueMax) || ProcessValueMin >= ProcessValueMax)
        {
            throw new ArgumentException($"the safety band {ProcessValueMin}..{ProcessValueMax} must be finite with its minimum below its maximum", nameof(ProcessValueMin));
        }

        if (!double.IsFinite(TimeoutSeconds) || TimeoutSeconds <= 0)
        {
            throw new ArgumentException($"TimeoutSeconds must be positive and finite, is {TimeoutSeconds}", nameof(TimeoutSeconds));
        }

        if (PeriodsToMeasure < 1 || PeriodsToMeasure > RelayAutoTuner.PeriodsToMeasureMax)
        {
            throw new ArgumentException($"PeriodsToMeasure must be within 1..{RelayAutoTuner.PeriodsToMeasureMax}, is {PeriodsToMeasure}", nameof(PeriodsToMeasure));
        }

        if (!double.IsFinite(AmplitudeMinProcessValue) || AmplitudeMinProcessValue < 0)
        {
            throw new ArgumentException($"AmplitudeMinProcessValue must be zero or positive, is {AmplitudeMinProcessValue}", nameof(AmplitudeMinProcessValue));
        }
    }
}

/// <summary>What a successful relay experiment measured, and the gains two rules make of it.</summary>
/// <param name="UltimatePeriodSeconds">Pu: the mean period of the limit cycle.</param>
/// <param name="AmplitudeProcessValue">a: the mean half peak-to-peak of the process value.</param>
/// <param name="UltimateGain">Ku = 4d/(π a), the describing-function estimate (magnitude; the action's sign is the loop's).</param>
/// <param name="ZieglerNichols">The loop's tuning with the Ziegler–Nichols gains.</param>
/// <param name="TyreusLuyben">The loop's tuning with the Tyreus–Luyben gains.</param>
public readonly record struct RelayTuneResult(
    double UltimatePeriodSeconds,
    double AmplitudeProcessValue,
    double UltimateGain,
    PidTuning ZieglerNichols,
    PidTuning TyreusLuyben)
{
    /// <summary>The tuning <paramref name="rule"/> proposes.</summary>
    public PidTuning Proposal(TuningRule rule) => rule == TuningRule.ZieglerNichols ? ZieglerNichols : TyreusLuyben;
}

/// <summary>
/// The Åström–Hägglund relay experiment: a relay with hysteresis around a bias output makes the
/// loop oscillate in a limit cycle at the process's ultimate period; the describing function of the
/// relay gives the ultimate gain Ku = 4d/(π a). The relay pushes toward the setpoint in the
/// direction of the loop's action (the sign of its gain). Allocation-free per cycle: its state is
/// a handful of numbers. It only computes; <see cref="PidLoop"/> puts its output on the process,
/// and returns the output to its pre-test value when it ends.
/// </summary>
public sealed class RelayAutoTuner
{
    /// <summary>The most periods one experiment averages.</summary>
    public const int PeriodsToMeasureMax = 20;

    /// <summary>Longest measured period over the shortest beyond which the oscillation is irregular.</summary>
    public const double PeriodSpreadMax = 1.5;

    private RelayTuneSettings settings;
    private PidTuning baseTuning;
    private double setpoint;
    private double bias;
    private double action;
    private bool relayHigh;
    private double elapsedSeconds;
    private double lastRiseSeconds;
    private int rises;
    private double periodMaxProcessValue;
    private double periodMinProcessValue;
    private int periodsMeasured;
    private double periodSumSeconds;
    private double amplitudeSum;
    private double periodShortestSeconds;
    private double periodLongestSeconds;

    public AutoTuneState State { get; private set; }

    public AutoTuneFailure Failure { get; private set; }

    /// <summary>The measurement and proposals, valid in <see cref="AutoTuneState.Offered"/>.</summary>
    public RelayTuneResult Result { get; private set; }

    /// <summary>The output before the experiment: where the loop returns when it ends.</summary>
    public double BiasOutput => bias;

    /// <summary>Seconds since the start.</summary>
    public double ElapsedSeconds => elapsedSeconds;

    /// <summary>
    /// Starts an experiment around <paramref name="biasOutput"/> with the relay centred on
    /// <paramref name="setpointValue"/>. <paramref name="tuning"/> gives the action (its gain's sign),
    /// the output limits and what the proposals keep (filter, limits, weights, rates).
    /// </summary>
    public void Start(in RelayTuneSettings relaySettings, PidTuning tuning, double setpointValue, double biasOutput, double processValue)
    {
        relaySettings.Validate();
        if (!double.IsFinite(setpointValue) || !double.IsFinite(biasOutput) || !double.IsFinite(processValue))
        {
            throw new ArgumentException("setpoint, bias and process value must be finite", nameof(setpointValue));
        }

        if (biasOutput - relaySettings.RelayAmplitude < tuning.OutputMin || biasOutput + relaySettings.RelayAmplitude > tuning.OutputMax)
        {
            throw new ArgumentException(
                $"bias {biasOutput} ± relay amplitude {relaySettings.RelayAmplitude} leaves the output limits {tuning.OutputMin}..{tuning.OutputMax}",
                nameof(relaySettings));
        }

        settings = relaySettings;
        baseTuning = tuning;
        setpoint = setpointValue;
        bias = biasOutput;
        action = tuning.IsaGain > 0 ? 1.0 : -1.0;
        relayHigh = action * (setpointValue - processValue) >= 0;
        elapsedSeconds = 0;
        lastRiseSeconds = 0;
        rises = 0;
        periodsMeasured = 0;
        periodSumSeconds = 0;
        amplitudeSum = 0;
        periodShortestSeconds = double.MaxValue;
        periodLongestSeconds = 0;
        periodMaxProcessValue = processValue;
        periodMinProcessValue = processValue;
        Failure = AutoTuneFailure.None;
        Result = default;
        State = AutoTuneState.Running;
    }

    /// <summary>One cycle of the experiment: returns the relay's output. Call only while <see cref="AutoTuneState.Running"/>.</summary>
    public double Step(double processValue, double dtSeconds)
    {
        if (State != AutoTuneState.Running)
        {
            throw new InvalidOperationException($"the relay experiment is {State}, not Running");
        }

        elapsedSeconds += dtSeconds;
        if (!double.IsFinite(processValue))
        {
            return Fail(AutoTuneFailure.BadInput);
        }

        if (processValue < settings.ProcessValueMin || processValue > settings.ProcessValueMax)
        {
            return Fail(AutoTuneFailure.ProcessValueOutOfBand);
        }

        periodMaxProcessValue = Math.Max(periodMaxProcessValue, processValue);
        periodMinProcessValue = Math.Min(periodMinProcessValue, processValue);
        var push = action * (setpoint - processValue);
        if (relayHigh && push < -settings.HysteresisProcessValue)
        {
            relayHigh = false;
        }
        else if (!relayHigh && push > settings.HysteresisProcessValue)
        {
            relayHigh = true;
            OnRise(processValue);
        }

        if (State == AutoTuneState.Running && elapsedSeconds > settings.TimeoutSeconds)
        {
            return Fail(AutoTuneFailure.NoOscillation);
        }

        return State == AutoTuneState.Running ? RelayOutput() : bias;
    }

    /// <summary>Ends a running experiment as <see cref="AutoTuneFailure.Aborted"/>; returns false when none was running.</summary>
    public bool Abort()
    {
        if (State != AutoTuneState.Running)
        {
            return false;
        }

        Fail(AutoTuneFailure.Aborted);
        return true;
    }

    /// <summary>Clears an offer or a failure (accepted, rejected or acknowledged): back to idle.</summary>
    public void Clear()
    {
        if (State == AutoTuneState.Running)
        {
            throw new InvalidOperationException("abort a running experiment before clearing it");
        }

        State = AutoTuneState.Idle;
        Failure = AutoTuneFailure.None;
    }

    /// <summary>The relay: high when the loop's action (the sign of its gain times the error) asks for more output.</summary>
    private double RelayOutput() => relayHigh ? bias + settings.RelayAmplitude : bias - settings.RelayAmplitude;

    /// <summary>The relay switched to its high output: one full period ends (after the first rise) and the next begins.</summary>
    private void OnRise(double processValue)
    {
        rises++;

        // The first rise starts the first period; the period that ends at the second rise is the transient.
        if (rises >= 3)
        {
            var period = elapsedSeconds - lastRiseSeconds;
            periodSumSeconds += period;
            amplitudeSum += (periodMaxProcessValue - periodMinProcessValue) / 2;
            periodShortestSeconds = Math.Min(periodShortestSeconds, period);
            periodLongestSeconds = Math.Max(periodLongestSeconds, period);
            periodsMeasured++;
        }

        lastRiseSeconds = elapsedSeconds;
        periodMaxProcessValue = processValue;
        periodMinProcessValue = processValue;
        if (periodsMeasured == settings.PeriodsToMeasure)
        {
            Finish();
        }
    }

    private void Finish()
    {
        var periodSeconds = periodSumSeconds / periodsMeasured;
        var amplitude = amplitudeSum / periodsMeasured;
        if (amplitude <= settings.HysteresisProcessValue || amplitude < settings.AmplitudeMinProcessValue || !(amplitude > 0))
        {
            Fail(AutoTuneFailure.AmplitudeTooSmall);
            return;
        }

        if (periodLongestSeconds > PeriodSpreadMax * periodShortestSeconds)
        {
            Fail(AutoTuneFailure.IrregularOscillation);
            return;
        }

        var ultimateGain = 4 * settings.RelayAmplitude / (Math.PI * amplitude);
        Result = new RelayTuneResult(
            periodSeconds,
            amplitude,
            ultimateGain,
            Propose(TuningRule.ZieglerNichols, ultimateGain, periodSeconds),
            Propose(TuningRule.TyreusLuyben, ultimateGain, periodSeconds));
        State = AutoTuneState.Offered;
    }

    private PidTuning Propose(TuningRule rule, double ultimateGain, double periodSeconds)
    {
        var pid = settings.WithDerivative;
        var (gainFactor, integralFactor, derivativeFactor) = rule switch
        {
            TuningRule.ZieglerNichols => pid ? (0.6, 0.5, 0.125) : (0.45, 1 / 1.2, 0.0),
            _ => pid ? (1 / 2.2, 2.2, 1 / 6.3) : (1 / 3.2, 2.2, 0.0),
        };
        return baseTuning with
        {
            Kc = action * gainFactor * ultimateGain,
            TiSeconds = integralFactor * periodSeconds,
            TdSeconds = derivativeFactor * periodSeconds,
            TrackingTimeSeconds = 0,
            Form = PidForm.Isa,
            ProportionalGain = 0,
            IntegralGainPerSecond = 0,
            DerivativeGainSeconds = 0,
        };
    }

    private double Fail(AutoTuneFailure failure)
    {
        Failure = failure;
        State = AutoTuneState.Failed;
        return bias;
    }
}
