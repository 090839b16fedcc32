using Neokernel.Contracts;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Plant;

/// <summary>How <see cref="SystemStatusView"/> refreshes: period, request timeout, and how many services it keeps.</summary>
public sealed record SystemStatusViewOptions(int PeriodMs = 500, int RequestTimeoutMs = 200, int ServicesMax = 64)
{
    public const int PeriodMsMin = 250;
    public const int PeriodMsMax = 1000;
    public const int ServicesMaxLimit = 1024;

    /// <summary>Throws, naming the option, when one is out of its range.</summary>
    public void Validate()
    {
        ValidatePolling(PeriodMs, RequestTimeoutMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(ServicesMax, 1, nameof(ServicesMax));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ServicesMax, ServicesMaxLimit, nameof(ServicesMax));
    }

    /// <summary>The rule every poller of the plant follows: a period of 250–1000 ms, a request timeout within it.</summary>
    internal static void ValidatePolling(int periodMs, int requestTimeoutMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(periodMs, PeriodMsMin, nameof(PeriodMs));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(periodMs, PeriodMsMax, nameof(PeriodMs));
        ArgumentOutOfRangeException.ThrowIfLessThan(requestTimeoutMs, 1, nameof(RequestTimeoutMs));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requestTimeoutMs, periodMs, nameof(RequestTimeoutMs));
    }
}

/// <summary>
/// One service as the kernel last reported it, all fields from the same refresh: its reply to
/// Service #i and, when it runs a cyclic task, to ServiceStatistics #i right after (zeros for a
/// service without one). <c>Restarts</c> counts the supervisor's restarts; an operator's restart
/// through kernel.control shows as the next <c>Incarnation</c>. <c>UpdatedNs</c> is when the
/// entry was last read (the gateway's clock); <c>ChangeCount</c> is bumped each time a refresh
/// found anything different, a cheap "did it change" for subscriptions. A plain value.
/// </summary>
public readonly record struct ServiceStatusSnapshot(
    string Id,
    ServiceKindCode Kind,
    ServiceStateCode State,
    ServiceFlags Flags,
    int Incarnation,
    int Restarts,
    int Faults,
    string LastFault,
    bool HasStatistics,
    TaskStatistics Statistics,
    long UpdatedNs,
    long ChangeCount);

/// <summary>
/// The gateway's view of the running system, read from <c>kernel.status</c>: a refresh every
/// period pages Summary → Service #i → ServiceStatistics #i (the latter only for a service with a
/// cyclic task) as <see cref="KernelMessages"/> lays them out, one request in flight at a time.
/// </summary>
/// <remarks>
/// <para>Bounded: at most <see cref="SystemStatusViewOptions.ServicesMax"/> services, each with
/// its id and last fault held to the kernel's text bounds, all allocated at construction. A
/// refresh allocates nothing unless a text changed (a new last fault is one string).</para>
/// <para>Never throws once constructed: a request that cannot be sent, gets no reply within the
/// timeout, is refused or does not decode ends the refresh and marks the view
/// <see cref="ViewFreshness.Stale"/> since the first such failure; the entries keep their last
/// values, and the next period starts a fresh refresh from the summary.</para>
/// <para>Consistency without locks: every callback of a service runs on its one event loop, and
/// the OPC UA side that reads this view runs there too, so a reader never runs in the middle of
/// a refresh step. An entry is committed whole (service and statistics together) once both
/// replies are in, so <see cref="Service"/> never mixes two refreshes. Reading from another
/// thread is not supported.</para>
/// </remarks>
public sealed class SystemStatusView : IReplyHandler, ITimerCallback, IPendingCallsOwner
{
    private readonly SystemStatusViewOptions options;
    private readonly EndpointClient client;
    private readonly PendingCalls pending;
    private readonly IServiceTimer refresh;
    private readonly IClock clock;
    private readonly Entry[] entries;
    private readonly Entry staging = new();
    private readonly byte[] request = new byte[KernelMessages.IndexedRequestBytes];
    private Step step;
    private int index;
    private int passServices;

