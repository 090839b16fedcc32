using Neokernel.Kernel.Regions;
using YamlDotNet.Serialization;

namespace Neokernel.Kernel.Manifests;

// The manifest object model: what a YAML service or system file says, field for field.
// These classes hold text as written and are the loader's input only: ManifestValidator checks
// them and says, with file, line and column, what is wrong and what is allowed, and SpecBuilder
// turns them into the immutable specs (ServiceSpec.cs) the kernel grants from. Authority in Neokernel
// comes only from here: a service is granted exactly the regions, endpoints, devices and timing
// its manifest declares and the system routes, and nothing else.

/// <summary>One service: what it runs and everything it may touch.</summary>
[YamlSerializable]
public sealed class ServiceManifest
{
    /// <summary>Unique service id within a system, e.g. <c>level-sensor</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>driver, controller, gateway or plant.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Free text for people.</summary>
    public string? Description { get; set; }

    /// <summary>The built-in program this service runs and its parameters.</summary>
    public ProgramManifest Program { get; set; } = new();

    /// <summary>Scheduling grant of the cyclic task; absent means no cyclic task (every service has the clock and its timers).</summary>
    public TimingManifest? Timing { get; set; }

    public List<RegionManifest> Regions { get; set; } = [];

    public EndpointsManifest Endpoints { get; set; } = new();

    public List<DeviceManifest> Devices { get; set; } = [];

    /// <summary>Memory limit of the service's process on the real-time platform.</summary>
    public MemoryManifest? Memory { get; set; }

    /// <summary>CPU bandwidth limit of the service's process on the real-time platform.</summary>
    public CpuManifest? Cpu { get; set; }

    /// <summary>Open-file limit of the service's process on the real-time platform.</summary>
    public FilesManifest? Files { get; set; }

    public RestartManifest Restart { get; set; } = new();

    /// <summary>Output values the kernel drives when a service this one depends on has failed for good.</summary>
    public SafeStateManifest? SafeState { get; set; }

    /// <summary>Further services this one depends on beyond those implied by regions and endpoints.</summary>
    public List<string> DependsOn { get; set; } = [];

    /// <summary>The store of the service's retained values: the only place in the file system it may write.</summary>
    public RetainManifest? Retain { get; set; }

    /// <summary>
    /// Whether the real-time platform hosts this service in its own OS process. Absent means the
    /// default for its kind: drivers and gateways are isolated (they allocate and they touch the
    /// world), controllers and plants run in the real-time process.
    /// </summary>
    public bool? Isolated { get; set; }
}

[YamlSerializable]
public sealed class ProgramManifest
{
    /// <summary>Built-in program type, e.g. <c>hil.level-sensor</c> or <c>controllers.pid</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Program parameters as written; the validator types them against the program's declarations.</summary>
    public Dictionary<string, string> Parameters { get; set; } = [];

    /// <summary>
    /// Program tables as written: each a list of rows, each row name: value pairs typed against the
    /// columns the program declares for that table (a driver's poll groups, a gateway's node map).
    /// </summary>
    public Dictionary<string, List<Dictionary<string, string>>> Tables { get; set; } = [];
}

[YamlSerializable]
public sealed class TimingManifest
{
    /// <summary>rt-fifo, rt-deadline or best-effort.</summary>
    public string Class { get; set; } = "best-effort";

    /// <summary>SCHED_FIFO priority 1..99 for rt-fifo; nice -20..19 for best-effort.</summary>
    public int Priority { get; set; }

    /// <summary>CPU the service is pinned to; absent means any.</summary>
    public int? Cpu { get; set; }

    public long PeriodUs { get; set; }

    /// <summary>Phase offset of the first release within the period.</summary>
    public long PhaseUs { get; set; }

    /// <summary>Relative deadline; defaults to the period.</summary>
    public long? DeadlineUs { get; set; }

