using System.Diagnostics;
using System.Globalization;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Rt.Linux.Limits;

/// <summary>
/// Applies a service's manifest limits to the process it runs in, from the kernel's side:
/// <list type="bullet">
/// <item>memory: the child's GC heap gets a hard limit of 3/4 of <c>memory.limitBytes</c> on its
/// environment (DOTNET_GCHeapHardLimit), so it collects, or fails one allocation with an
/// OutOfMemoryException, before the OS acts; the process as a whole gets cgroup memory.max (v1:
/// memory.limit_in_bytes), so native memory too is bounded and the OOM killer ends the child,
/// never the kernel. RLIMIT_AS is not used: the .NET runtime reserves far more address space than
/// it ever touches, and an address-space limit breaks it long before memory runs out.</item>
/// <item>CPU: cgroup cpu.max (v1: cpu.cfs_quota_us and cpu.cfs_period_us).</item>
/// <item>open files: RLIMIT_NOFILE with prlimit.</item>
/// </list>
/// All of it is in place before the kernel sends the child its first capability, so the
/// service's code never runs without its limits. The group is made before the spawn
/// (<see cref="Prepare"/>): on cgroup v1 the spawning thread joins it and the child is born in
/// it; on v2 the child is moved in after its start, and the runtime's own start-up before that is
/// charged to the kernel's group. Where a cgroup controller is missing or not delegated, the run
/// goes on without that limit and says so once, with the reason and how to get it. Where it is
/// there but writing a limit fails, the service's start fails: it would otherwise hold more than
/// its manifest grants.
/// </summary>
public sealed class ProcessLimiter
{
    /// <summary>The environment variable the .NET GC (JIT and NativeAOT) reads its hard heap limit from, in hexadecimal.</summary>
    public const string GcHeapHardLimitVariable = "DOTNET_GCHeapHardLimit";

