namespace Neokernel.Gateway.Ua;

/// <summary>
/// NodeIds a server already holds (its nodes, its sessions' authentication tokens), which a
/// <see cref="UaDecoder"/> hands out instead of making a new string or byte array for each string or
/// opaque identifier it reads: what lets a Read of 100 string NodeIds decode without garbage. An id
/// it does not hold is read as usual (and allocates).
/// </summary>
/// <remarks>
/// A NodeId given back must equal the one the decoder would have made (<see cref="NodeId.Equals(NodeId)"/>):
/// the caller cannot tell the two apart, except that the known one is shared.
/// </remarks>
public interface IKnownNodeIds
{
    /// <summary>The held string NodeId <paramref name="identifier"/> of namespace <paramref name="namespaceIndex"/>, or false.</summary>
    bool TryFindString(ushort namespaceIndex, ReadOnlySpan<char> identifier, out NodeId nodeId);

    /// <summary>The held opaque NodeId <paramref name="identifier"/> of namespace <paramref name="namespaceIndex"/>, or false.</summary>
    bool TryFindOpaque(ushort namespaceIndex, ReadOnlySpan<byte> identifier, out NodeId nodeId);
}
