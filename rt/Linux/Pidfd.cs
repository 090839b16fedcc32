using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Neokernel.Rt.Linux;

/// <summary>
/// pidfd_open(2): a descriptor for a process that becomes readable the moment the process exits,
/// so an exit is an event in an epoll set instead of something a timer polls for. No glibc wrapper
/// before 2.36, so this is syscall(2) by number: 434 on x86_64 and arm64 alike (the syscall came
/// after the tables were unified). Linux 5.3 or later.
/// </summary>
public static unsafe partial class Pidfd
{
    private const nint PidfdOpenNumber = 434;
    private const nint PidfdSendSignalNumber = 424;

    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;
    private const int ESRCH = 3;
    private const int ECHILD = 10;
    private const int PPidfd = 3;
    private const int WExited = 4;
    private const int WNoHang = 1;
    private const int WNoWait = 0x0100_0000;
    private const int CldExited = 1;

    /// <summary>The shell's convention, which <see cref="System.Diagnostics.Process.ExitCode"/> follows too: 128 plus the signal that killed it.</summary>
    private const int SignalExitBase = 128;

    /// <summary>A pidfd for <paramref name="pid"/>, close-on-exec; null when the process is already gone (ESRCH).</summary>
    public static SafeFileHandle? Open(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            throw new PlatformNotSupportedException($"pidfd_open is wired for x64 and arm64 (434), not {RuntimeInformation.ProcessArchitecture}");
        }

        var fd = LinuxNative.syscall(PidfdOpenNumber, pid, 0, 0, 0, 0, 0);
        if (fd >= 0)
        {
            // pidfds are always close-on-exec.
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ESRCH
            ? null
            : throw new LinuxErrnoException("pidfd_open", errno, "ENOSYS: the kernel is older than 5.3; EMFILE: raise the open-file limit");
    }

    /// <summary>
    /// pidfd_send_signal(2), 424 on x86_64 and arm64 alike (Linux 5.1): signals the very process the
    /// pidfd was opened for, never one that reused its pid. False when it has exited already (ESRCH).
    /// </summary>
    public static bool SendSignal(SafeFileHandle pidfd, int signal)
    {
        ArgumentNullException.ThrowIfNull(pidfd);
        if (LinuxNative.syscall(PidfdSendSignalNumber, (int)pidfd.DangerousGetHandle(), signal, 0, 0, 0, 0) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ESRCH
            ? false
            : throw new LinuxErrnoException("pidfd_send_signal", errno, "EPERM: the kernel may not signal this process (another user, no CAP_KILL)");
    }

    /// <summary>
    /// How the process behind <paramref name="pidfd"/> ended (its exit code, or 128 plus the signal
    /// that killed it), without reaping it: waitid(P_PIDFD, WNOWAIT), so whoever owns the child
    /// (the .NET runtime, for a <see cref="System.Diagnostics.Process"/>) still reaps it. Null
    /// while it runs, or when it was reaped already (ECHILD): then ask its owner.
    /// Linux 5.4 or later.
    /// </summary>
    public static int? ExitCodeOf(SafeFileHandle pidfd)
    {
        ArgumentNullException.ThrowIfNull(pidfd);

        // siginfo_t is 128 bytes on both targets; for SIGCHLD si_code is at 8, si_pid at 16, si_status at 24.
        var info = stackalloc byte[128];
        new Span<byte>(info, 128).Clear();
        if (waitid(PPidfd, (uint)pidfd.DangerousGetHandle(), info, WExited | WNoWait | WNoHang) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ECHILD)
            {
                return null;
            }

            throw new LinuxErrnoException("waitid(P_PIDFD)", errno, "EINVAL: the kernel is older than 5.4");
        }

        if (*(int*)(info + 16) == 0)
        {
            return null;
        }

        var status = *(int*)(info + 24);
        return *(int*)(info + 8) == CldExited ? status : SignalExitBase + status;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitid(int idType, uint id, byte* info, int options);
}
