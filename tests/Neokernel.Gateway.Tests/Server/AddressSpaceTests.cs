using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Xunit.Abstractions;

namespace Neokernel.Gateway.Tests.Server;

public sealed class AddressSpaceTests
{
    [Fact]
    public void Constructor_LoadsNamespace0_WithBothEndsOfEachReference()
    {
        var space = new AddressSpace(TestPlant.ApplicationUri);

        Assert.Equal(Namespace0.NodeCount, space.Count);
        var server = space.Node(new NodeId(ObjectIds.Server));
        var status = space.Node(new NodeId(VariableIds.Server_ServerStatus));
        Assert.Contains(server.References.ToArray(), r => r.IsForward && r.Target == status && r.ReferenceType.NodeId == new NodeId(ReferenceTypeIds.HasComponent));
        Assert.Contains(status.References.ToArray(), r => !r.IsForward && r.Target == server);
        Assert.Equal([AddressSpace.UaNamespaceUri, TestPlant.ApplicationUri], space.Namespaces);
    }

    [Fact]
    public void ReferenceTypes_SubtypeSetsPrecomputed()
    {
        var space = new AddressSpace(TestPlant.ApplicationUri);
        var hierarchical = space.HierarchicalReferences;

        foreach (var id in (uint[])[ReferenceTypeIds.HasComponent, ReferenceTypeIds.HasProperty, ReferenceTypeIds.Organizes, ReferenceTypeIds.HasSubtype, ReferenceTypeIds.HierarchicalReferences])
        {
            Assert.True(hierarchical.Includes(space.ReferenceType(id)), $"HierarchicalReferences includes i={id}");
        }

        Assert.False(hierarchical.Includes(space.ReferenceType(ReferenceTypeIds.HasTypeDefinition)));
        Assert.False(space.ReferenceType(ReferenceTypeIds.HasComponent).Includes(hierarchical));
        Assert.True(space.ReferenceType(ReferenceTypeIds.References).Includes(space.HasTypeDefinition));
    }

    [Fact]
    public void AddReference_NewReferenceTypeSubtype_JoinsSubtypeSets()
    {
        var plant = new TestPlant();
        var hasPoint = plant.Space.Add(new UaReferenceTypeNode(plant.Id("HasPoint"), plant.Name("HasPoint"), LocalizedText.Invariant("HasPoint"))
        {
            InverseName = LocalizedText.Invariant("PointOf"),
        });
        plant.Space.AddReference(plant.Space.ReferenceType(ReferenceTypeIds.HasComponent), ReferenceTypeIds.HasSubtype, hasPoint);
        var point = plant.Space.AddVariable(plant.Loop, plant.Id("Plant.Loop.Point"), "Point", DataTypeIds.Double, new Variant(1.0));
        plant.Space.AddReference(plant.Folder, hasPoint, point);

        Assert.True(plant.Space.HierarchicalReferences.Includes(hasPoint));
        Assert.True(plant.Space.ReferenceType(ReferenceTypeIds.HasComponent).Includes(hasPoint));
        Assert.False(hasPoint.Includes(plant.Space.ReferenceType(ReferenceTypeIds.HasComponent)));
        var description = new BrowseDescription
        {
            NodeId = plant.Folder.NodeId,
            BrowseDirection = BrowseDirection.Forward,
            ReferenceTypeId = new NodeId(ReferenceTypeIds.HasComponent),
            IncludeSubtypes = true,
            ResultMask = 0x3F,
        };
        var references = plant.View().Browse(new BrowseRequest { NodesToBrowse = [description] }, plant.Context()).Results![0].References!;
        Assert.Contains(references, r => r.NodeId.NodeId == point.NodeId && r.ReferenceTypeId == hasPoint.NodeId);
    }

    [Fact]
    public void DataTypes_EncodedAsTheirBuiltInType()
    {
        var space = new AddressSpace(TestPlant.ApplicationUri);

        Assert.Equal(BuiltInType.Double, space.DataType(DataTypeIds.Duration).EncodedAs);
        Assert.Equal(BuiltInType.Int32, space.DataType(DataTypeIds.ServerState).EncodedAs);
        Assert.Equal(BuiltInType.ExtensionObject, space.DataType(DataTypeIds.ServerStatusDataType).EncodedAs);
        Assert.Equal(BuiltInType.Variant, space.DataType(DataTypeIds.Number).EncodedAs);
        Assert.Equal(BuiltInType.String, space.DataType(DataTypeIds.LocaleId).EncodedAs);
    }

    [Fact]
    public void RegisterNamespace_IndexAfterServer_Idempotent()
    {
        var space = new AddressSpace(TestPlant.ApplicationUri);

        Assert.Equal(1, space.RegisterNamespace(TestPlant.ApplicationUri));
        Assert.Equal(2, space.RegisterNamespace("urn:neokernel:plant"));
        Assert.Equal(2, space.RegisterNamespace("urn:neokernel:plant"));
        Assert.Equal("urn:neokernel:plant", space.Namespaces[2]);
    }

    [Fact]
    public void AddFolder_AddsOrganizesBothWaysAndTypeDefinition()
    {
        var plant = new TestPlant();

        var objects = plant.Space.ObjectsFolder;
        Assert.Contains(objects.References.ToArray(), r => r.IsForward && r.Target == plant.Folder && r.ReferenceType.NodeId == new NodeId(ReferenceTypeIds.Organizes));
        Assert.Contains(plant.Folder.References.ToArray(), r => !r.IsForward && r.Target == objects);
        Assert.Equal(new NodeId(ObjectTypeIds.FolderType), plant.Folder.TypeDefinition!.NodeId);
        Assert.Equal(new NodeId(VariableTypeIds.BaseDataVariableType), plant.Level.TypeDefinition!.NodeId);
    }

    [Fact]
    public void AddMethod_ExposesArgumentsAsProperties()
    {
        var plant = new TestPlant();

        var inputs = (UaVariableNode)plant.Space.Node(plant.Id("Plant.Loop.SetMode.InputArguments"));
        Assert.Equal(new QualifiedName(0, "InputArguments"), inputs.BrowseName);
        var value = inputs.ReadValue(UserRole.Viewer, TestPlant.NowTicks).Value;
        Assert.Equal(BuiltInType.ExtensionObject, value.Type);
        var arguments = (ExtensionObject[])value.Array!;
        Assert.Equal("Mode", ((Argument)arguments[0].Encodeable!).Name);
        Assert.Equal(new NodeId(VariableTypeIds.PropertyType), inputs.TypeDefinition!.NodeId);
        Assert.False(plant.Space.TryGetNode(plant.Id("Plant.Loop.Restart.OutputArguments"), out _));
    }

    [Fact]
    public void Add_DuplicateOrUnregisteredNamespace_Throws()
    {
        var plant = new TestPlant();

        var duplicate = Assert.Throws<ArgumentException>(() => plant.Space.AddFolder(plant.Space.ObjectsFolder, plant.Id("Plant"), "Again"));
        Assert.Contains("already has a node", duplicate.Message, StringComparison.Ordinal);
        var unregistered = Assert.Throws<ArgumentException>(() => plant.Space.AddFolder(plant.Space.ObjectsFolder, NodeId.FromString("x", 9), "X"));
        Assert.Contains("RegisterNamespace", unregistered.Message, StringComparison.Ordinal);
    }
}
