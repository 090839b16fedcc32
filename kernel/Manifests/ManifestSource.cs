namespace Neokernel.Kernel.Manifests;

/// <summary>
/// Where manifest text comes from. The kernel makes no OS calls, so the host supplies this:
/// the CLI reads files, tests and the simulator keep manifests in memory.
/// </summary>
public interface IManifestSource
{
    /// <summary>The text of <paramref name="path"/>, or null if there is no such file.</summary>
    string? ReadText(string path);

    /// <summary>
    /// The path of <paramref name="relativePath"/> as written in <paramref name="fromFile"/>,
    /// in the form <see cref="ReadText"/> takes and diagnostics show.
    /// </summary>
    string ResolveRelative(string fromFile, string relativePath);
}

/// <summary>
/// Manifests held in memory under '/'-separated paths. Relative paths resolve against the
/// directory of the referring file, with <c>.</c> and <c>..</c> segments folded, so a system
/// behaves here exactly as it does on disk.
/// </summary>
public sealed class InMemoryManifestSource : IManifestSource
{
    private readonly Dictionary<string, string> files = new(StringComparer.Ordinal);

    public InMemoryManifestSource()
    {
    }

    public InMemoryManifestSource(IEnumerable<KeyValuePair<string, string>> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var (path, text) in files)
        {
            Add(path, text);
        }
    }

    /// <summary>Adds or replaces a file; returns this source so calls can be chained.</summary>
    public InMemoryManifestSource Add(string path, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(text);
        files[Normalize(path)] = text;
        return this;
    }

    public string? ReadText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return files.GetValueOrDefault(Normalize(path));
    }

    public string ResolveRelative(string fromFile, string relativePath)
    {
        ArgumentNullException.ThrowIfNull(fromFile);
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.StartsWith('/'))
        {
            return Normalize(relativePath);
        }

        var slash = fromFile.Replace('\\', '/').LastIndexOf('/');
        var directory = slash < 0 ? "" : fromFile[..(slash + 1)];
        return Normalize(directory + relativePath);
    }

    /// <summary>Folds separators, <c>.</c> and <c>..</c> so one file has one name.</summary>
    internal static string Normalize(string path)
    {
        var rooted = path.StartsWith('/');
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == ".." && parts.Count > 0 && parts[^1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            if (part == ".." && rooted)
            {
                continue;
            }

            parts.Add(part);
        }

        var joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined;
    }
}
