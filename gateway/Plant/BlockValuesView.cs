using Neokernel.Controllers;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway.Plant;

/// <summary>
/// One value of a block network the gateway shows: the network's id (its command endpoint less
/// <see cref="LoopEndpoint.CommandsSuffix"/>), the endpoint, the value as the network names it
/// (<c>block.PIN</c>), and whether operators may write it (the network must list it as settable).
/// </summary>
public sealed record BlockValueEndpoint(string NetworkId, string Endpoint, string Value, bool Writable)
{
    public const string TableName = "blockValues";

    /// <summary>The most block values one gateway shows.</summary>
    public const int ValuesMax = 256;

    public static TableDeclaration Table { get; } = new(
        TableName,
        "values of block networks (controllers.blocks) shown under Objects/Blocks/<network>/<block.PIN>: each from a network's command endpoint this gateway uses",
        [
            ParameterDeclaration.RequiredText("endpoint", "the network's command endpoint (its commandEndpoint), one this gateway uses"),
            ParameterDeclaration.RequiredText("value", "the value, block.PIN as the network names it (any input, output or state; an input it lists as settable to write it)"),
            ParameterDeclaration.Text("access", "read, or read-write for a settable input operators may write", "read"),
        ])
    {
        RowsMax = ValuesMax,
    };

    /// <summary>The block values a gateway's parameters list (checked by <see cref="Check"/>).</summary>
    public static IReadOnlyList<BlockValueEndpoint> ReadIn(ProgramParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return [.. parameters.Table(TableName).Select(row => new BlockValueEndpoint(
            NetworkIdOf(row.Text("endpoint")),
            row.Text("endpoint"),
            row.Text("value"),
            row.Text("access") == "read-write"))];
    }

    /// <summary>Each row's endpoint is one the gateway uses, its value a name a command can carry, its access a word, and no row repeats another.</summary>
    public static void Check(ProgramParameters parameters, ServiceManifest service, List<ProgramProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(problems);
        var rows = parameters.Table(TableName);
        var seen = new HashSet<(string, string)>();
        Span<byte> probe = stackalloc byte[BlockNetworkCommands.MessageBytesMax];
        for (var i = 0; i < rows.Length; i++)
        {
            var path = $"tables.{TableName}[{i}]";
            var endpoint = rows[i].Text("endpoint");
            var value = rows[i].Text("value");
            if (!service.Endpoints.Uses.Contains(endpoint))
            {
                problems.Add(new($"{path}.endpoint", $"the gateway does not use endpoint '{endpoint}'", "an endpoint under endpoints.uses (routed to the network in the system)"));
            }

            var dot = value.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || dot == value.Length - 1 || BlockNetworkCommands.EncodeGetValue(value, probe) == 0)
            {
                problems.Add(new($"{path}.value", $"'{value}' is not a block value", $"block.PIN, such as outer.SP, of at most {BlockNetworkCommands.NameBytesMax} bytes"));
            }

            if (rows[i].Text("access") is not ("read" or "read-write"))
            {
                problems.Add(new($"{path}.access", $"unknown access '{rows[i].Text("access")}'", "read or read-write"));
            }

            // The network looks names up without regard to case: outer.sp is outer.SP.
            if (!seen.Add((endpoint, value.ToUpperInvariant())))
            {
                problems.Add(new($"{path}.value", $"{value} of {endpoint} is listed twice", "each value once"));
            }
        }
    }

    private static string NetworkIdOf(string endpoint) =>
        endpoint.EndsWith(LoopEndpoint.CommandsSuffix, StringComparison.Ordinal) && endpoint.Length > LoopEndpoint.CommandsSuffix.Length
            ? endpoint[..^LoopEndpoint.CommandsSuffix.Length]
            : endpoint;
}

/// <summary>One block value as the network last reported it (GetValue), with how fresh that is. A plain value.</summary>
public readonly record struct BlockValueSnapshot(
    BlockValueEndpoint Definition,
    double Value,
    bool HasValue,
    ViewFreshness Freshness,
    StaleReason StaleReason,
    long StaleSinceNs,
    long UpdatedNs,
    long ChangeCount);

/// <summary>
/// The block network values the gateway shows, each polled with GetValue every period through its
/// network's command endpoint (one request per value in flight), and the operator's writes as
/// SetValue calls whose end is told to an <see cref="ICallCompletion"/>. A value the network
/// accepted is read again at once. A value whose request times out, is refused or does not decode
/// is <see cref="ViewFreshness.Stale"/> since then. The requests are encoded at construction:
/// polling, writing and completing allocate nothing. Read it on the gateway's event loop only.
/// </summary>
public sealed class BlockValuesView : IReplyHandler, ITimerCallback, IPendingCallsOwner
{
    /// <summary>Writes in flight at once, over all values.</summary>
    public const int WritesMax = 8;

    private const int WriteTag = 1 << 16;

    private readonly ValueEntry[] values;
    private readonly PendingCalls pending;
    private readonly IServiceTimer poll;
    private readonly IClock clock;
    private readonly long periodNs;
    private readonly byte[] request = new byte[BlockNetworkCommands.MessageBytesMax];

