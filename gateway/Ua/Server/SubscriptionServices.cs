using Neokernel.Gateway.Ua.Server.Subscriptions;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The subscription services of an activated session, on the <see cref="SubscriptionServer"/>: a
/// response whose header carries a Bad ServiceResult goes out as a ServiceFault; a Publish is
/// queued and answered when the session's subscriptions have something to say.
/// </summary>
public sealed class SubscriptionServices(SubscriptionServer subscriptions) : ISessionServices
{
    public bool TryServe(Session session, in ServiceCall call, IServiceRequest request)
    {
        var state = State(session);
        switch (request)
        {
            case PublishRequest r: state.Publish(r, new PublishReply(call)); return true;
            case CreateSubscriptionRequest r: Answer(call, state.CreateSubscription(r)); return true;
            case ModifySubscriptionRequest r: Answer(call, state.ModifySubscription(r)); return true;
            case SetPublishingModeRequest r: Answer(call, state.SetPublishingMode(r)); return true;
            case DeleteSubscriptionsRequest r: Answer(call, state.DeleteSubscriptions(r)); return true;
            case TransferSubscriptionsRequest r: Answer(call, state.TransferSubscriptions(r)); return true;
            case RepublishRequest r: Answer(call, state.Republish(r)); return true;
            case CreateMonitoredItemsRequest r: Answer(call, state.CreateMonitoredItems(r)); return true;
            case ModifyMonitoredItemsRequest r: Answer(call, state.ModifyMonitoredItems(r)); return true;
            case SetMonitoringModeRequest r: Answer(call, state.SetMonitoringMode(r)); return true;
            case SetTriggeringRequest r: Answer(call, state.SetTriggering(r)); return true;
            case DeleteMonitoredItemsRequest r: Answer(call, state.DeleteMonitoredItems(r)); return true;
            default: return false;
        }
    }

    public void OnSessionClosed(Session session, bool deleteSubscriptions) => (session.SubscriptionState as SubscriptionSession)?.Close(deleteSubscriptions);

    private SubscriptionSession State(Session session) =>
        session.SubscriptionState as SubscriptionSession
        ?? (SubscriptionSession)(session.SubscriptionState = subscriptions.OpenSession(session.UserName ?? "anonymous"));

    private static void Answer(in ServiceCall call, IServiceResponse response)
    {
        if (response.ResponseHeader.ServiceResult.IsBad)
        {
            call.Respond(new ServiceFault { ResponseHeader = response.ResponseHeader });
            return;
        }

        call.Respond(response);
    }

    private sealed class PublishReply(ServiceCall call) : IPublishCallback
    {
        public void Complete(PublishResponse response)
        {
            if (call.IsLive)
            {
                call.Respond(response);
            }
        }

        public void Fail(StatusCode status)
        {
            if (call.IsLive)
            {
                call.Respond(new ServiceFault { ResponseHeader = new ResponseHeader { RequestHandle = call.RequestHandle, ServiceResult = status } });
            }
        }
    }
}

/// <summary>
/// Monitored items sample the address space: a variable's Value through its source, any other
/// attribute read once (attributes other than Value do not change while the server runs).
/// </summary>
public sealed class AddressSpaceSampler(AddressSpace space, UaServer server) : IValueSampler
{
    public StatusCode Open(NodeId nodeId, uint attributeId, string? indexRange, QualifiedName dataEncoding, out ISampledValue? handle)
    {
        handle = null;
        if (!space.TryGetNode(nodeId, out var node))
        {
            return StatusCodes.BadNodeIdUnknown;
        }

        if (!dataEncoding.IsNull)
        {
            return StatusCodes.BadDataEncodingUnsupported;
        }

        if (!string.IsNullOrEmpty(indexRange))
        {
            return StatusCodes.BadIndexRangeInvalid;
        }

        if (attributeId == (uint)AttributeId.Value)
        {
            if (node is not UaVariableNode variable)
            {
                return StatusCodes.BadAttributeIdInvalid;
            }

            handle = new VariableValue(variable, server);
            return StatusCodes.Good;
        }

        if (!Enum.IsDefined((AttributeId)attributeId) || !node.TryReadAttribute((AttributeId)attributeId, UserRole.Viewer, out var value))
        {
            return StatusCodes.BadAttributeIdInvalid;
        }

        handle = new Constant(new DataValue(value));
        return StatusCodes.Good;
    }

    private sealed class VariableValue(UaVariableNode variable, UaServer server) : ISampledValue
    {
        public DataValue Sample() => variable.ReadValue(UserRole.Viewer, server.NowUaTicks);
    }

    private sealed class Constant(DataValue value) : ISampledValue
    {
        public DataValue Sample() => value;
    }
}
