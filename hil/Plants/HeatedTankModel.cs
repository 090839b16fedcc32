using System.Diagnostics;

namespace Neokernel.Hil.Plants;

/// <summary>The physical data of a <see cref="HeatedTankModel"/>.</summary>
/// <param name="HeatCapacityJoulesPerKelvin">C: mass times specific heat of the contents (water: 4186 J/(kg·K) per kg).</param>
/// <param name="HeatLossWattsPerKelvin">UA: loss to ambient per kelvin above it.</param>
/// <param name="HeaterPowerMaxWatts">Heat into the contents at 100 % heater command.</param>
/// <param name="AmbientTemperatureCelsius">Ambient at start; an input of the model afterwards.</param>
/// <param name="DeadTimeSeconds">Transport delay between the heater and the temperature sensor, rounded to whole steps.</param>
/// <param name="TemperatureInitialCelsius">Temperature of the contents at start.</param>
public readonly record struct HeatedTankParameters(
    double HeatCapacityJoulesPerKelvin,
    double HeatLossWattsPerKelvin,
    double HeaterPowerMaxWatts,
    double AmbientTemperatureCelsius,
    double DeadTimeSeconds,
    double TemperatureInitialCelsius)
{
    /// <summary>Absolute zero: no temperature may lie below it.</summary>
    public const double TemperatureMinCelsius = -273.15;

    /// <summary>Above this a temperature is a typing error, not a process.</summary>
    public const double TemperatureMaxCelsius = 10_000.0;

    /// <summary>
    /// A small vessel: τ = C/UA = 200 s, 50 K above ambient at full power (5 kW), 5 s from the
    /// heater to the sensor: slow enough to see, fast enough for a cascade demo in minutes.
    /// </summary>
    public static HeatedTankParameters Default => new(20_000.0, 100.0, 5_000.0, 20.0, 5.0, 20.0);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong, its value and what is allowed.</summary>
    public void Validate()
    {
        ParameterRules.Positive(HeatCapacityJoulesPerKelvin, nameof(HeatCapacityJoulesPerKelvin));
        ParameterRules.Positive(HeatLossWattsPerKelvin, nameof(HeatLossWattsPerKelvin));
        ParameterRules.NonNegative(HeaterPowerMaxWatts, nameof(HeaterPowerMaxWatts));
        ParameterRules.Temperature(AmbientTemperatureCelsius, nameof(AmbientTemperatureCelsius));
        ParameterRules.NonNegative(DeadTimeSeconds, nameof(DeadTimeSeconds));
        ParameterRules.Temperature(TemperatureInitialCelsius, nameof(TemperatureInitialCelsius));
    }
}

/// <summary>
/// A stirred tank with an electric heater, first-order thermal with dead time:
/// C · dT/dt = P(t − θ) − UA · (T − Ta), with T the contents' temperature (°C), C the heat capacity
/// (J/K), UA the loss to ambient (W/K), Ta the ambient (°C), P = Pmax · heater/100 the heater power
/// (W) and θ the dead time (s) from the heater to the sensor, held in a ring buffer of θ/h samples
/// sized at construction, which starts with the heater off. Exact zero-order-hold discretisation
/// (<see cref="ZeroOrderHold"/>) for the fixed step h: T[k+1] = Ta + (T[k] − Ta)·e^(−h/τ) + (1 − e^(−h/τ))·P[k−n]/UA, τ = C/UA, the exact
/// solution at every sample for inputs held over the step, at any step; e^(−h/τ) is computed once,
/// with + − × ÷ only, so a trajectory is bit-identical on every CPU. Allocation-free per step.
/// </summary>
public sealed class HeatedTankModel
{
    public const double DefaultStepSeconds = 0.1;

    private readonly double decay;
    private readonly double gainPower;
    private readonly double gainAmbient;
    private readonly DelayLine deadTime;
    private readonly FixedStep fixedStep;
    private double heaterPercent;
    private double ambientCelsius;
    private long steps;

    public HeatedTankModel(HeatedTankParameters parameters, double stepSeconds = DefaultStepSeconds)
    {
        parameters.Validate();
        fixedStep = new FixedStep(stepSeconds);
        Parameters = parameters;
        var capacity = parameters.HeatCapacityJoulesPerKelvin;
        var loss = parameters.HeatLossWattsPerKelvin;
        var (phi, gamma) = ZeroOrderHold.Discretise([-loss / capacity], [1.0 / capacity, loss / capacity], 1, 2, stepSeconds);
        decay = phi[0];
        gainPower = gamma[0];
        gainAmbient = gamma[1];
        deadTime = new DelayLine(DelayLine.LengthFor(parameters.DeadTimeSeconds, stepSeconds, nameof(parameters.DeadTimeSeconds)), 0.0);
        ambientCelsius = parameters.AmbientTemperatureCelsius;
        TemperatureCelsius = parameters.TemperatureInitialCelsius;
    }

    public HeatedTankParameters Parameters { get; }

    /// <summary>The integration step; Step(dt) takes whole multiples of it.</summary>
    public double StepSeconds => fixedStep.Seconds;

    /// <summary>The dead time as simulated: a whole number of steps.</summary>
    public double DeadTimeEffectiveSeconds => deadTime.LengthSamples * fixedStep.Seconds;

    public double TimeConstantSeconds => Parameters.HeatCapacityJoulesPerKelvin / Parameters.HeatLossWattsPerKelvin;

    public double TemperatureCelsius { get; private set; }

    /// <summary>Simulated time integrated so far: whole steps, so it does not drift.</summary>
    public double ElapsedSeconds => steps * fixedStep.Seconds;

    /// <summary>Heater command, 0..100 % of <see cref="HeatedTankParameters.HeaterPowerMaxWatts"/>.</summary>
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

    /// <summary>The temperature the current heater power and ambient lead to once the dead time has passed.</summary>
    public double SteadyStateTemperatureCelsius => ambientCelsius + (HeaterPowerWatts / Parameters.HeatLossWattsPerKelvin);

    /// <summary>Advances by <paramref name="dtSeconds"/>, a whole multiple of the fixed step, with the inputs as set.</summary>
    public void Step(double dtSeconds)
    {
        var count = fixedStep.StepsIn(dtSeconds);
        var power = HeaterPowerWatts;
        var temperature = TemperatureCelsius;
        for (var i = 0L; i < count; i++)
        {
            var powerArrived = deadTime.Shift(power);
            temperature = (decay * temperature) + (gainPower * powerArrived) + (gainAmbient * ambientCelsius);
        }

        Debug.Assert(double.IsFinite(temperature), "a stable first-order system with finite inputs stays finite");
        TemperatureCelsius = temperature;
        steps += count;
    }
}
