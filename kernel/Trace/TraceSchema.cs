using System.Text;

namespace Neokernel.Kernel.Trace;

/// <summary>One numeric field of a trace event: its export name and what its value means.</summary>
public sealed record TraceField(string Name, string Meaning);

/// <summary>
/// What one kind of trace event says: who its subject is, what its object is (and what a negative
/// object means), and what its two arguments hold. <see cref="Object"/>, <see cref="Arg0"/> and
/// <see cref="Arg1"/> are null where the kind leaves them unused (-1 for the object, 0 for an argument).
/// </summary>
public sealed record TraceKindSchema(TraceEventKind Kind, string Name, string Meaning, string Subject, TraceField? Object, TraceField? Arg0, TraceField? Arg1)
{
    /// <summary>False: the object is a code, not an index in the name table (the export writes the number).</summary>
    public bool ObjectIsName { get; init; } = true;
}

/// <summary>
/// The one definition of every trace event's arguments. The call sites record plain numbers
/// (recording must not allocate); this table says what they mean, names the fields of the
/// JSON-lines and Chrome exports, and is the text of docs/TRACE.md (<see cref="Markdown"/>).
/// </summary>
public static class TraceSchema
{
    private const string Service = "the service the event is about (0: the kernel)";
    private const string RightsValues = "rights, a sum of Read 1, Write 2, Call 4, Grant 8";
    private const string CapabilityKinds = "Region 0, Endpoint 1, Device 2, Clock 3, Timer 4, Retain 5";
    // The numbers of rt's FaultKind; an rt test checks this text against the enum.
    private const string FaultKinds = "Crash 0, Hang 1, Overrun 2, MemoryExhaustion 3, ClockJump 4, SensorStuck 5, SensorDrift 6, SensorNoise 7, SensorOutOfRange 8, ActuatorStuck 9, IpcDrop 10, IpcDelay 11, IpcDuplicate 12, IpcCorrupt 13, RegionStale 14, RegionCorrupt 15, ModbusTimeout 16, ModbusException 17, ModbusGarbled 18, ModbusDisconnect 19, ModbusDelay 20";
    private const string MessageKinds = "OneWay 0, Request 1, Reply 2";
    // The numbers of controllers.pid (contracts' LoopMode and LoopModeTrigger); a controllers test checks these texts against the enums.
    private const string LoopModes = "controllers.pid: Manual 0, Auto 1, Cascade 2, Tracking 3, Hold 4, SafeState 5";
    private const string LoopModeCauses = "controllers.pid: OperatorManual 1, OperatorAuto 2, OperatorCascade 3, TrackingOn 4, TrackingOff 5, InputBad 6, InputRecovered 7, RemoteSetpointBad 8, RemoteSetpointRecovered 9";
    private const string States = "Created 0, Starting 1, Running 2, Stopping 3, Stopped 4, Faulted 5, Restarting 6, Failed 7";

