namespace Neokernel.Tools.OpcUaGen;

/// <summary>
/// Which nodes of the 4956 in the NodeSet the gateway serves as its namespace 0: what a micro
/// embedded device server needs so that generic clients can browse and read it (the type
/// hierarchies, the standard folders, the Server object with the parts the server fills in), not
/// the instance declarations of the types nor the optional facets of the Server object.
/// </summary>
internal static class Namespace0Selection
{
    private const uint HasPropertyId = 46;
    private const uint HasComponentId = 47;
    private const uint ServerId = 2253;

    /// <summary>Every node of these classes: the type hierarchies that clients browse and read.</summary>
    private static readonly UaNodeClass[] WholeClasses =
        [UaNodeClass.ReferenceType, UaNodeClass.DataType, UaNodeClass.ObjectType, UaNodeClass.VariableType];

    /// <summary>The standard folders, by id.</summary>
    private static readonly (uint Id, string Name)[] Folders =
    [
        (84, "Root"), (85, "Objects"), (86, "Types"), (87, "Views"),
        (88, "ObjectTypes"), (89, "VariableTypes"), (90, "DataTypes"), (91, "ReferenceTypes"),
        (3048, "EventTypes"), (17708, "InterfaceTypes"),
    ];

    /// <summary>The ModellingRule objects the types' instance declarations point at, by id.</summary>
    private static readonly (uint Id, string Name)[] ModellingRules =
    [
        (78, "Mandatory"), (80, "Optional"), (83, "ExposesItsArray"),
        (11508, "OptionalPlaceholder"), (11510, "MandatoryPlaceholder"),
    ];

    /// <summary>The properties of an included DataType that come along (with their values): the names of an enumeration's values.</summary>
    private static readonly string[] DataTypeProperties = ["EnumStrings"];

    /// <summary>
    /// The Server object and its parts, as paths of forward HasComponent/HasProperty references from
    /// Server (2253) by BrowseName. A path ending in "/**" takes that node and everything below it;
    /// any other path takes just that node (but see <see cref="ExcludedSubtrees"/>). Not taken: the
    /// Server's methods (GetMonitoredItems, ResendData, ...), Namespaces, the diagnostics other than
    /// EnabledFlag, and the optional UrisVersion, EstimatedReturnTime and LocalTime.
    /// </summary>
    private static readonly string[] ServerPaths =
    [
        "Server",
        "Server/ServerStatus/**",
        "Server/ServerArray",
        "Server/NamespaceArray",
        "Server/ServiceLevel",
        "Server/Auditing",
        "Server/ServerCapabilities/**",
        "Server/ServerDiagnostics",
        "Server/ServerDiagnostics/EnabledFlag",
        "Server/VendorServerInfo",
        "Server/ServerRedundancy",
        "Server/ServerRedundancy/RedundancySupport",
    ];

    /// <summary>
    /// Subtrees a "/**" path does not take. RoleSet (8 roles with 60 identity-management methods) is
    /// the role-management facet, not the micro profile; its methods' arguments are ExtensionObjects
    /// the blob leaves out, so a client would see methods it can neither introspect nor call.
    /// </summary>
    private static readonly string[] ExcludedSubtrees =
    [
        "Server/ServerCapabilities/RoleSet",
    ];

    private const uint OrganizesId = 35;
    private const uint ModellingRulesFolderId = 2996;

    /// <summary>
    /// References a server adds to the NodeSet: the ModellingRules folder of ServerCapabilities is the
    /// browse entry point of the ModellingRules the server supports (Part 5 §6.3.2), which the
    /// NodeSet leaves to each server; without it the ModellingRule objects hang unreachable.
    /// </summary>
    public static List<UaReference> AddedReferences(SortedSet<uint> included) =>
        ModellingRules.Where(_ => included.Contains(ModellingRulesFolderId))
            .Select(n => new UaReference(ModellingRulesFolderId, OrganizesId, n.Id))
            .ToList();

