using Neokernel.Controllers;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Plant;

/// <summary>What a view polled by a <see cref="Poller"/> says of its entries: each one's poll request, what a poll's reply means, and a command reply's outcome.</summary>
internal interface IPolledEntries
{
    /// <summary>The request that reads entry <paramref name="index"/> (encoded once, at construction).</summary>
    ReadOnlySpan<byte> PollRequest(int index);

    /// <summary>Entry <paramref name="index"/>'s poll was answered.</summary>
    void OnPollReply(int index, ReadOnlySpan<byte> reply);

    /// <summary>Entry <paramref name="index"/>'s poll got no answer: it timed out, or could not be sent.</summary>
    void OnPollFailed(int index, StaleReason reason);

    /// <summary>A command's reply as the outcome its caller is told.</summary>
    CallOutcome CommandOutcome(ReadOnlySpan<byte> reply);
}

/// <summary>
/// Polls the entries of a view (the gateway's loops, its block values) through their endpoints:
/// each entry read every period, one poll request per entry in flight, and commands on an entry as
/// asynchronous calls whose end is told to an <see cref="ICallCompletion"/>. A command the
/// provider accepted is followed at once by a poll of its entry, so the value read back shows it
/// within a round trip rather than a period. Every request in flight has its deadline
/// (<see cref="PendingCalls"/>). One client is opened per distinct endpoint, in the order the
/// entries name them. Polling, commanding and completing allocate nothing. Run it on the
/// gateway's event loop only.
/// </summary>
internal sealed class Poller : IReplyHandler, ITimerCallback, IPendingCallsOwner
{
    private const int CommandTag = 1 << 16;

    private readonly IPolledEntries entries;
    private readonly EndpointClient[] clients;
    private readonly PendingCalls pending;
    private readonly IServiceTimer poll;
    private readonly IClock clock;
    private readonly long periodNs;

    /// <summary>Opens a client on each endpoint <paramref name="entryEndpoints"/> names (entry i's is the i-th, control plane: the system must route the gateway to each).</summary>
    public Poller(IServiceContext context, IReadOnlyList<string> entryEndpoints, IPolledEntries entries, int callsMax, long periodNs, long timeoutNs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(entryEndpoints);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(entryEndpoints.Count, CommandTag, nameof(entryEndpoints));
        this.entries = entries;
        this.periodNs = periodNs;
        clock = context.Clock;
        var opened = new Dictionary<string, EndpointClient>(StringComparer.Ordinal);
        clients = new EndpointClient[entryEndpoints.Count];
        for (var i = 0; i < clients.Length; i++)
        {
            if (!opened.TryGetValue(entryEndpoints[i], out var client))
            {
                client = context.OpenEndpointClient(entryEndpoints[i], this);
                opened.Add(entryEndpoints[i], client);
            }

            clients[i] = client;
        }

        pending = new PendingCalls(context, Math.Max(1, callsMax), timeoutNs, this);
        poll = context.CreateTimer(this);
    }

    /// <summary>Polls now and then every period.</summary>
    public void Start() => poll.ArmPeriodic(periodNs, clock.NowNs);

    public void Stop() => poll.Cancel();

    /// <summary>Sends a command on entry <paramref name="index"/>'s endpoint: Pending (the completion tells the outcome), or why it was not sent.</summary>
    public CallOutcome Command(int index, ReadOnlySpan<byte> request, ICallCompletion completion, long token) =>
        pending.Call(clients[index], request, completion, token, index | CommandTag);

    void ITimerCallback.OnTimer(long nowNs)
    {
        for (var i = 0; i < clients.Length; i++)
        {
            Poll(i);
        }
    }

    void IReplyHandler.OnReply(EndpointClient replying, long correlation, ReadOnlySpan<byte> reply)
    {
        if (!pending.TryTake(replying, correlation, out var call))
        {
            return;
        }

        var index = call.Tag & (CommandTag - 1);
        if ((call.Tag & CommandTag) == 0)
        {
            entries.OnPollReply(index, reply);
            return;
        }

        var outcome = entries.CommandOutcome(reply);
        if (outcome == CallOutcome.Ok)
        {
            Poll(index);
        }

        call.Completion!.OnCompleted(call.Token, outcome);
    }

    void IPendingCallsOwner.OnTimedOut(in PendingCall call)
    {
        if ((call.Tag & CommandTag) == 0)
        {
            entries.OnPollFailed(call.Tag, StaleReason.Timeout);
            return;
        }

        call.Completion!.OnCompleted(call.Token, CallOutcome.Timeout);
    }

    private void Poll(int index)
    {
        if (pending.HasTag(index))
        {
            return;
        }

        if (pending.Call(clients[index], entries.PollRequest(index), null, 0, index) != CallOutcome.Pending)
        {
            entries.OnPollFailed(index, StaleReason.SendRefused);
        }
    }
}

/// <summary>
/// What a polled entry last read, and how fresh that is: <see cref="ViewFreshness.Fresh"/> after a
/// reply, <see cref="ViewFreshness.Stale"/> since the first failure after it (the value kept), and
/// a count that moves at each change of value or freshness (what subscriptions sample).
/// </summary>
internal sealed class PolledValue<T>
    where T : struct
{
    public T Value { get; private set; }

    public bool HasValue { get; private set; }

    public ViewFreshness Freshness { get; private set; }

    public StaleReason StaleReason { get; private set; }

    public long StaleSinceNs { get; private set; }

    public long UpdatedNs { get; private set; }

    public long ChangeCount { get; private set; }

    /// <summary>A poll's decoded reply: the value when <paramref name="status"/> is Ok, else stale (Malformed for a reply that did not decode, Refused for any other status).</summary>
    public void Take(CommandStatus status, in T decoded, long nowNs)
    {
        if (status == CommandStatus.Ok)
        {
            Commit(decoded, nowNs);
            return;
        }

        MarkStale(status == CommandStatus.Malformed ? StaleReason.Malformed : StaleReason.Refused, nowNs);
    }

    public void Commit(in T reported, long nowNs)
    {
        if (!EqualityComparer<T>.Default.Equals(reported, Value) || Freshness != ViewFreshness.Fresh)
        {
            ChangeCount++;
        }

        Value = reported;
        HasValue = true;
        Freshness = ViewFreshness.Fresh;
        StaleReason = StaleReason.None;
        UpdatedNs = nowNs;
    }

    public void MarkStale(StaleReason reason, long nowNs)
    {
        if (Freshness != ViewFreshness.Stale)
        {
            Freshness = ViewFreshness.Stale;
            StaleSinceNs = nowNs;
            ChangeCount++;
        }

        StaleReason = reason;
    }
}
