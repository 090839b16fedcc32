using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Xunit.Abstractions;

namespace Neokernel.Gateway.Tests.Server;

/// <summary>
/// Measures the heap a node costs with the whole process's heap counter: no other test may
/// allocate while it runs, so its collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "heap measurement";
}

[Collection(HeapMeasurementCollection.Name)]
public sealed class AddressSpaceMemoryTests(ITestOutputHelper output)
{
    /// <summary>The gateway bench serves 10,000 to 100,000 variables in under 30 MB resident; this measures what one costs on the heap.</summary>
    [Fact]
    public void AddVariable_TenThousand_BytesPerNodeSmall()
    {
        const int count = 10_000;
        var space = new AddressSpace(TestPlant.ApplicationUri);
        var ns = space.RegisterNamespace("urn:neokernel:plant");
        var doubleType = space.DataType(DataTypeIds.Double);
        var source = new CountingSource();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var folder = space.AddFolder(space.ObjectsFolder, NodeId.FromString("Regions/tank", ns), "tank");
        for (var i = 0; i < count; i++)
        {
            var name = "p" + i;
            var id = NodeId.FromString("Regions/tank/" + name, ns);
            space.AddVariable(folder, new UaVariableNode(id, new QualifiedName(ns, name), LocalizedText.Invariant(name), source) { DataType = doubleType });
        }

        var bytesPerNode = (GC.GetTotalMemory(forceFullCollection: true) - before) / count;
        output.WriteLine($"{bytesPerNode} bytes of heap per variable node (its id and name strings, the dictionary entry and the folder's reference included)");
        Assert.Equal(Namespace0.NodeCount + count + 1, space.Count);
        Assert.InRange(bytesPerNode, 1, 600);
        GC.KeepAlive(space);
    }
}
