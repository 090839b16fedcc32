using Neokernel.Contracts;
using Neokernel.Controllers;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Plant;

/// <summary>A controller loop the gateway is routed to: the id it is shown under and its command endpoint.</summary>
public sealed record LoopEndpoint(string LoopId, string Endpoint)
{
    /// <summary>The suffix a loop's command endpoint conventionally has; the loop id is the name without it.</summary>
    public const string CommandsSuffix = ".commands";

    /// <summary>
    /// The loops of a gateway's spec: every endpoint it uses that is neither the kernel's nor a
    /// block network's (one its <c>blockValues</c> table names), shown under its name less
    /// <see cref="CommandsSuffix"/> (<c>tank-controller.commands</c> → <c>tank-controller</c>).
    /// </summary>
    public static IReadOnlyList<LoopEndpoint> RoutedIn(ServiceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var loops = new List<LoopEndpoint>();
        var networks = spec.Program.Parameters.Tables.ContainsKey(BlockValueEndpoint.TableName)
            ? BlockValueEndpoint.ReadIn(spec.Program.Parameters).Select(v => v.Endpoint).ToHashSet(StringComparer.Ordinal)
            : [];
        foreach (var endpoint in spec.Uses)
        {
            if (IsLoop(endpoint, networks))
            {
                var id = endpoint.EndsWith(CommandsSuffix, StringComparison.Ordinal) && endpoint.Length > CommandsSuffix.Length
                    ? endpoint[..^CommandsSuffix.Length]
                    : endpoint;
                loops.Add(new LoopEndpoint(id, endpoint));
            }
        }

        return loops;
    }

    /// <summary>Whether the gateway takes an endpoint it uses for a loop's: neither the kernel's nor one of the block networks (<paramref name="networks"/>) its blockValues rows name.</summary>
    public static bool IsLoop(string endpoint, IReadOnlySet<string> networks)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(networks);
        return !endpoint.StartsWith(KernelEndpoints.ReservedPrefix, StringComparison.Ordinal) && !networks.Contains(endpoint);
    }
}

/// <summary>How <see cref="LoopsView"/> polls its loops.</summary>
public sealed record LoopsViewOptions(int PeriodMs = 500, int RequestTimeoutMs = 200)
{
    public const int LoopsMax = 64;

    /// <summary>Throws, naming the option, when one is out of its range (as <see cref="SystemStatusViewOptions"/>).</summary>
    public void Validate() => SystemStatusViewOptions.ValidatePolling(PeriodMs, RequestTimeoutMs);
}

/// <summary>One loop as it last reported itself (GetStatus), with how fresh that is. A plain value.</summary>
public readonly record struct LoopSnapshot(
    string LoopId,
    string Endpoint,
    LoopStatus Status,
    ViewFreshness Freshness,
    long StaleSinceNs,
    long UpdatedNs,
    long ChangeCount);

/// <summary>
/// The controller loops the gateway is routed to, each through its command endpoint: their
/// status (setpoint, process value, output, mode, gains) polled with GetStatus every period, one
/// status request per loop in flight, and the operator's hands on them, setpoint and mode (and
/// manual output), as asynchronous calls whose end is told to an <see cref="ICallCompletion"/>.
/// </summary>
/// <remarks>
/// A command that the loop accepted is followed at once by a status request, so the value read
/// back shows it within a round trip rather than a period. A loop whose status request times
/// out, is refused or does not decode is <see cref="ViewFreshness.Stale"/> since then, the others
/// are not. Everything is allocated at construction; polling, commanding and completing allocate
/// nothing. Like <see cref="SystemStatusView"/>, read it on the gateway's event loop only: a
/// reader then never sees half a reply, with no lock.
/// </remarks>
public sealed class LoopsView : IReplyHandler, ITimerCallback, IPendingCallsOwner
{
    /// <summary>Commands in flight per loop beyond its status request.</summary>
    public const int CommandsPerLoopMax = 4;

    private const int CommandTag = 1 << 16;

    private readonly LoopsViewOptions options;
    private readonly LoopEntry[] loops;
    private readonly PendingCalls pending;
    private readonly IServiceTimer poll;
    private readonly IClock clock;
    private readonly byte[] request = new byte[ControllerCommands.MaxCommandBytes];

    /// <summary>Opens a client on each loop's command endpoint (control plane): the system must route the gateway to each.</summary>
    public LoopsView(IServiceContext context, IReadOnlyList<LoopEndpoint> loopEndpoints, LoopsViewOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(loopEndpoints);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(loopEndpoints.Count, LoopsViewOptions.LoopsMax, nameof(loopEndpoints));
        this.options = options ?? new LoopsViewOptions();
        this.options.Validate();
        clock = context.Clock;
        loops = new LoopEntry[loopEndpoints.Count];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = new LoopEntry(loopEndpoints[i], context.OpenEndpointClient(loopEndpoints[i].Endpoint, this));
        }

