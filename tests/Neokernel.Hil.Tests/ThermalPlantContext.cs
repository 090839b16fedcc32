using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

/// <summary>What a thermal plant service's tests share: a context with its two regions and a way to read what it published.</summary>
internal static class ThermalPlantContext
{
    public readonly record struct Point(double Value, Quality Quality, long TimestampNs);

    /// <summary>
    /// A context at 10 Hz with the plant's command region (point <c>heater</c>, written by the peer)
    /// and its measurement region (<paramref name="measurementPoints"/>, written by the plant); a
    /// parameter given overrides the regions' names.
    /// </summary>
    public static (FakeServiceContext Context, RegionWriter Heater) Prepared(
        Dictionary<string, string> parameters,
        IReadOnlyList<ParameterDeclaration> declarations,
        (string Commands, string Measurements) regions,
        params string[] measurementPoints)
    {
        parameters.TryAdd("inputRegion", regions.Commands);
        parameters.TryAdd("outputRegion", regions.Measurements);
        var context = new FakeServiceContext(parameters, periodUs: 100_000, seed: 11, declarations: declarations);
        context.AddRegion(regions.Measurements, context.ServiceId, measurementPoints);
        context.AddRegion(regions.Commands, FakeServiceContext.PeerId, "heater");
        return (context, context.Objects.OpenRegionWriter(regions.Commands, FakeServiceContext.PeerId));
    }

    /// <summary>The point <paramref name="name"/> of <paramref name="region"/> as a peer reads it now.</summary>
    public static Point Read(FakeServiceContext context, string region, string name)
    {
        var reader = context.Objects.OpenRegionReader(region, FakeServiceContext.PeerId);
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        var index = reader.Region.IndexOf(name);
        return new Point(snapshot.Value(index), snapshot.Quality(index), snapshot.TimestampNs(index));
    }
}
