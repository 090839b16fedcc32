using System.Text;
using Ipc = Neokernel.Kernel.Ipc;

namespace Neokernel.Rt.Faults;

/// <summary>
/// The faults the simulation platform injects at its seams. The numbers are those of the trace's
/// <c>fault-inject</c> events (arg0); append new kinds at the end. Kinds from 16 on carry their
/// numbers explicitly: the IPC and region faults (10 to 15) were added on a branch beside them, and
/// the trace's numbers must not depend on which landed first.
/// </summary>
public enum FaultKind
{
    Crash,
    Hang,
    Overrun,
    MemoryExhaustion,
    ClockJump,
    SensorStuck,
    SensorDrift,
    SensorNoise,
    SensorOutOfRange,
    ActuatorStuck,
    IpcDrop,
    IpcDelay,
    IpcDuplicate,
    IpcCorrupt,
    RegionStale,
    RegionCorrupt,
    ModbusTimeout = 16,
    ModbusException = 17,
    ModbusGarbled = 18,
    ModbusDisconnect = 19,
    ModbusDelay = 20,
}

/// <summary>What a fault's target names.</summary>
public enum FaultTargetKind
{
    /// <summary>A service id.</summary>
    Service,

    /// <summary>A device URI that some service reads (a sensor): the fault changes what reads return.</summary>
    DeviceRead,

    /// <summary>A device URI that some service writes (an actuator): the fault changes what writes do.</summary>
    DeviceWrite,

    /// <summary>
    /// An endpoint's name (<c>tank-controller.commands</c>): the fault acts on its requests and its
    /// replies, or with <c>/requests</c> or <c>/replies</c> after the name on one direction only.
    /// </summary>
    Endpoint,

    /// <summary>A region's name (<c>tank.inputs</c>): the fault acts on every point, or with <c>/POINT</c> after the name on that point only.</summary>
    Region,

    /// <summary>
    /// A Modbus TCP slave's address as a master's device URI names it (<c>modbus-tcp://HOST:PORT</c>,
    /// any query ignored): the fault acts on the virtual network between that master and the slave.
    /// </summary>
    ModbusSlave,
}

/// <summary>
/// One fault of the library: its word in schedules and campaign files, what it targets, what it
/// does in one line, and what its duration and value mean (and their defaults).
/// </summary>
public sealed record FaultDescriptor(
    FaultKind Kind,
    string Word,
    FaultTargetKind Target,
    string Prose,
    long DurationDefaultNs,
    string? DurationMeaning,
    string? ValueMeaning,
    bool ValueRequired)
{
    /// <summary>True when the fault lasts: it has a duration (an instant fault, a crash, has none).</summary>
    public bool Lasts => DurationMeaning is not null;
}

/// <summary>The fault library: every fault's descriptor, in <see cref="FaultKind"/> order.</summary>
public static class FaultCatalog
{
    private const long Second = 1_000_000_000;

