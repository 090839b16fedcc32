namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// A reference from one node to another (Part 3 §4.3). The target and the reference type are held
/// as the nodes themselves, not their NodeIds: 17 bytes of payload instead of two 40-byte NodeIds,
/// and Browse reaches the target's attributes without a look-up.
/// </summary>
public readonly record struct UaReference(UaReferenceTypeNode ReferenceType, bool IsForward, UaNode Target);

/// <summary>
/// A node of the address space with the attributes every NodeClass has (Part 3 §5.2). Subclasses add
/// the attributes of their class; <see cref="TryReadAttribute"/> answers the attributes the class has,
/// so Read needs no switch on the class. Memory is what limits how many nodes a board serves, so a
/// node keeps its references in one array grown by doubling and nothing per node beyond its fields.
/// </summary>
public abstract class UaNode
{
    private UaReference[] references;
    private int referenceCount;

    protected UaNode(NodeId nodeId, QualifiedName browseName, LocalizedText displayName, int referenceCapacity)
    {
        NodeId = nodeId;
        BrowseName = browseName;
        DisplayName = displayName;
        references = referenceCapacity == 0 ? [] : new UaReference[referenceCapacity];
    }

    public NodeId NodeId { get; }

    public abstract NodeClass NodeClass { get; }

    public QualifiedName BrowseName { get; }

    public LocalizedText DisplayName { get; internal set; }

    public LocalizedText Description { get; internal set; }

    /// <summary>Which attributes other than Value a client may write (Part 3 §8.60 bits); 0 by default.</summary>
    public uint WriteMask { get; init; }

    /// <summary>The references of this node, forward and inverse, in the order they were added.</summary>
    public ReadOnlySpan<UaReference> References => references.AsSpan(0, referenceCount);

