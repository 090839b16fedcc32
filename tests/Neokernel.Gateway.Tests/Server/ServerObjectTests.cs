using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway.Tests.Server;

public sealed class ServerObjectTests
{
    private static DataValue Read(TestPlant plant, uint id, AttributeId attribute = AttributeId.Value) =>
        plant.Attributes().ReadOne(new ReadValueId { NodeId = new NodeId(id), AttributeId = (uint)attribute }, TimestampsToReturn.Both, plant.Context());

    private static string[] Strings(DataValue value) => Array.ConvertAll((string?[])value.Value.Array!, s => s ?? "");

    [Fact]
    public void ServerStatus_LiveValues()
    {
        var plant = new TestPlant();

        Assert.Equal(TestPlant.StartTicks, Read(plant, VariableIds.Server_ServerStatus_StartTime).Value.AsDateTime());
        Assert.Equal(TestPlant.NowTicks, Read(plant, VariableIds.Server_ServerStatus_CurrentTime).Value.AsDateTime());
        Assert.Equal((int)ServerState.Running, Read(plant, VariableIds.Server_ServerStatus_State).Value.AsInt32());
        Assert.Equal("Neokernel", Read(plant, VariableIds.Server_ServerStatus_BuildInfo_ManufacturerName).Value.AsString());
        Assert.Equal(TestPlant.StartTicks - 1, Read(plant, VariableIds.Server_ServerStatus_BuildInfo_BuildDate).Value.AsDateTime());
        Assert.Equal(0u, Read(plant, VariableIds.Server_ServerStatus_SecondsTillShutdown).Value.AsUInt32());
        Assert.True(Read(plant, VariableIds.Server_ServerStatus_ShutdownReason).Status.IsGood);
        var status = Assert.IsType<ServerStatusDataType>(Read(plant, VariableIds.Server_ServerStatus).Value.AsExtensionObject().Encodeable);
        Assert.Equal(TestPlant.NowTicks, status.CurrentTime);
        Assert.Equal(ServerState.Running, status.State);
        Assert.Equal("Neokernel", status.BuildInfo.ManufacturerName);
        var buildInfo = Assert.IsType<BuildInfo>(Read(plant, VariableIds.Server_ServerStatus_BuildInfo).Value.AsExtensionObject().Encodeable);
        Assert.Equal("urn:neokernel:gateway", buildInfo.ProductUri);
    }

    [Fact]
    public void ServerObject_ArraysAndFlags()
    {
        var plant = new TestPlant();

        Assert.Equal([AddressSpace.UaNamespaceUri, TestPlant.ApplicationUri, "urn:neokernel:plant"],
            Strings(Read(plant, VariableIds.Server_NamespaceArray)));
        Assert.Equal([TestPlant.ApplicationUri], Strings(Read(plant, VariableIds.Server_ServerArray)));
        Assert.Equal(byte.MaxValue, Read(plant, VariableIds.Server_ServiceLevel).Value.AsByte());
        Assert.False(Read(plant, VariableIds.Server_Auditing).Value.AsBoolean());
        Assert.Contains(ServerObject.MicroEmbeddedDevice2017ProfileUri,
            (string?[])Read(plant, VariableIds.Server_ServerCapabilities_ServerProfileArray).Value.Array!);
        Assert.Equal(["en"], Strings(Read(plant, VariableIds.Server_ServerCapabilities_LocaleIdArray)));
    }

    [Fact]
    public void ServerCapabilities_FromTheLimitsRecord()
    {
        var limits = UaServiceLimits.Default with
        {
            MaxNodesPerRead = 11, MaxNodesPerWrite = 12, MaxNodesPerMethodCall = 13, MaxNodesPerBrowse = 14,
            MaxNodesPerRegisterNodes = 15, MaxNodesPerTranslateBrowsePathsToNodeIds = 16, MaxBrowseContinuationPoints = 17,
            MaxArrayLength = 18, MaxStringLength = 19, MaxByteStringLength = 20, MinSupportedSampleRateMs = 21,
        };
        var plant = new TestPlant(limits);

        Assert.Equal(11u, Read(plant, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead).Value.AsUInt32());
        Assert.Equal(12u, Read(plant, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite).Value.AsUInt32());
        Assert.Equal(13u, Read(plant, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall).Value.AsUInt32());
        Assert.Equal(14u, Read(plant, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse).Value.AsUInt32());
        Assert.Equal(15u, Read(plant, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRegisterNodes).Value.AsUInt32());
        Assert.Equal(16u, Read(plant, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds).Value.AsUInt32());
        Assert.Equal((ushort)17, Read(plant, VariableIds.Server_ServerCapabilities_MaxBrowseContinuationPoints).Value.AsUInt16());
        Assert.Equal(18u, Read(plant, VariableIds.Server_ServerCapabilities_MaxArrayLength).Value.AsUInt32());
        Assert.Equal(19u, Read(plant, VariableIds.Server_ServerCapabilities_MaxStringLength).Value.AsUInt32());
        Assert.Equal(20u, Read(plant, VariableIds.Server_ServerCapabilities_MaxByteStringLength).Value.AsUInt32());
        Assert.Equal(21.0, Read(plant, VariableIds.Server_ServerCapabilities_MinSupportedSampleRate).Value.AsDouble());
    }

    [Fact]
    public void ServerValues_FitTheirNodesDataTypes()
    {
        var plant = new TestPlant();
        foreach (var node in plant.Space.Node(new NodeId(ObjectIds.Server)).References)
        {
            if (node.IsForward && node.Target is UaVariableNode variable)
            {
                var value = variable.ReadValue(UserRole.Viewer, TestPlant.NowTicks).Value;
                Assert.True(value.IsNull || ValueTypeCheck.Fits(plant.Space, value, variable.DataType, variable.ValueRank), $"{variable} holds {value}");
            }
        }
    }

    [Fact]
    public void Install_InvalidLimits_Throws()
    {
        var space = new AddressSpace(TestPlant.ApplicationUri);

        var error = Assert.Throws<ArgumentException>(() => ServerObject.Install(
            space, new UaServerDescription { ApplicationUri = TestPlant.ApplicationUri }, UaServiceLimits.Default with { MaxNodesPerRead = 0 }));

        Assert.Contains("MaxNodesPerRead", error.Message, StringComparison.Ordinal);
    }
}
