namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The Attribute service set (Part 4 §5.11): Read of every attribute and Write of Value (and of
/// DisplayName and Description where a node's WriteMask allows). Read of Values is the hot path
/// a SCADA client polls: per item it is a node look-up and the source's read, with nothing
/// allocated beyond the response and its results array unless the client asks for an IndexRange;
/// <see cref="ReadReused"/> reuses those too.
/// </summary>
public sealed class AttributeServices(AddressSpace space, UaServiceLimits limits)
{
    // AttributeWriteMask bits (Part 3 §8.60) of the attributes a WriteMask may open.
    private const uint WriteMaskDescription = 1u << 5;
    private const uint WriteMaskDisplayName = 1u << 6;

    private const string DefaultBinary = "Default Binary";

    /// <summary>Results arrays kept for <see cref="ReadReused"/>: up to this many values each (64 bytes a value).</summary>
    private const int ReusedResultsMax = 1000;

    private readonly ReadResponse reusedResponse = new();
    private readonly ExactLengthArrays<DataValue> reusedResults = new(ReusedResultsMax);

    public ReadResponse Read(ReadRequest request, in UaRequestContext context) => Read(request, context, new ReadResponse(), null);

    /// <summary>
    /// Read answered with this service's own response object and results array, which the next
    /// <see cref="ReadReused"/> overwrites: for a responder that encodes the response before it
    /// returns (<see cref="IServiceResponder.EncodesAtOnce"/>). A results array of more than 1000
    /// values is not kept.
    /// </summary>
    public ReadResponse ReadReused(ReadRequest request, in UaRequestContext context) => Read(request, context, reusedResponse, reusedResults);

    private ReadResponse Read(ReadRequest request, in UaRequestContext context, ReadResponse response, ExactLengthArrays<DataValue>? resultArrays)
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

        ServiceResults.FillHeader(response.ResponseHeader, request.RequestHeader, context, status);
        response.Results = null;
        response.DiagnosticInfos = null;
        if (status.IsBad)
        {
            return response;
        }

        // MaxAge is met by every read: the sources are read now, there is no cache to be too old.
        var results = resultArrays?.Rent(items.Length) ?? new DataValue[items.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = ReadOne(items[i], request.TimestampsToReturn, context);
        }

        response.Results = results;
        return response;
    }

    /// <summary>
    /// Write (Part 4 §5.11.4): each value is checked here and handed to its source, which completes
    /// it at once or later on the same loop (a setpoint completes when the loop answered); the
    /// response goes to <paramref name="responder"/> when the last value has completed, maybe during
    /// this call. A session has at most <see cref="UaServiceLimits.WritesOutstandingPerSessionMax"/>
    /// Writes waiting; a further one answers BadTooManyOperations at once.
    /// </summary>
    public void Write(WriteRequest request, in UaRequestContext context, IUaWriteResponder responder, object? state)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responder);
        var items = request.NodesToWrite ?? [];
        var status = ServiceResults.CheckCount(items.Length, limits.MaxNodesPerWrite);
        if (status.IsGood && context.Session.WritesOutstanding >= limits.WritesOutstandingPerSessionMax)
        {
            status = StatusCodes.BadTooManyOperations;
        }

        var response = new WriteResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            responder.WriteCompleted(response, state);
            return;
        }

        response.Results = new StatusCode[items.Length];
        var pending = new PendingWrite(response, context.Session, responder, state);
        for (var i = 0; i < items.Length; i++)
        {
            WriteOne(items[i], context.Role, new WriteCompletion(pending, i));
        }

        pending.StartedAll();
    }

    /// <summary>
    /// Write for an address space whose values all complete at once (namespace 0, stored values,
    /// tests): the response, or InvalidOperationException when a value's source completes later
    /// (use the responder form for those).
    /// </summary>
    public WriteResponse Write(WriteRequest request, in UaRequestContext context)
    {
        var responder = new ImmediateWrite();
        Write(request, context, responder, null);
        return responder.Response ?? throw new InvalidOperationException("a value of this Write completes later (its source answers on the loop): call Write with a responder");
    }

    private sealed class ImmediateWrite : IUaWriteResponder
    {
        public WriteResponse? Response { get; private set; }

        public void WriteCompleted(WriteResponse response, object? state) => Response = response;
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

    private void WriteOne(WriteValue item, UserRole role, WriteCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!space.TryGetNode(item.NodeId, out var node))
        {
            completion.Complete(StatusCodes.BadNodeIdUnknown);
            return;
        }

        var attribute = (AttributeId)item.AttributeId;
        if (attribute is < AttributeId.NodeId or > AttributeId.AccessLevelEx)
        {
            completion.Complete(StatusCodes.BadAttributeIdInvalid);
            return;
        }

        if (item.IndexRange is not null)
        {
            completion.Complete(NumericRange.TryParse(item.IndexRange, out _, out _) ? StatusCodes.BadWriteNotSupported : StatusCodes.BadIndexRangeInvalid);
            return;
        }

        if (attribute == AttributeId.Value && node is UaVariableNode variable)
        {
            var status = CheckValueWrite(variable, item.Value, role);
            if (status.IsBad)
            {
                completion.Complete(status);
                return;
            }

            variable.Source.BeginWrite(variable, item.Value, role, completion);
            return;
        }

        completion.Complete(WriteAttribute(node, attribute, item.Value, role));
    }

    private StatusCode CheckValueWrite(UaVariableNode variable, in DataValue value, UserRole role)
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

        return StatusCode.Good;
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

/// <summary>
/// Where a Write's response goes once all its values have completed (maybe during Write, maybe later
/// on the same loop). A late response may find its session closed; the responder then drops it.
/// </summary>
public interface IUaWriteResponder
{
    /// <summary><paramref name="state"/> is what the caller passed to <see cref="AttributeServices.Write(WriteRequest, in UaRequestContext, IUaWriteResponder, object?)"/>.</summary>
    void WriteCompleted(WriteResponse response, object? state);
}

/// <summary>A Write request whose values have not all completed (see <see cref="PendingOperations"/>).</summary>
internal sealed class PendingWrite : PendingOperations
{
    private readonly SessionViewState session;
    private readonly IUaWriteResponder responder;
    private readonly object? state;
    private readonly WriteResponse response;

    public PendingWrite(WriteResponse response, SessionViewState session, IUaWriteResponder responder, object? state)
        : base(response.Results!.Length)
    {
        this.response = response;
        this.session = session;
        this.responder = responder;
        this.state = state;
        session.WritesOutstanding++;
    }

    public void Complete(int index, StatusCode status)
    {
        if (!TryMarkCompleted(index))
        {
            return;
        }

        response.Results![index] = status;
        Release();
    }

    protected override void OnAllCompleted()
    {
        session.WritesOutstanding--;
        responder.WriteCompleted(response, state);
    }
}
