using System.Collections.Immutable;
using Neokernel.Controllers.Blocks;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>
/// Random block networks from one seed: blocks of every catalog type, each input wired to a
/// constant, an external input or an earlier block's output (a DAG), a DELAY's input also to a
/// later block (feedback through the delay); some wires of the wrong type and some parameters at
/// random values, so that the builder refuses a share of them. The same seed gives the same spec.
/// </summary>
internal static class RandomNetworks
{
    public const int ExternalsPerType = 2;

    public static BlockNetworkSpec Create(int seed, int blockCount, bool allowMistakes)
    {
        var random = new Random(seed);
        var types = new BlockDescriptor[blockCount];
        for (var i = 0; i < blockCount; i++)
        {
            types[i] = BlockCatalog.Descriptors[random.Next(BlockCatalog.Descriptors.Length)];
        }

        var blocks = new List<BlockInstanceSpec>(blockCount);
        for (var i = 0; i < blockCount; i++)
        {
            var wires = types[i].Inputs.Select(pin => new InputWire(pin.Name, Source(random, types, i, pin, allowMistakes))).ToImmutableArray();
            blocks.Add(new BlockInstanceSpec($"b{i}", types[i].TypeName, Parameters(random, types[i], allowMistakes), wires));
        }

        var inputs = Enum.GetValues<BlockValueType>().SelectMany(type => Enumerable.Range(0, ExternalsPerType).Select(k => new ExternalInputSpec(ExternalName(type, k), type)));
        var outputs = Enumerable.Range(0, blockCount)
            .Select(i => new ExternalOutputSpec($"out{i}", WireSource.Output($"b{i}", types[i].Outputs[random.Next(types[i].Outputs.Length)].Name)));
        return new BlockNetworkSpec([.. blocks], [.. inputs], [.. outputs]);
    }

    public static string ExternalName(BlockValueType type, int index) => $"{BlockValue.TypeName(type).ToLowerInvariant()}{index}";

    /// <summary>Writes inputs drawn from <paramref name="random"/> into every external input: any bit pattern for REAL, negative TIMEs too.</summary>
    public static void FillInputs(BlockNetwork network, Random random)
    {
        foreach (var port in network.Inputs)
        {
            switch (port.Type)
            {
                case BlockValueType.Bool: network.Values.Bools[port.Slot] = random.Next(2) == 0; break;
                case BlockValueType.Real: network.Values.Reals[port.Slot] = AnyReal(random); break;
                case BlockValueType.Dint: network.Values.Dints[port.Slot] = random.Next(4) == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(-5, 6); break;
                default: network.Values.Times[port.Slot] = random.Next(4) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : random.NextInt64(-1_000_000, 100_000_000); break;
            }
        }
    }

    public static double AnyReal(Random random) => random.Next(8) switch
    {
        0 => BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue)),
        1 => new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, -double.MaxValue, 0.0, double.Epsilon }[random.Next(7)],
        _ => (random.NextDouble() * 200.0) - 100.0,
    };

    private static WireSource Source(Random random, BlockDescriptor[] types, int index, PinDescriptor pin, bool allowMistakes)
    {
        var type = allowMistakes && random.Next(50) == 0 ? (BlockValueType)random.Next(4) : pin.Type;
        var producers = Enumerable.Range(0, types.Length)
            .Where(j => (j < index || types[index].IsDelay) && types[j].Outputs.Any(o => o.Type == type))
            .ToList();
        switch (random.Next(3))
        {
            case 0 when producers.Count > 0:
                var producer = producers[random.Next(producers.Count)];
                var outputs = types[producer].Outputs.Where(o => o.Type == type).ToList();
                return WireSource.Output($"b{producer}", outputs[random.Next(outputs.Count)].Name);
            case 1:
                return WireSource.External(ExternalName(type, random.Next(ExternalsPerType)));
            default:
                return WireSource.Value(Constant(random, type));
        }
    }

    private static BlockValue Constant(Random random, BlockValueType type) => type switch
    {
        BlockValueType.Bool => BlockValue.Bool(random.Next(2) == 0),
        BlockValueType.Real => BlockValue.Real(AnyReal(random)),
        BlockValueType.Dint => BlockValue.Dint(random.Next(-3, 10)),
        _ => BlockValue.Time(random.NextInt64(-10, 50_000_000)),
    };

    private static ImmutableArray<ParameterSetting> Parameters(Random random, BlockDescriptor descriptor, bool allowMistakes) =>
        [.. descriptor.Parameters.Where(_ => allowMistakes && random.Next(4) == 0).Select(p => new ParameterSetting(p.Name, RandomParameter(random, p)))];

    private static BlockValue RandomParameter(Random random, ParameterDescriptor parameter) => parameter.Type switch
    {
        BlockValueType.Bool => BlockValue.Bool(random.Next(2) == 0),
        BlockValueType.Real => BlockValue.Real((random.NextDouble() * 200.0) - 50.0),
        BlockValueType.Dint => BlockValue.Dint(random.Next(-1, 100)),
        _ => BlockValue.Time(random.NextInt64(-1, 5_000_000_000)),
    };
}
