using Neokernel.Hil.Plants;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Program <c>hil.jacketed-tank-plant</c>: the jacketed tank as a plant model, the plant of a
/// temperature cascade. Every period it reads the heater command (% of heaterPowerMaxWatts, point
/// <c>heaterPoint</c> of region <c>inputRegion</c>), steps the <see cref="JacketedTankModel"/> by the
/// period (its fixed step) and publishes the contents' temperature as their sensor measures it,
/// the dead time late (°C, point <c>temperaturePoint</c>), and the jacket's temperature (°C, point
/// <c>jacketPoint</c>) to region <c>outputRegion</c>, each through a sensor chain of noise (both
/// from the service's own random stream, the contents' draw first) and quantization, with the
/// cycle's start as source timestamp. A heater command that is Bad, unreadable or no number turns
/// the heater off; one outside 0..100 % is clamped (<see cref="ThermalPlantPoints"/>).
/// </summary>
public sealed class JacketedTankPlantService : IService
{
    /// <summary>The parameters <c>validate</c> checks: the model's section, the sensors' and the points'; the model's own Validate checks the rest at start.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        .. PlantParameterSections.JacketedTank,
        .. ThermalPlantPoints.Declarations(
            ParameterDeclaration.Text("temperaturePoint", "point of outputRegion the contents' measured temperature (°C) goes to", "temperature"),
            ParameterDeclaration.Text("jacketPoint", "point of outputRegion the jacket's temperature (°C) goes to", "jacket")),
    ];

    /// <summary>Index of the contents' sensor in the points opened.</summary>
    private const int ContentsOutput = 0;

    /// <summary>Index of the jacket's sensor in the points opened.</summary>
    private const int JacketOutput = 1;

    private Running? running;

    /// <summary>The model, once started: for diagnostics and tests.</summary>
    public JacketedTankModel? Model => running?.Model;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tankParameters = PlantParameterSections.ReadJacketedTank(context.Parameters);
        var periodSeconds = ServiceSettings.PeriodSeconds(context);
        var model = ServiceSettings.Checked(context, () => new JacketedTankModel(tankParameters, periodSeconds));
        var points = ThermalPlantPoints.Open(
            context,
            ("temperaturePoint", model.MeasuredTemperatureCelsius),
            ("jacketPoint", model.JacketTemperatureCelsius));
        var state = new Running(model, points, periodSeconds);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    private sealed class Running(JacketedTankModel model, ThermalPlantPoints points, double periodSeconds) : ICyclicBody
    {
        public JacketedTankModel Model { get; } = model;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            Model.HeaterPercent = points.HeaterPercent();
            Model.Step(periodSeconds);
            points.Set(ContentsOutput, Model.MeasuredTemperatureCelsius, periodSeconds, cycle.StartNs);
            points.Set(JacketOutput, Model.JacketTemperatureCelsius, periodSeconds, cycle.StartNs);
            points.Publish();
        }
    }
}
