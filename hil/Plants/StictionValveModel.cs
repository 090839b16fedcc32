using System.Diagnostics;

namespace Neokernel.Hil.Plants;

/// <summary>The stiction of a <see cref="StictionValveModel"/>, in Choudhury's two parameters (% of the stem's span).</summary>
/// <param name="DeadbandPlusStickbandPercent">S: how far the command must move after the stem stopped on a reversal before the stem moves again.</param>
/// <param name="SlipJumpPercent">J: how far the stem jumps when it breaks free; also how far the command must move on in the same direction after a stop; 0..S.</param>
/// <param name="StemInitialPercent">Stem position at start, at rest; the command starts there too.</param>
public readonly record struct StictionValveParameters(
    double DeadbandPlusStickbandPercent,
    double SlipJumpPercent,
    double StemInitialPercent)
{
    public const double SpanPercent = 100.0;

    /// <summary>A moderately sticky valve: S = 4 %, J = 1 %, at rest half open.</summary>
    public static StictionValveParameters Default => new(4.0, 1.0, 50.0);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong, its value and what is allowed.</summary>
    public void Validate()
    {
        ParameterRules.Within(DeadbandPlusStickbandPercent, 0, SpanPercent, nameof(DeadbandPlusStickbandPercent));
        ParameterRules.Within(SlipJumpPercent, 0, DeadbandPlusStickbandPercent, nameof(SlipJumpPercent));
        ParameterRules.Within(StemInitialPercent, 0, SpanPercent, nameof(StemInitialPercent));
    }
}

/// <summary>
/// A control valve with stiction, Choudhury's data-driven two-parameter stick-slip model
/// (Choudhury, Thornhill and Shah, "Modelling valve stiction", Control Engineering Practice 13,
/// 2005): the command x (%, clipped to 0..100) drives the stem position y (%). The stem sticks when
/// the command stops or reverses; after a reversal it stays put until the command has moved more
/// than S (deadband plus stickband) from where it turned, after a stop in the same direction more
/// than J; then it slips to y = x − sign(dx)·(S − J)/2, a jump of J, and follows the command with
/// that lag while the command keeps moving. S = 0 is a linear valve. The model is static between
/// samples (one evaluation per Step; the step's length does not enter), comparisons and
/// + − × ÷ only, allocation-free. A stem's travel time is an actuator's slew, composed in front
/// of or behind it as a <see cref="SlewStage"/> of a <see cref="SignalChain"/>.
/// </summary>
public sealed class StictionValveModel
{
    private readonly double lagPercent;
    private double commandPercent;
    private double commandPreviousPercent;
    private double commandStuckPercent;
    private double slipThresholdPercent;
    private int directionLast;

    public StictionValveModel(StictionValveParameters parameters)
    {
        parameters.Validate();
        Parameters = parameters;
        lagPercent = (parameters.DeadbandPlusStickbandPercent - parameters.SlipJumpPercent) / 2.0;
        StemPercent = parameters.StemInitialPercent;
        commandPercent = parameters.StemInitialPercent;
        commandPreviousPercent = parameters.StemInitialPercent;
        commandStuckPercent = parameters.StemInitialPercent;
        slipThresholdPercent = parameters.DeadbandPlusStickbandPercent;
        IsStuck = true;
    }

    public StictionValveParameters Parameters { get; }

    /// <summary>Commanded position; finite, clipped to 0..100 % as a positioner's input is.</summary>
    public double CommandPercent
    {
        get => commandPercent;
        set => commandPercent = Math.Clamp(PlantInput.InRange(value, double.MinValue, double.MaxValue, "the valve command must be finite"), 0.0, StictionValveParameters.SpanPercent);
    }

    /// <summary>Actual stem position, 0..100 %.</summary>
    public double StemPercent { get; private set; }

    /// <summary>True while the stem is held by static friction.</summary>
    public bool IsStuck { get; private set; }

    /// <summary>One sample with the command as set; <paramref name="dtSeconds"/> must be positive and finite but does not enter the static model.</summary>
    public void Step(double dtSeconds)
    {
        if (!double.IsFinite(dtSeconds) || dtSeconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, "must be positive and finite");
        }

        var command = commandPercent;
        var commandTurned = commandPreviousPercent;
        var direction = Math.Sign(command - commandTurned);
        commandPreviousPercent = command;
        if (direction == 0)
        {
            StickOnStop(command);
            return;
        }

        if (direction != directionLast)
        {
            // A reversal (or the first move from rest): the stem stops where the command turned and
            // must be pushed through the deadband and the stickband.
            IsStuck = true;
            commandStuckPercent = commandTurned;
            slipThresholdPercent = Parameters.DeadbandPlusStickbandPercent;
            directionLast = direction;
        }

        if (IsStuck && Math.Abs(command - commandStuckPercent) > slipThresholdPercent)
        {
            IsStuck = false;
        }

        if (!IsStuck)
        {
            StemPercent = Math.Clamp(command - (direction * lagPercent), 0.0, StictionValveParameters.SpanPercent);
        }

        Debug.Assert(StemPercent >= 0 && StemPercent <= StictionValveParameters.SpanPercent, "the stem stays within its span");
    }

    private void StickOnStop(double command)
    {
        if (!IsStuck)
        {
            // Stopped while moving: moving on the same way needs only the stickband.
            IsStuck = true;
            commandStuckPercent = command;
            slipThresholdPercent = Parameters.SlipJumpPercent;
        }
    }
}
