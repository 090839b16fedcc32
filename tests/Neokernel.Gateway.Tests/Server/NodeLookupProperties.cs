using FsCheck;
using FsCheck.Fluent;
using Neokernel.Gateway.Tests.Codec;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway.Tests.Server;

/// <summary>The address space's node index against a dictionary: every id of every kind found, no other, duplicates refused.</summary>
public sealed class NodeLookupProperties
{
    [Fact]
    public void Add_AnyIds_EachFoundAsAdded_OthersNot_DuplicatesRefused()
    {
        var ids = Gen.ArrayOf(UaGen.NodeIds.Select(id => Rehome(id))).Select(a => a.Take(600).ToArray());
        Prop.ForAll(ids.ToArbitrary(), UaGen.NodeIds.Select(id => Rehome(id)).ToArbitrary(), (added, probe) =>
        {
            var space = new AddressSpace(TestPlant.ApplicationUri, nodeCapacity: 0);
            var model = new Dictionary<NodeId, UaNode>();
            foreach (var id in added)
            {
                var node = new UaObjectNode(id, new QualifiedName(1, "n"), LocalizedText.Invariant("n"));
                if (model.ContainsKey(id))
                {
                    Assert.ThrowsAny<ArgumentException>(() => space.Add(node));
                    continue;
                }

                space.Add(node);
                model.Add(id, node);
            }

            Assert.Equal(Namespace0.NodeCount + model.Count, space.Count);
            foreach (var (id, node) in model)
            {
                Assert.True(space.TryGetNode(id, out var found));
                Assert.Same(node, found);
            }

            Assert.Equal(model.ContainsKey(probe), space.TryGetNode(probe, out _));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Add_HundredThousandStringIds_AllFound_NamespaceZeroStill()
    {
        var space = new AddressSpace(TestPlant.ApplicationUri);
        var folder = space.AddFolder(space.ObjectsFolder, NodeId.FromString("Regions/bench", 1), "bench", 100_000);
        for (var i = 0; i < 100_000; i++)
        {
            space.AddFolder(folder, NodeId.FromString($"Regions/bench/s{i:D5}", 1), $"s{i:D5}");
        }

        for (var i = 0; i < 100_000; i++)
        {
            Assert.True(space.TryGetNode(NodeId.FromString($"Regions/bench/s{i:D5}", 1), out var node));
            Assert.Equal($"s{i:D5}", node.BrowseName.Name);
        }

        Assert.False(space.TryGetNode(NodeId.FromString("Regions/bench/s100000", 1), out _));
        Assert.True(space.TryGetNode(new NodeId(ObjectIds.Server), out var server));
        Assert.Equal("Server", server.BrowseName.Name);
    }

    /// <summary>The id in the server's namespace (1), which is registered; the kinds and identifiers as generated.</summary>
    private static NodeId Rehome(NodeId id) => id.IdType switch
    {
        IdType.Numeric => new NodeId(id.Numeric, 1),
        IdType.String => NodeId.FromString(id.Text, 1),
        IdType.Guid => NodeId.FromGuid(id.Guid, 1),
        _ => NodeId.FromOpaque(id.Opaque, 1),
    };
}
