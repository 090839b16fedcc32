using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Sandbox;

/// <summary>What the seccomp filter does with a system call it lists; anything it does not list is refused with EPERM.</summary>
internal enum SystemCallRule
{
    /// <summary>Allowed with any arguments.</summary>
    Allow,

    /// <summary>clone: allowed only with CLONE_THREAD (a thread of this process); a new process (fork) is refused.</summary>
    ThreadOnly,

    /// <summary>clone3: ENOSYS, so glibc falls back to clone, whose flags the filter can read (clone3's are behind a pointer).</summary>
    NotImplemented,

    /// <summary>kill, tgkill: only to this process's own pid (the runtime's thread suspension signals); the kernel and every other process are refused.</summary>
    OwnProcess,

    /// <summary>sched_setscheduler, sched_setparam, sched_setattr: only for the calling thread (pid 0), never another process's scheduling.</summary>
    CallingThread,

    /// <summary>prlimit64: only this process's own limits (pid 0 or its own pid).</summary>
    OwnLimits,

    /// <summary>ioctl: every command but TIOCSTI, which would push keystrokes into a terminal the process inherited.</summary>
    NoTerminalInjection,

    /// <summary>accept, accept4: only when the service holds a listener the kernel bound for it; refused otherwise.</summary>
    GrantedListener,

    /// <summary>rename, renameat, renameat2: only when the service holds a retain store (Landlock confines them to it); refused otherwise.</summary>
    GrantedStore,
}

/// <summary>A system call by name with its number on x86_64 and on arm64 (-1 where that architecture has none).</summary>
internal readonly record struct SystemCall(string Name, int X64, int Arm64, SystemCallRule Rule = SystemCallRule.Allow)
{
    /// <summary>Its number on the architecture this process runs on; -1 when it has none there.</summary>
    public int Number => NumberOn(RuntimeInformation.ProcessArchitecture);

    public int NumberOn(Architecture architecture) => architecture switch
    {
        Architecture.X64 => X64,
        Architecture.Arm64 => Arm64,
        _ => throw new PlatformNotSupportedException($"seccomp: no system call table for {architecture}; Neokernel supports x64 and arm64"),
    };
}

/// <summary>
/// The system calls a service host process may make once its sandbox is on, found by tracing real
/// isolated runs (the tank demo with its rt-fifo controller, TCP and serial services, the JIT
/// test peers) with strace: the loop's calls first, so the filter decides the hot path in a few
/// instructions; then memory, the runtime's threads and signals, files already open and the
/// few opens Landlock still allows, scheduling, and the socket calls on descriptors the kernel
/// handed over. Absent on purpose: socket, socketpair, connect, bind, listen (the kernel opens
/// every device), execve, execveat, fork and vfork, ptrace, process_vm_readv/writev, mount,
/// unshare, setns, bpf, io_uring, keyctl, the set*id calls, and every other call. The runtime's
/// own calls that the filter refuses, seen in the kernel's log of refusals (SECCOMP_FILTER_FLAG_LOG):
/// clone3 (ENOSYS, glibc then uses clone) and sched_setscheduler on a thread id (setting a
/// thread's priority, which it ignores failing).
/// </summary>
internal static class SystemCalls
{
    public static readonly SystemCall Capset = new("capset", 126, 91);
    public static readonly SystemCall Capget = new("capget", 125, 90);
    public static readonly SystemCall Seccomp = new("seccomp", 317, 277);
    public static readonly SystemCall LandlockCreateRuleset = new("landlock_create_ruleset", 444, 444);
    public static readonly SystemCall LandlockAddRule = new("landlock_add_rule", 445, 445);
    public static readonly SystemCall LandlockRestrictSelf = new("landlock_restrict_self", 446, 446);

