using System.Buffers.Binary;
using System.Text;
using Neokernel.Gateway.Ua;
using Neokernel.Testing;

namespace Neokernel.Gateway.Tests.Generated;

/// <summary>
/// The generated namespace 0 as the reader gives it: the nodes a generic client needs are there,
/// the reference graph is closed and consistent, and every node can be reached by browsing from Root.
/// </summary>
public sealed class Namespace0Tests
{
    private const uint References = 31;
    private const uint HierarchicalReferences = 33;
    private const uint HasSubtype = 45;
    private const uint HasProperty = 46;
    private const uint HasComponent = 47;
    private const uint Root = 84;
    private const byte LocalizedTextTypeId = 21;
    private const byte ArrayFlag = 0x80;

    [Fact]
    public void Nodes_AscendingIds_EachFoundByTryGetNode()
    {
        var previous = 0u;
        var count = 0;
        foreach (var node in Namespace0.Nodes)
        {
            Assert.True(node.NumericId > previous, $"i={node.NumericId} must come after i={previous}");
            Assert.True(Namespace0.TryGetNode(node.NumericId, out var found));
            Assert.Equal(node.NumericId, found.NumericId);
            Assert.NotEqual(NodeClass.Unspecified, node.NodeClass);
            Assert.False(string.IsNullOrEmpty(node.BrowseName), $"i={node.NumericId} has no BrowseName");
            Assert.False(string.IsNullOrEmpty(node.DisplayName), $"i={node.NumericId} has no DisplayName");
            previous = node.NumericId;
            count++;
        }

        Assert.Equal(Namespace0.NodeCount, count);
        Assert.InRange(count, 500, 2000);
    }

    [Fact]
    public void TryGetNode_NodeNotServed_IsFalse()
    {
        Assert.False(Namespace0.TryGetNode(MethodIds.Server_GetMonitoredItems, out _));
        Assert.False(Namespace0.TryGetNode(0, out _));
        Assert.False(Namespace0.TryGetNode(uint.MaxValue, out _));
    }

    [Fact]
    public void Server_ServerStatus_ReachableByHasComponent()
    {
        Assert.True(Namespace0.TryGetNode(ObjectIds.Server, out var server));
        Assert.Equal(NodeClass.Object, server.NodeClass);
        Assert.Equal("Server", server.BrowseName);
        Assert.True(HasReference(server, HasComponent, true, VariableIds.Server_ServerStatus));

        Assert.True(Namespace0.TryGetNode(VariableIds.Server_ServerStatus, out var status));
        Assert.Equal(NodeClass.Variable, status.NodeClass);
        Assert.Equal("ServerStatus", status.BrowseName);
        Assert.Equal(DataTypeIds.ServerStatusDataType, status.DataType);
        Assert.True(HasReference(status, HasComponent, false, ObjectIds.Server));
        foreach (var child in (uint[])[VariableIds.Server_ServerStatus_State, VariableIds.Server_ServerStatus_CurrentTime,
            VariableIds.Server_ServerStatus_StartTime, VariableIds.Server_ServerStatus_BuildInfo])
        {
            Assert.True(HasReference(status, HasComponent, true, child), $"ServerStatus must have its component i={child}");
        }
    }

    [Fact]
    public void Server_Parts_TheMicroProfileNeeds()
    {
        uint[] served =
        [
            VariableIds.Server_NamespaceArray, VariableIds.Server_ServerArray, VariableIds.Server_ServiceLevel,
            VariableIds.Server_Auditing, ObjectIds.Server_ServerCapabilities,
            VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
            VariableIds.Server_ServerDiagnostics_EnabledFlag, VariableIds.Server_ServerRedundancy_RedundancySupport,
            VariableIds.Server_ServerStatus_BuildInfo_ProductName, ObjectIds.Server_VendorServerInfo,
        ];
        foreach (var id in served)
        {
            Assert.True(Namespace0.Contains(id), $"i={id} must be served");
        }

        Assert.False(Namespace0.Contains(VariableIds.Server_ServerDiagnostics_ServerDiagnosticsSummary));
        Assert.False(Namespace0.Contains(ObjectIds.Server_ServerCapabilities_RoleSet));
    }

