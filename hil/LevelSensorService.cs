using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// Program <c>hil.level-sensor</c>: a level transmitter. Every period it reads the true level
/// (f64 m, device <c>levelDevice</c>), conditions it with <see cref="LevelTransmitter"/> (noise from
/// the service's own random stream, quantisation, range) and publishes point <c>outputPoint</c> of
/// region <c>outputRegion</c> with the cycle's start time as source timestamp.
/// </summary>
public sealed class LevelSensorService : IService
{
    /// <summary>The parameters <c>validate</c> checks; that rangeMin is below rangeMax is checked at start.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        ParameterDeclaration.Number("noiseStdDevMeters", "standard deviation of the measurement noise", 0.0, "m", min: 0),
        ParameterDeclaration.Number("quantizationMeters", "resolution of the reading; 0 for none", 0.0, "m", min: 0),
        ParameterDeclaration.Number("rangeMinMeters", "lowest level the transmitter reports", 0.0, "m"),
        ParameterDeclaration.Number("rangeMaxMeters", "highest level the transmitter reports", 2.0, "m"),
        ParameterDeclaration.Text("levelDevice", "device the true level (f64 m) is read from", "level"),
        ParameterDeclaration.RequiredText("outputRegion", "region the reading is published to"),
        ParameterDeclaration.Text("outputPoint", "point of outputRegion the reading goes to", "level"),
    ];

    private Running? running;

    public static LevelTransmitter ReadTransmitter(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var parameters = context.Parameters;
        var noise = parameters.Number("noiseStdDevMeters");
        var quantization = parameters.Number("quantizationMeters");
        var rangeMin = parameters.Number("rangeMinMeters");
        var rangeMax = parameters.Number("rangeMaxMeters");
        if (rangeMin >= rangeMax)
        {
            throw new ServiceConfigurationException(context.ServiceId, "rangeMaxMeters", $"must be above rangeMinMeters ({rangeMin})");
        }

        return new LevelTransmitter(noise, quantization, rangeMin, rangeMax);
    }

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var transmitter = ReadTransmitter(context);
        var outputRegion = ServiceSettings.RequiredString(context, "outputRegion");
        var outputPoint = context.Parameters.Text("outputPoint");
        // Cyclic: refuse a manifest without timing before opening anything.
        ServiceSettings.PeriodSeconds(context);
        var device = context.OpenDevice(context.Parameters.Text("levelDevice"));
        var writer = context.OpenRegionWriter(outputRegion);
        var point = ServiceSettings.PointIndex(context, writer.Region, "outputPoint", outputPoint);
        var state = new Running(transmitter, context.Random, device, writer, point);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        if (running is { } state)
        {
            state.Task?.Stop();
            state.Device.Dispose();
        }

        running = null;
    }

    private sealed class Running(
        LevelTransmitter transmitter,
        DeterministicRandom random,
        IDeviceChannel device,
        RegionWriter writer,
        int point) : ICyclicBody
    {
        public IDeviceChannel Device { get; } = device;

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            var reading = transmitter.Measure(SimulatedDeviceBus.ReadDouble(Device), random);
            writer.Set(point, reading.LevelMeters, reading.Quality, cycle.StartNs);
            writer.Publish();
        }
    }
}