    public static readonly ImmutableArray<SystemCall> Allowed =
    [
        // The loop and IPC: what every cycle and every delivery makes.
        new("futex", 202, 98),
        new("epoll_pwait", 281, 22),
        new("epoll_wait", 232, -1),
        new("clock_nanosleep", 230, 115),
        new("read", 0, 63),
        new("write", 1, 64),
        new("timerfd_settime", 286, 86),
        new("recvmsg", 47, 212),
        new("sendmsg", 46, 211),
        new("sched_yield", 24, 124),
        new("clock_gettime", 228, 113),
        new("epoll_pwait2", 441, 441),
        new("nanosleep", 35, 101),
        new("ppoll", 271, 73),
        new("poll", 7, -1),
        new("readv", 19, 65),
        new("writev", 20, 66),
        new("recvfrom", 45, 207),
        new("sendto", 44, 206),
        new("gettid", 186, 178),
        new("getpid", 39, 172),

        // Memory: the collector, the JIT's double mapping (memfd), region and ring mappings, mlockall.
        new("mmap", 9, 222),
        new("munmap", 11, 215),
        new("mprotect", 10, 226),
        new("madvise", 28, 233),
        new("mremap", 25, 216),
        new("brk", 12, 214),
        new("mlock", 149, 228),
        new("mlock2", 325, 284),
        new("munlock", 150, 229),
        new("mlockall", 151, 230),
        new("munlockall", 152, 231),
        new("membarrier", 324, 283),
        new("mincore", 27, 232),
        new("memfd_create", 319, 279),
        new("ftruncate", 77, 46),

        // Files: descriptors already open, and the reads Landlock allows (libraries, /proc, cgroup limits).
        new("openat", 257, 56),
        new("open", 2, -1),
        new("close", 3, 57),
        new("close_range", 436, 436),
        new("fstat", 5, 80),
        new("newfstatat", 262, 79),
        new("stat", 4, -1),
        new("lstat", 6, -1),
        new("statx", 332, 291),
        new("lseek", 8, 62),
        new("pread64", 17, 67),
        new("fcntl", 72, 25),
        new("getdents64", 217, 61),
        new("readlink", 89, -1),
        new("readlinkat", 267, 78),
        new("access", 21, -1),
        new("faccessat", 269, 48),
        new("faccessat2", 439, 439),
        new("ioctl", 16, 29, SystemCallRule.NoTerminalInjection),
        new("statfs", 137, 43),
        new("fstatfs", 138, 44),
        new("getcwd", 79, 17),
        new("dup", 32, 23),
        new("dup2", 33, -1),
        new("dup3", 292, 24),
        new("pipe2", 293, 59),
        new("eventfd2", 290, 19),
        new("epoll_create1", 291, 20),
        new("epoll_ctl", 233, 21),
        new("timerfd_create", 283, 85),
        new("timerfd_gettime", 287, 87),
        new("fadvise64", 221, 223),
        new("fsync", 74, 82),
        new("fdatasync", 75, 83),

        // A retain store's slot replaced by rename within its directory (Landlock allows no other tree).
        new("renameat", 264, 38, SystemCallRule.GrantedStore),
        new("renameat2", 316, 276, SystemCallRule.GrantedStore),
        new("rename", 82, -1, SystemCallRule.GrantedStore),

        // Threads and signals: new threads only, signals only to this process.
        new("clone", 56, 220, SystemCallRule.ThreadOnly),
        new("clone3", 435, 435, SystemCallRule.NotImplemented),
        new("set_robust_list", 273, 99),
        new("rseq", 334, 293),
        new("set_tid_address", 218, 96),
        new("exit", 60, 93),
        new("exit_group", 231, 94),
        new("rt_sigprocmask", 14, 135),
        new("rt_sigaction", 13, 134),
        new("rt_sigreturn", 15, 139),
        new("sigaltstack", 131, 132),
        new("rt_sigtimedwait", 128, 137),
        new("restart_syscall", 219, 128),
        new("tgkill", 234, 131, SystemCallRule.OwnProcess),
        new("kill", 62, 129, SystemCallRule.OwnProcess),

        // Scheduling: the real-time task's class, priority, CPU and nice value, for itself.
        new("sched_getaffinity", 204, 123),
        new("sched_setaffinity", 203, 122),
        new("sched_setscheduler", 144, 119, SystemCallRule.CallingThread),
        new("sched_getscheduler", 145, 120),
        new("sched_setattr", 314, 274, SystemCallRule.CallingThread),
        new("sched_getattr", 315, 275),
        new("sched_getparam", 143, 121),
        new("sched_setparam", 142, 118, SystemCallRule.CallingThread),
        new("sched_get_priority_max", 146, 125),
        new("sched_get_priority_min", 147, 126),
        new("getpriority", 140, 141),
        new("setpriority", 141, 140),
        new("getcpu", 309, 168),

        // Asking about itself.
        new("prctl", 157, 167),
        new("prlimit64", 302, 261, SystemCallRule.OwnLimits),
        new("getrlimit", 97, 163),
        new("sysinfo", 99, 179),
        new("uname", 63, 160),
        new("getrandom", 318, 278),
        new("getuid", 102, 174),
        new("geteuid", 107, 175),
        new("getgid", 104, 176),
        new("getegid", 108, 177),
        new("getresuid", 118, 148),
        new("getresgid", 120, 150),
        new("getgroups", 115, 158),
        new("capget", 125, 90),
        new("times", 100, 153),
        new("getrusage", 98, 165),
        new("clock_getres", 229, 114),
        new("get_mempolicy", 239, 236),
        new("getppid", 110, 173),

        // Sockets the kernel handed over (its own channel, accepted and connected TCP, listeners).
        new("getsockopt", 55, 209),
        new("setsockopt", 54, 208),
        new("shutdown", 48, 210),
        new("getsockname", 51, 204),
        new("getpeername", 52, 205),
        new("recvmmsg", 299, 243),
        new("sendmmsg", 307, 269),
        new("accept4", 288, 242, SystemCallRule.GrantedListener),
        new("accept", 43, 202, SystemCallRule.GrantedListener),
    ];
}
