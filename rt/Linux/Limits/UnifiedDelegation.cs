using System.Globalization;

namespace Neokernel.Rt.Linux.Limits;

/// <summary>
/// cgroup v2 lets a group hand a controller to its children (cgroup.subtree_control) only while
/// it holds no process itself. The kernel's group usually holds the kernel, so the kernel first
/// moves itself into a leaf group of its own, as systemd asks of services with Delegate=yes;
/// the services' groups are then its siblings.
/// </summary>
internal static class UnifiedDelegation
{
    public static void Enable(ICgroupFiles files, CgroupPlace place, string kernelLeaf)
    {
        var subtree = Path.Combine(place.OwnDirectory, "cgroup.subtree_control");
        if (Enabled(files, subtree, place.Controller))
        {
            return;
        }

        try
        {
            files.Write(subtree, "+" + place.Controller);
            return;
        }
        catch (IOException)
        {
            // Busy: the group holds processes. Move the kernel out of the way and try again.
        }

        var leaf = Path.Combine(place.OwnDirectory, kernelLeaf);
        files.CreateDirectory(leaf);
        files.Write(Path.Combine(leaf, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            files.Write(subtree, "+" + place.Controller);
        }
        catch (IOException exception)
        {
            throw new IOException($"{place.OwnDirectory} holds other processes than the kernel, so it cannot hand the {place.Controller} controller to groups of its own ({exception.Message}); start neokernel in a group of its own", exception);
        }
    }

    private static bool Enabled(ICgroupFiles files, string subtree, string controller) =>
        (files.Read(subtree) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(controller, StringComparer.Ordinal);
}
