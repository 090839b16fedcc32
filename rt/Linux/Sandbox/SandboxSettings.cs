using System.Runtime.InteropServices;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>
/// The sandbox of one run, for every isolated service: the user they run as, what this machine
/// can enforce, and the paths every service host may read (its binary, the .NET runtime when it
/// runs on the JIT, the system's manifest files, the shared libraries, and the kernel files the
/// runtime reads: /proc, CPU topology, cgroup limits). Everything else may not be read; nothing
/// may be written but procfs files of the process's own (its thread names).
/// </summary>
public sealed class SandboxSettings
{
    /// <summary>Read by glibc, the runtime and the collector in every service host process; missing ones are skipped.</summary>
    public static readonly IReadOnlyList<string> SystemReadPaths =
    [
        "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib",
        "/etc/ld.so.cache", "/etc/ld.so.preload",
        "/dev/urandom", "/dev/null",
        "/proc", "/sys/devices/system/cpu", "/sys/devices/system/node", "/sys/fs/cgroup",
    ];

    private SandboxSettings(SandboxUser user, SandboxFeatures features, IReadOnlyList<string> readPaths)
    {
        User = user;
        Features = features;
        ReadPaths = readPaths;
    }

    public SandboxUser User { get; }

    public SandboxFeatures Features { get; }

    public IReadOnlyList<string> ReadPaths { get; }

    /// <summary>
    /// The settings for service hosts started as <paramref name="fileName"/> with
    /// <paramref name="prefixArguments"/>, reading <paramref name="dataFiles"/> (the system's manifests).
    /// </summary>
    public static SandboxSettings Create(SandboxUser user, SandboxFeatures features, string fileName, IEnumerable<string> prefixArguments, IEnumerable<string> dataFiles)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(fileName);
        var paths = new List<string>(SystemReadPaths);
        paths.AddRange(ProgramDirectories(fileName, prefixArguments));
        paths.AddRange(dataFiles.Select(Path.GetFullPath));
        return new SandboxSettings(user, features, paths.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>The policy of <paramref name="spec"/> under these settings.</summary>
    public SandboxPolicy PolicyFor(ServiceSpec spec, bool realTime) => SandboxPolicy.For(spec, realTime, User, Features, ReadPaths);

    /// <summary>The policy of <paramref name="spec"/>, writing beneath <paramref name="writePaths"/> (its retain store) and nowhere else.</summary>
    public SandboxPolicy PolicyFor(ServiceSpec spec, bool realTime, IReadOnlyList<string> writePaths) => SandboxPolicy.For(spec, realTime, User, Features, ReadPaths, writePaths);

    /// <summary>Writes one warning per layer this machine cannot apply, when any service runs isolated.</summary>
    public void WarnAboutMissing(TextWriter error, int isolatedServices)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (isolatedServices == 0)
        {
            return;
        }

        foreach (var missing in Features.Missing())
        {
            error.WriteLine($"neokernel: warning: sandbox: {missing}; running on without it");
        }
    }

    /// <summary>The directories a service host needs to start: the binary's own (resolved through PATH and symlinks), each prefix argument that is a file's, and the .NET runtime's.</summary>
    private static IEnumerable<string> ProgramDirectories(string fileName, IEnumerable<string> prefixArguments)
    {
        if (Resolve(fileName) is { } program)
        {
            yield return Path.GetDirectoryName(program)!;
        }

        foreach (var argument in prefixArguments.Where(File.Exists))
        {
            yield return Path.GetDirectoryName(Path.GetFullPath(argument))!;
        }

        yield return AppContext.BaseDirectory.TrimEnd('/');

        // On the JIT: dotnet/shared/Microsoft.NETCore.App/VERSION; the host (hostfxr) sits beside it in dotnet/host.
        var runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        if (runtime.Contains("/shared/Microsoft.NETCore.App/", StringComparison.Ordinal) && Directory.GetParent(runtime)?.Parent?.Parent is { } dotnetRoot)
        {
            yield return dotnetRoot.FullName;
        }
    }

    private static string? Resolve(string fileName)
    {
        var candidates = fileName.Contains('/', StringComparison.Ordinal)
            ? [fileName]
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, fileName));
        var found = candidates.FirstOrDefault(File.Exists);
        if (found is null)
        {
            return null;
        }

        var full = Path.GetFullPath(found);
        return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
    }
}
