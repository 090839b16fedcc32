using System.Globalization;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Cli.Tests;

/// <summary>The service host processes this test process's <c>neokernel run</c> started, found through /proc.</summary>
internal static class ServiceHostProcesses
{
    /// <summary>
    /// The pid of a live service host child for <paramref name="serviceId"/>, not one already killed,
    /// of the kernel <paramref name="kernelPid"/> (default: this test process's in-process run).
    /// </summary>
    public static int WaitFor(string serviceId, TimeSpan timeout, List<int> killed, int? kernelPid = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var pid in KernelChildren.ServiceHosts(kernelPid ?? Environment.ProcessId, serviceId).Where(p => !killed.Contains(p)))
            {
                return pid;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"no service host for '{serviceId}' appeared within {timeout}");
    }

    /// <summary>The live service host processes of the kernel <paramref name="kernelPid"/>.</summary>
    public static IReadOnlyList<int> Children(int kernelPid) => [.. KernelChildren.ServiceHosts(kernelPid)];

    /// <summary>What a memory limit charges a process for, roughly: its anonymous and shared resident memory (RssAnon + RssShmem).</summary>
    public static long AnonymousAndSharedBytes(int pid)
    {
        var kilobytes = File.ReadAllLines($"/proc/{pid}/status")
            .Where(l => l.StartsWith("RssAnon:", StringComparison.Ordinal) || l.StartsWith("RssShmem:", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
        return kilobytes * 1024;
    }

    /// <summary>
    /// The scheduling of each thread of <paramref name="pid"/>: its name, policy (0 SCHED_OTHER,
    /// 1 SCHED_FIFO, 6 SCHED_DEADLINE), real-time priority and allowed CPUs, from
    /// /proc/PID/task/TID/stat (fields 40 and 41) and status.
    /// </summary>
    public static IReadOnlyList<(string Name, int Policy, int Priority, string Cpus)> Threads(int pid)
    {
        var threads = new List<(string, int, int, string)>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];

            // Fields after the name start at field 3 (state): field N is at index N - 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var priority = int.Parse(fields[40 - 3], CultureInfo.InvariantCulture);
            var policy = int.Parse(fields[41 - 3], CultureInfo.InvariantCulture);
            var cpus = File.ReadAllLines(Path.Combine(task, "status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            threads.Add((name, policy, priority, cpus["Cpus_allowed_list:".Length..].Trim()));
        }

        return threads;
    }
}