    /// <summary>Execution-time budget per cycle; defaults to the deadline.</summary>
    public long? BudgetUs { get; set; }

    /// <summary>skip, catch-up or fault.</summary>
    public string OverrunPolicy { get; set; } = "skip";

    /// <summary>Consecutive overruns that trip the watchdog under the fault policy.</summary>
    public int OverrunsMax { get; set; } = 3;
}

[YamlSerializable]
public sealed class RegionManifest
{
    public string Name { get; set; } = "";

    /// <summary>read or write. A region has exactly one writer in a system.</summary>
    public string Access { get; set; } = "read";

    /// <summary>The writer declares the region's points; a reader may list the points it needs.</summary>
    public List<string> Points { get; set; } = [];

    /// <summary>Points named by number (<c>s0000</c> .. <c>s4095</c>), after those of <see cref="Points"/>.</summary>
    public NumberedPointsManifest? NumberedPoints { get; set; }

    /// <summary>
    /// Every point the region declares: <see cref="Points"/>, then the numbered ones if that series
    /// is well formed (the validator reports it otherwise).
    /// </summary>
    public IReadOnlyList<string> DeclaredPoints() =>
        NumberedPoints?.Series() is { } series ? [.. Points, .. series.Names()] : Points;
}

/// <summary>
/// A compact declaration of numbered points: <see cref="Count"/> names, <see cref="Prefix"/>
/// followed by the numbers from <see cref="First"/>, zero-padded to <see cref="Digits"/> (by
/// default the width of the last number): <c>{prefix: s, count: 4096}</c> is s0000 .. s4095.
/// </summary>
[YamlSerializable]
public sealed class NumberedPointsManifest
{
    public string Prefix { get; set; } = "";

    public int First { get; set; }

    public int Count { get; set; }

    /// <summary>Width of the number, zero-padded; absent means the width of the last number.</summary>
    public int? Digits { get; set; }

    /// <summary>The series, or null when a field is out of range (the validator says which).</summary>
    public PointSeries? Series()
    {
        if (Prefix.Length == 0 || First < 0 || Count is < 1 or > Region.PointsMax || (long)First + Count - 1 > PointSeries.NumberMax)
        {
            return null;
        }

        var digits = Digits ?? PointSeries.DigitsOf(First + Count - 1);
        return digits >= PointSeries.DigitsOf(First + Count - 1) && digits <= PointSeries.DigitsMax
            ? new PointSeries(Prefix, First, Count, digits)
            : null;
    }
}

[YamlSerializable]
public sealed class EndpointsManifest
{
    public List<ProvidedEndpointManifest> Provides { get; set; } = [];

    /// <summary>Endpoints this service calls; each needs a route in the system manifest.</summary>
    public List<string> Uses { get; set; } = [];
}

[YamlSerializable]
public sealed class ProvidedEndpointManifest
{
    public string Name { get; set; } = "";

    public int MaxMessageBytes { get; set; } = 256;

    public int QueueDepth { get; set; } = 16;
}

[YamlSerializable]
public sealed class DeviceManifest
{
    /// <summary>Name the service opens the device by.</summary>
    public string Name { get; set; } = "";

    /// <summary>e.g. <c>sim://tank/level</c> or <c>modbus-tcp://127.0.0.1:1502?unit=1</c>.</summary>
    public string Uri { get; set; } = "";

    /// <summary>read, write or read-write.</summary>
    public string Access { get; set; } = "read-write";
}

[YamlSerializable]
public sealed class MemoryManifest
{
    /// <summary>The most memory the service's process may use (cgroup memory.max); 0 means no limit.</summary>
    public long LimitBytes { get; set; }
}

/// <summary>
/// CPU bandwidth, as cgroup cpu.max and systemd's CPUQuota=/CPUQuotaPeriodSec= say it: at most
/// <see cref="QuotaUs"/> of CPU time, summed over the process's threads, in every
/// <see cref="PeriodUs"/>. A quota above the period grants more than one CPU.
/// </summary>
[YamlSerializable]
public sealed class CpuManifest
{
    public long QuotaUs { get; set; }

