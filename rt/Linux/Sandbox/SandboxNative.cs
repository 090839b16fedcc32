using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>
/// The libc calls and constants the sandbox needs. <c>setresuid</c>, <c>setresgid</c> and
/// <c>setgroups</c> go through glibc on purpose: glibc applies them to every thread of the process
/// (the raw system calls change only the calling thread). prctl, capset, unshare, Landlock and
/// seccomp act on the calling thread, which is why <see cref="SandboxedSpawn"/> and
/// <see cref="ServiceSandbox"/> decide carefully which thread makes them.
/// </summary>
internal static unsafe partial class SandboxNative
{
    public const int PR_SET_DUMPABLE = 4;
    public const int PR_SET_KEEPCAPS = 8;
    public const int PR_GET_SECCOMP = 21;
    public const int PR_CAPBSET_DROP = 24;
    public const int PR_SET_NO_NEW_PRIVS = 38;
    public const int PR_GET_NO_NEW_PRIVS = 39;
    public const int PR_CAP_AMBIENT = 47;
    public const int PR_CAP_AMBIENT_CLEAR_ALL = 4;

    public const int CLONE_NEWNET = 0x40000000;

    public const int CAP_IPC_LOCK = 14;
    public const int CAP_SYS_NICE = 23;

    /// <summary>_LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.</summary>
    public const uint CapabilityVersion3 = 0x20080522;

    /// <summary>struct __user_cap_data_struct.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CapabilityData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint a2, nuint a3, nuint a4, nuint a5);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setresuid(uint real, uint effective, uint saved);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setresgid(uint real, uint effective, uint saved);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setgroups(nuint count, uint* groups);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int namespaceType);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>The calling thread's permitted capabilities below 32 (capget(2)); 0 when it cannot tell.</summary>
    public static uint PermittedCapabilities()
    {
        var header = stackalloc uint[2] { CapabilityVersion3, 0 };
        var data = stackalloc CapabilityData[2];
        return LinuxNative.syscall(SystemCalls.Capget.Number, (nint)header, (nint)data, 0, 0, 0, 0) == 0 ? data[0].Permitted : 0;
    }

    /// <summary>capset(2) for the calling thread: permitted and effective to <paramref name="mask"/> (capabilities below 32), inheritable to none.</summary>
    public static int SetCapabilities(uint mask)
    {
        var header = stackalloc uint[2] { CapabilityVersion3, 0 };
        var data = stackalloc CapabilityData[2];
        data[0] = new CapabilityData { Effective = mask, Permitted = mask, Inheritable = 0 };
        data[1] = default;
        return (int)LinuxNative.syscall(SystemCalls.Capset.Number, (nint)header, (nint)data, 0, 0, 0, 0);
    }

    public static LinuxErrnoException Error(string call, string hint) => new(call, Marshal.GetLastPInvokeError(), hint);
}