    /// <summary>The target of the first forward HasTypeDefinition reference, or null (Browse's TypeDefinition).</summary>
    public UaNode? TypeDefinition
    {
        get
        {
            foreach (ref readonly var reference in References)
            {
                if (reference.IsForward && reference.ReferenceType.NodeId == new NodeId(ReferenceTypeIds.HasTypeDefinition))
                {
                    return reference.Target;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// The value of attribute <paramref name="attribute"/> for the attributes all classes share and
    /// those of the subclass; false when the class does not have it (Read answers BadAttributeIdInvalid).
    /// The Value attribute of a Variable is read through <see cref="UaVariableNode.ReadValue"/>, not here.
    /// </summary>
    public virtual bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        switch (attribute)
        {
            case AttributeId.NodeId:
                value = new Variant(NodeId);
                return true;
            case AttributeId.NodeClass:
                value = new Variant((int)NodeClass);
                return true;
            case AttributeId.BrowseName:
                value = new Variant(BrowseName);
                return true;
            case AttributeId.DisplayName:
                value = new Variant(DisplayName);
                return true;
            case AttributeId.Description:
                value = new Variant(Description);
                return true;
            case AttributeId.WriteMask:
                value = new Variant(WriteMask);
                return true;
            case AttributeId.UserWriteMask:
                value = new Variant(UserWriteMask(role));
                return true;
            default:
                value = Variant.Null;
                return false;
        }
    }

    /// <summary>The WriteMask bits the user may use: all of them for an engineer, none for others.</summary>
    public uint UserWriteMask(UserRole role) => role >= UserRole.Engineer ? WriteMask : 0;

    internal void AddReference(UaReference reference)
    {
        if (referenceCount == references.Length)
        {
            Array.Resize(ref references, Math.Max(2, references.Length * 2));
        }

        references[referenceCount++] = reference;
    }

    public override string ToString() => $"{NodeClass} {NodeId} '{BrowseName}'";
}

/// <summary>An Object (Part 3 §5.5.1): a folder, the Server object, a plant service.</summary>
public sealed class UaObjectNode(NodeId nodeId, QualifiedName browseName, LocalizedText displayName, int referenceCapacity = 2)
    : UaNode(nodeId, browseName, displayName, referenceCapacity)
{
    public override NodeClass NodeClass => NodeClass.Object;

    /// <summary>Part 3 §8.59 bits; the gateway serves no events, so 0 unless namespace 0 says otherwise.</summary>
    public byte EventNotifier { get; init; }

    public override bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        if (attribute == AttributeId.EventNotifier)
        {
            value = new Variant(EventNotifier);
            return true;
        }

        return base.TryReadAttribute(attribute, role, out value);
    }
}

/// <summary>A View (Part 3 §5.4); namespace 0 has none, the class is here so every NodeClass reads.</summary>
public sealed class UaViewNode(NodeId nodeId, QualifiedName browseName, LocalizedText displayName)
    : UaNode(nodeId, browseName, displayName, 2)
{
    public override NodeClass NodeClass => NodeClass.View;

    public bool ContainsNoLoops { get; init; }

    public byte EventNotifier { get; init; }

    public override bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        switch (attribute)
        {
            case AttributeId.ContainsNoLoops:
                value = new Variant(ContainsNoLoops);
                return true;
            case AttributeId.EventNotifier:
                value = new Variant(EventNotifier);
                return true;
            default:
                return base.TryReadAttribute(attribute, role, out value);
        }
    }
}

/// <summary>The types (ObjectType, DataType): IsAbstract beside the common attributes.</summary>
public class UaTypeNode(NodeId nodeId, NodeClass nodeClass, QualifiedName browseName, LocalizedText displayName, int referenceCapacity)
    : UaNode(nodeId, browseName, displayName, referenceCapacity)
{
    public override NodeClass NodeClass { get; } = nodeClass is NodeClass.ObjectType or NodeClass.DataType or NodeClass.ReferenceType or NodeClass.VariableType
        ? nodeClass
        : throw new ArgumentException($"a type node is an ObjectType, VariableType, DataType or ReferenceType, not {nodeClass}", nameof(nodeClass));

    public bool IsAbstract { get; init; }

    /// <summary>The supertype (the inverse HasSubtype target), set when the HasSubtype reference is added.</summary>
    public UaTypeNode? Supertype { get; internal set; }

    /// <summary>For a DataType: the built-in type its values are encoded as (Variant for BaseDataType and the abstract numbers).</summary>
    public BuiltInType EncodedAs { get; internal set; }

    /// <summary>True when this type is <paramref name="ancestor"/> or derives from it (walks HasSubtype up; types are few levels deep).</summary>
    public bool IsSubtypeOf(UaTypeNode ancestor)
    {
        for (var type = this; type is not null; type = type.Supertype)
        {
            if (ReferenceEquals(type, ancestor))
            {
                return true;
            }
        }

        return false;
    }

    public override bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        if (attribute == AttributeId.IsAbstract)
        {
            value = new Variant(IsAbstract);
            return true;
        }

        return base.TryReadAttribute(attribute, role, out value);
    }
}

/// <summary>
/// A ReferenceType (Part 3 §5.3). Each has a dense <see cref="Index"/> and the set of its subtypes
/// (itself included) as a bit set over those indices, computed once the hierarchy is loaded, so
/// Browse tests "is this reference a HierarchicalReference?" with one bit test.
/// </summary>
public sealed class UaReferenceTypeNode(NodeId nodeId, QualifiedName browseName, LocalizedText displayName)
    : UaTypeNode(nodeId, NodeClass.ReferenceType, browseName, displayName, 4)
{
    private ulong[] subtypeBits = [];

    public bool Symmetric { get; init; }

    public LocalizedText InverseName { get; init; }

    /// <summary>The position of this reference type in the address space's table of reference types.</summary>
    public int Index { get; internal set; } = -1;

    /// <summary>True when <paramref name="candidate"/> is this reference type or one of its subtypes.</summary>
    public bool Includes(UaReferenceTypeNode candidate)
    {
        var word = candidate.Index >> 6;
        return candidate.Index >= 0 && word < subtypeBits.Length && (subtypeBits[word] & (1UL << (candidate.Index & 63))) != 0;
    }

    internal void SetSubtypes(ulong[] bits) => subtypeBits = bits;

    public override bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        switch (attribute)
        {
            case AttributeId.Symmetric:
                value = new Variant(Symmetric);
                return true;
            case AttributeId.InverseName when !Symmetric:
                value = new Variant(InverseName);
                return true;
            default:
                return base.TryReadAttribute(attribute, role, out value);
        }
    }
}
