using System.Globalization;
using Neokernel.Rt.Linux.Limits;

namespace Neokernel.Rt.Tests.Limits;

/// <summary>
/// A cgroup filesystem in memory that keeps the rules the limiter depends on: a new group gets
/// its control files (v2: the controllers its parent hands down), writing a pid to cgroup.procs
/// moves it out of every other group, cgroup.subtree_control takes "+controller" and refuses
/// while its group holds a process (v2's no-internal-process rule), and a group that still holds
/// a process cannot be removed. So the v2 path runs on a machine that only has v1.
/// </summary>
internal sealed class FakeCgroupFiles(CgroupVersion version) : ICgroupFiles
{
    private readonly Dictionary<string, string> files = new(StringComparer.Ordinal);
    private readonly HashSet<string> directories = new(StringComparer.Ordinal);

    /// <summary>Files whose writes the kernel refuses (EBUSY), for failure paths.</summary>
    public HashSet<string> Refused { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds an existing group (the kernel's own), with the controllers it has and the processes it holds.</summary>
    public void AddGroup(string directory, string controllers, params int[] pids)
    {
        directories.Add(directory);
        files[Path.Combine(directory, "cgroup.controllers")] = controllers;
        files[Path.Combine(directory, "cgroup.subtree_control")] = "";
        files[Path.Combine(directory, "cgroup.procs")] = string.Join('\n', pids);
    }

    public void Set(string path, string text) => files[path] = text;

    public bool HasDirectory(string path) => directories.Contains(path);

    public IEnumerable<string> Subdirectories(string path) => directories.Where(d => Path.GetDirectoryName(d) == path).ToList();

    public string? Read(string path) => files.GetValueOrDefault(path);

    public bool Exists(string path) => files.ContainsKey(path) || directories.Contains(path);

    public void Write(string path, string text)
    {
        if (!files.ContainsKey(path))
        {
            throw new FileNotFoundException($"{path}: no such file");
        }

        if (Refused.Contains(path))
        {
            throw new IOException($"writing '{text}' to {path}: Device or resource busy");
        }

        switch (Path.GetFileName(path))
        {
            case "cgroup.procs":
                Move(path, text.Trim());
                break;
            case "cgroup.subtree_control":
                Enable(path, text.Trim());
                break;
            default:
                files[path] = text;
                break;
        }
    }

    public void CreateDirectory(string path)
    {
        if (!directories.Contains(Path.GetDirectoryName(path)!))
        {
            throw new DirectoryNotFoundException(path);
        }

        directories.Add(path);
        files[Path.Combine(path, "cgroup.procs")] = "";
        if (version == CgroupVersion.V1)
        {
            foreach (var name in new[] { "tasks", "memory.limit_in_bytes", "memory.oom_control", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_runtime_us", "cpu.rt_period_us" })
            {
                files[Path.Combine(path, name)] = "";
            }

            return;
        }

        var handed = files.GetValueOrDefault(Path.Combine(Path.GetDirectoryName(path)!, "cgroup.subtree_control"), "");
        files[Path.Combine(path, "cgroup.controllers")] = handed;
        files[Path.Combine(path, "cgroup.subtree_control")] = "";
        if (handed.Contains("memory", StringComparison.Ordinal))
        {
            files[Path.Combine(path, "memory.max")] = "max";
            files[Path.Combine(path, "memory.swap.max")] = "max";
            files[Path.Combine(path, "memory.events")] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n";
        }

        if (handed.Contains("cpu", StringComparison.Ordinal))
        {
            files[Path.Combine(path, "cpu.max")] = "max 100000";
        }
    }

    public void RemoveDirectory(string path)
    {
        if (!directories.Contains(path))
        {
            throw new DirectoryNotFoundException(path);
        }

        if (files[Path.Combine(path, "cgroup.procs")].Length > 0)
        {
            throw new IOException($"{path}: Device or resource busy");
        }

        directories.Remove(path);
        foreach (var file in files.Keys.Where(f => Path.GetDirectoryName(f) == path).ToList())
        {
            files.Remove(file);
        }
    }

    /// <summary>The process has exited: it is in no group any more.</summary>
    public void Exit(int pid)
    {
        foreach (var procs in files.Keys.Where(f => Path.GetFileName(f) == "cgroup.procs").ToList())
        {
            files[procs] = string.Join('\n', files[procs].Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(p => p != pid.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private void Move(string path, string pid)
    {
        Exit(int.Parse(pid, CultureInfo.InvariantCulture));
        files[path] = files[path].Length == 0 ? pid : files[path] + "\n" + pid;
    }

    private void Enable(string path, string text)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (files[Path.Combine(directory, "cgroup.procs")].Length > 0)
        {
            throw new IOException($"writing '{text}' to {path}: Device or resource busy");
        }

        var controller = text.TrimStart('+');
        if (!files[Path.Combine(directory, "cgroup.controllers")].Split(' ').Contains(controller))
        {
            throw new IOException($"writing '{text}' to {path}: No such file or directory");
        }

        files[path] = (files[path] + " " + controller).Trim();
    }
}
