using System.Globalization;

namespace Neokernel.Benchmarks;

/// <summary>
/// The service host processes of a running <c>neokernel run</c>: its direct children whose command
/// line is <c>service-host … --service ID</c>, read from /proc, so a benchmark can measure one
/// service's process (its memory, its CPU) without asking the kernel.
/// </summary>
internal static class ServiceHosts
{
    /// <summary>The direct children of <paramref name="pid"/>, from every one of its threads' children files.</summary>
    public static List<int> Children(int pid)
    {
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children"));
                children.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)));
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The process (or one of its threads) ended while we looked: what was read stands.
        }

        return children;
    }

    /// <summary>The service a service host process runs: the argument after --service on its command line.</summary>
    public static string? ServiceOf(int pid)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            var at = Array.IndexOf(arguments, "--service");
            return arguments.Contains("service-host") && at >= 0 && at + 1 < arguments.Length ? arguments[at + 1] : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process of service <paramref name="serviceId"/> under run <paramref name="runPid"/>; null while it has none.</summary>
    public static int? Find(int runPid, string serviceId)
    {
        foreach (var child in Children(runPid))
        {
            if (ServiceOf(child) == serviceId)
            {
                return child;
            }
        }

        return null;
    }
}
