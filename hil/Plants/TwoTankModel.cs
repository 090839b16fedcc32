using System.Diagnostics;

namespace Neokernel.Hil.Plants;

/// <summary>The physical data of a <see cref="TwoTankModel"/>: the upper tank drains into the lower one.</summary>
/// <param name="UpperAreaSquareMeters">Cross-section of the upper tank.</param>
/// <param name="UpperHeightMeters">Height of the upper tank; above it, it spills (the spill is lost).</param>
/// <param name="UpperOutletCoefficient">k1 in q1 = k1 · sqrt(h1), m^2.5/s: the outlet into the lower tank.</param>
/// <param name="LowerAreaSquareMeters">Cross-section of the lower tank.</param>
/// <param name="LowerHeightMeters">Height of the lower tank; above it, it spills.</param>
/// <param name="LowerOutletCoefficient">k2 in q2 = k2 · sqrt(h2), m^2.5/s: the outlet to the drain.</param>
/// <param name="PumpFlowMaxCubicMetersPerSecond">Inflow into the upper tank at 100 % pump command.</param>
/// <param name="UpperLevelInitialMeters">Upper level at start, 0..height.</param>
/// <param name="LowerLevelInitialMeters">Lower level at start, 0..height.</param>
public readonly record struct TwoTankParameters(
    double UpperAreaSquareMeters,
    double UpperHeightMeters,
    double UpperOutletCoefficient,
    double LowerAreaSquareMeters,
    double LowerHeightMeters,
    double LowerOutletCoefficient,
    double PumpFlowMaxCubicMetersPerSecond,
    double UpperLevelInitialMeters,
    double LowerLevelInitialMeters)
{
    /// <summary>Two one-square-meter, two-meter tanks that settle at 1 m each with the pump at 50 %.</summary>
    public static TwoTankParameters Default => new(1.0, 2.0, 0.005, 1.0, 2.0, 0.005, 0.01, 0.0, 0.0);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong, its value and what is allowed.</summary>
    public void Validate()
    {
        ParameterRules.Positive(UpperAreaSquareMeters, nameof(UpperAreaSquareMeters));
        ParameterRules.Positive(UpperHeightMeters, nameof(UpperHeightMeters));
        ParameterRules.NonNegative(UpperOutletCoefficient, nameof(UpperOutletCoefficient));
        ParameterRules.Positive(LowerAreaSquareMeters, nameof(LowerAreaSquareMeters));
        ParameterRules.Positive(LowerHeightMeters, nameof(LowerHeightMeters));
        ParameterRules.NonNegative(LowerOutletCoefficient, nameof(LowerOutletCoefficient));
        ParameterRules.NonNegative(PumpFlowMaxCubicMetersPerSecond, nameof(PumpFlowMaxCubicMetersPerSecond));
        ParameterRules.Within(UpperLevelInitialMeters, 0, UpperHeightMeters, nameof(UpperLevelInitialMeters));
        ParameterRules.Within(LowerLevelInitialMeters, 0, LowerHeightMeters, nameof(LowerLevelInitialMeters));
    }
}

/// <summary>
/// Two cylindrical tanks in series, Torricelli outflow: A1 · dh1/dt = Qin − k1·sqrt(h1),
/// A2 · dh2/dt = k1·sqrt(h1) − k2·sqrt(h2), with levels h (m), areas A (m²), outlet coefficients
/// k (m^2.5/s) and Qin = Qmax · pump/100 (m³/s) into the upper tank. Classical fourth-order
/// Runge–Kutta on the fixed step: the square root makes the model nonlinear, so there is no exact
/// discretisation, and RK4 keeps the error far below sensor noise at the default 50 ms for time
/// constants of minutes. Each level stays in [0, height]; what rises above the rim spills and is
/// counted in <see cref="SpilledCubicMeters"/>, so inflow − outflow − spill = the change in volume
/// (the outflow is integrated with RK4's own weights). A tank running dry may see RK4 step a
/// hair below zero, where the square root's slope is infinite; the level is clamped to 0 and that
/// sliver is not counted in the balance. Only + − × ÷ and sqrt: bit-identical on every CPU;
/// allocation-free per step.
/// </summary>
public sealed class TwoTankModel
{
    public const double DefaultStepSeconds = 0.05;

    private readonly FixedStep fixedStep;
    private double pumpPercent;
    private long steps;

    public TwoTankModel(TwoTankParameters parameters, double stepSeconds = DefaultStepSeconds)
    {
        parameters.Validate();
        fixedStep = new FixedStep(stepSeconds);
        Parameters = parameters;
        UpperLevelMeters = parameters.UpperLevelInitialMeters;
        LowerLevelMeters = parameters.LowerLevelInitialMeters;
    }

    public TwoTankParameters Parameters { get; }

    public double StepSeconds => fixedStep.Seconds;

    public double UpperLevelMeters { get; private set; }

    public double LowerLevelMeters { get; private set; }

    public double ElapsedSeconds => steps * fixedStep.Seconds;

