using System.Collections.Immutable;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Manifests;

/// <summary>
/// Turns validated manifests into specs: every word parsed into its enum, every default applied,
/// every list copied into an immutable array. The loader calls it only when validation found
/// nothing; a manifest built in code that breaks a rule throws <see cref="ArgumentException"/>
/// (or <see cref="ServiceConfigurationException"/> for a parameter) here, before anything runs.
/// </summary>
public static class SpecBuilder
{
    /// <summary>A system and its services; parameters are typed against <paramref name="catalog"/> when given.</summary>
    public static SystemDefinition Definition(SystemManifest system, string sourceFile, IEnumerable<(ServiceManifest Manifest, string SourceFile)> services, ProgramCatalog? catalog)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Definition(system, sourceFile, services.Select(s => (s.Manifest, s.SourceFile, false)), catalog);
    }

    /// <summary>As above, each service marked simulated hardware or not (the system file's <c>simulated</c>).</summary>
    public static SystemDefinition Definition(SystemManifest system, string sourceFile, IEnumerable<(ServiceManifest Manifest, string SourceFile, bool Simulated)> services, ProgramCatalog? catalog)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(services);
        var definitions = services.Select(s => new ServiceDefinition(Service(s.Manifest, catalog), s.SourceFile) { Simulated = s.Simulated }).ToImmutableArray();
        return new SystemDefinition(System(system), sourceFile, definitions);
    }

    public static SystemSpec System(SystemManifest system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return new SystemSpec(
            system.System,
            system.Description,
            system.Seed,
            ManifestWords.SupervisorStrategies.Parse(system.Supervisor.Strategy, "supervisor.strategy"),
            [.. system.Routes.Select(r => new RouteSpec(r.Client, r.Endpoint, r.Operations.Aggregate(Contracts.ControlRights.None, (rights, word) => rights | Contracts.ControlOperationNames.Parse(word))))]);
    }

    /// <summary>A service; its parameters are typed against its program's declarations in <paramref name="catalog"/>, or left as text without one.</summary>
    public static ServiceSpec Service(ServiceManifest m, ProgramCatalog? catalog)
    {
        ArgumentNullException.ThrowIfNull(m);
        var descriptor = catalog?.Find(m.Program.Type);
        return descriptor is null
            ? ServiceWithParameters(m, null)
            : ServiceWithProgram(m, ProgramParameters.Parse(m.Id, descriptor.Parameters, m.Program.Parameters, descriptor.Tables, m.Program.Tables));
    }

    /// <summary>A service whose parameters are typed against <paramref name="declarations"/> (null: left as text).</summary>
    public static ServiceSpec ServiceWithParameters(ServiceManifest m, IReadOnlyList<ParameterDeclaration>? declarations)
    {
        ArgumentNullException.ThrowIfNull(m);
        return ServiceWithProgram(
            m,
            declarations is null
                ? ProgramParameters.Untyped(m.Program.Parameters, m.Program.Tables)
                : ProgramParameters.Parse(m.Id, declarations, m.Program.Parameters, [], m.Program.Tables));
    }

    private static ServiceSpec ServiceWithProgram(ServiceManifest m, ProgramParameters parameters)
    {
        var kind = ManifestWords.Kinds.Parse(m.Kind, "kind");
        return new ServiceSpec
        {
            Id = m.Id,
            Kind = kind,
            Description = m.Description,
            Program = new ProgramSpec(m.Program.Type, parameters),
            Timing = m.Timing is null ? null : Timing(m.Timing),
            Regions = [.. m.Regions.Select(r => new RegionSpec(r.Name, ManifestWords.RegionAccesses.Parse(r.Access, "regions.access"), Points(r)))],
            Provides = [.. m.Endpoints.Provides.Select(e => new ProvidedEndpointSpec(e.Name, e.MaxMessageBytes, e.QueueDepth))],
            Uses = [.. m.Endpoints.Uses],
            Devices = [.. m.Devices.Select(d => new DeviceSpec(d.Name, d.Uri, ManifestWords.DeviceAccesses.Parse(d.Access, "devices.access")))],
            Limits = new LimitsSpec(m.Memory?.LimitBytes ?? 0, m.Cpu?.QuotaUs ?? 0, m.Cpu?.PeriodUs ?? 0, m.Files?.OpenMax ?? 0),
            Restart = Restart(m.Restart),
            SafeState = m.SafeState is null ? null : SafeState(m.SafeState),
            DependsOn = [.. m.DependsOn],
            Retain = m.Retain is null ? null : new RetainSpec(m.Retain.Path, m.Retain.BytesMax),
            Isolated = m.Isolated ?? kind is ServiceKind.Driver or ServiceKind.Gateway,
        };
    }

    /// <summary>The region's points with its numbered ones expanded: a spec names every point.</summary>
    private static ImmutableArray<string> Points(RegionManifest r) =>
        r.NumberedPoints is not null && r.NumberedPoints.Series() is null
            ? throw new ArgumentException($"region '{r.Name}': numberedPoints is out of range (prefix '{r.NumberedPoints.Prefix}', first {r.NumberedPoints.First}, count {r.NumberedPoints.Count}, digits {r.NumberedPoints.Digits})", nameof(r))
            : [.. r.DeclaredPoints()];

    private static TimingSpec Timing(TimingManifest t)
    {
        var deadlineUs = t.DeadlineUs ?? t.PeriodUs;
        return new TimingSpec(
            ManifestWords.TimingClasses.Parse(t.Class, "timing.class"),
            t.Priority,
            t.Cpu,
            t.PeriodUs,
            t.PhaseUs,
            deadlineUs,
            t.BudgetUs ?? deadlineUs,
            ManifestWords.OverrunPolicies.Parse(t.OverrunPolicy, "timing.overrunPolicy"),
            t.OverrunsMax);
    }

    private static RestartSpec Restart(RestartManifest r) => new(
        ManifestWords.RestartPolicies.Parse(r.Policy, "restart.policy"),
        r.MaxRestarts,
        r.WithinMs,
        r.BackoffInitialMs,
        r.BackoffMaxMs,
        r.HeartbeatTimeoutMs);

    private static SafeStateSpec SafeState(SafeStateManifest s) => new(
        ManifestWords.BadInputPolicies.Parse(s.OnBadInput, "safeState.onBadInput"),
        [.. s.Outputs.Select(o => new SafeValueSpec(o.Region, o.Point, o.Value))]);
}