        pending = new PendingCalls(context, Math.Max(1, loops.Length * (1 + CommandsPerLoopMax)), this.options.RequestTimeoutMs * 1_000_000L, this);
        poll = context.CreateTimer(this);
    }

    public int Count => loops.Length;

    /// <summary>Polls now and then every period.</summary>
    public void Start() => poll.ArmPeriodic(options.PeriodMs * 1_000_000L, clock.NowNs);

    public void Stop() => poll.Cancel();

    public LoopSnapshot Loop(int loopIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(loopIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(loopIndex, loops.Length);
        return loops[loopIndex].Snapshot();
    }

    /// <summary>The index of the loop shown as <paramref name="loopId"/>, or -1. Allocation-free.</summary>
    public int IndexOf(ReadOnlySpan<char> loopId)
    {
        for (var i = 0; i < loops.Length; i++)
        {
            if (loopId.SequenceEqual(loops[i].Endpoint.LoopId))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Sets the loop's setpoint: Pending (the completion tells Ok, InvalidValue, Timeout…), or why it was not sent.</summary>
    public CallOutcome SetSetpoint(int loopIndex, double setpoint, ICallCompletion completion, long token) =>
        Command(loopIndex, ControllerCommand.SetSetpoint(setpoint), completion, token);

    /// <summary>Switches the loop between auto and manual; as <see cref="SetSetpoint"/>.</summary>
    public CallOutcome SetLoopMode(int loopIndex, PidMode mode, ICallCompletion completion, long token) =>
        Command(loopIndex, ControllerCommand.SetMode(mode), completion, token);

    /// <summary>The output in manual (InvalidState in auto); as <see cref="SetSetpoint"/>.</summary>
    public CallOutcome SetManualOutput(int loopIndex, double output, ICallCompletion completion, long token) =>
        Command(loopIndex, ControllerCommand.SetManualOutput(output), completion, token);

    /// <summary><see cref="SetLoopMode(int, PidMode, ICallCompletion, long)"/> by loop id: NotFound for an id no loop has.</summary>
    public CallOutcome SetLoopMode(ReadOnlySpan<char> loopId, PidMode mode, ICallCompletion completion, long token)
    {
        var loopIndex = IndexOf(loopId);
        return loopIndex < 0 ? CallOutcome.NotFound : SetLoopMode(loopIndex, mode, completion, token);
    }

    void ITimerCallback.OnTimer(long nowNs)
    {
        for (var i = 0; i < loops.Length; i++)
        {
            RequestStatus(i);
        }
    }

    void IReplyHandler.OnReply(EndpointClient replying, long correlation, ReadOnlySpan<byte> reply)
    {
        if (!pending.TryTake(replying, correlation, out var call))
        {
            return;
        }

        var loopIndex = call.Tag & (CommandTag - 1);
        if ((call.Tag & CommandTag) == 0)
        {
            OnStatus(loops[loopIndex], reply);
            return;
        }

        var outcome = OutcomeOf(ControllerCommands.DecodeReply(reply));
        if (outcome == CallOutcome.Ok)
        {
            RequestStatus(loopIndex);
        }

        call.Completion!.OnCompleted(call.Token, outcome);
    }

    void IPendingCallsOwner.OnTimedOut(in PendingCall call)
    {
        if ((call.Tag & CommandTag) == 0)
        {
            loops[call.Tag].MarkStale(StaleReason.Timeout, clock.NowNs);
            return;
        }

        call.Completion!.OnCompleted(call.Token, CallOutcome.Timeout);
    }

    /// <summary>A loop's reply status as a call outcome.</summary>
    public static CallOutcome OutcomeOf(CommandStatus status) => status switch
    {
        CommandStatus.Ok => CallOutcome.Ok,
        CommandStatus.InvalidValue => CallOutcome.InvalidValue,
        CommandStatus.WrongMode => CallOutcome.InvalidState,
        _ => CallOutcome.Failed,
    };

    private CallOutcome Command(int loopIndex, in ControllerCommand command, ICallCompletion completion, long token)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if ((uint)loopIndex >= (uint)loops.Length)
        {
            return CallOutcome.NotFound;
        }

        var length = ControllerCommands.Encode(command, request);
        return pending.Call(loops[loopIndex].Client, request.AsSpan(0, length), completion, token, loopIndex | CommandTag);
    }

    private void RequestStatus(int loopIndex)
    {
        if (pending.HasTag(loopIndex))
        {
            return;
        }

        var length = ControllerCommands.EncodeGetStatus(request);
        if (pending.Call(loops[loopIndex].Client, request.AsSpan(0, length), null, 0, loopIndex) != CallOutcome.Pending)
        {
            loops[loopIndex].MarkStale(StaleReason.SendRefused, clock.NowNs);
        }
    }

    private void OnStatus(LoopEntry loop, ReadOnlySpan<byte> reply)
    {
        var status = ControllerCommands.DecodeStatusReply(reply, out var decoded);
        if (status == CommandStatus.Ok)
        {
            loop.Commit(decoded, clock.NowNs);
            return;
        }

        loop.MarkStale(status == CommandStatus.Malformed ? StaleReason.Malformed : StaleReason.Refused, clock.NowNs);
    }

    /// <summary>One loop: its endpoint, its client and what it last reported.</summary>
    private sealed class LoopEntry(LoopEndpoint endpoint, EndpointClient client)
    {
        public LoopEndpoint Endpoint { get; } = endpoint;

        public EndpointClient Client { get; } = client;

        private LoopStatus status;
        private ViewFreshness freshness;
        private long staleSinceNs;
        private long updatedNs;
        private long changeCount;

        public StaleReason StaleReason { get; private set; }

        public void Commit(in LoopStatus reported, long nowNs)
        {
            if (reported != status || freshness != ViewFreshness.Fresh)
            {
                changeCount++;
            }

            status = reported;
            freshness = ViewFreshness.Fresh;
            StaleReason = StaleReason.None;
            updatedNs = nowNs;
        }

        public void MarkStale(StaleReason reason, long nowNs)
        {
            if (freshness != ViewFreshness.Stale)
            {
                freshness = ViewFreshness.Stale;
                staleSinceNs = nowNs;
                changeCount++;
            }

            StaleReason = reason;
        }

        public LoopSnapshot Snapshot() => new(Endpoint.LoopId, Endpoint.Endpoint, status, freshness, staleSinceNs, updatedNs, changeCount);
    }
}
