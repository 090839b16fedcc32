using System.Globalization;

namespace Neokernel.Rt.Linux.Limits;

/// <summary>
/// The cgroup of one incarnation of an isolated service, beside the kernel's own group: one
/// directory in v2, one per hierarchy in v1. It is made and its limits written before the child
/// is moved in, so the child is never in a group without them, and removed after the child has
/// been reaped. Control plane only: nothing here runs per cycle.
/// </summary>
public sealed class ServiceCgroup : IDisposable
{
    /// <summary>How long removal waits for the kernel to finish with an exited process's group.</summary>
    private const int RemoveAttempts = 50;
    private const int RemoveRetryMs = 2;

    private readonly ICgroupFiles files;
    private readonly List<string> created = [];
    private readonly string? memoryDirectory;
    private readonly CgroupVersion memoryVersion;
    private readonly List<string> cpuFiles = [];
    private readonly List<string> leftBehind = [];
    private readonly Dictionary<string, CgroupVersion> versions = new(StringComparer.Ordinal);
    private readonly HashSet<string> bornIn = new(StringComparer.Ordinal);

    private ServiceCgroup(ICgroupFiles files, ProcessLimits limits, string? memoryDirectory, CgroupVersion memoryVersion)
    {
        this.files = files;
        Limits = limits;
        this.memoryDirectory = memoryDirectory;
        this.memoryVersion = memoryVersion;
    }

    public ProcessLimits Limits { get; }

    /// <summary>Every directory of this group, one per hierarchy.</summary>
    public IReadOnlyList<string> Directories => created;

    /// <summary>The control files that hold the CPU limit, for operators and tests (cpu.max; v1: cfs_quota_us and cfs_period_us).</summary>
    public IReadOnlyList<string> CpuFiles => cpuFiles;

    /// <summary>
    /// Makes the group named <paramref name="name"/> in the places given (null: that limit is not
    /// applied by a cgroup) and writes the limits. On any failure removes what it made and throws,
    /// naming the file and the kernel's reason.
    /// </summary>
    public static ServiceCgroup Create(ICgroupFiles files, string name, ProcessLimits limits, CgroupPlace? memory, CgroupPlace? cpu)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(limits);
        var memoryDirectory = memory is null ? null : Path.Combine(memory.OwnDirectory, name);
        var group = new ServiceCgroup(files, limits, memoryDirectory, memory?.Version ?? CgroupVersion.V2);
        try
        {
            if (memory is not null)
            {
                group.Make(memoryDirectory!, memory.Version);
                group.WriteMemory(memoryDirectory!, memory.Version);
            }

            if (cpu is not null)
            {
                var cpuDirectory = Path.Combine(cpu.OwnDirectory, name);
                group.Make(cpuDirectory, cpu.Version);
                group.WriteCpu(cpuDirectory, cpu);
            }
        }
        catch
        {
            group.Dispose();
            throw;
        }

