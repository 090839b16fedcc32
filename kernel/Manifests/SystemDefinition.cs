namespace Neokernel.Kernel.Manifests;

/// <summary>Where in a manifest file something is: for error messages people can act on.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>
/// One problem found in a manifest: where, which field, what is wrong and what is allowed.
/// </summary>
public sealed record ManifestDiagnostic(SourceLocation Location, string Field, string Problem, string Allowed)
{
    public override string ToString() =>
        string.IsNullOrEmpty(Allowed)
            ? $"{Location}: error: {Field}: {Problem}"
            : $"{Location}: error: {Field}: {Problem}; allowed: {Allowed}";
}

/// <summary>A service's spec together with the file it came from.</summary>
public sealed record ServiceDefinition(ServiceSpec Spec, string SourceFile)
{
    /// <summary>Simulated hardware (the system file's <c>simulated: true</c>): left out by <see cref="SystemDefinition.WithoutSimulated"/>.</summary>
    public bool Simulated { get; init; }
}

/// <summary>
/// A system whose manifests were read, validated and built into specs: the only input from which
/// the kernel grants authority. Services are in the order the system file lists them, which is
/// also the order rest-for-one restarts follow; boot order is derived from dependencies.
/// </summary>
public sealed record SystemDefinition(SystemSpec Spec, string SourceFile, IReadOnlyList<ServiceDefinition> Services)
{
    public ServiceDefinition? Find(string serviceId)
    {
        foreach (var service in Services)
        {
            if (service.Spec.Id == serviceId)
            {
                return service;
            }
        }

        return null;
    }

    /// <summary>The simulated hardware services, in system file order.</summary>
    public IEnumerable<ServiceDefinition> SimulatedServices => Services.Where(s => s.Simulated);

    /// <summary>
    /// The system as it runs on a board: without its simulated hardware, whose place real
    /// equipment takes, and without the routes of those services. The validator made sure nothing
    /// else reads, calls or depends on them, so what is left is whole.
    /// </summary>
    public SystemDefinition WithoutSimulated()
    {
        var simulated = SimulatedServices.Select(s => s.Spec.Id).ToHashSet(StringComparer.Ordinal);
        if (simulated.Count == 0)
        {
            return this;
        }

        return this with
        {
            Spec = Spec with { Routes = [.. Spec.Routes.Where(r => !simulated.Contains(r.Client))] },
            Services = [.. Services.Where(s => !s.Simulated)],
        };
    }

    /// <summary>A copy in which one service's spec is replaced by <paramref name="change"/> of it; this definition stays as it was.</summary>
    public SystemDefinition WithService(string serviceId, Func<ServiceSpec, ServiceSpec> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (Find(serviceId) is null)
        {
            throw new ArgumentException($"system '{Spec.Name}' has no service '{serviceId}'", nameof(serviceId));
        }

        return this with { Services = [.. Services.Select(s => s.Spec.Id == serviceId ? s with { Spec = change(s.Spec) } : s)] };
    }
}
