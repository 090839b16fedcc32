using Neokernel.Kernel.Manifests;

namespace Neokernel.Kernel.Services;

/// <summary>
/// What a program speaks on an endpoint it provides, for <c>validate</c> to hold its clients to:
/// the contract (the name of the commands' codec in contracts, such as <c>BlockNetworkCommands</c>)
/// and, for a contract that addresses named values, every name a client may read and those it may
/// set. Names compare as <see cref="Names"/>'s and <see cref="Settable"/>'s own comparers do.
/// </summary>
public sealed record ServedContract(string Endpoint, string Contract)
{
    /// <summary>Every name a client may address; null when the contract names nothing.</summary>
    public IReadOnlySet<string>? Names { get; init; }

    /// <summary>The names a client may set (a subset of <see cref="Names"/>).</summary>
    public IReadOnlySet<string> Settable { get; init; } = new HashSet<string>();

    /// <summary>What a name of this endpoint is, for a diagnostic's "allowed" (block.PIN of the network's blocks a, b, c).</summary>
    public string NamesHint { get; init; } = "";

    /// <summary>What may be set and how to make a value settable, for a diagnostic's "allowed".</summary>
    public string SettableHint { get; init; } = "";
}

/// <summary>
/// What a program expects of an endpoint it uses: the contract it speaks there and, for a contract
/// with names, the name it reads or sets. <see cref="Path"/> is where the manifest names the
/// endpoint, from its root (<c>program.tables.blockValues[0].endpoint</c>, <c>endpoints.uses[2]</c>),
/// which is where <c>validate</c> reports a contract that does not match.
/// </summary>
public sealed record ContractUse(string Endpoint, string Contract, string Path)
{
    /// <summary>The name addressed, or null for the endpoint as a whole.</summary>
    public string? Name { get; init; }

    /// <summary>Where the manifest writes <see cref="Name"/> (where an unknown or unsettable name is reported); <see cref="Path"/> when null.</summary>
    public string? NamePath { get; init; }

    /// <summary>How to reach an endpoint of another contract from this program, for the diagnostic of a mismatch (a network's values go in the blockValues table).</summary>
    public string MismatchHint { get; init; } = "";

    /// <summary>Whether the program sets <see cref="Name"/> (an OPC UA Write), not only reads it.</summary>
    public bool Sets { get; init; }
}
