using Neokernel.Controllers.Blocks;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class BlockValuesTests
{
    private static readonly BlockNetwork Network = BlockNetworkBuilder.Build(new BlockNetworkSpec(
        [],
        [
            new ExternalInputSpec("flag", BlockValueType.Bool),
            new ExternalInputSpec("level", BlockValueType.Real),
            new ExternalInputSpec("count", BlockValueType.Dint),
            new ExternalInputSpec("delay", BlockValueType.Time),
        ],
        [
            new ExternalOutputSpec("flag", WireSource.External("flag")),
            new ExternalOutputSpec("level", WireSource.External("level")),
            new ExternalOutputSpec("count", WireSource.External("count")),
            new ExternalOutputSpec("delay", WireSource.External("delay")),
        ])).Network!;

    [Theory]
    [InlineData("flag", 2.5, 1.0)]
    [InlineData("flag", 0.0, 0.0)]
    [InlineData("flag", double.NaN, 0.0)]
    [InlineData("level", -3.25, -3.25)]
    [InlineData("count", 2.5, 2.0)]
    [InlineData("count", 3.5, 4.0)]
    [InlineData("count", -1e300, int.MinValue)]
    [InlineData("count", double.NaN, 0.0)]
    [InlineData("delay", 1.5, 1.5)]
    [InlineData("delay", 1e300, long.MaxValue * 1e-9)]
    [InlineData("delay", double.NegativeInfinity, long.MinValue * 1e-9)]
    public void Point_values_convert_to_the_ports_type_and_back(string name, double written, double read)
    {
        Network.Values.SetFromPointValue(Network.Input(name), written);
        Assert.Equal(read, Network.Values.GetPointValue(Network.Output(name)));
    }

    [Fact]
    public void Point_value_conversion_allocates_nothing()
    {
        var input = Network.Input("delay");
        var output = Network.Output("count");
        AllocationAssert.NoAllocations(10_000, i =>
        {
            Network.Values.SetFromPointValue(input, i * 0.001);
            Network.Values.SetFromPointValue(input, Network.Values.GetPointValue(output));
        });
    }
}
