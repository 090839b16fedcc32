using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Program <c>hil.pump-actuator</c>: the pump's drive. Every period it reads the command
/// (point <c>inputPoint</c> of region <c>inputRegion</c>), runs it through <see cref="PumpActuator"/>
/// (safe output on Bad input, clamp 0..100 %, slew limit) and writes the result as f64 % to device
/// <c>pumpDevice</c>; with <c>feedbackRegion</c> and <c>feedbackPoint</c> it also publishes what it drove.
/// </summary>
public sealed class PumpActuatorService : IService
{
    /// <summary>The parameters <c>validate</c> checks; that feedbackRegion and feedbackPoint go together is checked at start.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        ParameterDeclaration.RequiredText("inputRegion", "region the pump command is read from"),
        ParameterDeclaration.Text("inputPoint", "point of inputRegion holding the command", "pump"),
        ParameterDeclaration.Number("slewPercentPerSecond", "fastest change of the output; 0 for no limit", 0.0, "%/s", min: 0),
        ParameterDeclaration.Number("safeOutputPercent", "output driven while the command is bad", 0.0, "%", min: 0, max: 100),
        ParameterDeclaration.Text("pumpDevice", "device the output (f64 %) is written to", "pump"),
        ParameterDeclaration.Text("feedbackRegion", "region the driven output is published to; empty for none"),
        ParameterDeclaration.Text("feedbackPoint", "point of feedbackRegion for the driven output; with feedbackRegion"),
    ];

    private Running? running;

    public static PumpActuator ReadActuator(ProgramParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new PumpActuator(
            parameters.Number("slewPercentPerSecond"),
            parameters.Number("safeOutputPercent"));
    }

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var actuator = ReadActuator(context.Parameters);
        var inputRegion = ServiceSettings.RequiredString(context, "inputRegion");
        var inputPoint = context.Parameters.Text("inputPoint");
        var feedbackRegion = context.Parameters.Text("feedbackRegion");
        var feedbackPoint = context.Parameters.Text("feedbackPoint");
        if ((feedbackRegion.Length == 0) != (feedbackPoint.Length == 0))
        {
            throw new ServiceConfigurationException(context.ServiceId, feedbackRegion.Length == 0 ? "feedbackRegion" : "feedbackPoint", "feedbackRegion and feedbackPoint go together");
        }

        var periodSeconds = ServiceSettings.PeriodSeconds(context);
        var reader = context.OpenRegionReader(inputRegion);
        var input = ServiceSettings.PointIndex(context, reader.Region, "inputPoint", inputPoint);
        RegionWriter? feedback = null;
        var feedbackIndex = -1;
        if (feedbackRegion.Length > 0)
        {
            feedback = context.OpenRegionWriter(feedbackRegion);
            feedbackIndex = ServiceSettings.PointIndex(context, feedback.Region, "feedbackPoint", feedbackPoint);
        }

        var pump = context.OpenDevice(context.Parameters.Text("pumpDevice"));
        SimulatedDeviceBus.WriteDouble(pump, actuator.OutputPercent);
        var state = new Running(actuator, reader, input, pump, feedback, feedbackIndex, periodSeconds);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        if (running is { } state)
        {
            state.Task?.Stop();
            state.Pump.Dispose();
        }

        running = null;
    }

    private sealed class Running(
        PumpActuator actuator,
        RegionReader reader,
        int input,
        IDeviceChannel pump,
        RegionWriter? feedback,
        int feedbackIndex,
        double periodSeconds) : ICyclicBody
    {
        private readonly RegionSnapshot snapshot = reader.CreateSnapshot();

        public IDeviceChannel Pump { get; } = pump;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            var readOk = reader.TryRead(snapshot);
            var output = actuator.Step(
                readOk ? snapshot.Value(input) : double.NaN,
                readOk ? snapshot.Quality(input) : Quality.Bad,
                periodSeconds);
            SimulatedDeviceBus.WriteDouble(Pump, output);
            if (feedback is not null)
            {
                feedback.Set(feedbackIndex, output, Quality.Good, cycle.StartNs);
                feedback.Publish();
            }
        }
    }
}
