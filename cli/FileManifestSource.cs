using Neokernel.Kernel.Manifests;
using Neokernel.Rt.Linux;

namespace Neokernel.Cli;

/// <summary>
/// Manifests on disk; the kernel makes no OS calls, so the host supplies file access. Only regular
/// files of bounded size are read (a FIFO or a device given as a manifest would hang or never end);
/// anything else is refused with what the path is, which the loader reports at the file or at the
/// line that referred to it.
/// </summary>
internal sealed class FileManifestSource : IManifestSource
{
    /// <summary>Bytes one manifest file may have: the text bound of <see cref="YamlLimits"/>, at up to 4 bytes a character.</summary>
    public const int BytesMax = YamlLimits.TextCharsMax;

    public string? ReadText(string path) => BoundedFileReader.ReadText(path, BytesMax);

    public string ResolveRelative(string fromFile, string relativePath) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fromFile)) ?? ".", relativePath));
}
