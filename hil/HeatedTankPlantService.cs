using Neokernel.Hil.Plants;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Program <c>hil.heated-tank-plant</c>: the heated tank as a plant model. Every period it reads the
/// heater command (% of heaterPowerMaxWatts, point <c>heaterPoint</c> of region <c>inputRegion</c>),
/// steps the <see cref="HeatedTankModel"/> by the period (its fixed step) and publishes the
/// temperature (°C, point <c>temperaturePoint</c> of region <c>outputRegion</c>) through a sensor
/// chain of noise (the service's own random stream) and quantization, with the cycle's start as
/// source timestamp. A heater command that is Bad, unreadable or no number counts as a heater that
/// is off, as a power controller with a broken signal line would; one outside 0..100 % is clamped.
/// </summary>
public sealed class HeatedTankPlantService : IService
{
    /// <summary>The parameters <c>validate</c> checks: the model's section, the sensor's and the points'; the model's own Validate checks the rest at start.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        .. PlantParameterSections.HeatedTank,
        ParameterDeclaration.Number("noiseStdDevCelsius", "standard deviation of the sensor's noise", 0.0, "°C", min: 0),
        ParameterDeclaration.Number("quantizationCelsius", "resolution of the sensor; 0 for none", 0.0, "°C", min: 0),
        ParameterDeclaration.RequiredText("inputRegion", "region the heater command is read from"),
        ParameterDeclaration.Text("heaterPoint", "point of inputRegion holding the heater command (%)", "heater"),
        ParameterDeclaration.RequiredText("outputRegion", "region the temperature is published to"),
        ParameterDeclaration.Text("temperaturePoint", "point of outputRegion the temperature (°C) goes to", "temperature"),
    ];

    private Running? running;

    /// <summary>The model, once started: for diagnostics and tests.</summary>
    public HeatedTankModel? Model => running?.Model;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tankParameters = PlantParameterSections.ReadHeatedTank(context.Parameters);
        var periodSeconds = ServiceSettings.PeriodSeconds(context);
        var model = ServiceSettings.Checked(context, () => new HeatedTankModel(tankParameters, periodSeconds));
        var sensor = new SignalChain(
            model.TemperatureCelsius,
            new NoiseStage(context.Parameters.Number("noiseStdDevCelsius"), context.Random),
            new QuantizationStage(context.Parameters.Number("quantizationCelsius")));
        var inputRegion = ServiceSettings.RequiredString(context, "inputRegion");
        var outputRegion = ServiceSettings.RequiredString(context, "outputRegion");
        var reader = context.OpenRegionReader(inputRegion);
        var heater = ServiceSettings.PointIndex(context, reader.Region, "heaterPoint", context.Parameters.Text("heaterPoint"));
        var writer = context.OpenRegionWriter(outputRegion);
        var temperature = ServiceSettings.PointIndex(context, writer.Region, "temperaturePoint", context.Parameters.Text("temperaturePoint"));
        var state = new Running(model, sensor, reader, heater, writer, temperature, periodSeconds);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    private sealed class Running(
        HeatedTankModel model,
        SignalChain sensor,
        RegionReader reader,
        int heater,
        RegionWriter writer,
        int temperature,
        double periodSeconds) : ICyclicBody
    {
        private readonly RegionSnapshot snapshot = reader.CreateSnapshot();

        public HeatedTankModel Model { get; } = model;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            var usable = reader.TryRead(snapshot) && snapshot.Quality(heater) != Quality.Bad;
            var heaterPercent = usable ? snapshot.Value(heater) : double.NaN;
            Model.HeaterPercent = double.IsFinite(heaterPercent) ? Math.Clamp(heaterPercent, 0.0, 100.0) : 0.0;
            Model.Step(periodSeconds);
            var reading = sensor.Process(Model.TemperatureCelsius, periodSeconds);
            writer.Set(temperature, reading.Value, reading.Quality, cycle.StartNs);
            writer.Publish();
        }
    }
}
