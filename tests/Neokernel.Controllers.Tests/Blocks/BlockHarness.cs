using Neokernel.Controllers.Blocks;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>
/// One block in a network of its own: an external input for each input pin and an external
/// output for each output pin, both named as the pin, so tests drive a block through the same
/// value table and cycle as a real network.
/// </summary>
internal sealed class BlockHarness
{
    public const long Millisecond = 1_000_000;
    public const long Second = 1_000_000_000;

    private BlockHarness(BlockNetwork network) => Network = network;

    public BlockNetwork Network { get; }

    public BlockValues Values => Network.Values;

    public static BlockHarness Of(string typeName, params ParameterSetting[] parameters)
    {
        Assert.True(BlockCatalog.TryGet(typeName, out var descriptor));
        var spec = new BlockNetworkSpec(
            [new BlockInstanceSpec("block", typeName, [.. parameters], [.. descriptor.Inputs.Select(p => new InputWire(p.Name, WireSource.External(p.Name)))])],
            [.. descriptor.Inputs.Select(p => new ExternalInputSpec(p.Name, p.Type))],
            [.. descriptor.Outputs.Select(p => new ExternalOutputSpec(p.Name, WireSource.Output("block", p.Name)))]);
        var result = BlockNetworkBuilder.Build(spec);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        return new BlockHarness(result.Network!);
    }

    public static ParameterSetting Real(string name, double value) => new(name, BlockValue.Real(value));

    public static ParameterSetting Time(string name, long nanoseconds) => new(name, BlockValue.Time(nanoseconds));

    public static ParameterSetting Dint(string name, int value) => new(name, BlockValue.Dint(value));

    public static ParameterSetting Bool(string name, bool value) => new(name, BlockValue.Bool(value));

    public BlockHarness Set(string pin, bool value)
    {
        Values.Bools[Network.Input(pin).Slot] = value;
        return this;
    }

    public BlockHarness Set(string pin, double value)
    {
        Values.Reals[Network.Input(pin).Slot] = value;
        return this;
    }

    public BlockHarness Set(string pin, int value)
    {
        Values.Dints[Network.Input(pin).Slot] = value;
        return this;
    }

    public BlockHarness SetTime(string pin, long nanoseconds)
    {
        Values.Times[Network.Input(pin).Slot] = nanoseconds;
        return this;
    }

    public BlockHarness Step(long dtNanoseconds)
    {
        Network.Evaluate(dtNanoseconds);
        return this;
    }

    public bool Bool(string pin) => Values.Bools[Network.Output(pin).Slot];

    public double Real(string pin) => Values.Reals[Network.Output(pin).Slot];

    public int Dint(string pin) => Values.Dints[Network.Output(pin).Slot];

    public long Time(string pin) => Values.Times[Network.Output(pin).Slot];

    /// <summary>The message of the error building <paramref name="typeName"/> with <paramref name="parameters"/> gives (it must give exactly one).</summary>
    public static BlockNetworkError BuildError(string typeName, params ParameterSetting[] parameters)
    {
        var spec = new BlockNetworkSpec([new BlockInstanceSpec("block", typeName, [.. parameters], [])], [], []);
        var errors = BlockNetworkBuilder.Validate(spec);
        return Assert.Single(errors);
    }
}
