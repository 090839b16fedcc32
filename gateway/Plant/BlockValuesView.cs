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

    /// <summary>Whether only engineers may write the value (<c>writeRole: engineer</c>, as for a gain); else operators and engineers may.</summary>
    public bool EngineersOnly { get; init; }

    /// <summary>The most block values one gateway shows.</summary>
    public const int ValuesMax = 256;

    public static TableDeclaration Table { get; } = new(
        TableName,
        "values of block networks (controllers.blocks) shown under Objects/Blocks/<network>/<block.PIN>: each from a network's command endpoint this gateway uses",
        [
            ParameterDeclaration.RequiredText("endpoint", "the network's command endpoint (its commandEndpoint), one this gateway uses"),
            ParameterDeclaration.RequiredText("value", "the value, block.PIN as the network names it (any input, output, state or parameter; one it lists as settable to write it)"),
            ParameterDeclaration.Text("access", "read, or read-write for a settable input or tuning parameter operators may write", "read"),
            ParameterDeclaration.Text("writeRole", "who may write a read-write value: operator (and engineers), or engineer only (tuning)", "operator"),
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
            row.Text("access") == "read-write")
        {
            EngineersOnly = row.Text("writeRole") == "engineer",
        })];
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

            if (rows[i].Text("writeRole") is not ("operator" or "engineer"))
            {
                problems.Add(new($"{path}.writeRole", $"unknown role '{rows[i].Text("writeRole")}'", "operator or engineer"));
            }
            else if (rows[i].Text("writeRole") == "engineer" && rows[i].Text("access") == "read")
            {
                problems.Add(new($"{path}.writeRole", $"{value} is read only, so nobody writes it", "access: read-write, or leave writeRole out"));
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
public sealed class BlockValuesView : IPolledEntries
{
    /// <summary>Writes in flight at once, over all values.</summary>
    public const int WritesMax = 8;

    private readonly BlockValueEndpoint[] definitions;
    private readonly ReadOnlyMemory<byte>[] getValues;
    private readonly PolledValue<double>[] values;
    private readonly Poller poller;
    private readonly IClock clock;
    private readonly byte[] request = new byte[BlockNetworkCommands.MessageBytesMax];

    /// <summary>Opens a client on each network's command endpoint (control plane): the system must route the gateway to each.</summary>
    public BlockValuesView(IServiceContext context, IReadOnlyList<BlockValueEndpoint> definitions, int periodMs = 500, int requestTimeoutMs = 200)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(definitions);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(definitions.Count, BlockValueEndpoint.ValuesMax, nameof(definitions));
        SystemStatusViewOptions.ValidatePolling(periodMs, requestTimeoutMs);
        clock = context.Clock;
        this.definitions = [.. definitions];
        getValues = new ReadOnlyMemory<byte>[definitions.Count];
        values = new PolledValue<double>[definitions.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var getValue = new byte[BlockNetworkCommands.MessageBytesMax];
            var length = BlockNetworkCommands.EncodeGetValue(definitions[i].Value, getValue);
            if (length == 0)
            {
                throw new ServiceConfigurationException(context.ServiceId, $"tables.{BlockValueEndpoint.TableName}[{i}].value", $"'{definitions[i].Value}' is not a block value a command can name");
            }

            getValues[i] = getValue.AsMemory(0, length);
            values[i] = new PolledValue<double>();
        }

        poller = new Poller(context, [.. definitions.Select(d => d.Endpoint)], this, values.Length + WritesMax, periodMs * 1_000_000L, requestTimeoutMs * 1_000_000L);
    }

    public int Count => values.Length;

    /// <summary>Polls now and then every period.</summary>
    public void Start() => poller.Start();

    public void Stop() => poller.Stop();

    public BlockValueSnapshot Value(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, values.Length);
        var value = values[index];
        return new(definitions[index], value.Value, value.HasValue, value.Freshness, value.StaleReason, value.StaleSinceNs, value.UpdatedNs, value.ChangeCount);
    }

    /// <summary>Writes a settable value: Pending (the completion tells Ok, InvalidValue, NotWritable, Timeout…), or why it was not sent.</summary>
    public CallOutcome Set(int index, double value, ICallCompletion completion, long token)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if ((uint)index >= (uint)values.Length)
        {
            return CallOutcome.NotFound;
        }

        if (!definitions[index].Writable)
        {
            return CallOutcome.NotWritable;
        }

        var length = BlockNetworkCommands.EncodeSetValue(definitions[index].Value, value, request);
        return poller.Command(index, request.AsSpan(0, length), completion, token);
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

    ReadOnlySpan<byte> IPolledEntries.PollRequest(int index) => getValues[index].Span;

    void IPolledEntries.OnPollReply(int index, ReadOnlySpan<byte> reply)
    {
        var status = BlockNetworkCommands.DecodeValueReply(reply, out var value);
        values[index].Take(status, value, clock.NowNs);
    }

    void IPolledEntries.OnPollFailed(int index, StaleReason reason) => values[index].MarkStale(reason, clock.NowNs);

    CallOutcome IPolledEntries.CommandOutcome(ReadOnlySpan<byte> reply) => OutcomeOf(reply.Length == 1 ? (CommandStatus)reply[0] : CommandStatus.Malformed);
}
