namespace Neokernel.Gateway.Ua.Server;

/// <summary>What the Server object says about this server (ServerStatus.BuildInfo, ServerArray).</summary>
public sealed record UaServerDescription
{
    public required string ApplicationUri { get; init; }

    public string ProductUri { get; init; } = "urn:neokernel:gateway";

    public string ManufacturerName { get; init; } = "Neokernel";

    public string ProductName { get; init; } = "Neokernel OPC UA gateway";

    public string SoftwareVersion { get; init; } = "0.1.0";

    public string BuildNumber { get; init; } = "0";

    /// <summary>UA DateTime ticks.</summary>
    public long BuildDateTicks { get; init; }

    /// <summary>UA DateTime ticks of the server's start (ServerStatus.StartTime).</summary>
    public long StartTimeTicks { get; init; }
}

/// <summary>
/// Namespace 0's Server object with live values (Part 5 §6.3.1, the Micro Embedded Device
/// profile's Base Server Behaviour): ServerStatus and its parts from the description and the
/// request's time, NamespaceArray from the address space, ServerArray, ServiceLevel, Auditing, and
/// ServerCapabilities with the OperationLimits the services enforce, from the same limits record.
/// </summary>
public static class ServerObject
{
    public const string MicroEmbeddedDevice2017ProfileUri = "http://opcfoundation.org/UA-Profile/Server/MicroEmbeddedDevice2017";

    public const string StandardDataChangeSubscription2017FacetUri = "http://opcfoundation.org/UA-Profile/Server/StandardDataChangeSubscription2017";

    private static readonly string?[] ServerProfiles = [MicroEmbeddedDevice2017ProfileUri, StandardDataChangeSubscription2017FacetUri];

    private static readonly string?[] LocaleIds = ["en"];

    /// <summary>Fills the Server object of <paramref name="space"/>; call once, after creating the address space.</summary>
    public static void Install(AddressSpace space, UaServerDescription description, UaServiceLimits limits)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        var status = new ServerStatusSource(space, description);
        foreach (var field in Enum.GetValues<ServerStatusField>())
        {
            Variable(space, (uint)field).Source = status;
        }

        Set(space, VariableIds.Server_ServerArray, Variant.FromArray(BuiltInType.String, (string?[])[description.ApplicationUri]));
        Set(space, VariableIds.Server_ServiceLevel, new Variant(byte.MaxValue));
        Set(space, VariableIds.Server_Auditing, new Variant(false));
        InstallCapabilities(space, limits);
    }

    private static void InstallCapabilities(AddressSpace space, UaServiceLimits limits)
    {
        Set(space, VariableIds.Server_ServerCapabilities_ServerProfileArray, Variant.FromArray(BuiltInType.String, ServerProfiles));
        Set(space, VariableIds.Server_ServerCapabilities_LocaleIdArray, Variant.FromArray(BuiltInType.String, LocaleIds));
        Set(space, VariableIds.Server_ServerCapabilities_MinSupportedSampleRate, new Variant(limits.MinSupportedSampleRateMs));
        Set(space, VariableIds.Server_ServerCapabilities_MaxBrowseContinuationPoints, new Variant(limits.MaxBrowseContinuationPoints));
        Set(space, VariableIds.Server_ServerCapabilities_MaxQueryContinuationPoints, new Variant((ushort)0));
        Set(space, VariableIds.Server_ServerCapabilities_MaxHistoryContinuationPoints, new Variant((ushort)0));
        Set(space, VariableIds.Server_ServerCapabilities_MaxArrayLength, new Variant(limits.MaxArrayLength));
        Set(space, VariableIds.Server_ServerCapabilities_MaxStringLength, new Variant(limits.MaxStringLength));
        Set(space, VariableIds.Server_ServerCapabilities_MaxByteStringLength, new Variant(limits.MaxByteStringLength));
        Set(space, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead, new Variant(limits.MaxNodesPerRead));
        Set(space, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite, new Variant(limits.MaxNodesPerWrite));
        Set(space, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall, new Variant(limits.MaxNodesPerMethodCall));
        Set(space, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse, new Variant(limits.MaxNodesPerBrowse));
        Set(space, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRegisterNodes, new Variant(limits.MaxNodesPerRegisterNodes));
        Set(space, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds,
            new Variant(limits.MaxNodesPerTranslateBrowsePathsToNodeIds));
    }

    /// <summary>The namespace-0 variable <paramref name="id"/>; the generated namespace 0 must have it (OpcUaGen's selection takes the Server object's parts).</summary>
    private static UaVariableNode Variable(AddressSpace space, uint id) =>
        space.TryGetNode(new NodeId(id), out var node) && node is UaVariableNode variable
            ? variable
            : throw new InvalidOperationException($"namespace 0 has no variable i={id}; Namespace0Selection in tools/OpcUaGen must take it");

    private static void Set(AddressSpace space, uint id, Variant value) => Variable(space, id).Source = new StoredValue(new DataValue(value));
}

