using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Program <c>hil.tank-plant</c>: the tank as a plant model. Every period it reads the pump
/// command (f64 %, device <c>pumpDevice</c>), steps the <see cref="TankModel"/> by the period and
/// writes the true level (f64 m, device <c>levelDevice</c>). A pump command that is no number
/// counts as a stopped pump, as a drive with a broken signal line would.
/// </summary>
public sealed class TankPlantService : IService
{
    /// <summary>The parameters <c>validate</c> checks; that the initial level is within the height is the model's own check, at start.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        ParameterDeclaration.Number("areaSquareMeters", "cross-section of the tank (positive)", TankParameters.Default.AreaSquareMeters, "m²", min: 0),
        ParameterDeclaration.Number("heightMeters", "height of the tank (positive)", TankParameters.Default.HeightMeters, "m", min: 0),
        ParameterDeclaration.Number("pumpFlowMaxCubicMetersPerSecond", "inflow at 100 % pump command", TankParameters.Default.PumpFlowMaxCubicMetersPerSecond, "m³/s", min: 0),
        ParameterDeclaration.Number("valveCoefficient", "outflow coefficient k in q = k·opening·√level", TankParameters.Default.ValveCoefficient, "m^2.5/s", min: 0),
        ParameterDeclaration.Number("valveOpening", "opening of the outlet valve", TankParameters.Default.ValveOpening, min: 0, max: 1),
        ParameterDeclaration.Number("levelInitialMeters", "level at start, within the height", TankParameters.Default.LevelInitialMeters, "m", min: 0),
        ParameterDeclaration.Text("pumpDevice", "device the pump command (f64 %) is read from", "pump"),
        ParameterDeclaration.Text("levelDevice", "device the true level (f64 m) is written to", "level"),
    ];

    private Running? running;

    /// <summary>The model, once started: for diagnostics and tests.</summary>
    public TankModel? Model => running?.Model;

    public static TankParameters ReadParameters(ProgramParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new TankParameters(
            parameters.Number("areaSquareMeters"),
            parameters.Number("heightMeters"),
            parameters.Number("pumpFlowMaxCubicMetersPerSecond"),
            parameters.Number("valveCoefficient"),
            parameters.Number("valveOpening"),
            parameters.Number("levelInitialMeters"));
    }

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tankParameters = ReadParameters(context.Parameters);
        var model = ServiceSettings.Checked(context, () => new TankModel(tankParameters));
        var periodSeconds = ServiceSettings.PeriodSeconds(context);
        var pump = context.OpenDevice(context.Parameters.Text("pumpDevice"));
        var level = context.OpenDevice(context.Parameters.Text("levelDevice"));
        SimulatedDeviceBus.WriteDouble(level, model.LevelMeters);
        var state = new Running(model, pump, level, periodSeconds);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        if (running is { } state)
        {
            state.Task?.Stop();
            state.Dispose();
        }

        running = null;
    }

    private sealed class Running(TankModel model, IDeviceChannel pump, IDeviceChannel level, double periodSeconds) : ICyclicBody, IDisposable
    {
        public TankModel Model { get; } = model;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            var pumpPercent = SimulatedDeviceBus.ReadDouble(pump);
            Model.PumpPercent = double.IsFinite(pumpPercent) ? Math.Clamp(pumpPercent, 0.0, 100.0) : 0.0;
            Model.Step(periodSeconds);
            SimulatedDeviceBus.WriteDouble(level, Model.LevelMeters);
        }

        public void Dispose()
        {
            pump.Dispose();
            level.Dispose();
        }
    }
}
