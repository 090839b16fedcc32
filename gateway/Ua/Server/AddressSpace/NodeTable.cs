using System.Numerics;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The address space's nodes by NodeId: the look-up every Read, Write, Browse and monitored item
/// starts with. Nodes are kept in the order they were added, and an open-addressing index of
/// 8-byte slots (the id's hash and the node's position, linear probing, at most half full) finds
/// them. A look-up touches one slot, then the node itself, which the service reads next anyway:
/// with 100,000 nodes that is one random cache miss where a <see cref="Dictionary{TKey, TValue}"/>
/// takes two (its bucket, then an entry of a collision chain), and a Read of 100 neighbouring
/// nodes finds them neighbours in the node array. Add-only, as the address space is: nothing is
/// removed while served.
/// </summary>
internal sealed class NodeTable
{
    private const int CapacityMin = 16;

    private Slot[] slots;
    private UaNode[] nodes;
    private int mask;

    public NodeTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        nodes = new UaNode[Math.Max(capacity, CapacityMin)];
        slots = new Slot[SlotsFor(nodes.Length)];
        mask = slots.Length - 1;
    }

    public int Count { get; private set; }

    /// <summary>The nodes in the order they were added.</summary>
    public ReadOnlySpan<UaNode> Values => nodes.AsSpan(0, Count);

    public UaNode this[NodeId nodeId] =>
        TryGetValue(nodeId, out var node) ? node : throw new KeyNotFoundException($"the address space has no node {nodeId}");

    public bool TryGetValue(NodeId nodeId, out UaNode node) => TryFind(nodeId.GetHashCode(), new IdKey(nodeId), out node);

    /// <summary>The node of the string NodeId <paramref name="identifier"/>, found from its characters without making the string.</summary>
    public bool TryGetString(ushort namespaceIndex, ReadOnlySpan<char> identifier, out UaNode node) =>
        TryFind(NodeId.StringHash(namespaceIndex, identifier), new StringKey(namespaceIndex, identifier), out node);

    /// <summary>The node of the opaque NodeId <paramref name="identifier"/>, found from its bytes without making the array.</summary>
    public bool TryGetOpaque(ushort namespaceIndex, ReadOnlySpan<byte> identifier, out UaNode node) =>
        TryFind(NodeId.OpaqueHash(namespaceIndex, identifier), new OpaqueKey(namespaceIndex, identifier), out node);

    public UaNode? GetValueOrDefault(NodeId nodeId) => TryGetValue(nodeId, out var node) ? node : null;

    /// <summary>Adds <paramref name="node"/> under its NodeId; false (and nothing added) when the id is taken.</summary>
    public bool TryAdd(UaNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (TryGetValue(node.NodeId, out _))
        {
            return false;
        }

        if (Count == nodes.Length)
        {
            Array.Resize(ref nodes, nodes.Length * 2);
        }

        if (SlotsFor(Count + 1) > slots.Length)
        {
            Grow(SlotsFor(Count + 1));
        }

        nodes[Count] = node;
        Count++;
        Insert(slots, mask, node.NodeId.GetHashCode(), Count);
        return true;
    }

    /// <summary>Slots for <paramref name="count"/> nodes: a power of two at least twice as many, so probes stay short.</summary>
    private static int SlotsFor(int count) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(count * 2, CapacityMin));

    private void Grow(int size)
    {
        var grown = new Slot[size];
        var grownMask = size - 1;
        foreach (var slot in slots)
        {
            if (slot.Position != 0)
            {
                Insert(grown, grownMask, slot.Hash, slot.Position);
            }
        }

        slots = grown;
        mask = grownMask;
    }

    private static void Insert(Slot[] table, int tableMask, int hash, int position)
    {
        var i = hash & tableMask;
        while (table[i].Position != 0)
        {
            i = (i + 1) & tableMask;
        }

        table[i] = new Slot(hash, position);
    }

    /// <summary>
    /// The probe every look-up shares: from the hash's slot on to the first empty one, a slot of the
    /// same hash whose node's id <paramref name="key"/> matches. A key is a struct (or a ref struct
    /// over a span), so each kind gets its own compiled probe: no boxing, no delegate.
    /// </summary>
    private bool TryFind<TKey>(int hash, TKey key, out UaNode node)
        where TKey : INodeKey, allows ref struct
    {
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            var slot = slots[i];
            if (slot.Position == 0)
            {
                node = null!;
                return false;
            }

            if (slot.Hash == hash && key.Matches(nodes[slot.Position - 1].NodeId))
            {
                node = nodes[slot.Position - 1];
                return true;
            }
        }
    }

    /// <summary>What a look-up compares a node's id with.</summary>
    private interface INodeKey
    {
        bool Matches(NodeId nodeId);
    }

    private readonly struct IdKey(NodeId id) : INodeKey
    {
        public bool Matches(NodeId nodeId) => nodeId.Equals(id);
    }

    private readonly ref struct StringKey(ushort namespaceIndex, ReadOnlySpan<char> identifier) : INodeKey
    {
        private readonly ReadOnlySpan<char> identifier = identifier;

        public bool Matches(NodeId nodeId) => nodeId.IsString(namespaceIndex, identifier);
    }

    private readonly ref struct OpaqueKey(ushort namespaceIndex, ReadOnlySpan<byte> identifier) : INodeKey
    {
        private readonly ReadOnlySpan<byte> identifier = identifier;

        public bool Matches(NodeId nodeId) => nodeId.IsOpaque(namespaceIndex, identifier);
    }

    /// <summary>A NodeId's hash and its node's position in the node array plus one (0: an empty slot).</summary>
    private readonly record struct Slot(int Hash, int Position);
}
