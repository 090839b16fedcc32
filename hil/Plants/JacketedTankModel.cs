using System.Diagnostics;

namespace Neokernel.Hil.Plants;

/// <summary>
/// The physical data of a <see cref="JacketedTankModel"/>: the vessel's first, in the order and
/// with the meaning of <see cref="HeatedTankParameters"/> (but for where the dead time sits), then
/// the jacket's.
/// </summary>
/// <param name="HeatCapacityJoulesPerKelvin">C: mass times specific heat of the contents.</param>
/// <param name="HeatLossWattsPerKelvin">UA: the contents' loss to ambient per kelvin above it.</param>
/// <param name="HeaterPowerMaxWatts">Heat into the jacket at 100 % heater command.</param>
/// <param name="AmbientTemperatureCelsius">Ambient at start; an input of the model afterwards.</param>
/// <param name="DeadTimeSeconds">Transport delay between the contents and their temperature sensor, rounded to whole steps; the jacket's temperature has none.</param>
/// <param name="TemperatureInitialCelsius">Temperature of the contents at start; their sensor reads it through the first dead time.</param>
/// <param name="JacketHeatCapacityJoulesPerKelvin">Cj: heat capacity of the jacket with its heating element.</param>
/// <param name="JacketTransferWattsPerKelvin">Uj: heat from the jacket into the contents per kelvin of difference.</param>
/// <param name="JacketTemperatureInitialCelsius">Temperature of the jacket at start.</param>
public readonly record struct JacketedTankParameters(
    double HeatCapacityJoulesPerKelvin,
    double HeatLossWattsPerKelvin,
    double HeaterPowerMaxWatts,
    double AmbientTemperatureCelsius,
    double DeadTimeSeconds,
    double TemperatureInitialCelsius,
    double JacketHeatCapacityJoulesPerKelvin,
    double JacketTransferWattsPerKelvin,
    double JacketTemperatureInitialCelsius)
{
    /// <summary>
    /// The heated tank's vessel (C = 20 kJ/K, UA = 100 W/K, 5 kW, 5 s from the contents to their
    /// sensor) in a jacket of 2 kJ/K coupled by 400 W/K: time constants of about 4.5 s (the jacket)
    /// and 220 s (the contents); at 50 % heater 45 °C in the contents and 51.25 °C in the jacket. The
    /// inner loop of a cascade settles in seconds and the outer in minutes.
    /// </summary>
    public static JacketedTankParameters Default => new(20_000.0, 100.0, 5_000.0, 20.0, 5.0, 20.0, 2_000.0, 400.0, 20.0);

    /// <summary>The vessel and its contents without the jacket, as a heated tank: the members the two models share.</summary>
    public HeatedTankParameters Vessel =>
        new(HeatCapacityJoulesPerKelvin, HeatLossWattsPerKelvin, HeaterPowerMaxWatts, AmbientTemperatureCelsius, DeadTimeSeconds, TemperatureInitialCelsius);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong, its value and what is allowed.</summary>
    public void Validate()
    {
        // The shared members have the same names, so the heated tank's rules name them right.
        Vessel.Validate();
        ParameterRules.Positive(JacketHeatCapacityJoulesPerKelvin, nameof(JacketHeatCapacityJoulesPerKelvin));
        ParameterRules.Positive(JacketTransferWattsPerKelvin, nameof(JacketTransferWattsPerKelvin));
        ParameterRules.Temperature(JacketTemperatureInitialCelsius, nameof(JacketTemperatureInitialCelsius));
    }
}

/// <summary>
/// A stirred tank heated through a jacket, two thermal states: Cj · dTj/dt = P − Uj · (Tj − T) and
/// C · dT/dt = Uj · (Tj − T) − UA · (T − Ta), with Tj the jacket's (heating element's) temperature and
/// T the contents' (°C), Cj and C their heat capacities (J/K), Uj the transfer between them and UA
/// the contents' loss to ambient Ta (W/K), and P = Pmax · heater/100 the heater power (W) into the
/// jacket. At rest T = Ta + P/UA and Tj = T + P/Uj. The contents' sensor sees T a dead time θ late
/// (<see cref="MeasuredTemperatureCelsius"/>, from a ring buffer of θ/h samples sized at
/// construction that starts at the initial temperature), while <see cref="TemperatureCelsius"/> is
/// the true contents' temperature and the jacket's is read without delay, as a cascade's inner loop
/// needs. Exact zero-order-hold discretisation (<see cref="ZeroOrderHold"/>) of the linear system
/// with inputs P and Ta for the fixed step h, computed once with + − × ÷ only: the exact solution
/// at every sample for inputs held over the step, at any step, bit-identical on every CPU; a step is
/// a 2×2 and a 2×2 product, allocation-free.
/// </summary>
public sealed class JacketedTankModel
{
    public const double DefaultStepSeconds = 0.1;

    private const int States = 2;
    private const int Inputs = 2;

    private readonly FixedStep fixedStep;
    private readonly double[] phi;
    private readonly double[] gamma;
    private readonly DelayLine sensorDeadTime;
    private double heaterPercent;
    private double ambientCelsius;
    private long steps;

