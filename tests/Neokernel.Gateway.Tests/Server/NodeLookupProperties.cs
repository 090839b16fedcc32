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

    /// <summary>
    /// With the address space as its known ids, a decoder reads any NodeId (held or not, null
    /// identifiers too) as the one it reads without them, past the same bytes, and gives the node's
    /// own id for a held one; the span look-ups agree with the NodeId look-up.
    /// </summary>
    [Fact]
    public void Decode_WithTheSpaceAsKnownIds_ReadsTheSameIds_HeldOnesAsTheNodes()
    {
        var ids = Gen.ArrayOf(UaGen.NodeIds.Select(id => Rehome(id))).Select(a => a.Distinct().Take(200).ToArray());
        Prop.ForAll(ids.ToArbitrary(), UaGen.NodeIds.Select(id => Rehome(id)).ToArbitrary(), (added, probe) =>
        {
            var space = new AddressSpace(TestPlant.ApplicationUri, nodeCapacity: 0);
            foreach (var id in added)
            {
                space.Add(new UaObjectNode(id, new QualifiedName(1, "n"), LocalizedText.Invariant("n")));
            }

            foreach (var id in added.Append(probe))
            {
                var encoder = new UaEncoder();
                encoder.WriteNodeId(id);
                encoder.WriteByte(0x5A);
                var plain = new UaDecoder(encoder.Written);
                var known = new UaDecoder(encoder.Written, knownNodeIds: space);
                var read = known.ReadNodeId();
                Assert.Equal(plain.ReadNodeId(), read);
                Assert.Equal(plain.Position, known.Position);
                Assert.Equal(id, read);
                var held = space.TryGetNode(id, out var node);
                if (held && id.IdType == IdType.String)
                {
                    Assert.Same(node.NodeId.Text, read.Text);
                }

                Assert.Equal(held && id.IdType == IdType.String && id.Text is not null, space.TryFindString(id.NamespaceIndex, id.Text ?? "", out var byText) && byText == id);
                Assert.Equal(held && id.IdType == IdType.Opaque && id.Opaque is not null, space.TryFindOpaque(id.NamespaceIndex, id.Opaque ?? [], out var byBytes) && byBytes == id);
            }
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>The hash of a string or opaque id from its span is its NodeId's hash, which the node index was built with.</summary>
    [Fact]
    public void SpanHashes_AreTheNodeIdHashes()
    {
        Prop.ForAll(UaGen.NodeIds.ToArbitrary(), id =>
        {
            if (id.IdType == IdType.String && id.Text is { } text)
            {
                Assert.Equal(id.GetHashCode(), NodeId.StringHash(id.NamespaceIndex, text));
            }

            if (id.IdType == IdType.Opaque && id.Opaque is { } bytes)
            {
                Assert.Equal(id.GetHashCode(), NodeId.OpaqueHash(id.NamespaceIndex, bytes));
            }
        }).QuickCheckThrowOnFailure();
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