    [Fact]
    public void Attributes_OfEachClass_AsTheNodeSetGivesThem()
    {
        Assert.True(Namespace0.TryGetNode(ReferenceTypeIds.HasSubtype, out var hasSubtype));
        Assert.Equal(NodeClass.ReferenceType, hasSubtype.NodeClass);
        Assert.Equal("SubtypeOf", hasSubtype.InverseName);
        Assert.False(hasSubtype.Symmetric);
        Assert.True(Namespace0.TryGetNode(References, out var references));
        Assert.True(references.IsAbstract);
        Assert.True(references.Symmetric);

        Assert.True(Namespace0.TryGetNode(ObjectIds.Server, out var server));
        Assert.Equal(1, server.EventNotifier);

        Assert.True(Namespace0.TryGetNode(VariableIds.Server_NamespaceArray, out var namespaces));
        Assert.Equal(DataTypeIds.String, namespaces.DataType);
        Assert.Equal(1, namespaces.ValueRank);
        Assert.Equal(1, namespaces.AccessLevel);
        Assert.Equal(1000.0, namespaces.MinimumSamplingInterval);

        Assert.True(Namespace0.TryGetNode(DataTypeIds.Number, out var number));
        Assert.True(number.IsAbstract);
        Assert.Equal("Number", number.DisplayName);
    }

    [Fact]
    public void References_BothEndsServed_AndEachHasItsInverse()
    {
        var entries = 0;
        foreach (var node in Namespace0.Nodes)
        {
            for (var i = 0; i < node.ReferenceCount; i++)
            {
                var reference = node.Reference(i);
                Assert.True(Namespace0.TryGetNode(reference.TargetId, out var target), $"i={node.NumericId} refers to i={reference.TargetId}, not served");
                Assert.True(Namespace0.Contains(reference.ReferenceTypeId), $"i={node.NumericId} uses reference type i={reference.ReferenceTypeId}, not served");
                Assert.True(HasReference(target, reference.ReferenceTypeId, !reference.IsForward, node.NumericId),
                    $"i={reference.TargetId} lacks the other end of i={node.NumericId}'s reference {reference}");
                entries++;
            }
        }

        Assert.Equal(Namespace0.ReferenceEntryCount, entries);
    }

    [Fact]
    public void Nodes_AllReachableFromRoot_ByForwardHierarchicalReferences()
    {
        var hierarchical = SubtypesOf(HierarchicalReferences);
        Assert.Contains(HasSubtype, hierarchical);
        Assert.Contains(HasComponent, hierarchical);
        Assert.Contains(HasProperty, hierarchical);
        Assert.Contains(ReferenceTypeIds.Organizes, hierarchical);

        var reached = new HashSet<uint> { Root };
        var pending = new Queue<uint>([Root]);
        while (pending.TryDequeue(out var id))
        {
            Assert.True(Namespace0.TryGetNode(id, out var node));
            for (var i = 0; i < node.ReferenceCount; i++)
            {
                var reference = node.Reference(i);
                if (reference.IsForward && hierarchical.Contains(reference.ReferenceTypeId) && reached.Add(reference.TargetId))
                {
                    pending.Enqueue(reference.TargetId);
                }
            }
        }

        var unreached = new List<string>();
        foreach (var node in Namespace0.Nodes)
        {
            if (!reached.Contains(node.NumericId))
            {
                unreached.Add($"i={node.NumericId} {node.BrowseName}");
            }
        }

        Assert.True(unreached.Count == 0, "not reachable from Root: " + string.Join(", ", unreached));
    }

    [Fact]
    public void ReferenceTypes_HasSubtypeTree_RootedAtReferences()
    {
        var referenceTypes = 0;
        foreach (var node in Namespace0.Nodes)
        {
            if (node.NodeClass != NodeClass.ReferenceType)
            {
                continue;
            }

            referenceTypes++;
            var supertypes = new List<uint>();
            for (var i = 0; i < node.ReferenceCount; i++)
            {
                var reference = node.Reference(i);
                if (reference.ReferenceTypeId == HasSubtype && !reference.IsForward)
                {
                    supertypes.Add(reference.TargetId);
                }
            }

            if (node.NumericId == References)
            {
                Assert.Empty(supertypes);
                continue;
            }

            Assert.True(supertypes.Count == 1, $"reference type i={node.NumericId} {node.BrowseName} must have one supertype, has {supertypes.Count}");
            Assert.True(Namespace0.TryGetNode(supertypes[0], out var supertype));
            Assert.Equal(NodeClass.ReferenceType, supertype.NodeClass);
        }

        Assert.Equal(referenceTypes, SubtypesOf(References).Count);
    }

