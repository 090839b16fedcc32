using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The nodes the server serves, by NodeId: namespace 0 loaded from the generated blob at start, then
/// the namespaces registered by name (the gateway's own, "urn:neokernel:plant"). Built on the
/// control plane (start, a system change), read by the services on the event loop; nothing is
/// removed while served, so a node reference a continuation point holds stays valid. As
/// <see cref="IKnownNodeIds"/> it gives a request's decoder the ids of its nodes, so a request
/// naming them by string decodes without making the strings.
/// </summary>
public sealed partial class AddressSpace : IKnownNodeIds
{
    /// <summary>Namespace 0's URI (Part 6 §5.2.2.9), index 0 of NamespaceArray.</summary>
    public const string UaNamespaceUri = "http://opcfoundation.org/UA/";

    private readonly NodeTable nodes;
    private readonly List<string> namespaces;
    private readonly List<UaReferenceTypeNode> referenceTypes = [];
    private string[] namespaceArray;

    /// <summary>An address space with namespace 0 and the server's own namespace (index 1, <paramref name="applicationUri"/>).</summary>
    public AddressSpace(string applicationUri, int nodeCapacity = 1024)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(applicationUri);
        nodes = new NodeTable(nodeCapacity + Namespace0.NodeCount);
        namespaces = [UaNamespaceUri, applicationUri];
        namespaceArray = [.. namespaces];
        LoadNamespace0();
        IndexReferenceTypes();
        HierarchicalReferences = ReferenceType(ReferenceTypeIds.HierarchicalReferences);
        HasTypeDefinition = ReferenceType(ReferenceTypeIds.HasTypeDefinition);
        Debug.Assert(nodes.Count == Namespace0.NodeCount, "every namespace-0 node is loaded once");
    }

    /// <summary>How many nodes are served.</summary>
    public int Count => nodes.Count;

    /// <summary>NamespaceArray's value: index 0 namespace 0, 1 the server, then the registered namespaces.</summary>
    public IReadOnlyList<string> Namespaces => namespaceArray;

    public UaReferenceTypeNode HierarchicalReferences { get; }

    public UaReferenceTypeNode HasTypeDefinition { get; }

    /// <summary>The namespaces as the array NamespaceArray reads (the same array until a namespace is registered).</summary>
    internal string[] NamespaceArray => namespaceArray;

    /// <summary>The index of namespace <paramref name="uri"/>, registered when new (idempotent).</summary>
    public ushort RegisterNamespace(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        var index = namespaces.IndexOf(uri);
        if (index >= 0)
        {
            return (ushort)index;
        }

        if (namespaces.Count > ushort.MaxValue)
        {
            throw new InvalidOperationException($"no room for namespace '{uri}': a server has at most {ushort.MaxValue + 1} namespaces");
        }

        namespaces.Add(uri);
        namespaceArray = [.. namespaces];
        return (ushort)(namespaces.Count - 1);
    }

    public bool TryGetNode(NodeId nodeId, out UaNode node) => nodes.TryGetValue(nodeId, out node!);

    /// <summary>The NodeId of the node whose string identifier is <paramref name="identifier"/>, found without making the string.</summary>
    public bool TryFindString(ushort namespaceIndex, ReadOnlySpan<char> identifier, out NodeId nodeId)
    {
        var found = nodes.TryGetString(namespaceIndex, identifier, out var node);
        nodeId = found ? node.NodeId : default;
        return found;
    }

    /// <summary>The NodeId of the node whose opaque identifier is <paramref name="identifier"/>, found without making the array.</summary>
    public bool TryFindOpaque(ushort namespaceIndex, ReadOnlySpan<byte> identifier, out NodeId nodeId)
    {
        var found = nodes.TryGetOpaque(namespaceIndex, identifier, out var node);
        nodeId = found ? node.NodeId : default;
        return found;
    }

    /// <summary>The node <paramref name="nodeId"/>; throws naming it when it is not served (for building, not for serving requests).</summary>
    public UaNode Node(NodeId nodeId) => nodes[nodeId];

    /// <summary>The ReferenceType <paramref name="nodeId"/>, or null when that is no ReferenceType node (Browse's BadReferenceTypeIdInvalid).</summary>
    public UaReferenceTypeNode? FindReferenceType(NodeId nodeId) => nodes.GetValueOrDefault(nodeId) as UaReferenceTypeNode;

    public UaReferenceTypeNode ReferenceType(uint namespace0Id) =>
        FindReferenceType(new NodeId(namespace0Id)) ?? throw new KeyNotFoundException($"namespace 0 has no ReferenceType i={namespace0Id}");

    /// <summary>A DataType node for a variable's DataType (namespace 0's Double, a registered enumeration).</summary>
    public UaTypeNode DataType(NodeId nodeId) =>
        nodes.GetValueOrDefault(nodeId) is UaTypeNode { NodeClass: NodeClass.DataType } type
            ? type
            : throw new KeyNotFoundException($"the address space has no DataType {nodeId}");

    public UaTypeNode DataType(uint namespace0Id) => DataType(new NodeId(namespace0Id));

    /// <summary>The built-in type's DataType node (Double for BuiltInType.Double): what a Variant's values are of.</summary>
    internal UaTypeNode? DataTypeOf(BuiltInType type) =>
        type == BuiltInType.Null ? null : nodes.GetValueOrDefault(new NodeId((uint)type)) as UaTypeNode;

    /// <summary>
    /// Adds a reference from <paramref name="source"/> to <paramref name="target"/> and its inverse on
    /// the target, so both ends browse it. A HasSubtype reference also sets the subtype's supertype.
    /// </summary>
    public void AddReference(UaNode source, UaReferenceTypeNode referenceType, UaNode target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(referenceType);
        ArgumentNullException.ThrowIfNull(target);
        RequireServed(source);
        RequireServed(target);
        source.AddReference(new UaReference(referenceType, true, target));
        target.AddReference(new UaReference(referenceType, false, source));
        if (referenceType.NodeId == new NodeId(ReferenceTypeIds.HasSubtype) && target is UaTypeNode subtype && source is UaTypeNode supertype)
        {
            subtype.Supertype = supertype;
            if (subtype is UaReferenceTypeNode)
            {
                // A ReferenceType added after start joins the precomputed subtype sets (control plane, rare).
                IndexReferenceTypes();
            }
            else if (subtype.NodeClass == NodeClass.DataType)
            {
                subtype.EncodedAs = EncodingOf(subtype);
            }
        }
    }

    public void AddReference(UaNode source, uint namespace0ReferenceTypeId, UaNode target) =>
        AddReference(source, ReferenceType(namespace0ReferenceTypeId), target);

    /// <summary>Adds <paramref name="node"/>; its NodeId must be new and its namespace registered.</summary>
    public T Add<T>(T node)
        where T : UaNode
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.NodeId.IsNull)
        {
            throw new ArgumentException($"node '{node.BrowseName}' has a null NodeId; give it an id in a registered namespace", nameof(node));
        }

        if (node.NodeId.NamespaceIndex >= namespaces.Count)
        {
            throw new ArgumentException($"node {node.NodeId} is in namespace {node.NodeId.NamespaceIndex}, which is not registered (the server has {namespaces.Count}); call RegisterNamespace first", nameof(node));
        }

        if (!nodes.TryAdd(node))
        {
            throw new ArgumentException($"the address space already has a node {node.NodeId} ('{nodes[node.NodeId].BrowseName}'); NodeIds are unique", nameof(node));
        }

        return node;
    }

    private void RequireServed(UaNode node)
    {
        if (!nodes.TryGetValue(node.NodeId, out var served) || !ReferenceEquals(served, node))
        {
            throw new ArgumentException($"{node} is not in this address space; add it before referencing it", nameof(node));
        }
    }

    /// <summary>Gives every ReferenceType an index and each its subtype set as bits (Browse's IncludeSubtypes, one bit test).</summary>
    private void IndexReferenceTypes()
    {
        referenceTypes.Clear();
        foreach (var node in nodes.Values)
        {
            if (node is UaReferenceTypeNode referenceType)
            {
                referenceType.Index = referenceTypes.Count;
                referenceTypes.Add(referenceType);
            }
        }

        var words = (referenceTypes.Count + 63) / 64;
        var bits = new ulong[referenceTypes.Count][];
        for (var i = 0; i < bits.Length; i++)
        {
            bits[i] = new ulong[words];
        }

        foreach (var referenceType in referenceTypes)
        {
            for (UaTypeNode? ancestor = referenceType; ancestor is UaReferenceTypeNode ancestorReference; ancestor = ancestor.Supertype)
            {
                bits[ancestorReference.Index][referenceType.Index >> 6] |= 1UL << (referenceType.Index & 63);
            }
        }

        foreach (var referenceType in referenceTypes)
        {
            referenceType.SetSubtypes(bits[referenceType.Index]);
        }
    }
}
