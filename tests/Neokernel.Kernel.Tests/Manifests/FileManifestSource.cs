using Neokernel.Kernel.Manifests;

namespace Neokernel.Kernel.Tests.Manifests;

/// <summary>Manifests on disk, for tests; the CLI has its own copy, since the kernel makes no OS calls.</summary>
public sealed class FileManifestSource : IManifestSource
{
    public string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    public string ResolveRelative(string fromFile, string relativePath) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fromFile)) ?? ".", relativePath));
}
