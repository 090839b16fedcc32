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
public sealed class LoopsView : IPolledEntries
{
    /// <summary>Commands in flight per loop beyond its status request.</summary>
    public const int CommandsPerLoopMax = 4;

    private readonly LoopEndpoint[] endpoints;
    private readonly PolledValue<LoopStatus>[] loops;
    private readonly Poller poller;
    private readonly IClock clock;
    private readonly byte[] request = new byte[ControllerCommands.MaxCommandBytes];
    private readonly byte[] getStatus;

    /// <summary>Opens a client on each loop's command endpoint (control plane): the system must route the gateway to each.</summary>
    public LoopsView(IServiceContext context, IReadOnlyList<LoopEndpoint> loopEndpoints, LoopsViewOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(loopEndpoints);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(loopEndpoints.Count, LoopsViewOptions.LoopsMax, nameof(loopEndpoints));
        options ??= new LoopsViewOptions();
        options.Validate();
        clock = context.Clock;
        endpoints = [.. loopEndpoints];
        loops = new PolledValue<LoopStatus>[endpoints.Length];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = new PolledValue<LoopStatus>();
        }

        var encoded = new byte[ControllerCommands.MaxCommandBytes];
        getStatus = encoded[..ControllerCommands.EncodeGetStatus(encoded)];
        poller = new Poller(context, [.. endpoints.Select(e => e.Endpoint)], this, loops.Length * (1 + CommandsPerLoopMax), options.PeriodMs * 1_000_000L, options.RequestTimeoutMs * 1_000_000L);
    }

    public int Count => loops.Length;

    /// <summary>Polls now and then every period.</summary>
    public void Start() => poller.Start();

    public void Stop() => poller.Stop();

    public LoopSnapshot Loop(int loopIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(loopIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(loopIndex, loops.Length);
        var loop = loops[loopIndex];
        return new(endpoints[loopIndex].LoopId, endpoints[loopIndex].Endpoint, loop.Value, loop.Freshness, loop.StaleSinceNs, loop.UpdatedNs, loop.ChangeCount);
    }

    /// <summary>The index of the loop shown as <paramref name="loopId"/>, or -1. Allocation-free.</summary>
    public int IndexOf(ReadOnlySpan<char> loopId)
    {
        for (var i = 0; i < endpoints.Length; i++)
        {
            if (loopId.SequenceEqual(endpoints[i].LoopId))
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

    /// <summary>New gains for the loop (NaN keeps one; InvalidValue for a gain it cannot take); as <see cref="SetSetpoint"/>.</summary>
    public CallOutcome SetTuning(int loopIndex, in TuningChange tuning, ICallCompletion completion, long token) =>
        Command(loopIndex, ControllerCommand.SetTuning(tuning), completion, token);

    /// <summary>The output in manual (InvalidState in auto); as <see cref="SetSetpoint"/>.</summary>
    public CallOutcome SetManualOutput(int loopIndex, double output, ICallCompletion completion, long token) =>
        Command(loopIndex, ControllerCommand.SetManualOutput(output), completion, token);

    /// <summary><see cref="SetLoopMode(int, PidMode, ICallCompletion, long)"/> by loop id: NotFound for an id no loop has.</summary>
    public CallOutcome SetLoopMode(ReadOnlySpan<char> loopId, PidMode mode, ICallCompletion completion, long token)
    {
        var loopIndex = IndexOf(loopId);
        return loopIndex < 0 ? CallOutcome.NotFound : SetLoopMode(loopIndex, mode, completion, token);
    }

    /// <summary>A loop's reply status as a call outcome.</summary>
    public static CallOutcome OutcomeOf(CommandStatus status) => status switch
    {
        CommandStatus.Ok => CallOutcome.Ok,
        CommandStatus.InvalidValue => CallOutcome.InvalidValue,
        CommandStatus.WrongMode => CallOutcome.InvalidState,
        _ => CallOutcome.Failed,
    };

    ReadOnlySpan<byte> IPolledEntries.PollRequest(int index) => getStatus;

    void IPolledEntries.OnPollReply(int index, ReadOnlySpan<byte> reply)
    {
        var status = ControllerCommands.DecodeStatusReply(reply, out var decoded);
        loops[index].Take(status, decoded, clock.NowNs);
    }

    void IPolledEntries.OnPollFailed(int index, StaleReason reason) => loops[index].MarkStale(reason, clock.NowNs);

    CallOutcome IPolledEntries.CommandOutcome(ReadOnlySpan<byte> reply) => OutcomeOf(ControllerCommands.DecodeReply(reply));

    private CallOutcome Command(int loopIndex, in ControllerCommand command, ICallCompletion completion, long token)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if ((uint)loopIndex >= (uint)loops.Length)
        {
            return CallOutcome.NotFound;
        }

        var length = ControllerCommands.Encode(command, request);
        return poller.Command(loopIndex, request.AsSpan(0, length), completion, token);
    }
}
