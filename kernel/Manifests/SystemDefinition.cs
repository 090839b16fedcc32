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

/// <summary>A service manifest together with the file it came from.</summary>
public sealed record ServiceDefinition(ServiceManifest Manifest, string SourceFile);

/// <summary>
/// A system whose manifests were read and validated: the only input from which the kernel
/// grants authority. Services are in the order the system file lists them, which is also the
/// order rest-for-one restarts follow; boot order is derived from dependencies.
/// </summary>
public sealed record SystemDefinition(SystemManifest Manifest, string SourceFile, IReadOnlyList<ServiceDefinition> Services)
{
    public ServiceDefinition? Find(string serviceId)
    {
        foreach (var service in Services)
        {
            if (service.Manifest.Id == serviceId)
            {
                return service;
            }
        }

        return null;
    }
}
