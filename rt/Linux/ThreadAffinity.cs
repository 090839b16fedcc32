using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux;

/// <summary>
/// sched_setaffinity for the calling thread only (tid 0). .NET's Process.ProcessorAffinity sets
/// the mask of the process's main thread, which is not necessarily the thread that runs the
/// loop being placed.
/// </summary>
public static partial class ThreadAffinity
{
    /// <summary>Restricts the calling thread to <paramref name="cpu"/> (0..63).</summary>
    public static void PinCurrentThread(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpu, 63);
        var mask = 1UL << cpu;
        if (sched_setaffinity(0, sizeof(ulong), in mask) != 0)
        {
            throw new LinuxErrnoException($"sched_setaffinity(this thread, CPU {cpu})", Marshal.GetLastPInvokeError(), "EINVAL: the CPU is offline or outside this process's cpuset (see /sys/fs/cgroup/cpuset.cpus.effective)");
        }
    }

    /// <summary>The calling thread's CPU mask (CPUs 0..63), to restore after pinning.</summary>
    public static ulong CurrentMask()
    {
        if (sched_getaffinity(0, sizeof(ulong), out var mask) < 0)
        {
            throw new LinuxErrnoException("sched_getaffinity(this thread)", Marshal.GetLastPInvokeError(), "EINVAL: this machine has more than 64 CPUs; the mask needs a wider buffer");
        }

        return mask;
    }

    /// <summary>Sets the calling thread's CPU mask, e.g. back to what <see cref="CurrentMask"/> returned.</summary>
    public static void SetCurrentMask(ulong mask)
    {
        if (sched_setaffinity(0, sizeof(ulong), in mask) != 0)
        {
            throw new LinuxErrnoException($"sched_setaffinity(this thread, mask 0x{mask:x})", Marshal.GetLastPInvokeError(), "EINVAL: none of the CPUs in the mask is online and in this process's cpuset");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int tid, nuint maskBytes, in ulong mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getaffinity(int tid, nuint maskBytes, out ulong mask);
}
