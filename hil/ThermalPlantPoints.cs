using System.Diagnostics;
using Neokernel.Hil.Plants;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// The region side that the thermal plant services (<see cref="HeatedTankPlantService"/>,
/// <see cref="JacketedTankPlantService"/>) share: the heater command from point <c>heaterPoint</c>
/// of <c>inputRegion</c>, and temperatures published to points of <c>outputRegion</c>, each through
/// a sensor chain of noise and quantization of its own. The chains draw their noise from the
/// service's one random stream, in the order of the outputs, so two sensors share it
/// deterministically. Opened at start (control plane); reading and publishing allocate nothing.
/// </summary>
internal sealed class ThermalPlantPoints
{
    private readonly RegionReader reader;
    private readonly RegionSnapshot snapshot;
    private readonly int heater;
    private readonly RegionWriter writer;
    private readonly int[] points;
    private readonly SignalChain[] sensors;

    private ThermalPlantPoints(RegionReader reader, int heater, RegionWriter writer, int[] points, SignalChain[] sensors)
    {
        Debug.Assert(points.Length == sensors.Length, "one sensor chain per output point");
        this.reader = reader;
        snapshot = reader.CreateSnapshot();
        this.heater = heater;
        this.writer = writer;
        this.points = points;
        this.sensors = sensors;
    }

    /// <summary>The sensors' and the regions' declarations, then the given output points' (text parameters naming points of outputRegion).</summary>
    public static IReadOnlyList<ParameterDeclaration> Declarations(params ReadOnlySpan<ParameterDeclaration> outputPoints) =>
    [
        ParameterDeclaration.Number("noiseStdDevCelsius", "standard deviation of the sensor's noise", 0.0, "°C", min: 0),
        ParameterDeclaration.Number("quantizationCelsius", "resolution of the sensor; 0 for none", 0.0, "°C", min: 0),
        ParameterDeclaration.RequiredText("inputRegion", "region the heater command is read from"),
        ParameterDeclaration.Text("heaterPoint", "point of inputRegion holding the heater command (%)", "heater"),
        ParameterDeclaration.RequiredText("outputRegion", "region the temperatures are published to"),
        .. outputPoints,
    ];

    /// <summary>Opens both regions and a sensor chain per output: the point its parameter names, starting at its initial value.</summary>
    public static ThermalPlantPoints Open(IServiceContext context, params ReadOnlySpan<(string PointParameter, double InitialCelsius)> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        var noise = context.Parameters.Number("noiseStdDevCelsius");
        var quantization = context.Parameters.Number("quantizationCelsius");
        var inputRegion = ServiceSettings.RequiredString(context, "inputRegion");
        var outputRegion = ServiceSettings.RequiredString(context, "outputRegion");
        var reader = context.OpenRegionReader(inputRegion);
        var heater = ServiceSettings.PointIndex(context, reader.Region, "heaterPoint", context.Parameters.Text("heaterPoint"));
        var writer = context.OpenRegionWriter(outputRegion);
        var points = new int[outputs.Length];
        var sensors = new SignalChain[outputs.Length];
        for (var i = 0; i < outputs.Length; i++)
        {
            var parameter = outputs[i].PointParameter;
            points[i] = ServiceSettings.PointIndex(context, writer.Region, parameter, context.Parameters.Text(parameter));
            sensors[i] = new SignalChain(outputs[i].InitialCelsius, new NoiseStage(noise, context.Random), new QuantizationStage(quantization));
        }

        return new ThermalPlantPoints(reader, heater, writer, points, sensors);
    }

    /// <summary>
    /// The heater command in %: one that is Bad, unreadable or no number counts as a heater that is
    /// off, as a power controller with a broken signal line would; one outside 0..100 % is clamped.
    /// </summary>
    public double HeaterPercent()
    {
        var usable = reader.TryRead(snapshot) && snapshot.Quality(heater) != Quality.Bad;
        var percent = usable ? snapshot.Value(heater) : double.NaN;
        return double.IsFinite(percent) ? Math.Clamp(percent, 0.0, 100.0) : 0.0;
    }

    /// <summary>Stages output <paramref name="output"/> (its index in Open's list) through its sensor chain, to go out with the next <see cref="Publish"/>.</summary>
    public void Set(int output, double temperatureCelsius, double dtSeconds, long timestampNs)
    {
        var reading = sensors[output].Process(temperatureCelsius, dtSeconds);
        writer.Set(points[output], reading.Value, reading.Quality, timestampNs);
    }

    /// <summary>Publishes every staged output together.</summary>
    public void Publish() => writer.Publish();
}
