using System.Globalization;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// The service host processes a kernel started, found through /proc: a process whose parent is
/// the kernel and whose arguments are <c>service-host ... --service ID</c>. Nothing else names
/// them (their socket has no path), so operators' tools, tests and benchmarks look them up here.
/// </summary>
public static class KernelChildren
{
    /// <summary>The live service host processes of <paramref name="kernelPid"/>; of its service <paramref name="serviceId"/> only, when given.</summary>
    public static IEnumerable<int> ServiceHosts(int kernelPid, string? serviceId = null)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ParentOf(directory) == kernelPid && IsServiceHost(directory, serviceId))
            {
                yield return pid;
            }
        }
    }

    /// <summary>The parent pid from /proc/PID/stat (the field after the state, which follows the command name in parentheses); null when the process ended while we looked.</summary>
    private static int? ParentOf(string procDirectory)
    {
        var stat = ReadOrNull(Path.Combine(procDirectory, "stat"));
        var nameEnd = stat?.LastIndexOf(')') ?? -1;
        if (nameEnd < 0)
        {
            return null;
        }

        var fields = stat![(nameEnd + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
    }

    private static bool IsServiceHost(string procDirectory, string? serviceId)
    {
        var arguments = ReadOrNull(Path.Combine(procDirectory, "cmdline"))?.Split('\0') ?? [];
        var service = Array.IndexOf(arguments, "--service");
        return Array.IndexOf(arguments, "service-host") >= 0 && service >= 0 && service + 1 < arguments.Length
            && (serviceId is null || arguments[service + 1] == serviceId);
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // The process ended while we looked, or is not ours to read.
        }
    }
}