    /// <summary>Pump command, 0..100 %.</summary>
    public double PumpPercent
    {
        get => pumpPercent;
        set => pumpPercent = PlantInput.InRange(value, 0, 100, "the pump command is 0..100 %");
    }

    public double InflowCubicMetersPerSecond => Parameters.PumpFlowMaxCubicMetersPerSecond * pumpPercent / 100.0;

    /// <summary>Flow from the upper tank into the lower one at the current level.</summary>
    public double TransferFlowCubicMetersPerSecond => Outflow(Parameters.UpperOutletCoefficient, UpperLevelMeters);

    /// <summary>Flow out of the lower tank at the current level.</summary>
    public double OutflowCubicMetersPerSecond => Outflow(Parameters.LowerOutletCoefficient, LowerLevelMeters);

    public double VolumeCubicMeters => (UpperLevelMeters * Parameters.UpperAreaSquareMeters) + (LowerLevelMeters * Parameters.LowerAreaSquareMeters);

    /// <summary>Volume pumped in so far.</summary>
    public double InflowTotalCubicMeters { get; private set; }

    /// <summary>Volume drained from the lower tank so far.</summary>
    public double OutflowTotalCubicMeters { get; private set; }

    /// <summary>Volume that rose above a rim and was lost so far.</summary>
    public double SpilledCubicMeters { get; private set; }

    /// <summary>The upper level where its outflow equals the current inflow (may lie above the rim).</summary>
    public double UpperSteadyStateLevelMeters => SteadyLevel(Parameters.UpperOutletCoefficient, UpperLevelMeters);

    /// <summary>The lower level where its outflow equals the current inflow, once the upper tank has settled (may lie above the rim).</summary>
    public double LowerSteadyStateLevelMeters => SteadyLevel(Parameters.LowerOutletCoefficient, LowerLevelMeters);

    /// <summary>Advances by <paramref name="dtSeconds"/>, a whole multiple of the fixed step, with the pump as set.</summary>
    public void Step(double dtSeconds)
    {
        var count = fixedStep.StepsIn(dtSeconds);
        for (var i = 0L; i < count; i++)
        {
            RungeKutta4(fixedStep.Seconds);
        }

        steps += count;
    }

    private void RungeKutta4(double h)
    {
        var inflow = InflowCubicMetersPerSecond;
        var upper = UpperLevelMeters;
        var lower = LowerLevelMeters;
        var (du1, dl1, q1) = Derivative(inflow, upper, lower);
        var (du2, dl2, q2) = Derivative(inflow, upper + (0.5 * h * du1), lower + (0.5 * h * dl1));
        var (du3, dl3, q3) = Derivative(inflow, upper + (0.5 * h * du2), lower + (0.5 * h * dl2));
        var (du4, dl4, q4) = Derivative(inflow, upper + (h * du3), lower + (h * dl3));
        var upperNext = upper + (h / 6.0 * (du1 + (2.0 * du2) + (2.0 * du3) + du4));
        var lowerNext = lower + (h / 6.0 * (dl1 + (2.0 * dl2) + (2.0 * dl3) + dl4));
        UpperLevelMeters = Rim(upperNext, Parameters.UpperHeightMeters, Parameters.UpperAreaSquareMeters);
        LowerLevelMeters = Rim(lowerNext, Parameters.LowerHeightMeters, Parameters.LowerAreaSquareMeters);
        Debug.Assert(UpperLevelMeters >= 0 && UpperLevelMeters <= Parameters.UpperHeightMeters, "the upper level stays within its tank");
        Debug.Assert(LowerLevelMeters >= 0 && LowerLevelMeters <= Parameters.LowerHeightMeters, "the lower level stays within its tank");
        InflowTotalCubicMeters += inflow * h;
        OutflowTotalCubicMeters += h / 6.0 * (q1 + (2.0 * q2) + (2.0 * q3) + q4);
    }

    /// <summary>The levels' rates of change and the lower tank's outflow at the given levels.</summary>
    private (double Upper, double Lower, double Outflow) Derivative(double inflow, double upper, double lower)
    {
        var transfer = Outflow(Parameters.UpperOutletCoefficient, upper);
        var outflow = Outflow(Parameters.LowerOutletCoefficient, lower);
        return ((inflow - transfer) / Parameters.UpperAreaSquareMeters, (transfer - outflow) / Parameters.LowerAreaSquareMeters, outflow);
    }

    /// <summary>Clamps a level to its tank; a level above the rim spills its excess.</summary>
    private double Rim(double level, double height, double area)
    {
        if (level > height)
        {
            SpilledCubicMeters += (level - height) * area;
            return height;
        }

        return Math.Max(level, 0.0);
    }

    private static double Outflow(double coefficient, double level) => coefficient * Math.Sqrt(Math.Max(level, 0.0));

    private double SteadyLevel(double coefficient, double level)
    {
        if (coefficient <= 0)
        {
            return InflowCubicMetersPerSecond > 0 ? double.PositiveInfinity : level;
        }

        var root = InflowCubicMetersPerSecond / coefficient;
        return root * root;
    }
}