    private static readonly TraceKindSchema[] Table =
    [
        new(TraceEventKind.Boot, "boot", "the kernel booted its system", "the kernel (0)", null,
            new("services", "services in the system"), new("seed", "the platform's seed")),
        new(TraceEventKind.Shutdown, "shutdown", "the kernel shut its services down", "the kernel (0)", null, null, null),
        new(TraceEventKind.ServiceState, "service-state", "a service's lifecycle moved", Service, null,
            new("from", $"state before: {States}"), new("to", "state after, same numbering")),
        new(TraceEventKind.CapabilityGrant, "grant", "a capability was granted at a start", Service,
            new("object", "the region, endpoint or device granted"),
            new("rights", RightsValues), new("capabilityKind", CapabilityKinds)),
        new(TraceEventKind.CapabilityDeny, "deny", "an operation without the right was refused", Service,
            new("object", "the region, endpoint or name asked for; -1: denials a service host process counted and the kernel sums"),
            new("rights", $"{RightsValues}, the right missing; with object -1: how many denials"),
            new("capabilityKind", $"{CapabilityKinds} where the grant was refused at start; 0 for a refused operation; with object -1: the incarnation")),
        new(TraceEventKind.CapabilityRevoke, "revoke", "a capability was revoked when its holder stopped or faulted", Service,
            new("object", "the region, endpoint or device"), new("capabilityKind", CapabilityKinds), null),
        new(TraceEventKind.IpcSend, "send", "a message was accepted into an endpoint's queue", "the sending service",
            new("endpoint", "the endpoint"), new("messageKind", MessageKinds), new("bytes", "payload length")),
        new(TraceEventKind.IpcReject, "reject", "a message was refused or dropped", "the sending (or, for a stale reply, receiving) service",
            new("endpoint", "the endpoint"),
            new("reason", "Full 1, TooLarge 2 (the queue's answer), StaleReply 3 (a reply to an earlier incarnation, dropped), CorruptQueue 4 (the peer process corrupted the shared ring)"),
            new("bytes", "payload length; for StaleReply the reply's correlation")),
        new(TraceEventKind.IpcDeliver, "deliver", "a message or reply was handed to its handler", "the receiving service",
            new("endpoint", "the endpoint"), new("messageKind", MessageKinds), new("bytes", "payload length")),
        new(TraceEventKind.IpcReply, "reply", "a provider's reply was accepted into its client's reply queue", "the replying service",
            new("endpoint", "the endpoint"), new("correlation", "the request's correlation (the client's incarnation in the high 32 bits)"), new("bytes", "payload length")),
        new(TraceEventKind.RegionPublish, "publish", "a writer published a region", "the writing service",
            new("region", "the region"), new("sequence", "the region's publish count"), new("hash", "XXH3-64 of the bytes published")),
        new(TraceEventKind.QualityChange, "quality", "a region's quality was overwritten because its writer stopped", "the writer",
            new("region", "the region"), new("quality", "Bad 0, Uncertain 1, Good 2"), null),
        new(TraceEventKind.Fault, "fault", "a service faulted (the note says why)", Service, null,
            new("noteHash", "FNV-1a 64 of the note, so the digest covers the reason"), null),
        new(TraceEventKind.Restart, "restart", "the supervisor restarted a service", Service, null,
            new("restarts", "restarts of this service so far"), new("restartsInWindow", "of those, within the policy's window")),
        new(TraceEventKind.SafeState, "safe-state", "a service's outputs were driven to their safe values", "the service put in safe state", null,
            new("failedService", "name-table index of the service whose failure caused it"), new("outputs", "outputs driven")),
        new(TraceEventKind.Overrun, "overrun", "a cycle ended after its deadline", Service, null, new("lateNs", "how late, ns"), null),
        new(TraceEventKind.Watchdog, "watchdog", "too many consecutive overruns", Service, null, new("consecutiveOverruns", "overruns in a row"), null),
        new(TraceEventKind.Heartbeat, "heartbeat", "the heartbeat watchdog looked and found something", Service,
            new("check", "-1: no heartbeat within the timeout (the service faults); -2: the check itself ran late and blamed nobody"),
            new("sinceNs", "-1: ns since the last heartbeat; -2: ns the check was late"), null)
        {
            ObjectIsName = false,
        },
        new(TraceEventKind.Control, "control", "kernel.control carried out an operator's operation, or its state refused it", "the client that asked",
            new("target", "the service operated on"),
            new("operation", "Restart 16, Stop 17, Start 18, Acknowledge 19 (the contracts' KernelOperation)"),
            new("status", "Ok 0, InvalidState 5 (the reply's KernelReplyStatus); a denial is a deny event instead")),
        new(TraceEventKind.Ready, "ready", "a service's own process said its service started (isolated services; in-process ones are ready when Running)", Service, null,
            new("incarnation", "the incarnation that is ready"), new("sinceRunningNs", "ns since the incarnation became Running (its process was spawned): runtime start, grants, the service's start")),
        new(TraceEventKind.ModeChange, "mode", "a service's operating mode changed (a control loop's mode machine), for the cause given", Service,
            new("cause", $"what caused it; {LoopModeCauses}"),
            new("from", $"the mode before; {LoopModes}"), new("to", "the mode after, same numbering"))
        {
            ObjectIsName = false,
        },
        new(TraceEventKind.Retain, "retain", "a retain store restored at open, or wrote, a record (in the process that holds the store)", Service,
            new("store", "the store's location (its directory, or sim: and its path)"),
            new("what", "Restored 0, RestoredOlder 1 (the newest record was damaged), Empty 2 and Corrupt 3 (defaults used), Discarded 4 (the service refused the payload), Saved 5, WriteFailed 6"),
            new("sequence", "the record's sequence")),
        new(TraceEventKind.Warning, "warning", "the kernel warned an operator of something that is not a fault (a retain store that fell back); the text is the object", Service,
            new("text", "the warning"), null, null),
        new(TraceEventKind.FaultInject, "fault-inject", "the simulation injected a fault (docs/FAULTS.md); the note is the injection as a schedule writes it, and the subject is the service it strikes, that holds the device, provides the endpoint or writes the region it strikes (0: a kernel endpoint)", Service, null,
            new("noteHash", "FNV-1a 64 of the note, so the digest covers the injection"), new("fault", $"the fault; {FaultKinds}")),
    ];

    /// <summary>Every kind's schema, in <see cref="TraceEventKind"/> order.</summary>
    public static IReadOnlyList<TraceKindSchema> All => Table;

    /// <summary>The schema of <paramref name="kind"/>.</summary>
    public static TraceKindSchema Of(TraceEventKind kind) =>
        (int)kind < Table.Length && Table[(int)kind].Kind == kind
            ? Table[(int)kind]
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "no trace schema for this kind; add it to TraceSchema's table, in enum order");

    /// <summary>The text of docs/TRACE.md: one table, generated, so the docs cannot drift from the exports.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("# Trace events\n\n");
        text.Append("Generated from `kernel/Trace/TraceSchema.cs` (a test checks this file equals it). Every event has a\n");
        text.Append("sequence (`seq`), a platform time (`tNs`), a kind and a subject (`service`, a name); the columns say\n");
        text.Append("what its object and its two numbers mean, under the field names the JSON-lines (`--trace-jsonl`)\n");
        text.Append("and Chrome (`--trace-chrome`, in `args`) exports use. An empty cell: unused (object -1, number 0),\n");
        text.Append("not exported. The digest covers every field of every event, in sequence order.\n\n");
        text.Append("| kind | meaning | subject | object | arg0 | arg1 |\n");
        text.Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var schema in Table)
        {
            text.Append($"| `{schema.Name}` | {schema.Meaning} | {schema.Subject} | {Cell(schema.Object)} | {Cell(schema.Arg0)} | {Cell(schema.Arg1)} |\n");
        }

        return text.ToString();
    }

    private static string Cell(TraceField? field) => field is null ? "" : $"`{field.Name}`: {field.Meaning}";
}