    public JacketedTankModel(JacketedTankParameters parameters, double stepSeconds = DefaultStepSeconds)
    {
        parameters.Validate();
        fixedStep = new FixedStep(stepSeconds);
        Parameters = parameters;
        var p = parameters;
        var jacket = p.JacketHeatCapacityJoulesPerKelvin;
        var contents = p.HeatCapacityJoulesPerKelvin;
        var transfer = p.JacketTransferWattsPerKelvin;
        var loss = p.HeatLossWattsPerKelvin;
        double[] a =
        [
            -transfer / jacket, transfer / jacket,
            transfer / contents, -(transfer + loss) / contents,
        ];
        double[] b =
        [
            1.0 / jacket, 0.0,
            0.0, loss / contents,
        ];
        (phi, gamma) = ZeroOrderHold.Discretise(a, b, States, Inputs, stepSeconds);
        sensorDeadTime = new DelayLine(
            DelayLine.LengthFor(p.DeadTimeSeconds, stepSeconds, nameof(p.DeadTimeSeconds)),
            p.TemperatureInitialCelsius);
        ambientCelsius = p.AmbientTemperatureCelsius;
        JacketTemperatureCelsius = p.JacketTemperatureInitialCelsius;
        TemperatureCelsius = p.TemperatureInitialCelsius;
        MeasuredTemperatureCelsius = p.TemperatureInitialCelsius;
    }

    public JacketedTankParameters Parameters { get; }

    /// <summary>The integration step; Step(dt) takes whole multiples of it.</summary>
    public double StepSeconds => fixedStep.Seconds;

    /// <summary>The contents' sensor's dead time as simulated: a whole number of steps.</summary>
    public double DeadTimeEffectiveSeconds => sensorDeadTime.LengthSamples * fixedStep.Seconds;

    /// <summary>The faster of the two modes' time constants (mostly the jacket's, near Cj/Uj).</summary>
    public double FastTimeConstantSeconds => -1.0 / Eigenvalues().Fast;

    /// <summary>The slower of the two modes' time constants (mostly the contents', near (C + Cj)/UA).</summary>
    public double SlowTimeConstantSeconds => -1.0 / Eigenvalues().Slow;

    /// <summary>The jacket's (heating element's) temperature, without sensor delay.</summary>
    public double JacketTemperatureCelsius { get; private set; }

    /// <summary>The contents' true temperature now.</summary>
    public double TemperatureCelsius { get; private set; }

    /// <summary>The contents' temperature as their sensor reports it: <see cref="TemperatureCelsius"/> of <see cref="DeadTimeEffectiveSeconds"/> ago.</summary>
    public double MeasuredTemperatureCelsius { get; private set; }

    /// <summary>Simulated time integrated so far: whole steps, so it does not drift.</summary>
    public double ElapsedSeconds => steps * fixedStep.Seconds;

    // The inputs' members below read as HeatedTankModel's on purpose: each model's surface stands
    // alone for its callers, and the rules behind them are one (PlantInput); a common base class
    // for four one-line properties would couple two sealed models for no gain.

    /// <summary>Heater command, 0..100 % of <see cref="JacketedTankParameters.HeaterPowerMaxWatts"/>.</summary>
    public double HeaterPercent
    {
        get => heaterPercent;
        set => heaterPercent = PlantInput.HeaterPercent(value);
    }

    /// <summary>Ambient temperature, a disturbance input.</summary>
    public double AmbientTemperatureCelsius
    {
        get => ambientCelsius;
        set => ambientCelsius = PlantInput.AmbientCelsius(value);
    }

    public double HeaterPowerWatts => Parameters.HeaterPowerMaxWatts * heaterPercent / 100.0;

    /// <summary>The contents' temperature the current heater power and ambient lead to: Ta + P/UA.</summary>
    public double SteadyStateTemperatureCelsius => ambientCelsius + (HeaterPowerWatts / Parameters.HeatLossWattsPerKelvin);

    /// <summary>The jacket's temperature the current heater power and ambient lead to: T + P/Uj, all of P crossing into the contents.</summary>
    public double SteadyStateJacketTemperatureCelsius => SteadyStateTemperatureCelsius + (HeaterPowerWatts / Parameters.JacketTransferWattsPerKelvin);

    /// <summary>Advances by <paramref name="dtSeconds"/>, a whole multiple of the fixed step, with the inputs as set.</summary>
    public void Step(double dtSeconds)
    {
        var count = fixedStep.StepsIn(dtSeconds);
        var power = HeaterPowerWatts;
        var jacket = JacketTemperatureCelsius;
        var contents = TemperatureCelsius;
        var measured = MeasuredTemperatureCelsius;
        for (var k = 0L; k < count; k++)
        {
            var jacketNext = (phi[0] * jacket) + (phi[1] * contents) + (gamma[0] * power) + (gamma[1] * ambientCelsius);
            contents = (phi[2] * jacket) + (phi[3] * contents) + (gamma[2] * power) + (gamma[3] * ambientCelsius);
            jacket = jacketNext;
            measured = sensorDeadTime.Shift(contents);
        }

        Debug.Assert(double.IsFinite(jacket) && double.IsFinite(contents), "a stable linear system with finite inputs stays finite");
        JacketTemperatureCelsius = jacket;
        TemperatureCelsius = contents;
        MeasuredTemperatureCelsius = measured;
        steps += count;
    }

    /// <summary>The continuous system's two eigenvalues, both real and negative (A is similar to a symmetric matrix).</summary>
    private (double Fast, double Slow) Eigenvalues()
    {
        var p = Parameters;
        var jacketRate = p.JacketTransferWattsPerKelvin / p.JacketHeatCapacityJoulesPerKelvin;
        var contentsRate = (p.JacketTransferWattsPerKelvin + p.HeatLossWattsPerKelvin) / p.HeatCapacityJoulesPerKelvin;
        var trace = -(jacketRate + contentsRate);
        var determinant = jacketRate * p.HeatLossWattsPerKelvin / p.HeatCapacityJoulesPerKelvin;
        var root = Math.Sqrt((trace * trace) - (4.0 * determinant));
        return ((trace - root) / 2.0, (trace + root) / 2.0);
    }
}