    private static readonly FaultDescriptor[] Table =
    [
        new(FaultKind.Crash, "crash", FaultTargetKind.Service,
            "the service faults at once, as a process that crashed; its supervisor decides what follows",
            0, null, null, false),
        new(FaultKind.Hang, "hang", FaultTargetKind.Service,
            "the service's cyclic task stops completing cycles (as a process stopped by SIGSTOP) until the duration ends or the watchdog faults it; a restarted instance runs normally",
            5 * Second, "how long it hangs", null, false),
        new(FaultKind.Overrun, "overrun", FaultTargetKind.Service,
            "each cycle of the service's cyclic task takes the value longer than its body did, for the duration: deadlines slip and the overrun policy acts",
            1 * Second, "how long cycles run long", "extra execution time per cycle, ms", true),
        new(FaultKind.MemoryExhaustion, "memory-exhaustion", FaultTargetKind.Service,
            "the service runs out of memory and is killed, as by its memory limit; its supervisor decides what follows",
            0, null, null, false),
        new(FaultKind.ClockJump, "clock-jump", FaultTargetKind.Service,
            "the service's view of the clock jumps by the value (negative: back) and stays jumped; the platform's timers do not move",
            0, null, "the jump, ms", true),
        new(FaultKind.SensorStuck, "sensor-stuck", FaultTargetKind.DeviceRead,
            "reads of the device return one value for the duration: the value, or the reading when the fault began",
            10 * Second, "how long it is stuck", "the stuck reading (default: the reading at the start)", false),
        new(FaultKind.SensorDrift, "sensor-drift", FaultTargetKind.DeviceRead,
            "reads of the device drift away from the true value at the value's rate for the duration",
            60 * Second, "how long it drifts", "drift per second, in the reading's unit", true),
        new(FaultKind.SensorNoise, "sensor-noise", FaultTargetKind.DeviceRead,
            "reads of the device carry Gaussian noise of the value's standard deviation for the duration (from the faults' own stream)",
            5 * Second, "how long the burst lasts", "standard deviation, in the reading's unit", true),
        new(FaultKind.SensorOutOfRange, "sensor-out-of-range", FaultTargetKind.DeviceRead,
            "reads of the device return the value, far outside any range, for the duration",
            10 * Second, "how long it reads out of range", "the reading (default 1e6)", false),
        new(FaultKind.ActuatorStuck, "actuator-stuck", FaultTargetKind.DeviceWrite,
            "writes to the device are lost for the duration: the actuator holds what it was last driven to",
            10 * Second, "how long it is stuck", null, false),
        new(FaultKind.IpcDrop, "ipc-drop", FaultTargetKind.Endpoint,
            "messages on the endpoint (its requests and replies) are lost for the duration: the sender is told they were accepted, the receiver never sees them",
            10 * Second, "how long messages are lost", "the chance that one message is lost, 0..1, drawn from the faults' stream (default 1: every one)", false),
        new(FaultKind.IpcDelay, "ipc-delay", FaultTargetKind.Endpoint,
            "messages put on the endpoint during the duration arrive the value later, in the order they were sent (those behind a delayed one wait for it)",
            10 * Second, "how long messages are delayed", "the delay, ms", true),
        new(FaultKind.IpcDuplicate, "ipc-duplicate", FaultTargetKind.Endpoint,
            "messages on the endpoint arrive twice for the duration (the copy only when the queue has room for it)",
            10 * Second, "how long messages are doubled", "the chance that one message is doubled, 0..1, drawn from the faults' stream (default 1: every one)", false),
        new(FaultKind.IpcCorrupt, "ipc-corrupt", FaultTargetKind.Endpoint,
            "messages on the endpoint arrive with bytes changed for the duration: which bytes and how from the faults' stream",
            10 * Second, "how long messages are corrupted", "how many bytes of each message are changed (default 1)", false),
        new(FaultKind.RegionStale, "region-stale", FaultTargetKind.Region,
            "the writer's publishes of the region (or the point) do not reach readers for the duration: readers keep the last values, which turn Uncertain as they age past the writer's staleness",
            5 * Second, "how long readers see nothing new", null, false),
        new(FaultKind.RegionCorrupt, "region-corrupt", FaultTargetKind.Region,
            "readers of the region (or the point) see the value in place of what the writer published, with its quality and timestamp, for the duration",
            10 * Second, "how long readers see the wrong value", "the value readers see (default NaN)", false),
        new(FaultKind.ModbusTimeout, "modbus-timeout", FaultTargetKind.ModbusSlave,
            "the slave's replies are lost on the virtual network or line for the duration (requests still reach it): every request the master sends meanwhile times out",
            2 * Second, "how long replies are lost", null, false),
        new(FaultKind.ModbusException, "modbus-exception", FaultTargetKind.ModbusSlave,
            "each reply of the slave is replaced, for the duration, by an exception response with the value's code (same transaction id and unit, the function code with its high bit set; on RTU with its own CRC)",
            2 * Second, "how long replies are exceptions", $"the exception code, 1 to 255 (default {ModbusExceptionCodeDefault}: server device failure)", false),
        new(FaultKind.ModbusGarbled, "modbus-garbled", FaultTargetKind.ModbusSlave,
            "replies of the slave are corrupted for the duration: one byte of the MBAP header or function code of each garbled reply is flipped (on RTU, any byte of the frame, so its CRC fails; which byte and how from the faults' own stream), so the master sees a broken frame, an unknown id or unit, or a wrong function",
            2 * Second, "how long replies are garbled", $"the chance that a reply is garbled, above 0 and at most 1 (default {GarbledChanceDefault.ToString(System.Globalization.CultureInfo.InvariantCulture)})", false),
        new(FaultKind.ModbusDisconnect, "modbus-disconnect", FaultTargetKind.ModbusSlave,
            "the network resets the master's connection to the slave at the time and stays cut for the duration: connection attempts meanwhile fail as unreachable; the master reconnects per its backoff (an RTU line goes dead instead: what either side sends is lost)",
            1 * Second, "how long the network stays cut", null, false),
        new(FaultKind.ModbusDelay, "modbus-delay", FaultTargetKind.ModbusSlave,
            "the slave's replies reach the master the value later for the duration, in the order they came (those behind a delayed one wait for it): a delay past the master's timeout makes each a late reply to a request that already timed out",
            2 * Second, "how long replies are delayed", "the delay, ms", true),
    ];

