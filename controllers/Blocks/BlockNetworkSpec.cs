using System.Collections.Immutable;

namespace Neokernel.Controllers.Blocks;

public enum WireSourceKind : byte
{
    /// <summary>An external input of the network, which the hosting service fills (a region point).</summary>
    External,

    /// <summary>An output pin of another block (or of the same one, through a delay).</summary>
    BlockOutput,

    /// <summary>A constant value.</summary>
    Constant,
}

/// <summary>Where a value comes from: an external input, a block's output pin, or a constant.</summary>
public readonly record struct WireSource(WireSourceKind Kind, string Name, string Pin, BlockValue Constant)
{
    public static WireSource External(string inputName) => new(WireSourceKind.External, inputName, string.Empty, default);

    public static WireSource Output(string blockName, string pin) => new(WireSourceKind.BlockOutput, blockName, pin, default);

    public static WireSource Value(BlockValue constant) => new(WireSourceKind.Constant, string.Empty, string.Empty, constant);

    public override string ToString() => Kind switch
    {
        WireSourceKind.External => $"external input '{Name}'",
        WireSourceKind.BlockOutput => $"output {Name}.{Pin}",
        _ => $"constant {Constant}",
    };
}

/// <summary>An input pin of a block and what feeds it.</summary>
public readonly record struct InputWire(string Pin, WireSource Source);

/// <summary>One block instance: its unique name, its type, its parameters and its wired inputs (unwired inputs read their defaults).</summary>
public sealed record BlockInstanceSpec(string Name, string TypeName, ImmutableArray<ParameterSetting> Parameters, ImmutableArray<InputWire> Inputs);

/// <summary>A value the hosting service writes before each cycle.</summary>
public sealed record ExternalInputSpec(string Name, BlockValueType Type);

/// <summary>
/// A value the hosting service reads after each cycle, and where in the network it comes from.
/// Output names are unique among outputs; an output may share its name with an input.
/// </summary>
public sealed record ExternalOutputSpec(string Name, WireSource Source);

/// <summary>
/// A block network as a manifest declares it, before any check: the loader fills it, and
/// <see cref="BlockNetworkBuilder"/> checks and builds it. Blocks are evaluated in dependency
/// order whatever order they are listed in; the listed order only breaks ties.
/// </summary>
public sealed record BlockNetworkSpec(ImmutableArray<BlockInstanceSpec> Blocks, ImmutableArray<ExternalInputSpec> Inputs, ImmutableArray<ExternalOutputSpec> Outputs);