    public static SortedSet<uint> Select(NodeSet nodeSet, string path)
    {
        var included = new SortedSet<uint>();
        foreach (var node in nodeSet.Nodes.Values.Where(n => WholeClasses.Contains(n.NodeClass)))
        {
            included.Add(node.Id);
        }

        foreach (var (id, name) in Folders.Concat(ModellingRules))
        {
            RequireNode(nodeSet, id, name, path);
            included.Add(id);
        }

        var children = ChildrenOf(nodeSet);
        foreach (var dataType in nodeSet.Nodes.Values.Where(n => n.NodeClass == UaNodeClass.DataType))
        {
            foreach (var child in children.GetValueOrDefault(dataType.Id, []))
            {
                if (DataTypeProperties.Contains(nodeSet.Nodes[child].BrowseName))
                {
                    included.Add(child);
                }
            }
        }

        RequireNode(nodeSet, ServerId, "Server", path);
        var excluded = ExcludedSubtrees.Select(p => Resolve(nodeSet, children, p.Split('/')[1..], p, path)).ToHashSet();
        foreach (var serverPath in ServerPaths)
        {
            AddPath(nodeSet, children, serverPath, included, excluded, path);
        }

        return included;
    }

    private static void AddPath(
        NodeSet nodeSet, Dictionary<uint, List<uint>> children, string serverPath, SortedSet<uint> included, HashSet<uint> excluded, string path)
    {
        var segments = serverPath.Split('/');
        var recursive = segments[^1] == "**";
        var node = Resolve(nodeSet, children, segments[1..(recursive ? ^1 : ^0)], serverPath, path);
        if (recursive)
        {
            AddSubtree(children, node, included, excluded);
        }
        else
        {
            included.Add(node);
        }
    }

    /// <summary>The node that <paramref name="segments"/> (BrowseNames below Server) lead to.</summary>
    private static uint Resolve(NodeSet nodeSet, Dictionary<uint, List<uint>> children, string[] segments, string serverPath, string path)
    {
        var current = ServerId;
        foreach (var segment in segments)
        {
            var next = children.GetValueOrDefault(current, []).Where(c => nodeSet.Nodes[c].BrowseName == segment).ToList();
            if (next.Count != 1)
            {
                throw new SpecException(
                    $"{path}: the selection path '{serverPath}' needs one child '{segment}' of i={current}, the NodeSet has {next.Count}");
            }

            current = next[0];
        }

        return current;
    }

    private static void AddSubtree(Dictionary<uint, List<uint>> children, uint id, SortedSet<uint> included, HashSet<uint> excluded)
    {
        if (excluded.Contains(id) || !included.Add(id))
        {
            return;
        }

        foreach (var child in children.GetValueOrDefault(id, []))
        {
            AddSubtree(children, child, included, excluded);
        }
    }

    /// <summary>The forward HasComponent and HasProperty targets of each node, in document order, that are nodes of the NodeSet.</summary>
    private static Dictionary<uint, List<uint>> ChildrenOf(NodeSet nodeSet)
    {
        var children = new Dictionary<uint, List<uint>>();
        foreach (var reference in nodeSet.References)
        {
            if (reference.ReferenceType is HasComponentId or HasPropertyId && nodeSet.Nodes.ContainsKey(reference.Target))
            {
                if (!children.TryGetValue(reference.Source, out var list))
                {
                    list = [];
                    children[reference.Source] = list;
                }

                list.Add(reference.Target);
            }
        }

        return children;
    }

    private static void RequireNode(NodeSet nodeSet, uint id, string name, string path)
    {
        if (!nodeSet.Nodes.TryGetValue(id, out var node) || node.BrowseName != name)
        {
            throw new SpecException($"{path}: the selection takes i={id} as {name}, but the NodeSet has {(node is null ? "no such node" : node.BrowseName)}");
        }
    }
}