    public long PeriodUs { get; set; } = 100_000;
}

[YamlSerializable]
public sealed class FilesManifest
{
    /// <summary>RLIMIT_NOFILE (systemd's LimitNOFILE=): every descriptor number the process holds is below this.</summary>
    public int OpenMax { get; set; }
}

/// <summary>
/// The store of retained values (setpoints, tuning, totalizers, modes): a directory of the
/// service's own, relative to the run's state directory (<c>run --state-dir</c>) unless absolute,
/// holding at most <see cref="BytesMax"/> bytes of the service's snapshot.
/// </summary>
[YamlSerializable]
public sealed class RetainManifest
{
    /// <summary>The store's directory: relative to the run's state directory, or absolute.</summary>
    public string Path { get; set; } = "";

    /// <summary>The largest snapshot the service may retain.</summary>
    public int BytesMax { get; set; } = ManifestRules.RetainBytesMaxDefault;
}

[YamlSerializable]
public sealed class RestartManifest
{
    /// <summary>permanent (always restart), transient (restart after a fault only) or temporary (never).</summary>
    public string Policy { get; set; } = "permanent";

    /// <summary>At most this many restarts within <see cref="WithinMs"/>; one more fails the service.</summary>
    public int MaxRestarts { get; set; } = 3;

    public long WithinMs { get; set; } = 10_000;

    public long BackoffInitialMs { get; set; } = 100;

    public long BackoffMaxMs { get; set; } = 5_000;

    /// <summary>Heartbeat timeout; 0 derives it from the period (three periods).</summary>
    public long HeartbeatTimeoutMs { get; set; }
}

[YamlSerializable]
public sealed class SafeStateManifest
{
    /// <summary>hold (keep last output, freeze) or safe-state (drive outputs below) on bad input.</summary>
    public string OnBadInput { get; set; } = "hold";

    public List<SafeValueManifest> Outputs { get; set; } = [];
}

[YamlSerializable]
public sealed class SafeValueManifest
{
    public string Region { get; set; } = "";

    public string Point { get; set; } = "";

    public double Value { get; set; }
}

/// <summary>A system: its services, the routes between them and how they are supervised.</summary>
[YamlSerializable]
public sealed class SystemManifest
{
    public string System { get; set; } = "";

    public string? Description { get; set; }

    /// <summary>Default seed for <c>neokernel sim</c>.</summary>
    public ulong Seed { get; set; } = 1;

    public SupervisorManifest Supervisor { get; set; } = new();

    public List<SystemServiceEntry> Services { get; set; } = [];

    public List<RouteManifest> Routes { get; set; } = [];
}

[YamlSerializable]
public sealed class SupervisorManifest
{
    /// <summary>one-for-one or rest-for-one.</summary>
    public string Strategy { get; set; } = "one-for-one";
}

[YamlSerializable]
public sealed class SystemServiceEntry
{
    /// <summary>Path of the service manifest, relative to the system file.</summary>
    public string Manifest { get; set; } = "";

    /// <summary>
    /// Simulated hardware: a stand-in for equipment that is really there on a board (a plant served
    /// over Modbus). <c>sim</c> always runs it; <c>run</c> only with <c>--simulated</c>. It may reach
    /// the rest of the system through devices only, never through regions, endpoints or dependencies.
    /// </summary>
    public bool Simulated { get; set; }
}

[YamlSerializable]
public sealed class RouteManifest
{
    /// <summary>The service allowed to call.</summary>
    public string Client { get; set; } = "";

    /// <summary>The endpoint it may call.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>For a route to kernel.control only: the operations it grants (restart, stop, start, acknowledge), each its own right.</summary>
    public List<string> Operations { get; set; } = [];
}
