using System.Text;
using Neokernel.Contracts;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Plant;

/// <summary>
/// The gateway's hand on the services' lifecycle, through <c>kernel.control</c>: a restart (and
/// the other control operations its route may grant) as an asynchronous call whose end is told
/// to an <see cref="ICallCompletion"/> with the kernel's answer mapped to a
/// <see cref="CallOutcome"/>: Ok, Denied (the route lacks the operation), InvalidState, NotFound
/// (no such service), Timeout. At most <see cref="PendingMax"/> calls in flight (the endpoint's
/// own queue depth); sending and completing allocate nothing.
/// </summary>
public sealed class KernelControl : IReplyHandler, IPendingCallsOwner
{
    public const int PendingMax = KernelEndpoints.QueueDepth;
    public const int TimeoutMsDefault = 1000;

    private readonly EndpointClient client;
    private readonly PendingCalls pending;
    private readonly byte[] request = new byte[KernelEndpoints.MaxMessageBytes];

    /// <summary>Opens the <c>kernel.control</c> client (control plane): the system must route the gateway there.</summary>
    public KernelControl(IServiceContext context, int timeoutMs = TimeoutMsDefault)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMs, 1);
        client = context.OpenEndpointClient(KernelEndpoints.Control, this);
        pending = new PendingCalls(context, PendingMax, timeoutMs * 1_000_000L, this);
    }

    /// <summary>Calls in flight.</summary>
    public int Pending => pending.Count;

    /// <summary>
    /// Asks the kernel to restart <paramref name="serviceId"/>. Returns <see cref="CallOutcome.Pending"/>
    /// when sent (the completion tells the end, with <paramref name="token"/>), or why it was not
    /// sent (NotFound for an id no service can have, Busy, Unavailable); then the completion is not called.
    /// </summary>
    public CallOutcome RestartService(ReadOnlySpan<char> serviceId, ICallCompletion completion, long token) =>
        Request(KernelOperation.Restart, serviceId, completion, token);

    /// <summary>Any kernel.control operation (Restart, Stop, Start, Acknowledge); as <see cref="RestartService"/>.</summary>
    public CallOutcome Request(KernelOperation operation, ReadOnlySpan<char> serviceId, ICallCompletion completion, long token)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (ControlOperationNames.RightOf(operation) == ControlRights.None)
        {
            throw new ArgumentException($"{operation} is not a kernel.control operation", nameof(operation));
        }

        // An id longer than the wire carries would be cut and could name another service.
        var idBytes = Encoding.UTF8.GetByteCount(serviceId);
        if (idBytes is 0 or > KernelEndpoints.ServiceIdBytesMax)
        {
            return CallOutcome.NotFound;
        }

        var length = KernelMessages.EncodeControlRequest(operation, serviceId, request);
        return pending.Call(client, request.AsSpan(0, length), completion, token, (int)operation);
    }

    void IReplyHandler.OnReply(EndpointClient replying, long correlation, ReadOnlySpan<byte> reply)
    {
        if (pending.TryTake(replying, correlation, out var call))
        {
            call.Completion!.OnCompleted(call.Token, OutcomeOf(reply));
        }
    }

    void IPendingCallsOwner.OnTimedOut(in PendingCall call) => call.Completion!.OnCompleted(call.Token, CallOutcome.Timeout);

    /// <summary>The kernel's reply status as a call outcome; a reply longer than its status byte is malformed.</summary>
    public static CallOutcome OutcomeOf(ReadOnlySpan<byte> reply) => reply.Length != 1 ? CallOutcome.Failed : KernelMessages.StatusOf(reply) switch
    {
        KernelReplyStatus.Ok => CallOutcome.Ok,
        KernelReplyStatus.Denied => CallOutcome.Denied,
        KernelReplyStatus.InvalidState => CallOutcome.InvalidState,
        KernelReplyStatus.NotFound => CallOutcome.NotFound,
        _ => CallOutcome.Failed,
    };
}