/// <summary>The ServerStatus variables, by their namespace-0 ids.</summary>
internal enum ServerStatusField : uint
{
    ServerStatus = VariableIds.Server_ServerStatus,
    StartTime = VariableIds.Server_ServerStatus_StartTime,
    CurrentTime = VariableIds.Server_ServerStatus_CurrentTime,
    State = VariableIds.Server_ServerStatus_State,
    BuildInfo = VariableIds.Server_ServerStatus_BuildInfo,
    ProductName = VariableIds.Server_ServerStatus_BuildInfo_ProductName,
    ProductUri = VariableIds.Server_ServerStatus_BuildInfo_ProductUri,
    ManufacturerName = VariableIds.Server_ServerStatus_BuildInfo_ManufacturerName,
    SoftwareVersion = VariableIds.Server_ServerStatus_BuildInfo_SoftwareVersion,
    BuildNumber = VariableIds.Server_ServerStatus_BuildInfo_BuildNumber,
    BuildDate = VariableIds.Server_ServerStatus_BuildInfo_BuildDate,
    SecondsTillShutdown = VariableIds.Server_ServerStatus_SecondsTillShutdown,
    ShutdownReason = VariableIds.Server_ServerStatus_ShutdownReason,
    NamespaceArray = VariableIds.Server_NamespaceArray,
}

/// <summary>The live values of ServerStatus and NamespaceArray: CurrentTime is the request's time, the rest the description's.</summary>
internal sealed class ServerStatusSource(AddressSpace space, UaServerDescription description) : IUaValueSource
{
    public DataValue Read(UaVariableNode variable, UserRole role, long nowTicks)
    {
        var value = (ServerStatusField)variable.NodeId.Numeric switch
        {
            ServerStatusField.ServerStatus => new Variant(ExtensionObject.FromEncodeable(Status(nowTicks))),
            ServerStatusField.StartTime => Variant.FromDateTime(description.StartTimeTicks),
            ServerStatusField.CurrentTime => Variant.FromDateTime(nowTicks),
            ServerStatusField.State => new Variant((int)ServerState.Running),
            ServerStatusField.BuildInfo => new Variant(ExtensionObject.FromEncodeable(BuildInfo())),
            ServerStatusField.ProductName => new Variant(description.ProductName),
            ServerStatusField.ProductUri => new Variant(description.ProductUri),
            ServerStatusField.ManufacturerName => new Variant(description.ManufacturerName),
            ServerStatusField.SoftwareVersion => new Variant(description.SoftwareVersion),
            ServerStatusField.BuildNumber => new Variant(description.BuildNumber),
            ServerStatusField.BuildDate => Variant.FromDateTime(description.BuildDateTicks),
            ServerStatusField.SecondsTillShutdown => new Variant(0u),
            ServerStatusField.ShutdownReason => new Variant(LocalizedText.Null),
            ServerStatusField.NamespaceArray => Variant.FromArray(BuiltInType.String, space.NamespaceArray),
            _ => Variant.Null,
        };
        return new DataValue(value, SourceTimestamp: nowTicks);
    }

    public StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role) => StatusCodes.BadNotWritable;

    private ServerStatusDataType Status(long nowTicks) => new()
    {
        StartTime = description.StartTimeTicks,
        CurrentTime = nowTicks,
        State = ServerState.Running,
        BuildInfo = BuildInfo(),
        SecondsTillShutdown = 0,
        ShutdownReason = LocalizedText.Null,
    };

    private BuildInfo BuildInfo() => new()
    {
        ProductUri = description.ProductUri,
        ManufacturerName = description.ManufacturerName,
        ProductName = description.ProductName,
        SoftwareVersion = description.SoftwareVersion,
        BuildNumber = description.BuildNumber,
        BuildDate = description.BuildDateTicks,
    };
}