    [Fact]
    public void ServerState_EnumStrings_DecodeToEightTexts()
    {
        Assert.True(Namespace0.TryGetNode(DataTypeIds.ServerState, out var serverState));
        uint? enumStringsId = null;
        for (var i = 0; i < serverState.ReferenceCount; i++)
        {
            var reference = serverState.Reference(i);
            if (reference.ReferenceTypeId == HasProperty && reference.IsForward)
            {
                enumStringsId = reference.TargetId;
            }
        }

        Assert.Equal(VariableIds.ServerState_EnumStrings, enumStringsId);
        Assert.True(Namespace0.TryGetNode(VariableIds.ServerState_EnumStrings, out var enumStrings));
        Assert.Equal("EnumStrings", enumStrings.BrowseName);
        Assert.Equal(DataTypeIds.LocalizedText, enumStrings.DataType);
        Assert.True(enumStrings.HasValue);
        Assert.Equal(
            ["Running", "Failed", "NoConfiguration", "Suspended", "Shutdown", "Test", "CommunicationFault", "Unknown"],
            DecodeLocalizedTextArray(enumStrings.Value));
    }

    [Fact]
    public void Walk_EveryNodeAndReference_AllocatesNothing()
    {
        var sum = 0u;
        AllocationAssert.NoAllocations(5, _ =>
        {
            foreach (var node in Namespace0.Nodes)
            {
                sum += (uint)node.NodeClass + (uint)node.BrowseNameUtf8.Length + (uint)node.Value.Length;
                for (var i = 0; i < node.ReferenceCount; i++)
                {
                    sum += node.Reference(i).TargetId;
                }
            }
        });
        Assert.NotEqual(0u, sum);
    }

    private static bool HasReference(Namespace0Node node, uint referenceTypeId, bool isForward, uint targetId)
    {
        for (var i = 0; i < node.ReferenceCount; i++)
        {
            if (node.Reference(i) == new Namespace0Reference(referenceTypeId, isForward, targetId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The reference type and all its subtypes, following HasSubtype forward.</summary>
    private static HashSet<uint> SubtypesOf(uint referenceTypeId)
    {
        var subtypes = new HashSet<uint> { referenceTypeId };
        var pending = new Queue<uint>([referenceTypeId]);
        while (pending.TryDequeue(out var id))
        {
            Assert.True(Namespace0.TryGetNode(id, out var node));
            for (var i = 0; i < node.ReferenceCount; i++)
            {
                var reference = node.Reference(i);
                if (reference.ReferenceTypeId == HasSubtype && reference.IsForward && subtypes.Add(reference.TargetId))
                {
                    pending.Enqueue(reference.TargetId);
                }
            }
        }

        return subtypes;
    }

    /// <summary>
    /// Decodes a Variant holding an array of LocalizedText by hand (Part 6 §5.2.2.16): the mask
    /// 21 | 0x80, an Int32 count, then per element a mask byte (0x01 locale, 0x02 text) and the
    /// present Strings (Int32 length, UTF-8).
    /// </summary>
    private static string[] DecodeLocalizedTextArray(ReadOnlySpan<byte> variant)
    {
        Assert.Equal(LocalizedTextTypeId | ArrayFlag, variant[0]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(variant[1..]);
        var texts = new string[count];
        var offset = 5;
        for (var i = 0; i < count; i++)
        {
            var mask = variant[offset++];
            if ((mask & 0x01) != 0)
            {
                offset += 4 + BinaryPrimitives.ReadInt32LittleEndian(variant[offset..]);
            }

            Assert.True((mask & 0x02) != 0, $"element {i} must have a text");
            var length = BinaryPrimitives.ReadInt32LittleEndian(variant[offset..]);
            texts[i] = System.Text.Encoding.UTF8.GetString(variant.Slice(offset + 4, length));
            offset += 4 + length;
        }

        Assert.Equal(variant.Length, offset);
        return texts;
    }
}
