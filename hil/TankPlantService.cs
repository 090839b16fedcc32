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
    public static readonly IReadOnlyList<string> ParameterNames =
    [
        "areaSquareMeters", "heightMeters", "pumpFlowMaxCubicMetersPerSecond", "valveCoefficient", "valveOpening",
        "levelInitialMeters", "pumpDevice", "levelDevice",
    ];

    private Running? running;

    /// <summary>The model, once started: for diagnostics and tests.</summary>
    public TankModel? Model => running?.Model;

    public static TankParameters ReadParameters(ProgramParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var defaults = TankParameters.Default;
        return new TankParameters(
            parameters.GetDouble("areaSquareMeters", defaults.AreaSquareMeters),
            parameters.GetDouble("heightMeters", defaults.HeightMeters),
            parameters.GetDouble("pumpFlowMaxCubicMetersPerSecond", defaults.PumpFlowMaxCubicMetersPerSecond),
            parameters.GetDouble("valveCoefficient", defaults.ValveCoefficient),
            parameters.GetDouble("valveOpening", defaults.ValveOpening),
            parameters.GetDouble("levelInitialMeters", defaults.LevelInitialMeters));
    }

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tankParameters = ReadParameters(context.Parameters);
        var model = ServiceSettings.Checked(context, () => new TankModel(tankParameters));
        var periodSeconds = ServiceSettings.PeriodSeconds(context);
        var pump = context.OpenDevice(context.Parameters.GetString("pumpDevice", "pump"));
        var level = context.OpenDevice(context.Parameters.GetString("levelDevice", "level"));
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
