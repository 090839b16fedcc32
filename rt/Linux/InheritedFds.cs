using System.Globalization;
using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux;

/// <summary>
/// Keeps a spawned service process from inheriting fds it was not granted. .NET opens its own
/// fds close-on-exec, but a process can start with fds from its parent (a shell, a CI runner,
/// a test host) that are not, and every child it spawns would inherit those. The kernel process
/// calls <see cref="MarkCloseOnExec"/> before each spawn of a service process, so a child holds
/// stdio, its socket and exactly the fds passed to it over SCM_RIGHTS.
/// </summary>
public static class InheritedFds
{
    private const nint CloseRangeSyscall = 436;
    private const int CloseRangeCloseOnExec = 1 << 2;

    /// <summary>Sets FD_CLOEXEC on every fd from <paramref name="firstFd"/> up; stdio (0..2) stays inheritable by default.</summary>
    public static void MarkCloseOnExec(int firstFd = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstFd);
        if (LinuxNative.syscall(CloseRangeSyscall, firstFd, unchecked((nint)uint.MaxValue), CloseRangeCloseOnExec, 0, 0, 0) == 0)
        {
            return;
        }

        // close_range(CLOSE_RANGE_CLOEXEC) needs Linux 5.11: walk /proc/self/fd instead.
        foreach (var entry in Directory.GetFiles("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd >= firstFd)
            {
                var flags = LinuxNative.fcntl(fd, LinuxNative.F_GETFD, 0);
                if (flags >= 0 && LinuxNative.fcntl(fd, LinuxNative.F_SETFD, flags | LinuxNative.FD_CLOEXEC) != 0 && Marshal.GetLastPInvokeError() != Errnos.EBADF)
                {
                    throw LinuxNative.Error($"fcntl({fd}, F_SETFD, FD_CLOEXEC)", "could not mark an inherited fd close-on-exec");
                }
            }
        }
    }
}
