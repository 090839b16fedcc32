using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway.Tests.Server;

public sealed class ViewServicesTests
{
    private const uint ResultMaskAll = 0x3F;

    private static BrowseRequest BrowseOf(BrowseDescription description, uint maxReferences = 0) =>
        new() { RequestedMaxReferencesPerNode = maxReferences, NodesToBrowse = [description] };

    private static BrowseDescription Forward(NodeId nodeId, uint referenceTypeId = ReferenceTypeIds.HierarchicalReferences, bool includeSubtypes = true) => new()
    {
        NodeId = nodeId,
        BrowseDirection = BrowseDirection.Forward,
        ReferenceTypeId = new NodeId(referenceTypeId),
        IncludeSubtypes = includeSubtypes,
        ResultMask = ResultMaskAll,
    };

    [Fact]
    public void Browse_ForwardHierarchical_ListsChildrenWithAllFields()
    {
        var plant = new TestPlant();

        var result = Assert.Single(plant.View().Browse(BrowseOf(Forward(plant.Folder.NodeId)), plant.Context()).Results!);

        Assert.True(result.StatusCode.IsGood);
        Assert.Null(result.ContinuationPoint);
        var level = Assert.Single(result.References!, r => r.NodeId.NodeId == plant.Level.NodeId);
        Assert.Equal(new NodeId(ReferenceTypeIds.HasComponent), level.ReferenceTypeId);
        Assert.True(level.IsForward);
        Assert.Equal(NodeClass.Variable, level.NodeClass);
        Assert.Equal(plant.Name("Level"), level.BrowseName);
        Assert.Equal("Level", level.DisplayName.Text);
        Assert.Equal(new NodeId(VariableTypeIds.BaseDataVariableType), level.TypeDefinition.NodeId);
        Assert.Equal(9, result.References!.Length);
    }

    [Fact]
    public void Browse_WithoutSubtypes_OnlyThatReferenceType()
    {
        var plant = new TestPlant();

        var exact = plant.View().Browse(BrowseOf(Forward(plant.Folder.NodeId, includeSubtypes: false)), plant.Context()).Results![0];
        var components = plant.View().Browse(BrowseOf(Forward(plant.Folder.NodeId, ReferenceTypeIds.HasComponent, false)), plant.Context()).Results![0];

        Assert.Empty(exact.References!);
        Assert.Equal(9, components.References!.Length);
    }

    [Fact]
    public void Browse_InverseAndBoth_Directions()
    {
        var plant = new TestPlant();
        var inverse = Forward(plant.Level.NodeId, ReferenceTypeIds.References);
        inverse.BrowseDirection = BrowseDirection.Inverse;
        var both = Forward(plant.Level.NodeId, ReferenceTypeIds.References);
        both.BrowseDirection = BrowseDirection.Both;

        var parent = Assert.Single(plant.View().Browse(BrowseOf(inverse), plant.Context()).Results![0].References!);
        var all = plant.View().Browse(BrowseOf(both), plant.Context()).Results![0].References!;

        Assert.Equal(plant.Folder.NodeId, parent.NodeId.NodeId);
        Assert.False(parent.IsForward);
        Assert.Equal(2, all.Length);
        Assert.Contains(all, r => r.IsForward && r.ReferenceTypeId == new NodeId(ReferenceTypeIds.HasTypeDefinition));
    }

    [Fact]
    public void Browse_NodeClassMaskAndResultMask_Filter()
    {
        var plant = new TestPlant();
        var description = Forward(plant.Loop.NodeId);
        description.NodeClassMask = (uint)NodeClass.Method;
        description.ResultMask = 0x08;

        var references = plant.View().Browse(BrowseOf(description), plant.Context()).Results![0].References!;

        Assert.Equal(3, references.Length);
        Assert.All(references, r => Assert.Equal(NodeClass.Unspecified, r.NodeClass));
        Assert.All(references, r => Assert.True(r.ReferenceTypeId.IsNull));
        Assert.Contains(references, r => r.BrowseName == plant.Name("Restart"));
    }

    [Fact]
    public void BrowseNext_ContinuesAcrossPoints_UntilAllReferences()
    {
        var plant = new TestPlant();
        var view = plant.View();

        var first = view.Browse(BrowseOf(Forward(plant.Folder.NodeId), maxReferences: 4), plant.Context()).Results![0];
        var seen = first.References!.Select(r => r.NodeId.NodeId).ToList();
        var point = first.ContinuationPoint;
        while (point is not null)
        {
            Assert.Equal(1, plant.Session.ContinuationPointCount);
            var next = view.BrowseNext(new BrowseNextRequest { ContinuationPoints = [point] }, plant.Context()).Results![0];
            Assert.True(next.StatusCode.IsGood);
            Assert.InRange(next.References!.Length, 1, 4);
            seen.AddRange(next.References!.Select(r => r.NodeId.NodeId));
            point = next.ContinuationPoint;
        }

        Assert.Equal(9, seen.Distinct().Count());
        Assert.Equal(9, seen.Count);
        Assert.Equal(0, plant.Session.ContinuationPointCount);
    }

