namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Where a Call's response goes once all its methods have completed (maybe during Call, maybe later
/// on the same loop). A late response may find its session closed; the responder then drops it.
/// </summary>
public interface IUaCallResponder
{
    /// <summary><paramref name="state"/> is what the caller passed to <see cref="MethodServices.Call"/> (the request it answers).</summary>
    void CallCompleted(CallResponse response, object? state);
}

/// <summary>
/// The Method service set (Part 4 §5.12): Call. The checks (object, method, role, arguments) are
/// made here; a method that passes them is handed to its handler, which completes it at once or
/// later. The response goes to the responder when the last method has completed. A session has
/// at most <see cref="UaServiceLimits.CallsOutstandingPerSessionMax"/> Calls waiting; a further one
/// answers BadTooManyOperations at once.
/// </summary>
public sealed class MethodServices(AddressSpace space, UaServiceLimits limits)
{
    public void Call(CallRequest request, in UaRequestContext context, IUaCallResponder responder, object? state)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responder);
        var methods = request.MethodsToCall ?? [];
        var status = ServiceResults.CheckCount(methods.Length, limits.MaxNodesPerMethodCall);
        if (status.IsGood && context.Session.CallsOutstanding >= limits.CallsOutstandingPerSessionMax)
        {
            status = StatusCodes.BadTooManyOperations;
        }

        var response = new CallResponse { ResponseHeader = ServiceResults.Header(request.RequestHeader, context, status) };
        if (status.IsBad)
        {
            responder.CallCompleted(response, state);
            return;
        }

        var results = new CallMethodResult[methods.Length];
        response.Results = results;
        var pending = new PendingCall(response, context.Session, responder, state);
        for (var i = 0; i < methods.Length; i++)
        {
            results[i] = new CallMethodResult();
            Start(pending, i, methods[i], context.Role);
        }

        pending.StartedAll();
    }

    private void Start(PendingCall pending, int index, CallMethodRequest request, UserRole role)
    {
        var result = pending.Response.Results![index];
        var status = Check(request, role, result, out var objectNode, out var method);
        if (status.IsBad)
        {
            pending.Complete(index, status, null);
            return;
        }

        method!.Handler.Invoke(new MethodCall(pending, index, objectNode!, method, request.InputArguments ?? [], role));
    }

    private StatusCode Check(CallMethodRequest request, UserRole role, CallMethodResult result, out UaNode? objectNode, out UaMethodNode? method)
    {
        method = null;
        if (!space.TryGetNode(request.ObjectId, out objectNode))
        {
            return StatusCodes.BadNodeIdUnknown;
        }

        if (!space.TryGetNode(request.MethodId, out var methodNode) || methodNode is not UaMethodNode found || !IsMethodOf(objectNode, found))
        {
            return StatusCodes.BadMethodInvalid;
        }

        method = found;
        if (!method.Executable)
        {
            return StatusCodes.BadNotExecutable;
        }

        if (!method.UserExecutable(role))
        {
            return StatusCodes.BadUserAccessDenied;
        }

        return CheckArguments(request.InputArguments ?? [], method.InputArguments, result);
    }

    /// <summary>The method is a component of the object (Part 4 §5.12.2: otherwise BadMethodInvalid).</summary>
    private bool IsMethodOf(UaNode objectNode, UaMethodNode method)
    {
        var hasComponent = space.ReferenceType(ReferenceTypeIds.HasComponent);
        foreach (ref readonly var reference in objectNode.References)
        {
            if (reference.IsForward && ReferenceEquals(reference.Target, method) && hasComponent.Includes(reference.ReferenceType))
            {
                return true;
            }
        }

        return false;
    }

    private StatusCode CheckArguments(Variant[] inputs, Argument[] declared, CallMethodResult result)
    {
        if (inputs.Length < declared.Length)
        {
            return StatusCodes.BadArgumentsMissing;
        }

        if (inputs.Length > declared.Length)
        {
            return StatusCodes.BadTooManyArguments;
        }

        StatusCode[]? argumentResults = null;
        for (var i = 0; i < inputs.Length; i++)
        {
            var dataType = space.TryGetNode(declared[i].DataType, out var node) ? node as UaTypeNode : null;
            if (dataType is null || !ValueTypeCheck.Fits(space, inputs[i], dataType, declared[i].ValueRank))
            {
                argumentResults ??= new StatusCode[inputs.Length];
                argumentResults[i] = StatusCodes.BadTypeMismatch;
            }
        }

        result.InputArgumentResults = argumentResults;
        return argumentResults is null ? StatusCode.Good : StatusCodes.BadInvalidArgument;
    }
}

/// <summary>A Call request whose methods have not all completed (see <see cref="PendingOperations"/>).</summary>
internal sealed class PendingCall : PendingOperations
{
    private readonly SessionViewState session;
    private readonly IUaCallResponder responder;
    private readonly object? state;

    public PendingCall(CallResponse response, SessionViewState session, IUaCallResponder responder, object? state)
        : base(response.Results!.Length)
    {
        Response = response;
        this.session = session;
        this.responder = responder;
        this.state = state;
        session.CallsOutstanding++;
    }

    public CallResponse Response { get; }

    public void Complete(int index, StatusCode status, Variant[]? outputs)
    {
        if (!TryMarkCompleted(index))
        {
            return;
        }

        var result = Response.Results![index];
        result.StatusCode = status;
        result.OutputArguments = status.IsBad ? null : outputs;
        Release();
    }

    protected override void OnAllCompleted()
    {
        session.CallsOutstanding--;
        responder.CallCompleted(Response, state);
    }
}
