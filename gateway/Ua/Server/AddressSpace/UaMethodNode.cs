namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// What runs a Method. <see cref="Invoke"/> is called on the event loop with inputs already checked
/// against the method's InputArguments; the handler completes the call through
/// <see cref="MethodCall.Complete"/>, at once or later on the same loop (RestartService answers when
/// kernel.control has). It must complete every call exactly once; a second completion is ignored.
/// </summary>
public interface IUaMethodHandler
{
    void Invoke(MethodCall call);
}

/// <summary>
/// One method of a Call request in progress: what was asked, and where its result goes. A value
/// type over the request's pending state, so starting a method costs no allocation.
/// </summary>
public readonly struct MethodCall
{
    private readonly PendingCall pending;
    private readonly int index;

    internal MethodCall(PendingCall pending, int index, UaNode objectNode, UaMethodNode method, Variant[] inputs, UserRole role)
    {
        this.pending = pending;
        this.index = index;
        Object = objectNode;
        Method = method;
        Inputs = inputs;
        Role = role;
    }

    /// <summary>The object the method is called on.</summary>
    public UaNode Object { get; }

    public UaMethodNode Method { get; }

    /// <summary>The input arguments, as many as the method declares, each of its declared type.</summary>
    public Variant[] Inputs { get; }

    public UserRole Role { get; }

    /// <summary>The method's result: Good with its outputs, or a Bad code (the outputs then ignored).</summary>
    public void Complete(StatusCode status, Variant[]? outputs = null) => pending.Complete(index, status, outputs);
}

/// <summary>
/// A Method (Part 3 §5.7) with its handler. Calling it needs <see cref="Executable"/> and a role of at
/// least <see cref="CallRole"/>. Its arguments are described by <see cref="InputArguments"/> and
/// <see cref="OutputArguments"/>, which the address space also exposes as the method's properties.
/// </summary>
public sealed class UaMethodNode(NodeId nodeId, QualifiedName browseName, LocalizedText displayName, IUaMethodHandler handler)
    : UaNode(nodeId, browseName, displayName, 4)
{
    public override NodeClass NodeClass => NodeClass.Method;

    public IUaMethodHandler Handler { get; } = handler;

    public bool Executable { get; init; } = true;

    public UserRole CallRole { get; init; } = UserRole.Operator;

    public Argument[] InputArguments { get; init; } = [];

    public Argument[] OutputArguments { get; init; } = [];

    public bool UserExecutable(UserRole role) => Executable && role >= CallRole;

    public override bool TryReadAttribute(AttributeId attribute, UserRole role, out Variant value)
    {
        switch (attribute)
        {
            case AttributeId.Executable:
                value = new Variant(Executable);
                return true;
            case AttributeId.UserExecutable:
                value = new Variant(UserExecutable(role));
                return true;
            default:
                return base.TryReadAttribute(attribute, role, out value);
        }
    }
}
