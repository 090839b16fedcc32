namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Building a namespace: folders, objects, variables, properties and methods, each added with the
/// reference from its parent (Organizes, HasComponent, HasProperty) and its HasTypeDefinition.
/// </summary>
public sealed partial class AddressSpace
{
    /// <summary>The Objects folder (i=85), where a namespace's top folders go.</summary>
    public UaNode ObjectsFolder => Node(new NodeId(ObjectIds.ObjectsFolder));

    /// <summary>A folder below <paramref name="parent"/> (Organizes), of FolderType.</summary>
    public UaObjectNode AddFolder(UaNode parent, NodeId nodeId, string browseName, int childCapacity = 4)
    {
        var folder = Add(new UaObjectNode(nodeId, new QualifiedName(nodeId.NamespaceIndex, browseName), LocalizedText.Invariant(browseName), childCapacity + 2));
        Attach(parent, ReferenceTypeIds.Organizes, folder, ObjectTypeIds.FolderType);
        return folder;
    }

    /// <summary>An object below <paramref name="parent"/> (<paramref name="referenceTypeId"/>, HasComponent by default) of <paramref name="typeDefinitionId"/>.</summary>
    public UaObjectNode AddObject(
        UaNode parent, NodeId nodeId, string browseName, uint typeDefinitionId = ObjectTypeIds.BaseObjectType, uint referenceTypeId = ReferenceTypeIds.HasComponent, int childCapacity = 4)
    {
        var added = Add(new UaObjectNode(nodeId, new QualifiedName(nodeId.NamespaceIndex, browseName), LocalizedText.Invariant(browseName), childCapacity + 2));
        Attach(parent, referenceTypeId, added, typeDefinitionId);
        return added;
    }

    /// <summary>A variable below <paramref name="parent"/>: a HasComponent of BaseDataVariableType by default.</summary>
    public UaVariableNode AddVariable(
        UaNode parent, UaVariableNode variable, uint referenceTypeId = ReferenceTypeIds.HasComponent, uint typeDefinitionId = VariableTypeIds.BaseDataVariableType)
    {
        Add(variable);
        Attach(parent, referenceTypeId, variable, typeDefinitionId);
        return variable;
    }

    /// <summary>A read-only variable of <paramref name="dataTypeId"/> holding <paramref name="value"/>.</summary>
    public UaVariableNode AddVariable(UaNode parent, NodeId nodeId, string browseName, uint dataTypeId, Variant value, int valueRank = -1) =>
        AddVariable(parent, new UaVariableNode(nodeId, new QualifiedName(nodeId.NamespaceIndex, browseName), LocalizedText.Invariant(browseName), new StoredValue(new DataValue(value)))
        {
            DataType = DataType(dataTypeId),
            ValueRank = valueRank,
        });

    /// <summary>A property (HasProperty, PropertyType) holding <paramref name="value"/>, read-only.</summary>
    public UaVariableNode AddProperty(UaNode parent, NodeId nodeId, string browseName, uint dataTypeId, Variant value, int valueRank = -1) =>
        AddVariable(
            parent,
            new UaVariableNode(nodeId, new QualifiedName(0, browseName), LocalizedText.Invariant(browseName), new StoredValue(new DataValue(value)), 2)
            {
                DataType = DataType(dataTypeId),
                ValueRank = valueRank,
                ArrayDimensions = valueRank == 1 ? [0] : null,
                MinimumSamplingInterval = 0,
            },
            ReferenceTypeIds.HasProperty,
            VariableTypeIds.PropertyType);

    /// <summary>
    /// A method of <paramref name="parent"/> (HasComponent) with its InputArguments and
    /// OutputArguments properties (ids <paramref name="inputArgumentsId"/> and
    /// <paramref name="outputArgumentsId"/>, left out when the method has no such arguments), which
    /// clients read to learn how to call it.
    /// </summary>
    public UaMethodNode AddMethod(UaNode parent, UaMethodNode method, NodeId inputArgumentsId, NodeId outputArgumentsId)
    {
        Add(method);
        AddReference(parent, ReferenceTypeIds.HasComponent, method);
        AddArguments(method, inputArgumentsId, "InputArguments", method.InputArguments);
        AddArguments(method, outputArgumentsId, "OutputArguments", method.OutputArguments);
        return method;
    }

    /// <summary>A method whose argument properties get the method's string id plus ".InputArguments" / ".OutputArguments".</summary>
    public UaMethodNode AddMethod(UaNode parent, UaMethodNode method)
    {
        if (method.NodeId.IdType != IdType.String)
        {
            throw new ArgumentException($"method {method.NodeId} has no string id to derive its argument properties' ids from; give them explicitly", nameof(method));
        }

        var ns = method.NodeId.NamespaceIndex;
        return AddMethod(parent, method, NodeId.FromString(method.NodeId.Text + ".InputArguments", ns), NodeId.FromString(method.NodeId.Text + ".OutputArguments", ns));
    }

    private void AddArguments(UaMethodNode method, NodeId nodeId, string browseName, Argument[] arguments)
    {
        if (arguments.Length == 0)
        {
            return;
        }

        var values = new ExtensionObject[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            values[i] = ExtensionObject.FromEncodeable(arguments[i]);
        }

        AddProperty(method, nodeId, browseName, DataTypeIds.Argument, Variant.FromArray(BuiltInType.ExtensionObject, values), valueRank: 1);
    }

    private void Attach(UaNode parent, uint referenceTypeId, UaNode child, uint typeDefinitionId)
    {
        AddReference(parent, referenceTypeId, child);

        // Forward only: the inverse on the type would give BaseDataVariableType one reference per
        // variable served (memory, and a browse of the type that never ends); Part 3 §7.1 leaves
        // exposing inverse references to the server.
        RequireServed(child);
        child.AddReference(new UaReference(HasTypeDefinition, true, Node(new NodeId(typeDefinitionId))));
    }
}