    [Fact]
    public void BrowseNext_Release_FreesPoint_ThenPointInvalid()
    {
        var plant = new TestPlant();
        var view = plant.View();
        var point = view.Browse(BrowseOf(Forward(plant.Folder.NodeId), maxReferences: 2), plant.Context()).Results![0].ContinuationPoint!;

        var released = view.BrowseNext(new BrowseNextRequest { ReleaseContinuationPoints = true, ContinuationPoints = [point] }, plant.Context()).Results![0];
        var again = view.BrowseNext(new BrowseNextRequest { ContinuationPoints = [point] }, plant.Context()).Results![0];
        var garbage = view.BrowseNext(new BrowseNextRequest { ContinuationPoints = [[1, 2, 3]] }, plant.Context()).Results![0];

        Assert.True(released.StatusCode.IsGood);
        Assert.Null(released.References);
        Assert.Equal(StatusCodes.BadContinuationPointInvalid, again.StatusCode.Code);
        Assert.Equal(StatusCodes.BadContinuationPointInvalid, garbage.StatusCode.Code);
        Assert.Equal(0, plant.Session.ContinuationPointCount);
    }

    [Fact]
    public void Browse_ContinuationPointLimit_BadNoContinuationPoints()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxBrowseContinuationPoints = 2 });
        var request = new BrowseRequest
        {
            RequestedMaxReferencesPerNode = 1,
            NodesToBrowse = [Forward(plant.Folder.NodeId), Forward(plant.Loop.NodeId), Forward(plant.Folder.NodeId)],
        };

        var results = plant.View().Browse(request, plant.Context()).Results!;

        Assert.NotNull(results[0].ContinuationPoint);
        Assert.NotNull(results[1].ContinuationPoint);
        Assert.Equal(StatusCodes.BadNoContinuationPoints, results[2].StatusCode.Code);
        Assert.Equal(2, plant.Session.ContinuationPointCount);
    }

    [Fact]
    public void Browse_BadInputs_OperationAndServiceCodes()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxNodesPerBrowse = 3 });
        var unknown = Forward(plant.Id("Nope"));
        var direction = Forward(plant.Folder.NodeId);
        direction.BrowseDirection = BrowseDirection.Invalid;
        var referenceType = Forward(plant.Folder.NodeId, VariableIds.Server_ServerStatus);
        var view = plant.View();

        var results = view.Browse(new BrowseRequest { NodesToBrowse = [unknown, direction, referenceType] }, plant.Context()).Results!;

        Assert.Equal(StatusCodes.BadNodeIdUnknown, results[0].StatusCode.Code);
        Assert.Equal(StatusCodes.BadBrowseDirectionInvalid, results[1].StatusCode.Code);
        Assert.Equal(StatusCodes.BadReferenceTypeIdInvalid, results[2].StatusCode.Code);
        Assert.Equal(StatusCodes.BadNothingToDo, view.Browse(new BrowseRequest(), plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTooManyOperations, view.Browse(new BrowseRequest { NodesToBrowse = [unknown, unknown, unknown, unknown] }, plant.Context()).ResponseHeader.ServiceResult.Code);
        var withView = BrowseOf(Forward(plant.Folder.NodeId));
        withView.View.ViewId = plant.Id("View");
        Assert.Equal(StatusCodes.BadViewIdUnknown, view.Browse(withView, plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadNothingToDo, view.BrowseNext(new BrowseNextRequest(), plant.Context()).ResponseHeader.ServiceResult.Code);
    }

    private static BrowsePath Path(NodeId start, params RelativePathElement[] elements) => new() { StartingNode = start, RelativePath = new RelativePath { Elements = elements } };

    private static RelativePathElement Element(QualifiedName name, uint referenceTypeId = ReferenceTypeIds.HierarchicalReferences, bool inverse = false, bool subtypes = true) => new()
    {
        ReferenceTypeId = new NodeId(referenceTypeId),
        IsInverse = inverse,
        IncludeSubtypes = subtypes,
        TargetName = name,
    };

    [Fact]
    public void TranslateBrowsePaths_Forward_ReachesTarget()
    {
        var plant = new TestPlant();
        var request = new TranslateBrowsePathsToNodeIdsRequest
        {
            BrowsePaths =
            [
                Path(new NodeId(ObjectIds.ObjectsFolder), Element(plant.Name("Plant")), Element(plant.Name("Loop")), Element(plant.Name("SetMode"))),
                Path(new NodeId(ObjectIds.RootFolder), Element(new QualifiedName(0, "Objects")), Element(new QualifiedName(0, "Server")),
                    Element(new QualifiedName(0, "ServerStatus"), ReferenceTypeIds.HasComponent, subtypes: false), Element(new QualifiedName(0, "CurrentTime"))),
            ],
        };

        var results = plant.View().TranslateBrowsePathsToNodeIds(request, plant.Context()).Results!;

        var target = Assert.Single(results[0].Targets!);
        Assert.Equal(plant.SetMode.NodeId, target.TargetId.NodeId);
        Assert.Equal(uint.MaxValue, target.RemainingPathIndex);
        Assert.Equal(new NodeId(VariableIds.Server_ServerStatus_CurrentTime), Assert.Single(results[1].Targets!).TargetId.NodeId);
    }

    [Fact]
    public void TranslateBrowsePaths_InverseAndSubtypes()
    {
        var plant = new TestPlant();
        var request = new TranslateBrowsePathsToNodeIdsRequest
        {
            BrowsePaths =
            [
                Path(plant.Level.NodeId, Element(plant.Name("Plant"), inverse: true)),
                Path(plant.Level.NodeId, Element(plant.Name("Plant"), ReferenceTypeIds.Organizes, inverse: true)),
                Path(plant.Folder.NodeId, Element(plant.Name("Level"), ReferenceTypeIds.HierarchicalReferences, subtypes: false)),
            ],
        };

        var results = plant.View().TranslateBrowsePathsToNodeIds(request, plant.Context()).Results!;

        Assert.Equal(plant.Folder.NodeId, Assert.Single(results[0].Targets!).TargetId.NodeId);
        Assert.Equal(StatusCodes.BadNoMatch, results[1].StatusCode.Code);
        Assert.Equal(StatusCodes.BadNoMatch, results[2].StatusCode.Code);
    }

    [Fact]
    public void TranslateBrowsePaths_BadInputs()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxNodesPerTranslateBrowsePathsToNodeIds = 4 });
        var request = new TranslateBrowsePathsToNodeIdsRequest
        {
            BrowsePaths =
            [
                Path(plant.Id("Nope"), Element(plant.Name("Plant"))),
                Path(plant.Folder.NodeId, Element(new QualifiedName(plant.Ns, ""))),
                Path(plant.Folder.NodeId, Element(plant.Name("Missing"))),
                Path(plant.Folder.NodeId),
            ],
        };
        var view = plant.View();

        var results = view.TranslateBrowsePathsToNodeIds(request, plant.Context()).Results!;

        Assert.Equal(StatusCodes.BadNodeIdUnknown, results[0].StatusCode.Code);
        Assert.Equal(StatusCodes.BadBrowseNameInvalid, results[1].StatusCode.Code);
        Assert.Equal(StatusCodes.BadNoMatch, results[2].StatusCode.Code);
        Assert.Equal(StatusCodes.BadNothingToDo, results[3].StatusCode.Code);
        Assert.Equal(StatusCodes.BadNothingToDo, view.TranslateBrowsePathsToNodeIds(new(), plant.Context()).ResponseHeader.ServiceResult.Code);
        request.BrowsePaths = [.. request.BrowsePaths, request.BrowsePaths[0]];
        Assert.Equal(StatusCodes.BadTooManyOperations, view.TranslateBrowsePathsToNodeIds(request, plant.Context()).ResponseHeader.ServiceResult.Code);
    }

    [Fact]
    public void RegisterNodes_ReturnsIds_UnregisterForgets()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxNodesPerRegisterNodes = 2 });
        var view = plant.View();

        var registered = view.RegisterNodes(new RegisterNodesRequest { NodesToRegister = [plant.Level.NodeId, plant.Setpoint.NodeId] }, plant.Context());

        Assert.Equal([plant.Level.NodeId, plant.Setpoint.NodeId], registered.RegisteredNodeIds!);
        Assert.True(plant.Session.IsRegistered(plant.Level.NodeId));
        var unregistered = view.UnregisterNodes(new UnregisterNodesRequest { NodesToUnregister = [plant.Level.NodeId] }, plant.Context());
        Assert.True(unregistered.ResponseHeader.ServiceResult.IsGood);
        Assert.False(plant.Session.IsRegistered(plant.Level.NodeId));
        Assert.Equal(1, plant.Session.RegisteredNodeCount);
        Assert.Equal(StatusCodes.BadNothingToDo, view.RegisterNodes(new(), plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadNothingToDo, view.UnregisterNodes(new(), plant.Context()).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTooManyOperations,
            view.RegisterNodes(new RegisterNodesRequest { NodesToRegister = [plant.Level.NodeId, plant.Level.NodeId, plant.Level.NodeId] }, plant.Context()).ResponseHeader.ServiceResult.Code);
    }
}
