using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>Loading namespace 0 from the generated blob (Namespace0): one node object per record, then the references as stored.</summary>
public sealed partial class AddressSpace
{
    private void LoadNamespace0()
    {
        // Variables last: each holds its DataType's node, which must exist by then.
        foreach (var variables in (ReadOnlySpan<bool>)[false, true])
        {
            foreach (var record in Namespace0.Nodes)
            {
                if ((record.NodeClass == NodeClass.Variable) == variables)
                {
                    var node = CreateNamespace0Node(record);
                    node.Description = record.Description.Length == 0 ? LocalizedText.Null : LocalizedText.Invariant(record.Description);
                    var added = nodes.TryAdd(node);
                    Debug.Assert(added, "namespace 0 has each NodeId once");
                }
            }
        }

        // The blob stores each reference at both of its ends, so each entry is added as it is.
        foreach (var record in Namespace0.Nodes)
        {
            var source = nodes[new NodeId(record.NumericId)];
            for (var i = 0; i < record.ReferenceCount; i++)
            {
                var entry = record.Reference(i);
                var referenceType = (UaReferenceTypeNode)nodes[new NodeId(entry.ReferenceTypeId)];
                var target = nodes[new NodeId(entry.TargetId)];
                source.AddReference(new UaReference(referenceType, entry.IsForward, target));
                if (entry.ReferenceTypeId == ReferenceTypeIds.HasSubtype && !entry.IsForward && source is UaTypeNode subtype)
                {
                    subtype.Supertype = (UaTypeNode)target;
                }
            }
        }

        foreach (var node in nodes.Values)
        {
            if (node is UaTypeNode { NodeClass: NodeClass.DataType } dataType)
            {
                dataType.EncodedAs = EncodingOf(dataType);
            }
        }
    }

    /// <summary>
    /// The built-in type a DataType's values are encoded as: the first built-in DataType (ids 1-25,
    /// equal to the BuiltInType numbers) up its supertypes; an enumeration is an Int32.
    /// </summary>
    private static BuiltInType EncodingOf(UaTypeNode dataType)
    {
        for (UaTypeNode? type = dataType; type is not null; type = type.Supertype)
        {
            var id = type.NodeId;
            if (id.NamespaceIndex == 0 && id.IdType == IdType.Numeric)
            {
                if (id.Numeric == DataTypeIds.Enumeration)
                {
                    return BuiltInType.Int32;
                }

                if (id.Numeric is >= 1 and <= 25)
                {
                    return (BuiltInType)id.Numeric;
                }
            }
        }

        return BuiltInType.Variant;
    }

    private UaNode CreateNamespace0Node(Namespace0Node record)
    {
        var nodeId = new NodeId(record.NumericId);
        var browseName = new QualifiedName(0, record.BrowseName);
        var displayName = LocalizedText.Invariant(record.DisplayName);
        return record.NodeClass switch
        {
            NodeClass.Object => new UaObjectNode(nodeId, browseName, displayName, record.ReferenceCount) { EventNotifier = record.EventNotifier },
            NodeClass.Variable => new UaVariableNode(nodeId, browseName, displayName, new StoredValue(new DataValue(ValueOf(record))), record.ReferenceCount)
            {
                DataType = (UaTypeNode)nodes[new NodeId(record.DataType)],
                ValueRank = record.ValueRank,
                ArrayDimensions = DimensionsOf(record),
                AccessLevel = record.AccessLevel,
                WriteRole = UserRole.Engineer,
                MinimumSamplingInterval = record.MinimumSamplingInterval,
                Historizing = record.Historizing,
            },
            NodeClass.VariableType => new UaVariableTypeNode(nodeId, browseName, displayName)
            {
                IsAbstract = record.IsAbstract,
                Value = ValueOf(record),
                DataType = new NodeId(record.DataType),
                ValueRank = record.ValueRank,
                ArrayDimensions = DimensionsOf(record),
            },
            NodeClass.ReferenceType => new UaReferenceTypeNode(nodeId, browseName, displayName)
            {
                IsAbstract = record.IsAbstract,
                Symmetric = record.Symmetric,
                InverseName = record.InverseName.Length == 0 ? LocalizedText.Null : LocalizedText.Invariant(record.InverseName),
            },
            NodeClass.ObjectType or NodeClass.DataType => new UaTypeNode(nodeId, record.NodeClass, browseName, displayName, record.ReferenceCount) { IsAbstract = record.IsAbstract },
            NodeClass.Method => new UaMethodNode(nodeId, browseName, displayName, NotImplementedMethod.Instance) { Executable = false },
            NodeClass.View => new UaViewNode(nodeId, browseName, displayName) { EventNotifier = record.EventNotifier },
            _ => throw new InvalidOperationException($"Namespace0.g.cs gives node i={record.NumericId} the NodeClass {record.NodeClass}; regenerate it with OpcUaGenerate"),
        };
    }

    private static Variant ValueOf(Namespace0Node record)
    {
        if (!record.HasValue)
        {
            return Variant.Null;
        }

        var decoder = new UaDecoder(record.Value);
        return decoder.ReadVariant();
    }

    private static uint[]? DimensionsOf(Namespace0Node record)
    {
        if (record.ArrayDimensionCount == 0)
        {
            return null;
        }

        var dimensions = new uint[record.ArrayDimensionCount];
        for (var i = 0; i < dimensions.Length; i++)
        {
            dimensions[i] = record.ArrayDimension(i);
        }

        return dimensions;
    }
}

/// <summary>A namespace-0 Method the gateway does not implement (namespace 0's methods are not executable): refuses every call.</summary>
internal sealed class NotImplementedMethod : IUaMethodHandler
{
    public static NotImplementedMethod Instance { get; } = new();

    public void Invoke(MethodCall call) => call.Complete(StatusCodes.BadNotImplemented);
}