    private readonly TextWriter warnings;
    private readonly ICgroupFiles files;
    private readonly CgroupHierarchy hierarchy;
    private readonly string prefix;
    private readonly Dictionary<string, (CgroupPlace? Place, string Why)> availability = new(StringComparer.Ordinal);
    private readonly HashSet<string> warned = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public ProcessLimiter(TextWriter warnings, CgroupHierarchy? hierarchy = null, ICgroupFiles? files = null)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        this.warnings = warnings;
        this.files = files ?? LinuxCgroupFiles.Instance;
        this.hierarchy = hierarchy ?? CgroupHierarchy.OfThisProcess();
        prefix = $"neokernel-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-";
    }

    /// <summary>Where the group of a controller goes, or null with the reason it cannot be applied.</summary>
    public CgroupPlace? Place(string controller, out string why)
    {
        lock (gate)
        {
            if (!availability.TryGetValue(controller, out var known))
            {
                known = Probe(controller);
                availability[controller] = known;
            }

            why = known.Why;
            return known.Place;
        }
    }

    /// <summary>
    /// Before the run: one warning per limit that some of <paramref name="services"/> declare and
    /// this machine cannot apply, naming them, why, and how to get it.
    /// </summary>
    public void WarnAboutMissing(IEnumerable<ServiceSpec> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var all = services.ToList();
        WarnIfMissing(CgroupHierarchy.Memory, all.Where(s => ProcessLimits.Of(s).HasMemory).Select(s => s.Id).ToList());
        WarnIfMissing(CgroupHierarchy.Cpu, all.Where(s => ProcessLimits.Of(s).HasCpu).Select(s => s.Id).ToList());
    }

    /// <summary>What goes on the child's command environment: its GC heap limit.</summary>
    public static void PrepareStart(ProcessStartInfo info, ProcessLimits limits)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.HasMemory)
        {
            info.Environment[GcHeapHardLimitVariable] = limits.GcHeapHardLimitBytes.ToString("x", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// Applies <paramref name="limits"/> to the started process <paramref name="pid"/> of
    /// <paramref name="serviceId"/>: its open-file limit, then its cgroup with the memory and CPU
    /// limits, then moves it in. Throws, having undone what it did, when a limit this machine
    /// supports cannot be set.
    /// </summary>
    public AppliedLimits Apply(int pid, string serviceId, int incarnation, ProcessLimits limits) =>
        Apply(pid, Prepare(serviceId, incarnation, limits));

    /// <summary>
    /// Before the spawn: makes the cgroup of incarnation <paramref name="incarnation"/> of
    /// <paramref name="serviceId"/> and writes its limits, so that the thread that spawns the
    /// child can join it (<see cref="PreparedLimits.JoinThisThread"/>) and the child be born in it.
    /// Throws, having removed what it made, when the group cannot be set up.
    /// </summary>
    public PreparedLimits Prepare(string serviceId, int incarnation, ProcessLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var memory = limits.HasMemory ? PlaceOrWarn(CgroupHierarchy.Memory, serviceId) : null;
        var cpu = limits.HasCpu ? PlaceOrWarn(CgroupHierarchy.Cpu, serviceId) : null;
        if (memory is null && cpu is null)
        {
            return new PreparedLimits(serviceId, limits, null);
        }

        var name = $"{prefix}{serviceId}-{incarnation.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            return new PreparedLimits(serviceId, limits, ServiceCgroup.Create(files, name, limits, memory, cpu));
        }
        catch (IOException exception)
        {
            throw new InvalidOperationException($"service '{serviceId}': its cgroup could not be set up ({limits}): {exception.Message}; the kernel's cgroup must accept new groups (run as root, or delegate it)", exception);
        }
    }

    /// <summary>
    /// After the spawn: the open-file limit of <paramref name="pid"/>, and the process moved into
    /// each directory of its group that it was not born in. Throws, having removed the group, when
    /// a limit cannot be set; the limits are then no longer <paramref name="prepared"/>'s to remove.
    /// </summary>
    public AppliedLimits Apply(int pid, PreparedLimits prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        try
        {
            if (prepared.Limits.HasOpenFiles)
            {
                OpenFilesLimit.Apply(pid, prepared.Limits.OpenFilesMax);
            }

            prepared.Group?.AddWhereNotBorn(pid);
        }
        catch (IOException exception)
        {
            prepared.Dispose();
            throw new InvalidOperationException($"service '{prepared.ServiceId}': its process {pid} could not be moved into its cgroup: {exception.Message}", exception);
        }
        catch
        {
            prepared.Dispose();
            throw;
        }

        return new AppliedLimits(prepared.Limits, prepared.TakeGroup(), this);
    }

    internal void Warn(string text)
    {
        lock (gate)
        {
            warnings.WriteLine("neokernel: warning: " + text);
        }
    }

    private CgroupPlace? PlaceOrWarn(string controller, string serviceId)
    {
        var place = Place(controller, out _);
        if (place is null)
        {
            WarnIfMissing(controller, [serviceId]);
        }

        return place;
    }

    private void WarnIfMissing(string controller, List<string> serviceIds)
    {
        if (serviceIds.Count == 0 || Place(controller, out var why) is not null)
        {
            return;
        }

        lock (gate)
        {
            if (!warned.Add(controller))
            {
                return;
            }
        }

        var who = string.Join(", ", serviceIds);
        var text = controller == CgroupHierarchy.Memory
            ? $"memory.limitBytes of {who} is not enforced by the OS: {why}; only the GC heap limit (3/4 of it) holds, native memory is unbounded. "
            : $"cpu.quotaUs of {who} is not applied: {why}. ";
        Warn(text + $"To get it: run neokernel as root with the {controller} cgroup controller available (cgroup v2: enabled in the parent group's cgroup.subtree_control; v1: mounted read-write), or in a systemd unit with Delegate=yes");
    }

    /// <summary>
    /// Removes the groups a kernel that is gone left behind (killed before it could remove them):
    /// empty, they still hold their share of real-time runtime, which a new group may need.
    /// A group that still holds a process refuses removal and stays.
    /// </summary>
    private void RemoveStaleGroups(string directory)
    {
        foreach (var group in files.Subdirectories(directory))
        {
            var name = Path.GetFileName(group);
            var parts = name.Split('-', 3);
            if (parts.Length == 3 && parts[0] == "neokernel" && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && !Directory.Exists($"/proc/{parts[1]}"))
            {
                try
                {
                    files.RemoveDirectory(group);
                }
                catch (IOException exception)
                {
                    Warn($"the cgroup {group} of a neokernel that is gone could not be removed ({exception.Message}); remove it with rmdir once its processes are gone");
                }
            }
        }
    }

    /// <summary>Finds the controller's place and proves a group can be made there (and, in v2, that the controller reaches it).</summary>
    private (CgroupPlace? Place, string Why) Probe(string controller)
    {
        var place = hierarchy.Find(controller);
        if (place is null)
        {
            return (null, hierarchy.WhyMissing(controller));
        }

        var probe = Path.Combine(place.OwnDirectory, prefix + "probe");
        try
        {
            RemoveStaleGroups(place.OwnDirectory);
            if (place.Version == CgroupVersion.V2)
            {
                UnifiedDelegation.Enable(files, place, prefix + "kernel");
            }

            files.CreateDirectory(probe);
            files.RemoveDirectory(probe);
            return (place, "");
        }
        catch (IOException exception)
        {
            return (null, $"a group cannot be made in {place.OwnDirectory} (cgroup {(place.Version == CgroupVersion.V2 ? "v2" : "v1")}): {exception.Message}");
        }
        catch (UnauthorizedAccessException exception)
        {
            return (null, $"a group cannot be made in {place.OwnDirectory}: {exception.Message}");
        }
    }
}

