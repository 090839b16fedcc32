using Neokernel.Hil.Plants;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Program <c>hil.heated-tank-plant</c>: the heated tank as a plant model. Every period it reads the
/// heater command (% of heaterPowerMaxWatts, point <c>heaterPoint</c> of region <c>inputRegion</c>),
/// steps the <see cref="HeatedTankModel"/> by the period (its fixed step) and publishes the
/// temperature (°C, point <c>temperaturePoint</c> of region <c>outputRegion</c>) through a sensor
/// chain of noise (the service's own random stream) and quantization, with the cycle's start as
/// source timestamp. A heater command that is Bad, unreadable or no number counts as a heater that
/// is off, as a power controller with a broken signal line would; one outside 0..100 % is clamped
/// (<see cref="ThermalPlantPoints"/>, shared with the jacketed tank).
/// </summary>
public sealed class HeatedTankPlantService : IService
{
    /// <summary>The parameters <c>validate</c> checks: the model's section, the sensor's and the points'; the model's own Validate checks the rest at start.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        .. PlantParameterSections.HeatedTank,
        .. ThermalPlantPoints.Declarations(
            ParameterDeclaration.Text("temperaturePoint", "point of outputRegion the temperature (°C) goes to", "temperature")),
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
        var points = ThermalPlantPoints.Open(context, ("temperaturePoint", model.TemperatureCelsius));
        var state = new Running(model, points, periodSeconds);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    private sealed class Running(HeatedTankModel model, ThermalPlantPoints points, double periodSeconds) : ICyclicBody
    {
        public HeatedTankModel Model { get; } = model;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            Model.HeaterPercent = points.HeaterPercent();
            Model.Step(periodSeconds);
            points.Set(0, Model.TemperatureCelsius, periodSeconds, cycle.StartNs);
            points.Publish();
        }
    }
}
