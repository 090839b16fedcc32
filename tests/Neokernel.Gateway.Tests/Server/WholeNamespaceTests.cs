using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway.Tests.Server;

/// <summary>What a generic client does first: browse everything from Root, then read every attribute of every node.</summary>
public sealed class WholeNamespaceTests
{
    private const uint ResultMaskAll = 0x3F;

    /// <summary>The attributes each NodeClass must have (Part 3 §5, the "M" rows), beyond NodeId, NodeClass, BrowseName and DisplayName.</summary>
    private static readonly Dictionary<NodeClass, AttributeId[]> Mandatory = new()
    {
        [NodeClass.Object] = [AttributeId.EventNotifier],
        [NodeClass.Variable] = [AttributeId.Value, AttributeId.DataType, AttributeId.ValueRank, AttributeId.AccessLevel, AttributeId.UserAccessLevel, AttributeId.Historizing],
        [NodeClass.Method] = [AttributeId.Executable, AttributeId.UserExecutable],
        [NodeClass.ObjectType] = [AttributeId.IsAbstract],
        [NodeClass.VariableType] = [AttributeId.DataType, AttributeId.ValueRank, AttributeId.IsAbstract],
        [NodeClass.ReferenceType] = [AttributeId.IsAbstract, AttributeId.Symmetric],
        [NodeClass.DataType] = [AttributeId.IsAbstract],
        [NodeClass.View] = [AttributeId.ContainsNoLoops, AttributeId.EventNotifier],
    };

    /// <summary>The optional attributes of each NodeClass (the "O" rows): Good or BadAttributeIdInvalid.</summary>
    private static readonly Dictionary<NodeClass, AttributeId[]> Optional = new()
    {
        [NodeClass.Object] = [],
        [NodeClass.Variable] = [AttributeId.ArrayDimensions, AttributeId.MinimumSamplingInterval, AttributeId.AccessLevelEx],
        [NodeClass.Method] = [],
        [NodeClass.ObjectType] = [],
        [NodeClass.VariableType] = [AttributeId.Value, AttributeId.ArrayDimensions],
        [NodeClass.ReferenceType] = [AttributeId.InverseName],
        [NodeClass.DataType] = [AttributeId.DataTypeDefinition],
        [NodeClass.View] = [],
    };

    private static readonly AttributeId[] CommonMandatory = [AttributeId.NodeId, AttributeId.NodeClass, AttributeId.BrowseName, AttributeId.DisplayName];

    private static readonly AttributeId[] CommonOptional =
        [AttributeId.Description, AttributeId.WriteMask, AttributeId.UserWriteMask, AttributeId.RolePermissions, AttributeId.UserRolePermissions, AttributeId.AccessRestrictions];

    [Fact]
    public void Browse_FromRoot_ReachesEveryNode()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxReferencesPerNode = 7 });
        var reached = BrowseAll(plant);

        Assert.Equal(plant.Space.Count, reached.Count);
        Assert.Equal(0, plant.Session.ContinuationPointCount);
    }

    [Fact]
    public void Read_EveryAttributeOfEveryNode_AsPart3Says()
    {
        var plant = new TestPlant();
        var attributes = plant.Attributes();
        var nodes = BrowseAll(plant);
        var reads = 0;
        foreach (var (nodeId, nodeClass) in nodes)
        {
            var items = Enumerable.Range(1, 27).Select(a => new ReadValueId { NodeId = nodeId, AttributeId = (uint)a }).ToArray();
            var results = attributes.Read(new ReadRequest { TimestampsToReturn = TimestampsToReturn.Both, NodesToRead = items }, plant.Context()).Results!;
            for (var i = 0; i < results.Length; i++)
            {
                var attribute = (AttributeId)(i + 1);
                var status = results[i].Status;
                if (CommonMandatory.Contains(attribute) || Mandatory[nodeClass].Contains(attribute))
                {
                    Assert.True(status.IsGood || (attribute == AttributeId.Value && status.Code == StatusCodes.BadNotReadable), $"{nodeClass} {nodeId} {attribute}: {StatusCodes.NameOf(status.Code)}");
                }
                else if (!CommonOptional.Contains(attribute) && !Optional[nodeClass].Contains(attribute))
                {
                    Assert.True(status.Code == StatusCodes.BadAttributeIdInvalid, $"{nodeClass} {nodeId} {attribute} has no such attribute, yet reads {StatusCodes.NameOf(status.Code)}");
                }
                else
                {
                    Assert.True(status.IsGood || status.Code == StatusCodes.BadAttributeIdInvalid, $"{nodeClass} {nodeId} {attribute}: {StatusCodes.NameOf(status.Code)}");
                }

                reads++;
            }
        }

        Assert.Equal(plant.Space.Count * 27, reads);
    }

    /// <summary>Every node reachable from Root by forward references, browsed the way a client does it: ResultMask all, continuation points followed.</summary>
    private static Dictionary<NodeId, NodeClass> BrowseAll(TestPlant plant)
    {
        var view = plant.View();
        var reached = new Dictionary<NodeId, NodeClass> { [new NodeId(ObjectIds.RootFolder)] = NodeClass.Object };
        var pending = new Queue<NodeId>([new NodeId(ObjectIds.RootFolder)]);
        while (pending.TryDequeue(out var nodeId))
        {
            var description = new BrowseDescription { NodeId = nodeId, BrowseDirection = BrowseDirection.Forward, ResultMask = ResultMaskAll };
            var result = view.Browse(new BrowseRequest { NodesToBrowse = [description] }, plant.Context()).Results![0];
            while (true)
            {
                Assert.True(result.StatusCode.IsGood, $"browsing {nodeId}: {StatusCodes.NameOf(result.StatusCode.Code)}");
                foreach (var reference in result.References!)
                {
                    Assert.False(reference.BrowseName.IsNull);
                    if (reached.TryAdd(reference.NodeId.NodeId, reference.NodeClass))
                    {
                        pending.Enqueue(reference.NodeId.NodeId);
                    }
                }

                if (result.ContinuationPoint is null)
                {
                    break;
                }

                result = view.BrowseNext(new BrowseNextRequest { ContinuationPoints = [result.ContinuationPoint] }, plant.Context()).Results![0];
            }
        }

        return reached;
    }
}
