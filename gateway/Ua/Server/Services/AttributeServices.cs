namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The Attribute service set (Part 4 §5.11): Read of every attribute and Write of Value (and of
/// DisplayName and Description where a node's WriteMask allows). Read of Values is the hot path
/// a SCADA client polls: per item it is a dictionary look-up and the source's read, with nothing
/// allocated beyond the response and its results array unless the client asks for an IndexRange.
/// </summary>
public sealed class AttributeServices(AddressSpace space, UaServiceLimits limits)
{
    // AttributeWriteMask bits (Part 3 §8.60) of the attributes a WriteMask may open.
    private const uint WriteMaskDescription = 1u << 5;
    private const uint WriteMaskDisplayName = 1u << 6;

    private const string DefaultBinary = "Default Binary";

    public ReadResponse Read(ReadRequest request, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var items = request.NodesToRead ?? [];
        var status = ServiceResults.CheckCount(items.Length, limits.MaxNodesPerRead);
        if (status.IsGood && request.TimestampsToReturn is < TimestampsToReturn.Source or > TimestampsToReturn.Neither)
        {
            status = StatusCodes.BadTimestampsToReturnInvalid;
        }

        if (status.IsGood && (request.MaxAge < 0 || double.IsNaN(request.MaxAge)))
        {
            status = StatusCodes.BadMaxAgeInvalid;
        }

        var response = new ReadResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            return response;
        }

        // MaxAge is met by every read: the sources are read now, there is no cache to be too old.
        var results = new DataValue[items.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = ReadOne(items[i], request.TimestampsToReturn, context);
        }

        response.Results = results;
        return response;
    }

    public WriteResponse Write(WriteRequest request, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var items = request.NodesToWrite ?? [];
        var status = ServiceResults.CheckCount(items.Length, limits.MaxNodesPerWrite);
        var response = new WriteResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            return response;
        }

        var results = new StatusCode[items.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = WriteOne(items[i], context.Role);
        }

        response.Results = results;
        return response;
    }

    /// <summary>One attribute of one node, as Read answers it (also what a monitored item samples).</summary>
    public DataValue ReadOne(ReadValueId item, TimestampsToReturn timestamps, in UaRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!space.TryGetNode(item.NodeId, out var node))
        {
            return DataValue.FromStatus(StatusCodes.BadNodeIdUnknown);
        }

        var attribute = (AttributeId)item.AttributeId;
        if (attribute is < AttributeId.NodeId or > AttributeId.AccessLevelEx)
        {
            return DataValue.FromStatus(StatusCodes.BadAttributeIdInvalid);
        }

        var range = default(NumericRange);
        var rangeDimensions = 0;
        if (item.IndexRange is not null && !NumericRange.TryParse(item.IndexRange, out range, out rangeDimensions))
        {
            return DataValue.FromStatus(StatusCodes.BadIndexRangeInvalid);
        }

        var value = attribute == AttributeId.Value && node is UaVariableNode variable
            ? ReadValue(variable, item.DataEncoding, context)
            : ReadAttribute(node, attribute, item.DataEncoding, context.Role);
        if (rangeDimensions > 0 && !value.Status.IsBad)
        {
            var rangeStatus = range.Apply(value.Value, rangeDimensions, out var part);
            if (rangeStatus.IsBad)
            {
                return DataValue.FromStatus(rangeStatus);
            }

            value = value with { Value = part };
        }

        return Stamp(value, attribute == AttributeId.Value, timestamps, context.NowTicks);
    }

    private static DataValue ReadValue(UaVariableNode variable, QualifiedName dataEncoding, in UaRequestContext context)
    {
        if ((variable.UserAccessLevel(context.Role) & AccessLevels.CurrentRead) == 0)
        {
            return DataValue.FromStatus(StatusCodes.BadNotReadable);
        }

        var value = variable.ReadValue(context.Role, context.NowTicks);
        if (!dataEncoding.IsNull)
        {
            var encodingStatus = CheckDataEncoding(dataEncoding, value.Value);
            if (encodingStatus.IsBad)
            {
                return DataValue.FromStatus(encodingStatus);
            }
        }

        return value;
    }

    /// <summary>
    /// A DataEncoding (Part 4 §7.29) is for structured Values: "Default Binary" is how they are sent
    /// anyway; another standard encoding is unsupported here; any other name is invalid.
    /// </summary>
    private static StatusCode CheckDataEncoding(QualifiedName dataEncoding, in Variant value)
    {
        var standard = dataEncoding.NamespaceIndex == 0 && dataEncoding.Name is DefaultBinary or "Default XML" or "Default JSON";
        if (!standard || value.Type != BuiltInType.ExtensionObject)
        {
            return StatusCodes.BadDataEncodingInvalid;
        }

        return dataEncoding.Name == DefaultBinary ? StatusCode.Good : StatusCodes.BadDataEncodingUnsupported;
    }

    private static DataValue ReadAttribute(UaNode node, AttributeId attribute, QualifiedName dataEncoding, UserRole role)
    {
        if (!dataEncoding.IsNull)
        {
            return DataValue.FromStatus(StatusCodes.BadDataEncodingInvalid);
        }

        return node.TryReadAttribute(attribute, role, out var value)
            ? new DataValue(value)
            : DataValue.FromStatus(StatusCodes.BadAttributeIdInvalid);
    }

    /// <summary>Timestamps as asked: a Value keeps its source's timestamp; other attributes have none (Part 4 §5.11.2.2).</summary>
    private static DataValue Stamp(in DataValue value, bool isValue, TimestampsToReturn timestamps, long nowTicks)
    {
        var source = isValue && timestamps is TimestampsToReturn.Source or TimestampsToReturn.Both ? value.SourceTimestamp : 0;
        var server = timestamps is TimestampsToReturn.Server or TimestampsToReturn.Both ? nowTicks : 0;
        return value with
        {
            SourceTimestamp = source,
            SourcePicoseconds = source == 0 ? (ushort)0 : value.SourcePicoseconds,
            ServerTimestamp = server,
            ServerPicoseconds = 0,
        };
    }

    private StatusCode WriteOne(WriteValue item, UserRole role)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!space.TryGetNode(item.NodeId, out var node))
        {
            return StatusCodes.BadNodeIdUnknown;
        }

        var attribute = (AttributeId)item.AttributeId;
        if (attribute is < AttributeId.NodeId or > AttributeId.AccessLevelEx)
        {
            return StatusCodes.BadAttributeIdInvalid;
        }

        if (item.IndexRange is not null)
        {
            return NumericRange.TryParse(item.IndexRange, out _, out _) ? StatusCodes.BadWriteNotSupported : StatusCodes.BadIndexRangeInvalid;
        }

        if (attribute == AttributeId.Value && node is UaVariableNode variable)
        {
            return WriteValue(variable, item.Value, role);
        }

        return WriteAttribute(node, attribute, item.Value, role);
    }

    private StatusCode WriteValue(UaVariableNode variable, in DataValue value, UserRole role)
    {
        if ((variable.AccessLevel & AccessLevels.CurrentWrite) == 0)
        {
            return StatusCodes.BadNotWritable;
        }

        if (role < variable.WriteRole)
        {
            return StatusCodes.BadUserAccessDenied;
        }

        if (!value.HasValue || !ValueTypeCheck.Fits(space, value.Value, variable.DataType, variable.ValueRank))
        {
            return StatusCodes.BadTypeMismatch;
        }

        return variable.Source.Write(variable, value, role);
    }

    private static StatusCode WriteAttribute(UaNode node, AttributeId attribute, in DataValue value, UserRole role)
    {
        if (!node.TryReadAttribute(attribute, role, out _))
        {
            return StatusCodes.BadAttributeIdInvalid;
        }

        var bit = attribute switch
        {
            AttributeId.DisplayName => WriteMaskDisplayName,
            AttributeId.Description => WriteMaskDescription,
            _ => 0u,
        };
        if ((node.WriteMask & bit) == 0)
        {
            return StatusCodes.BadNotWritable;
        }

        if ((node.UserWriteMask(role) & bit) == 0)
        {
            return StatusCodes.BadUserAccessDenied;
        }

        if (!value.HasValue || value.Value.Type != BuiltInType.LocalizedText || value.Value.IsArray)
        {
            return StatusCodes.BadTypeMismatch;
        }

        if (attribute == AttributeId.DisplayName)
        {
            node.DisplayName = value.Value.AsLocalizedText();
        }
        else
        {
            node.Description = value.Value.AsLocalizedText();
        }

        return StatusCode.Good;
    }
}
