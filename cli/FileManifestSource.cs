using Neokernel.Kernel.Manifests;

namespace Neokernel.Cli;

/// <summary>Manifests on disk; the kernel makes no OS calls, so the host supplies file access.</summary>
internal sealed class FileManifestSource : IManifestSource
{
    public string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    public string ResolveRelative(string fromFile, string relativePath) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fromFile)) ?? ".", relativePath));
}
