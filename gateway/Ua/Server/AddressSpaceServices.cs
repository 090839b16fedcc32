namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The view, attribute and method services of an activated session, over the address space: the
/// session's role, its view state (continuation points, registered nodes) and the server's time
/// go into each request's context; a Call whose methods, or a Write whose values, complete later
/// is answered then.
/// </summary>
public sealed class AddressSpaceServices : ISessionServices, IUaCallResponder, IUaWriteResponder
{
    private readonly UaServer server;
    private readonly UaServiceLimits limits;
    private readonly ViewServices view;
    private readonly AttributeServices attributes;
    private readonly MethodServices methods;

    public AddressSpaceServices(UaServer server, AddressSpace space, UaServiceLimits limits)
    {
        this.server = server;
        this.limits = limits;
        view = new ViewServices(space, limits);
        attributes = new AttributeServices(space, limits);
        methods = new MethodServices(space, limits);
    }

    public bool TryServe(Session session, in ServiceCall call, IServiceRequest request)
    {
        var context = new UaRequestContext(session.Role, ViewState(session), server.NowUaTicks);
        switch (request)
        {
            case ReadRequest r: call.Respond(call.EncodesAtOnce ? attributes.ReadReused(r, context) : attributes.Read(r, context)); return true;
            case WriteRequest r: attributes.Write(r, context, this, call); return true;
            case BrowseRequest r: call.Respond(call.EncodesAtOnce ? view.BrowseReused(r, context) : view.Browse(r, context)); return true;
            case BrowseNextRequest r: call.Respond(call.EncodesAtOnce ? view.BrowseNextReused(r, context) : view.BrowseNext(r, context)); return true;
            case TranslateBrowsePathsToNodeIdsRequest r: call.Respond(view.TranslateBrowsePathsToNodeIds(r, context)); return true;
            case RegisterNodesRequest r: call.Respond(view.RegisterNodes(r, context)); return true;
            case UnregisterNodesRequest r: call.Respond(view.UnregisterNodes(r, context)); return true;
            case CallRequest r: methods.Call(r, context, this, call); return true;
            default: return false;
        }
    }

    public void OnSessionClosed(Session session, bool deleteSubscriptions) => (session.ViewState as SessionViewState)?.Clear();

    /// <summary>A Call's last method completed: answer the request it came in (kept boxed as the state).</summary>
    public void CallCompleted(CallResponse response, object? state)
    {
        if (state is ServiceCall call && call.IsLive)
        {
            call.Respond(response);
        }
    }

    /// <summary>A Write's last value completed: answer the request it came in (kept boxed as the state).</summary>
    public void WriteCompleted(WriteResponse response, object? state)
    {
        if (state is ServiceCall call && call.IsLive)
        {
            call.Respond(response);
        }
    }

    private SessionViewState ViewState(Session session) =>
        session.ViewState as SessionViewState ?? (SessionViewState)(session.ViewState = new SessionViewState(limits));
}
