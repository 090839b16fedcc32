using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Limits;

/// <summary>
/// RLIMIT_NOFILE of another process, set with prlimit(2) from the kernel's side: the child needs
/// no cooperation and cannot skip it. Both the soft and the hard limit are set, so the service
/// cannot raise it again unless it holds CAP_SYS_RESOURCE.
/// </summary>
internal static unsafe partial class OpenFilesLimit
{
    /// <summary>RLIMIT_NOFILE in the generic Linux numbering (x86_64 and arm64 agree).</summary>
    private const int RlimitNofile = 7;

    public static void Apply(int pid, int openMax)
    {
        if (pid <= 0 || openMax <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(openMax), $"pid {pid} and openMax {openMax} must be positive");
        }

        var limit = new Rlimit { Current = (ulong)openMax, Maximum = (ulong)openMax };
        if (prlimit(pid, RlimitNofile, &limit, null) != 0)
        {
            throw new LinuxErrnoException(
                $"prlimit(pid {pid}, RLIMIT_NOFILE, {openMax})",
                Marshal.GetLastPInvokeError(),
                "the kernel needs the same user as the service process, or CAP_SYS_RESOURCE to raise a limit above its own hard limit");
        }
    }

    /// <summary>The soft limit of <paramref name="pid"/> (0: this process).</summary>
    public static long Read(int pid)
    {
        Rlimit limit;
        if (prlimit(pid, RlimitNofile, null, &limit) != 0)
        {
            throw new LinuxErrnoException($"prlimit(pid {pid}, RLIMIT_NOFILE)", Marshal.GetLastPInvokeError(), "");
        }

        return (long)Math.Min(limit.Current, long.MaxValue);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prlimit(int pid, int resource, Rlimit* newLimit, Rlimit* oldLimit);
}
