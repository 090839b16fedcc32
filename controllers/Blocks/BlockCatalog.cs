using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace Neokernel.Controllers.Blocks;

/// <summary>
/// Every block type there is, by name: one static table of descriptors and constructors, with no
/// reflection (NativeAOT keeps exactly these types). Type names match without regard to case.
/// </summary>
public static class BlockCatalog
{
    private static readonly ImmutableArray<(BlockDescriptor Descriptor, Func<BlockParameters, Block> Create)> Table =
    [
        (OnDelayTimer.Type, static p => new OnDelayTimer(p)),
        (OffDelayTimer.Type, static p => new OffDelayTimer(p)),
        (PulseTimer.Type, static p => new PulseTimer(p)),
        (RisingEdgeTrigger.Type, static p => new RisingEdgeTrigger(p)),
        (FallingEdgeTrigger.Type, static p => new FallingEdgeTrigger(p)),
        (UpCounter.Type, static p => new UpCounter(p)),
        (DownCounter.Type, static p => new DownCounter(p)),
        (UpDownCounter.Type, static p => new UpDownCounter(p)),
        (SetDominantLatch.Type, static p => new SetDominantLatch(p)),
        (ResetDominantLatch.Type, static p => new ResetDominantLatch(p)),
        (Ramp.Type, static p => new Ramp(p)),
        (Lag.Type, static p => new Lag(p)),
        (DeadBand.Type, static p => new DeadBand(p)),
        (Hysteresis.Type, static p => new Hysteresis(p)),
        (Scale.Type, static p => new Scale(p)),
        (MovingAverage.Type, static p => new MovingAverage(p)),
        (Totalizer.Type, static p => new Totalizer(p)),
        (Alarm.Type, static p => new Alarm(p)),
        (UnitDelay.Type, static p => new UnitDelay(p)),
        (PidBlock.Type, static p => new PidBlock(p)),
        (Selector.MinType, static p => new Selector(p)),
        (Selector.MaxType, static p => new Selector(p)),
        (RatioStation.Type, static p => new RatioStation(p)),
        (SplitRange.Type, static p => new SplitRange(p)),
    ];

    public static ImmutableArray<BlockDescriptor> Descriptors { get; } = [.. Table.Select(entry => entry.Descriptor)];

    /// <summary>The type names, comma-separated, for error messages.</summary>
    public static string TypeNames { get; } = string.Join(", ", Descriptors.Select(d => d.TypeName));

    public static bool TryGet(string typeName, [NotNullWhen(true)] out BlockDescriptor? descriptor)
    {
        var index = IndexOf(typeName);
        descriptor = index < 0 ? null : Table[index].Descriptor;
        return descriptor is not null;
    }

    /// <summary>Builds one instance from parameters checked against its type (see <see cref="BlockParameters.Resolve"/>).</summary>
    /// <exception cref="ArgumentException">A parameter does not fit the others; the message names the block, parameter, value and what is allowed.</exception>
    public static Block Create(BlockParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var index = IndexOf(parameters.Descriptor.TypeName);
        if (index < 0 || !ReferenceEquals(Table[index].Descriptor, parameters.Descriptor))
        {
            throw new ArgumentException($"block '{parameters.BlockName}': {parameters.Descriptor.TypeName} is not a type of the catalog", nameof(parameters));
        }

        return Table[index].Create(parameters);
    }

    /// <summary>Builds one instance of <paramref name="typeName"/>, throwing <see cref="ArgumentException"/> for an unknown type or a wrong parameter.</summary>
    public static Block Create(string typeName, string blockName, params ReadOnlySpan<ParameterSetting> settings)
    {
        if (!TryGet(typeName, out var descriptor))
        {
            throw new ArgumentException($"block '{blockName}': no block type '{typeName}' (the types: {TypeNames})", nameof(typeName));
        }

        return Create(BlockParameters.Create(descriptor, blockName, settings));
    }

    private static int IndexOf(string typeName)
    {
        for (var i = 0; i < Table.Length; i++)
        {
            if (string.Equals(Table[i].Descriptor.TypeName, typeName, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