    /// <summary>Opens the <c>kernel.status</c> client and the timers (control plane, at the gateway's start); <see cref="Start"/> begins refreshing.</summary>
    public SystemStatusView(IServiceContext context, SystemStatusViewOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        this.options = options ?? new SystemStatusViewOptions();
        this.options.Validate();
        clock = context.Clock;
        client = context.OpenEndpointClient(KernelEndpoints.Status, this);
        pending = new PendingCalls(context, 1, this.options.RequestTimeoutMs * 1_000_000L, this);
        refresh = context.CreateTimer(this);
        entries = new Entry[this.options.ServicesMax];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new Entry();
        }
    }

    private enum Step : byte
    {
        Idle,
        Summary,
        Service,
        Statistics,
    }

    /// <summary>Services known after the last completed refresh (at most ServicesMax).</summary>
    public int ServiceCount { get; private set; }

    /// <summary>The system has more services than this view keeps; the first ServicesMax are shown.</summary>
    public bool Truncated { get; private set; }

    /// <summary>The kernel's summary at the last completed refresh (its time, trace events and digest).</summary>
    public SummaryReply Summary { get; private set; }

    public ViewFreshness Freshness { get; private set; }

    /// <summary>Since when the view has been stale (the gateway's clock); meaningful while <see cref="Freshness"/> is Stale.</summary>
    public long StaleSinceNs { get; private set; }

    public StaleReason StaleReason { get; private set; }

    /// <summary>When the last refresh completed (the gateway's clock).</summary>
    public long RefreshedNs { get; private set; }

    public long Refreshes { get; private set; }

    public long Failures { get; private set; }

    /// <summary>Whether a refresh is under way (its requests go one at a time).</summary>
    public bool IsRefreshing => step != Step.Idle;

    /// <summary>Refreshes now and then every period.</summary>
    public void Start() => refresh.ArmPeriodic(options.PeriodMs * 1_000_000L, clock.NowNs);

    public void Stop() => refresh.Cancel();

    /// <summary>Service #<paramref name="serviceIndex"/> (0 ≤ index &lt; <see cref="ServiceCount"/>), as last read.</summary>
    public ServiceStatusSnapshot Service(int serviceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(serviceIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(serviceIndex, ServiceCount);
        return entries[serviceIndex].Snapshot();
    }

    /// <summary>The index of the service with id <paramref name="serviceId"/>, or -1. Allocation-free.</summary>
    public int IndexOf(ReadOnlySpan<char> serviceId)
    {
        for (var i = 0; i < ServiceCount; i++)
        {
            if (serviceId.SequenceEqual(entries[i].Id.Text))
            {
                return i;
            }
        }

        return -1;
    }

    void ITimerCallback.OnTimer(long nowNs)
    {
        if (step == Step.Idle)
        {
            step = Step.Summary;
            Send(KernelMessages.EncodeSummaryRequest(request));
        }
    }

    void IReplyHandler.OnReply(EndpointClient replying, long correlation, ReadOnlySpan<byte> reply)
    {
        if (!pending.TryTake(replying, correlation, out _))
        {
            return;
        }

        var decoded = step switch
        {
            Step.Summary => OnSummary(reply),
            Step.Service => OnService(reply),
            Step.Statistics => OnStatistics(reply),
            _ => true,
        };
        if (!decoded)
        {
            Fail(KernelMessages.StatusOf(reply) == KernelReplyStatus.Ok ? StaleReason.Malformed : StaleReason.Refused);
        }
    }

    void IPendingCallsOwner.OnTimedOut(in PendingCall call) => Fail(StaleReason.Timeout);

    private bool OnSummary(ReadOnlySpan<byte> reply)
    {
        if (!KernelMessages.TryDecodeSummary(reply, out var summary))
        {
            return false;
        }

        Summary = summary;
        Truncated = summary.Services > entries.Length;
        passServices = Math.Min(summary.Services, entries.Length);
        index = 0;
        NextService();
        return true;
    }

    private bool OnService(ReadOnlySpan<byte> reply)
    {
        if (!KernelMessages.TryDecodeService(reply, out var service))
        {
            return false;
        }

        var entry = entries[index];
        staging.Fields = service.Fields;
        staging.Id.Assign(service.IdUtf8, entry.Id);
        staging.LastFault.Assign(service.LastFaultUtf8, entry.LastFault);
        staging.HasStatistics = false;
        staging.Statistics = default;
        if ((service.Fields.Flags & ServiceFlags.HasStatistics) != 0)
        {
            step = Step.Statistics;
            Send(KernelMessages.EncodeIndexedRequest(KernelOperation.ServiceStatistics, index, request));
            return true;
        }

        CommitAndContinue();
        return true;
    }

    private bool OnStatistics(ReadOnlySpan<byte> reply)
    {
        if (!KernelMessages.TryDecodeStatistics(reply, out var hasTask, out var statistics))
        {
            return false;
        }

        staging.HasStatistics = hasTask;
        staging.Statistics = statistics;
        CommitAndContinue();
        return true;
    }

    private void CommitAndContinue()
    {
        entries[index].CommitFrom(staging, clock.NowNs);
        index++;
        NextService();
    }

    private void NextService()
    {
        if (index < passServices)
        {
            step = Step.Service;
            Send(KernelMessages.EncodeIndexedRequest(KernelOperation.Service, index, request));
            return;
        }

        step = Step.Idle;
        ServiceCount = passServices;
        RefreshedNs = clock.NowNs;
        Refreshes++;
        Freshness = ViewFreshness.Fresh;
        StaleReason = StaleReason.None;
    }

    private void Send(int length)
    {
        if (pending.Call(client, request.AsSpan(0, length), null, 0, 0) != CallOutcome.Pending)
        {
            Fail(StaleReason.SendRefused);
        }
    }

    private void Fail(StaleReason reason)
    {
        step = Step.Idle;
        Failures++;
        if (Freshness != ViewFreshness.Stale)
        {
            Freshness = ViewFreshness.Stale;
            StaleSinceNs = clock.NowNs;
        }

        StaleReason = reason;
    }

    /// <summary>One service's fields and texts; the view's entries and its staging area.</summary>
    private sealed class Entry
    {
        public CachedText Id { get; } = new(KernelEndpoints.ServiceIdBytesMax);

        public CachedText LastFault { get; } = new(KernelEndpoints.FaultBytesMax);

        public ServiceFields Fields { get; set; }

        public bool HasStatistics { get; set; }

        public TaskStatistics Statistics { get; set; }

        public long UpdatedNs { get; private set; }

        public long ChangeCount { get; private set; }

        public void CommitFrom(Entry staged, long nowNs)
        {
            var changed = Id.CopyFrom(staged.Id) | LastFault.CopyFrom(staged.LastFault)
                || Fields != staged.Fields || HasStatistics != staged.HasStatistics || Statistics != staged.Statistics;
            Fields = staged.Fields;
            HasStatistics = staged.HasStatistics;
            Statistics = staged.Statistics;
            UpdatedNs = nowNs;
            if (changed)
            {
                ChangeCount++;
            }
        }

        public ServiceStatusSnapshot Snapshot() => new(
            Id.Text,
            Fields.Kind,
            Fields.State,
            Fields.Flags,
            Fields.Incarnation,
            Fields.Restarts,
            Fields.Faults,
            LastFault.Text,
            HasStatistics,
            Statistics,
            UpdatedNs,
            ChangeCount);
    }
}