    /// <summary>The code <see cref="FaultKind.ModbusException"/> answers with when none is given: 04, server device failure.</summary>
    public const int ModbusExceptionCodeDefault = 4;

    /// <summary>The chance <see cref="FaultKind.ModbusGarbled"/> garbles a reply with when none is given: every reply.</summary>
    public const double GarbledChanceDefault = 1.0;

    /// <summary>Descriptors by the kind's number (a kind's number is fixed once traces carry it, so the table need not be dense).</summary>
    private static readonly FaultDescriptor?[] ByNumber = Index(Table);

    /// <summary>The value <see cref="FaultKind.SensorOutOfRange"/> reads when none is given.</summary>
    public const double OutOfRangeDefault = 1e6;

    /// <summary>The longest <see cref="FaultKind.IpcDelay"/> or <see cref="FaultKind.ModbusDelay"/>, ms: an hour.</summary>
    public const double DelayMsMax = 3_600_000;

    public static IReadOnlyList<FaultDescriptor> All => Table;

    /// <summary>What is wrong with <paramref name="value"/> as <paramref name="kind"/>'s value, or null when it is one the fault takes.</summary>
    public static string? ValueProblem(FaultKind kind, double value) => kind switch
    {
        FaultKind.IpcDrop or FaultKind.IpcDuplicate when value is < 0 or > 1 => "must be a chance from 0 to 1",
        FaultKind.IpcDelay or FaultKind.ModbusDelay when value is <= 0 or > DelayMsMax => $"must be a delay longer than 0 ms and at most {DelayMsMax} ms",
        FaultKind.IpcCorrupt when value < 1 || value > Ipc.BoundedMessageQueue.MessageBytesMax || value != Math.Floor(value) =>
            $"must be a whole number of bytes from 1 to {Ipc.BoundedMessageQueue.MessageBytesMax}",
        _ => null,
    };

    public static FaultDescriptor Of(FaultKind kind) =>
        (uint)kind < (uint)ByNumber.Length && ByNumber[(int)kind] is { } descriptor
            ? descriptor
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a fault of the library");

    /// <summary>One more than the largest kind's number: the size of an array indexed by kind.</summary>
    public static int KindNumberEnd => ByNumber.Length;

    /// <summary>The descriptor whose word is <paramref name="word"/>, or null.</summary>
    public static FaultDescriptor? Find(string word)
    {
        foreach (var descriptor in Table)
        {
            if (string.Equals(descriptor.Word, word, StringComparison.Ordinal))
            {
                return descriptor;
            }
        }

        return null;
    }

    private static FaultDescriptor?[] Index(FaultDescriptor[] table)
    {
        var byNumber = new FaultDescriptor?[table.Max(d => (int)d.Kind) + 1];
        foreach (var descriptor in table)
        {
            byNumber[(int)descriptor.Kind] = descriptor;
        }

        return byNumber;
    }

