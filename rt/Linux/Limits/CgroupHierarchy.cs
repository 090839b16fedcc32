namespace Neokernel.Rt.Linux.Limits;

public enum CgroupVersion
{
    /// <summary>One hierarchy per controller (or group of controllers), e.g. /sys/fs/cgroup/memory.</summary>
    V1,

    /// <summary>The unified hierarchy: every controller in one tree.</summary>
    V2,
}

/// <summary>Where a controller is for this process: its version and the directory of the group the kernel runs in.</summary>
public sealed record CgroupPlace(string Controller, CgroupVersion Version, string OwnDirectory);

/// <summary>
/// Finds, for the memory and cpu controllers, the cgroup this process runs in, from
/// /proc/self/mountinfo and /proc/self/cgroup: in the unified (v2) hierarchy when the controller
/// is enabled there for our group, else in its v1 hierarchy, else nowhere, with the reason.
/// A hybrid system (v1 controllers, cgroup2 mounted without them) finds v1, as it should.
/// </summary>
public sealed class CgroupHierarchy
{
    public const string Memory = "memory";
    public const string Cpu = "cpu";

    private readonly Dictionary<string, CgroupPlace> places = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> missing = new(StringComparer.Ordinal);

    private CgroupHierarchy()
    {
    }

    /// <summary>The controller's place, or null when it has none (see <see cref="WhyMissing"/>).</summary>
    public CgroupPlace? Find(string controller) => places.GetValueOrDefault(controller);

    /// <summary>Why a controller has no place: what was looked at and found.</summary>
    public string WhyMissing(string controller) => missing.GetValueOrDefault(controller, "");

    /// <summary>This process's hierarchy, as Linux shows it.</summary>
    public static CgroupHierarchy OfThisProcess() =>
        Discover(LinuxCgroupFiles.Instance, ReadOrEmpty("/proc/self/mountinfo"), ReadOrEmpty("/proc/self/cgroup"));

    /// <summary>Reads the hierarchy from the text of mountinfo and of the process's cgroup file.</summary>
    public static CgroupHierarchy Discover(ICgroupFiles files, string mountInfo, string processCgroups)
    {
        ArgumentNullException.ThrowIfNull(files);
        var mounts = ParseMounts(mountInfo);
        var memberships = ParseMemberships(processCgroups);
        var hierarchy = new CgroupHierarchy();
        foreach (var controller in new[] { Memory, Cpu })
        {
            var unified = UnifiedPlace(files, mounts, memberships, controller, out var unifiedNote);
            var place = unified ?? LegacyPlace(mounts, memberships, controller);
            if (place is not null)
            {
                hierarchy.places[controller] = place;
            }
            else
            {
                hierarchy.missing[controller] = mounts.Any(m => m.FsType is "cgroup" or "cgroup2")
                    ? $"the {controller} controller is neither mounted as cgroup v1 nor enabled for this process's cgroup v2 group ({unifiedNote})"
                    : "no cgroup filesystem is mounted";
            }
        }

        return hierarchy;
    }

    private static CgroupPlace? UnifiedPlace(ICgroupFiles files, List<Mount> mounts, Dictionary<string, string> memberships, string controller, out string note)
    {
        var mount = mounts.FirstOrDefault(m => m.FsType == "cgroup2");
        if (mount is null || !memberships.TryGetValue("", out var path))
        {
            note = "no cgroup2 mount";
            return null;
        }

        var own = Join(mount, path);
        var enabled = (files.Read(Path.Combine(own, "cgroup.controllers")) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        note = $"{own}/cgroup.controllers lists {(enabled.Length == 0 ? "none" : string.Join(' ', enabled))}";
        return enabled.Contains(controller, StringComparer.Ordinal) ? new CgroupPlace(controller, CgroupVersion.V2, own) : null;
    }

    private static CgroupPlace? LegacyPlace(List<Mount> mounts, Dictionary<string, string> memberships, string controller)
    {
        var mount = mounts.FirstOrDefault(m => m.FsType == "cgroup" && m.SuperOptions.Contains(controller, StringComparer.Ordinal));
        var membership = memberships.FirstOrDefault(m => m.Key.Split(',').Contains(controller, StringComparer.Ordinal));
        return mount is null || membership.Key is null ? null : new CgroupPlace(controller, CgroupVersion.V1, Join(mount, membership.Value));
    }

    /// <summary>The directory of <paramref name="cgroupPath"/> under a mount whose root may itself be a group (in a container).</summary>
    private static string Join(Mount mount, string cgroupPath)
    {
        var relative = mount.Root != "/" && cgroupPath.StartsWith(mount.Root, StringComparison.Ordinal) ? cgroupPath[mount.Root.Length..] : cgroupPath;
        return relative.Trim('/').Length == 0 ? mount.MountPoint : Path.Combine(mount.MountPoint, relative.Trim('/'));
    }

    /// <summary>mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".</summary>
    private static List<Mount> ParseMounts(string mountInfo)
    {
        var mounts = new List<Mount>();
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 3 >= fields.Length)
            {
                continue;
            }

            mounts.Add(new Mount(Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], fields[separator + 3].Split(',')));
        }

        return mounts;
    }

    /// <summary>/proc/self/cgroup: "ID:CONTROLLERS:PATH"; v2's line has no controllers ("0::/path").</summary>
    private static Dictionary<string, string> ParseMemberships(string processCgroups)
    {
        var memberships = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in processCgroups.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3)
            {
                memberships[parts[1]] = parts[2].Trim();
            }
        }

        return memberships;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    private sealed record Mount(string Root, string MountPoint, string FsType, string[] SuperOptions);
}
