using System.Collections.Immutable;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Supervision;

namespace Neokernel.Kernel.Manifests;

// Specs: what a validated manifest means, typed and immutable. The YAML object model
// (ManifestModel.cs) is only the loader's input; SpecBuilder turns it into these records once,
// after validation, parsing every word into an enum at that edge. The kernel grants from specs
// alone at every start and restart, and a service is handed the same immutable record: there is
// nothing in it a service could change to gain authority. (In-process services are contained by
// type safety; reflection and unsafe casts are outside that contract, and isolated services are
// contained by their process.)

/// <summary>What a service is; its kind chooses the default isolation.</summary>
public enum ServiceKind
{
    Driver,
    Controller,
    Gateway,
    Plant,
}

/// <summary>How a service uses a region: a region has exactly one writer.</summary>
public enum RegionAccess
{
    Read,
    Write,
}

/// <summary>Which services the supervisor restarts, as in Erlang/OTP.</summary>
public enum RestartPolicy
{
    /// <summary>Restarted after a fault and after a normal end.</summary>
    Permanent,

    /// <summary>Restarted after a fault only; a normal end leaves it stopped.</summary>
    Transient,

    /// <summary>Never restarted: a fault fails it, a normal end leaves it stopped.</summary>
    Temporary,
}

/// <summary>What a loop does when its input goes bad.</summary>
public enum BadInputPolicy
{
    /// <summary>Keep the last output and freeze.</summary>
    Hold,

    /// <summary>Drive the outputs to the declared safe values.</summary>
    SafeState,
}

/// <summary>One service, as validated: the only thing the kernel grants from.</summary>
public sealed record ServiceSpec
{
    public required string Id { get; init; }

    public required ServiceKind Kind { get; init; }

    public string? Description { get; init; }

    public required ProgramSpec Program { get; init; }

    /// <summary>The scheduling grant; null means no clock and no cyclic task.</summary>
    public TimingSpec? Timing { get; init; }

    public ImmutableArray<RegionSpec> Regions { get; init; } = [];

    public ImmutableArray<ProvidedEndpointSpec> Provides { get; init; } = [];

    /// <summary>Endpoints this service calls; each needs a route in the system.</summary>
    public ImmutableArray<string> Uses { get; init; } = [];

    public ImmutableArray<DeviceSpec> Devices { get; init; } = [];

    public LimitsSpec Limits { get; init; } = new(0, 0, 0, 0);

    public required RestartSpec Restart { get; init; }

    public SafeStateSpec? SafeState { get; init; }

    /// <summary>Further services this one depends on beyond those implied by regions and endpoints.</summary>
    public ImmutableArray<string> DependsOn { get; init; } = [];

    /// <summary>The store of retained values; null: the service retains nothing (deny by default).</summary>
    public RetainSpec? Retain { get; init; }

    /// <summary>The isolation in effect: the manifest's word, or the default for the kind.</summary>
    public required bool Isolated { get; init; }

    /// <summary>True if its timing grants a real-time class (rt-fifo or rt-deadline).</summary>
    public bool IsRealtime => Timing is { Class: TimingClass.RtFifo or TimingClass.RtDeadline };
}

/// <summary>The program a service runs and its parameters, typed against the program's declarations.</summary>
public sealed record ProgramSpec(string Type, ProgramParameters Parameters);

/// <summary>The timing section, with defaults applied.</summary>
public sealed record TimingSpec(
    TimingClass Class,
    int Priority,
    int? Cpu,
    long PeriodUs,
    long PhaseUs,
    long DeadlineUs,
    long BudgetUs,
    OverrunPolicy OverrunPolicy,
    int OverrunsMax);

/// <summary>One region a service reads or writes; the writer declares the points.</summary>
public sealed record RegionSpec(string Name, RegionAccess Access, ImmutableArray<string> Points);

public sealed record ProvidedEndpointSpec(string Name, int MaxMessageBytes, int QueueDepth);

public sealed record DeviceSpec(string Name, string Uri, DeviceAccess Access);

/// <summary>Process limits on the real-time platform; 0 means none.</summary>
public sealed record LimitsSpec(long MemoryLimitBytes, long CpuQuotaUs, long CpuPeriodUs, int FilesOpenMax);

