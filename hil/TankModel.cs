namespace Neokernel.Hil;

/// <summary>The physical data of a <see cref="TankModel"/>.</summary>
/// <param name="AreaSquareMeters">Cross-section of the cylinder.</param>
/// <param name="HeightMeters">Height; above it the tank spills over.</param>
/// <param name="PumpFlowMaxCubicMetersPerSecond">Inflow at 100 % pump command.</param>
/// <param name="ValveCoefficient">cv in Qout = cv · opening · sqrt(h), m^2.5/s.</param>
/// <param name="ValveOpening">Outlet valve opening, 0..1.</param>
/// <param name="LevelInitialMeters">Level at start, 0..height.</param>
public readonly record struct TankParameters(
    double AreaSquareMeters,
    double HeightMeters,
    double PumpFlowMaxCubicMetersPerSecond,
    double ValveCoefficient,
    double ValveOpening,
    double LevelInitialMeters)
{
    /// <summary>A one-square-meter, two-meter tank that a half-open valve holds at 1 m with the pump at 50 %.</summary>
    public static TankParameters Default => new(1.0, 2.0, 0.01, 0.01, 0.5, 0.0);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong and why.</summary>
    public void Validate()
    {
        ParameterRules.Positive(AreaSquareMeters, nameof(AreaSquareMeters));
        ParameterRules.Positive(HeightMeters, nameof(HeightMeters));
        ParameterRules.NonNegative(PumpFlowMaxCubicMetersPerSecond, nameof(PumpFlowMaxCubicMetersPerSecond));
        ParameterRules.NonNegative(ValveCoefficient, nameof(ValveCoefficient));
        ParameterRules.Within(ValveOpening, 0, 1, nameof(ValveOpening));
        ParameterRules.Within(LevelInitialMeters, 0, HeightMeters, nameof(LevelInitialMeters));
    }
}

/// <summary>
/// A cylindrical tank filled by a pump and drained through a valve (Torricelli):
/// dh/dt = (Qin − Qout) / A, Qin = Qmax · pump/100, Qout = cv · opening · sqrt(max(h, 0)).
/// Integrated with classical fourth-order Runge–Kutta on fixed sub-steps no longer than
/// <see cref="MaxStepSeconds"/>, so a long control period does not cost accuracy. The level stays
/// in [0, height]: an empty tank stays empty, a full one spills. Only + − * / and sqrt, so the
/// trajectory is bit-identical on every CPU; allocation-free after construction.
/// </summary>
public sealed class TankModel
{
    /// <summary>A sub-step limit that keeps RK4 far below sensor noise for tanks of seconds-to-minutes time constants.</summary>
    public const double DefaultMaxStepSeconds = 0.05;

    /// <summary>More sub-steps than this in one call is a configuration error, not a simulation.</summary>
    public const long SubStepsMax = 1_000_000;

    private double pumpPercent;
    private double valveOpening;

    public TankModel(TankParameters parameters, double maxStepSeconds = DefaultMaxStepSeconds)
    {
        parameters.Validate();
        if (!double.IsFinite(maxStepSeconds) || maxStepSeconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxStepSeconds), maxStepSeconds, "must be positive and finite");
        }

        Parameters = parameters;
        MaxStepSeconds = maxStepSeconds;
        valveOpening = parameters.ValveOpening;
        LevelMeters = parameters.LevelInitialMeters;
    }

    public TankParameters Parameters { get; }

    public double MaxStepSeconds { get; }

    public double LevelMeters { get; private set; }

    /// <summary>Simulated time integrated so far.</summary>
    public double ElapsedSeconds { get; private set; }

    /// <summary>Pump command, 0..100 %.</summary>
    public double PumpPercent
    {
        get => pumpPercent;
        set => pumpPercent = InRange(value, 0, 100, "the pump command is 0..100 %");
    }

    /// <summary>Outlet valve opening, 0..1.</summary>
    public double ValveOpening
    {
        get => valveOpening;
        set => valveOpening = InRange(value, 0, 1, "the valve opening is 0..1");
    }

    public double InflowCubicMetersPerSecond => Parameters.PumpFlowMaxCubicMetersPerSecond * pumpPercent / 100.0;

    public double OutflowCubicMetersPerSecond => Outflow(LevelMeters);

    public double VolumeCubicMeters => LevelMeters * Parameters.AreaSquareMeters;

    /// <summary>The level at which outflow equals the current inflow (may lie above the rim).</summary>
    public double SteadyStateLevelMeters
    {
        get
        {
            var k = Parameters.ValveCoefficient * valveOpening;
            if (k <= 0)
            {
                return InflowCubicMetersPerSecond > 0 ? double.PositiveInfinity : LevelMeters;
            }

            var root = InflowCubicMetersPerSecond / k;
            return root * root;
        }
    }

    /// <summary>Advances the model by <paramref name="dtSeconds"/> in equal sub-steps of at most <see cref="MaxStepSeconds"/>.</summary>
    public void Step(double dtSeconds)
    {
        if (!double.IsFinite(dtSeconds) || dtSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, "must be zero or positive and finite");
        }

        var subStepsExact = Math.Ceiling(dtSeconds / MaxStepSeconds);
        if (subStepsExact > SubStepsMax)
        {
            throw new ArgumentOutOfRangeException(nameof(dtSeconds), dtSeconds, "needs more sub-steps than SubStepsMax; raise MaxStepSeconds");
        }

        var subSteps = (long)subStepsExact;
        if (subSteps == 0)
        {
            return;
        }

        var h = dtSeconds / subSteps;
        var level = LevelMeters;
        for (var i = 0L; i < subSteps; i++)
        {
            level = RungeKutta4(level, h);
        }

        LevelMeters = level;
        ElapsedSeconds += dtSeconds;
    }

    private double RungeKutta4(double level, double h)
    {
        var k1 = Derivative(level);
        var k2 = Derivative(level + (0.5 * h * k1));
        var k3 = Derivative(level + (0.5 * h * k2));
        var k4 = Derivative(level + (h * k3));
        var next = level + (h / 6.0 * (k1 + (2.0 * k2) + (2.0 * k3) + k4));
        return Math.Clamp(next, 0.0, Parameters.HeightMeters);
    }

    private double Derivative(double level) =>
        (InflowCubicMetersPerSecond - Outflow(level)) / Parameters.AreaSquareMeters;

    private double Outflow(double level) => Parameters.ValveCoefficient * valveOpening * Math.Sqrt(Math.Max(level, 0.0));

    /// <summary><paramref name="value"/> when finite and within <paramref name="min"/>..<paramref name="max"/>; a command outside is the caller's bug.</summary>
    private static double InRange(double value, double min, double max, string rule) =>
        double.IsFinite(value) && value >= min && value <= max ? value : throw new ArgumentOutOfRangeException(nameof(value), value, rule);
}
