using FsCheck;
using FsCheck.Fluent;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway.Tests.Server;

/// <summary>
/// Browse and BrowseNext written straight from the nodes (<see cref="ViewServices.BrowseReused"/>,
/// what the transport sends) encode byte for byte as the responses of objects do, for any node,
/// direction, reference type, class and result masks, maximum and continuation, and any service
/// result.
/// </summary>
public sealed class BrowseEncodingProperties
{
    private static readonly uint[] ReferenceTypes =
        [0, ReferenceTypeIds.HierarchicalReferences, ReferenceTypeIds.HasComponent, ReferenceTypeIds.HasProperty, ReferenceTypeIds.Organizes, ReferenceTypeIds.HasTypeDefinition, 9999];

    [Fact]
    public void BrowseThenBrowseNext_Streamed_EncodesAsTheObjects()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxBrowseContinuationPoints = 3 });
        NodeId[] nodes =
        [
            new(ObjectIds.RootFolder), new(ObjectIds.ObjectsFolder), new(ObjectIds.TypesFolder), new(ObjectIds.Server),
            new(ObjectIds.Server_ServerCapabilities), new(ObjectTypeIds.BaseObjectType), new(VariableTypeIds.BaseDataVariableType),
            new(ReferenceTypeIds.References), plant.Folder.NodeId, plant.Level.NodeId, plant.Loop.NodeId, NodeId.FromString("nowhere", plant.Ns),
        ];
        var descriptions =
            from node in Gen.Elements(nodes)
            from direction in Gen.Choose(0, 3)
            from referenceType in Gen.Elements(ReferenceTypes)
            from subtypes in ArbMap.Default.GeneratorFor<bool>()
            from classes in Gen.Elements(0u, 1u, 2u, 4u, 0xFFu)
            from results in Gen.Choose(0, 0x3F)
            select new BrowseDescription
            {
                NodeId = node,
                BrowseDirection = (BrowseDirection)direction,
                ReferenceTypeId = referenceType == 0 ? NodeId.Null : new NodeId(referenceType),
                IncludeSubtypes = subtypes,
                NodeClassMask = classes,
                ResultMask = (uint)results,
            };
        var requests =
            from items in Gen.ArrayOf(descriptions).Select(a => a.Take(6).ToArray())
            from maxReferences in Gen.Elements(0u, 1u, 2u, 5u)
            from view in Gen.Elements(NodeId.Null, NodeId.Null, new NodeId(1))
            from release in ArbMap.Default.GeneratorFor<bool>()
            select (Request: new BrowseRequest { RequestedMaxReferencesPerNode = maxReferences, NodesToBrowse = items, View = new ViewDescription { ViewId = view } }, Release: release);
        Prop.ForAll(requests.ToArbitrary(), pair =>
        {
            // Two sessions alike: each call adds the same continuation points to its own.
            var objectsSession = new SessionViewState(plant.Limits);
            var streamedSession = new SessionViewState(plant.Limits);
            var objects = new UaRequestContext(UserRole.Viewer, objectsSession, TestPlant.NowTicks);
            var streamed = new UaRequestContext(UserRole.Viewer, streamedSession, TestPlant.NowTicks);
            var services = plant.View();
            var browsed = services.Browse(pair.Request, objects);
            Assert.Equal(Encoded(browsed), Encoded(services.BrowseReused(pair.Request, streamed)));

            var points = (browsed.Results ?? []).Select(r => r.ContinuationPoint).Append(null).Append([1, 2, 3]).ToArray();
            var next = new BrowseNextRequest { ContinuationPoints = points, ReleaseContinuationPoints = pair.Release };
            Assert.Equal(Encoded(services.BrowseNext(next, objects)), Encoded(services.BrowseNextReused(next, streamed)));
            Assert.Equal(objectsSession.ContinuationPointCount, streamedSession.ContinuationPointCount);
        }).QuickCheckThrowOnFailure();
    }

    private static byte[] Encoded(IServiceResponse response)
    {
        var encoder = new UaEncoder();
        encoder.WriteNodeId(response.BinaryEncodingId);
        response.Encode(encoder);
        return encoder.Written.ToArray();
    }
}