/// <summary>
/// A child's cgroup made before its spawn, with its limits written: the spawning thread joins
/// it, so the child is born in it. Disposing it removes the group, unless
/// <see cref="ProcessLimiter.Apply(int, PreparedLimits)"/> took it over.
/// </summary>
public sealed class PreparedLimits : IDisposable
{
    private ServiceCgroup? group;

    internal PreparedLimits(string serviceId, ProcessLimits limits, ServiceCgroup? group)
    {
        ServiceId = serviceId;
        Limits = limits;
        this.group = group;
    }

    public string ServiceId { get; }

    public ProcessLimits Limits { get; }

    /// <summary>The group, while nobody took it over.</summary>
    public ServiceCgroup? Group => group;

    /// <summary>On the thread that spawns the child, right before the spawn: see <see cref="ServiceCgroup.JoinThisThread"/>.</summary>
    public void JoinThisThread() => group?.JoinThisThread();

    public void Dispose()
    {
        group?.Dispose();
        group = null;
    }

    internal ServiceCgroup? TakeGroup()
    {
        var taken = group;
        group = null;
        return taken;
    }
}

/// <summary>
/// The limits in force on one child, held until it has exited: explains a kill by the OOM
/// killer, and removes the child's cgroup.
/// </summary>
public sealed class AppliedLimits : IDisposable
{
    private const int SignalExitBase = 128;
    private const int SigKill = 9;
    private readonly ProcessLimiter limiter;
    private bool disposed;

    internal AppliedLimits(ProcessLimits limits, ServiceCgroup? group, ProcessLimiter limiter)
    {
        Limits = limits;
        Group = group;
        this.limiter = limiter;
    }

    public ProcessLimits Limits { get; }

    /// <summary>The child's cgroup, when one holds its limits.</summary>
    public ServiceCgroup? Group { get; }

    /// <summary>
    /// Why the child ended, when its limits explain it: killed (SIGKILL, exit code 137) while its
    /// group counts an OOM kill. Null otherwise. Call before <see cref="Dispose"/>.
    /// </summary>
    public string? ExplainExit(int exitCode)
    {
        if (exitCode != SignalExitBase + SigKill || Group is null || !Limits.HasMemory)
        {
            return null;
        }

        var kills = Group.OomKills();
        return kills > 0
            ? $"exceeded its memory limit of {ProcessLimits.Invariant(Limits.MemoryBytes)} bytes (memory.limitBytes; the OOM killer ended it)"
            : null;
    }

    public void Dispose()
    {
        if (Group is null || disposed)
        {
            return;
        }

        disposed = true;
        Group.Dispose();
        foreach (var left in Group.LeftBehind)
        {
            limiter.Warn($"the cgroup {left} could not be removed; remove it with rmdir once its process is gone");
        }
    }
}