        return group;
    }

    /// <summary>Moves the process (all its threads) into every directory of the group.</summary>
    public void Add(int pid)
    {
        foreach (var directory in created)
        {
            files.Write(Path.Combine(directory, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Moves the calling thread alone into every v1 directory of the group (writing "0", the
    /// caller, to its <c>tasks</c> file), so a process it then starts is born there. Moving a whole
    /// process takes the OS's global lock on thread groups, which waits for an RCU grace period:
    /// 9.3 ms per move measured here, most of a restart, while the child waited for its grants.
    /// The caller's own thread takes no such lock (0.06 ms). A v2 group takes no single thread
    /// of a process that is not threaded: there the child is moved after its start
    /// (<see cref="AddWhereNotBorn"/>). The thread must end after the spawn: it stays in the group.
    /// </summary>
    public void JoinThisThread()
    {
        foreach (var directory in created.Where(d => !bornIn.Contains(d) && versions[d] == CgroupVersion.V1))
        {
            files.Write(Path.Combine(directory, "tasks"), "0");
            bornIn.Add(directory);
        }
    }

    /// <summary>Moves the process into every directory of the group that its spawning thread did not join.</summary>
    public void AddWhereNotBorn(int pid)
    {
        foreach (var directory in created.Where(d => !bornIn.Contains(d)))
        {
            files.Write(Path.Combine(directory, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// How often the OOM killer has ended a process of this group: memory.events (v2) or
    /// memory.oom_control (v1, Linux 4.13 and later) "oom_kill N". 0 when there is no memory group.
    /// </summary>
    public long OomKills()
    {
        if (memoryDirectory is null)
        {
            return 0;
        }

        var file = memoryVersion == CgroupVersion.V2 ? "memory.events" : "memory.oom_control";
        return Field(files.Read(Path.Combine(memoryDirectory, file)), "oom_kill");
    }

    /// <summary>Directories removal gave up on, with the reason: for a warning, never an exception from teardown.</summary>
    public IReadOnlyList<string> LeftBehind => leftBehind;

    /// <summary>Removes the group. The kernel may still be finishing with an exited process for a moment, so busy is retried briefly.</summary>
    public void Dispose()
    {
        for (var i = created.Count - 1; i >= 0; i--)
        {
            Remove(created[i]);
        }

        created.Clear();
    }

    /// <summary>The number after <paramref name="key"/> in a "key value" per line control file; 0 when absent.</summary>
    internal static long Field(string? text, string key)
    {
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return 0;
    }

    private void Make(string directory, CgroupVersion version)
    {
        if (created.Contains(directory, StringComparer.Ordinal))
        {
            return;
        }

        files.CreateDirectory(directory);
        created.Add(directory);
        versions[directory] = version;
    }

    /// <summary>The limit, and no swap beyond it: a real-time service that swaps has missed its deadlines anyway, and swap would only delay the OOM kill.</summary>
    private void WriteMemory(string directory, CgroupVersion version)
    {
        var bytes = ProcessLimits.Invariant(Limits.MemoryBytes);
        var (limit, swap, swapValue) = version == CgroupVersion.V2
            ? ("memory.max", "memory.swap.max", "0")
            : ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", bytes);
        files.Write(Path.Combine(directory, limit), bytes);
        if (files.Exists(Path.Combine(directory, swap)))
        {
            files.Write(Path.Combine(directory, swap), swapValue);
        }
    }

    private void WriteCpu(string directory, CgroupPlace place)
    {
        var quota = ProcessLimits.Invariant(Limits.CpuQuotaUs);
        var period = ProcessLimits.Invariant(Limits.CpuPeriodUs);
        if (place.Version == CgroupVersion.V2)
        {
            WriteCpuFile(directory, "cpu.max", $"{quota} {period}");
            return;
        }

        WriteCpuFile(directory, "cpu.cfs_period_us", period);
        WriteCpuFile(directory, "cpu.cfs_quota_us", quota);
        if (Limits.Realtime && files.Exists(Path.Combine(directory, "cpu.rt_runtime_us")))
        {
            // With RT group scheduling a new group may run no SCHED_FIFO thread at all (runtime 0):
            // grant the real-time threads the same bandwidth, at most the share the kernel's own group has.
            WriteCpuFile(directory, "cpu.rt_period_us", period);
            WriteCpuFile(directory, "cpu.rt_runtime_us", ProcessLimits.Invariant(RealtimeRuntimeUs(place.OwnDirectory)));
        }
    }

    /// <summary>The quota, capped at the share of each period the parent group may run real-time threads (the root's is 95 %).</summary>
    private long RealtimeRuntimeUs(string parent)
    {
        var runtime = Number(files.Read(Path.Combine(parent, "cpu.rt_runtime_us")));
        var period = Number(files.Read(Path.Combine(parent, "cpu.rt_period_us")));
        var cap = runtime < 0 || period <= 0 ? Limits.CpuPeriodUs : Limits.CpuPeriodUs * runtime / period;
        return Math.Min(Limits.CpuQuotaUs, cap);
    }

    private static long Number(string? text) =>
        long.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : -1;

    private void WriteCpuFile(string directory, string name, string text)
    {
        var path = Path.Combine(directory, name);
        files.Write(path, text);
        cpuFiles.Add(path);
    }

    private void Remove(string directory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                files.RemoveDirectory(directory);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < RemoveAttempts)
            {
                Thread.Sleep(RemoveRetryMs);
            }
            catch (IOException exception)
            {
                leftBehind.Add($"{directory} ({exception.Message})");
                return;
            }
        }
    }
}