/// <summary>
/// A retain store: <paramref name="Path"/> as the manifest wrote it (checked: '/'-separated names,
/// no '.' or '..'), relative to the run's state directory unless it starts with '/', and the
/// largest snapshot it holds.
/// </summary>
public sealed record RetainSpec(string Path, int BytesMax)
{
    /// <summary>True when <see cref="Path"/> is absolute; otherwise it is beneath the run's state directory.</summary>
    public bool IsAbsolute => Path.StartsWith('/');
}

public sealed record RestartSpec(
    RestartPolicy Policy,
    int MaxRestarts,
    long WithinMs,
    long BackoffInitialMs,
    long BackoffMaxMs,
    long HeartbeatTimeoutMs);

public sealed record SafeStateSpec(BadInputPolicy OnBadInput, ImmutableArray<SafeValueSpec> Outputs);

public sealed record SafeValueSpec(string Region, string Point, double Value);

/// <summary>A system, as validated.</summary>
public sealed record SystemSpec(
    string Name,
    string? Description,
    ulong Seed,
    RestartStrategy Strategy,
    ImmutableArray<RouteSpec> Routes);

/// <summary>A client allowed to call an endpoint; on <c>kernel.control</c>, with the operations it may ask for.</summary>
public sealed record RouteSpec(string Client, string Endpoint, Contracts.ControlRights Operations = Contracts.ControlRights.None);

/// <summary>
/// The words manifests use for each enum, in one table per enum: the validator, its messages,
/// the JSON Schemas and the spec builder read them from here.
/// </summary>
public sealed class WordTable<T>
    where T : struct, Enum
{
    private readonly (string Word, T Value)[] entries;

    public WordTable(params (string Word, T Value)[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        this.entries = entries;
        Words = [.. entries.Select(e => e.Word)];
    }

    /// <summary>The words, in the order manifests document them.</summary>
    public IReadOnlyList<string> Words { get; }

    public bool TryParse(string? word, out T value)
    {
        foreach (var entry in entries)
        {
            if (entry.Word == word)
            {
                value = entry.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Parses a word the validator has accepted; anything else is a caller's bug.</summary>
    public T Parse(string? word, string field) =>
        TryParse(word, out var value)
            ? value
            : throw new ArgumentException($"{field}: '{word}' is not one of {string.Join(", ", Words)}; validate the manifest first", nameof(word));

    public string Word(T value)
    {
        foreach (var entry in entries)
        {
            if (EqualityComparer<T>.Default.Equals(entry.Value, value))
            {
                return entry.Word;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, "no word for this value");
    }
}

/// <summary>The word tables of every manifest enum.</summary>
public static class ManifestWords
{
    public static readonly WordTable<ServiceKind> Kinds = new(
        ("driver", ServiceKind.Driver), ("controller", ServiceKind.Controller), ("gateway", ServiceKind.Gateway), ("plant", ServiceKind.Plant));

    public static readonly WordTable<TimingClass> TimingClasses = new(
        ("rt-fifo", TimingClass.RtFifo), ("rt-deadline", TimingClass.RtDeadline), ("best-effort", TimingClass.BestEffort));

    public static readonly WordTable<OverrunPolicy> OverrunPolicies = new(
        ("skip", OverrunPolicy.Skip), ("catch-up", OverrunPolicy.CatchUp), ("fault", OverrunPolicy.Fault));

    public static readonly WordTable<RegionAccess> RegionAccesses = new(("read", RegionAccess.Read), ("write", RegionAccess.Write));

    public static readonly WordTable<DeviceAccess> DeviceAccesses = new(
        ("read", DeviceAccess.Read), ("write", DeviceAccess.Write), ("read-write", DeviceAccess.ReadWrite));

    public static readonly WordTable<RestartPolicy> RestartPolicies = new(
        ("permanent", RestartPolicy.Permanent), ("transient", RestartPolicy.Transient), ("temporary", RestartPolicy.Temporary));

    public static readonly WordTable<BadInputPolicy> BadInputPolicies = new(("hold", BadInputPolicy.Hold), ("safe-state", BadInputPolicy.SafeState));

    public static readonly WordTable<RestartStrategy> SupervisorStrategies = new(
        ("one-for-one", RestartStrategy.OneForOne), ("rest-for-one", RestartStrategy.RestForOne));
}