    /// <summary>Opens a client on each network's command endpoint (control plane): the system must route the gateway to each.</summary>
    public BlockValuesView(IServiceContext context, IReadOnlyList<BlockValueEndpoint> definitions, int periodMs = 500, int requestTimeoutMs = 200)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(definitions);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(definitions.Count, BlockValueEndpoint.ValuesMax, nameof(definitions));
        SystemStatusViewOptions.ValidatePolling(periodMs, requestTimeoutMs);
        clock = context.Clock;
        periodNs = periodMs * 1_000_000L;
        var clients = new Dictionary<string, EndpointClient>(StringComparer.Ordinal);
        values = new ValueEntry[definitions.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var definition = definitions[i];
            if (!clients.TryGetValue(definition.Endpoint, out var client))
            {
                client = context.OpenEndpointClient(definition.Endpoint, this);
                clients.Add(definition.Endpoint, client);
            }

            var getValue = new byte[BlockNetworkCommands.MessageBytesMax];
            var length = BlockNetworkCommands.EncodeGetValue(definition.Value, getValue);
            if (length == 0)
            {
                throw new ServiceConfigurationException(context.ServiceId, $"tables.{BlockValueEndpoint.TableName}[{i}].value", $"'{definition.Value}' is not a block value a command can name");
            }

            values[i] = new ValueEntry(definition, client, getValue.AsMemory(0, length));
        }

        pending = new PendingCalls(context, Math.Max(1, values.Length + WritesMax), requestTimeoutMs * 1_000_000L, this);
        poll = context.CreateTimer(this);
    }

    public int Count => values.Length;

    /// <summary>Polls now and then every period.</summary>
    public void Start() => poll.ArmPeriodic(periodNs, clock.NowNs);

    public void Stop() => poll.Cancel();

    public BlockValueSnapshot Value(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, values.Length);
        return values[index].Snapshot();
    }

    /// <summary>Writes a settable value: Pending (the completion tells Ok, InvalidValue, NotWritable, Timeout…), or why it was not sent.</summary>
    public CallOutcome Set(int index, double value, ICallCompletion completion, long token)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if ((uint)index >= (uint)values.Length)
        {
            return CallOutcome.NotFound;
        }

        var entry = values[index];
        if (!entry.Definition.Writable)
        {
            return CallOutcome.NotWritable;
        }

        var length = BlockNetworkCommands.EncodeSetValue(entry.Definition.Value, value, request);
        return pending.Call(entry.Client, request.AsSpan(0, length), completion, token, index | WriteTag);
    }

    void ITimerCallback.OnTimer(long nowNs)
    {
        for (var i = 0; i < values.Length; i++)
        {
            RequestValue(i);
        }
    }

    void IReplyHandler.OnReply(EndpointClient replying, long correlation, ReadOnlySpan<byte> reply)
    {
        if (!pending.TryTake(replying, correlation, out var call))
        {
            return;
        }

        var index = call.Tag & (WriteTag - 1);
        if ((call.Tag & WriteTag) == 0)
        {
            OnValue(values[index], reply);
            return;
        }

        var outcome = OutcomeOf(reply.Length == 1 ? (CommandStatus)reply[0] : CommandStatus.Malformed);
        if (outcome == CallOutcome.Ok)
        {
            RequestValue(index);
        }

        call.Completion!.OnCompleted(call.Token, outcome);
    }

    void IPendingCallsOwner.OnTimedOut(in PendingCall call)
    {
        if ((call.Tag & WriteTag) == 0)
        {
            values[call.Tag].MarkStale(StaleReason.Timeout, clock.NowNs);
            return;
        }

        call.Completion!.OnCompleted(call.Token, CallOutcome.Timeout);
    }

    /// <summary>A network's reply status to a SetValue as a call outcome.</summary>
    public static CallOutcome OutcomeOf(CommandStatus status) => status switch
    {
        CommandStatus.Ok => CallOutcome.Ok,
        CommandStatus.InvalidValue => CallOutcome.InvalidValue,
        CommandStatus.NotSettable => CallOutcome.NotWritable,
        CommandStatus.UnknownName => CallOutcome.NotFound,
        _ => CallOutcome.Failed,
    };

    private void RequestValue(int index)
    {
        if (pending.HasTag(index))
        {
            return;
        }

        var entry = values[index];
        if (pending.Call(entry.Client, entry.GetValue.Span, null, 0, index) != CallOutcome.Pending)
        {
            entry.MarkStale(StaleReason.SendRefused, clock.NowNs);
        }
    }

    private void OnValue(ValueEntry entry, ReadOnlySpan<byte> reply)
    {
        var status = BlockNetworkCommands.DecodeValueReply(reply, out var value);
        if (status == CommandStatus.Ok)
        {
            entry.Commit(value, clock.NowNs);
            return;
        }

        entry.MarkStale(status == CommandStatus.Malformed ? StaleReason.Malformed : StaleReason.Refused, clock.NowNs);
    }

    /// <summary>One value: its definition, its network's client, its encoded GetValue and what it last read.</summary>
    private sealed class ValueEntry(BlockValueEndpoint definition, EndpointClient client, ReadOnlyMemory<byte> getValue)
    {
        private double value;
        private bool hasValue;
        private ViewFreshness freshness;
        private StaleReason staleReason;
        private long staleSinceNs;
        private long updatedNs;
        private long changeCount;

        public BlockValueEndpoint Definition { get; } = definition;

        public EndpointClient Client { get; } = client;

        public ReadOnlyMemory<byte> GetValue { get; } = getValue;

        public void Commit(double reported, long nowNs)
        {
            if (BitConverter.DoubleToInt64Bits(reported) != BitConverter.DoubleToInt64Bits(value) || freshness != ViewFreshness.Fresh)
            {
                changeCount++;
            }

            value = reported;
            hasValue = true;
            freshness = ViewFreshness.Fresh;
            staleReason = StaleReason.None;
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

            staleReason = reason;
        }

        public BlockValueSnapshot Snapshot() => new(Definition, value, hasValue, freshness, staleReason, staleSinceNs, updatedNs, changeCount);
    }
}