    /// <summary>
    /// How <paramref name="kind"/> strikes a running system (<c>neokernel fault inject</c>), or null
    /// when it acts at a seam only the simulation has (the executor, the clock, message queues,
    /// region publishes).
    /// </summary>
    public static string? LiveMeaning(FaultKind kind) => kind switch
    {
        FaultKind.Crash => "kill -9 of the service's process; in the kernel's process, the kernel's fault path",
        FaultKind.Hang => "SIGSTOP of the service's process for the duration, then SIGCONT; refused in the kernel's process",
        FaultKind.MemoryExhaustion => "the service's process allocates until its memory limit stops it; refused in the kernel's process",
        _ => Of(kind).Target switch
        {
            FaultTargetKind.DeviceRead or FaultTargetKind.DeviceWrite => "on the service's own channel to the device",
            FaultTargetKind.ModbusSlave => "on the service's own connections to the slave (its own serial line for RTU)",
            _ => null,
        },
    };

    /// <summary>Every word, for error messages: "crash, hang, …".</summary>
    public static string Words => string.Join(", ", Table.Select(d => d.Word));

    /// <summary>The text of docs/FAULTS.md, generated so the docs cannot drift from the library (a test checks it).</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("# Faults\n\n");
        text.Append("Generated from `rt/Faults/FaultKind.cs` (a test checks this file equals it). The simulation\n");
        text.Append("platform injects these at its seams (executor, device channels, the virtual network, each\n");
        text.Append("service's clock, the host, endpoints' message queues, regions' publishes); services are not\n");
        text.Append("changed to be faulted. A schedule is a comma-separated list of injections,\n");
        text.Append("`KIND:TARGET@AT[+DURATION][=VALUE]`, as `neokernel sim --faults` takes it, e.g.\n");
        text.Append("`crash:level-sensor@5s,sensor-stuck:sim://tank/level@20s+10s=0.2`. Times and durations take\n");
        text.Append("ns, us, ms, s, m or h. Every injection is a `fault-inject` trace event; randomness (noise, the\n");
        text.Append("chance of a lost message, which bytes are corrupted, garbling) comes from the faults' own\n");
        text.Append("stream, so adding a fault never shifts a service's random numbers.\n\n");
        text.Append("The Modbus faults act on the virtual network's TCP connections from a master to the slave the\n");
        text.Append("target names, e.g. `modbus-timeout:modbus-tcp://127.0.0.1:1502@10s+2s`; Modbus RTU over virtual\n");
        text.Append("serial lines is not faulted yet.\n\n");
        text.Append("A running system (`neokernel run`) takes the faults of the last column one at a time from\n");
        text.Append("`neokernel fault inject SERVICE FAULT[:TARGET][+DURATION][=VALUE]` (its `--help` has the\n");
        text.Append("flags), through the run's control socket; its table shows each injection and how long its\n");
        text.Append("service took to cycle again. The others act at seams only the simulation has, and a live run\n");
        text.Append("refuses them, saying where to inject them instead.\n\n");
        text.Append("| fault | target | what it does | duration (default) | value | live (`neokernel fault inject`) |\n");
        text.Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var d in Table)
        {
            var target = d.Target switch
            {
                FaultTargetKind.Service => "service id",
                FaultTargetKind.DeviceRead => "device URI a service reads",
                FaultTargetKind.DeviceWrite => "device URI a service writes",
                FaultTargetKind.Endpoint => "endpoint name; `/requests` or `/replies` after it: that direction only",
                FaultTargetKind.ModbusSlave => "Modbus TCP slave address (`modbus-tcp://HOST:PORT`) or RTU line (`modbus-rtu:///dev/NAME`: every slave on it) a master service opens",
                _ => "region name; `/POINT` after it: that point only",
            };
            var duration = d.Lasts ? $"{d.DurationMeaning} ({FaultText.Duration(d.DurationDefaultNs)})" : "none: at once";
            var value = d.ValueMeaning is null ? "none" : d.ValueRequired ? $"{d.ValueMeaning}; required" : d.ValueMeaning;
            text.Append($"| `{d.Word}` | {target} | {d.Prose} | {duration} | {value} | {LiveMeaning(d.Kind) ?? "no: the simulation only"} |\n");
        }

        return text.ToString();
    }
}
