using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;

namespace Neokernel.Rt.Linux;

/// <summary>
/// Puts the calling thread where a cyclic task's timing capability says: its scheduling class
/// and priority, its CPU, locked memory, a 1 ns timer slack and a pre-faulted stack. Every call
/// acts on the calling thread (pid 0 means "this thread" to the Linux scheduler calls), so the
/// task's own thread configures itself before its loop. Every refusal becomes a
/// <see cref="SchedulingDeniedException"/> that names the service, what was asked, the errno and
/// how to fix it. Nothing beyond the spec is granted: best-effort gets no real-time class and no
/// locked memory.
/// </summary>
public static partial class LinuxScheduling
{
    /// <summary>Stack touched before the loop, so its first deep call does not page-fault.</summary>
    public const int StackPrefaultBytes = 256 * 1024;

    private const int SchedOther = 0;
    private const int SchedFifo = 1;
    private const int SchedDeadline = 6;
    private const int MclCurrent = 1;
    private const int MclFuture = 2;
    private const int MclOnFault = 4;
    private const int PrSetTimerSlack = 29;
    private const int PrioProcess = 0;
    private const int PageBytes = 4096;
    private const int CpuSetBytes = 128;
    private const long SysSchedSetAttrX64 = 314;
    private const long SysSchedSetAttrArm64 = 274;
    private const long DeadlineRuntimeNsMin = 1024;

    /// <summary>
    /// Applies the class, priority and CPU of <paramref name="spec"/> to the calling thread, in an
    /// order that reports the most specific problem first: the CPU (needs no privilege), then the
    /// class (needs privilege), then the memory lock (needs a large enough RLIMIT_MEMLOCK).
    /// </summary>
    public static void ApplyToCurrentThread(CyclicTaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.SchedulingClass)
        {
            case TimingClass.RtFifo:
                RequireRange(spec, "SCHED_FIFO priority", spec.Priority, 1, 99);

                // The class first, then the CPU: pinned while still SCHED_OTHER, the thread would
                // wait its fair share on a busy CPU before it could raise itself (measured 20 ms
                // on a loaded machine, all of it in a restart); as SCHED_FIFO it runs there at once.
                SetFifo(spec.ServiceId, spec.Priority);
                PinIfAsked(spec);
                LockMemory(spec.ServiceId);
                SetTimerSlackMinimal(spec.ServiceId);
                break;
            case TimingClass.RtDeadline:
                RequireUnpinnedDeadline(spec);
                SetDeadline(spec.ServiceId, spec.BudgetNs, spec.DeadlineNs, spec.PeriodNs);
                LockMemory(spec.ServiceId);
                SetTimerSlackMinimal(spec.ServiceId);
                break;
            case TimingClass.BestEffort:
                RequireRange(spec, "nice value", spec.Priority, -20, 19);
                PinIfAsked(spec);
                SetTimerSlackMinimal(spec.ServiceId);
                SetBestEffort(spec.ServiceId, spec.Priority);
                break;
            default:
                throw new SchedulingDeniedException(
                    spec.ServiceId,
                    $"scheduling class {spec.SchedulingClass}",
                    0,
                    $"unknown class; use {string.Join(", ", ManifestWords.TimingClasses.Words)}");
        }

        PrefaultStack();
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>.</summary>
    public static unsafe void SetAffinity(string serviceId, int cpu)
    {
        var request = Inv($"sched_setaffinity(cpu {cpu})");
        if (cpu is < 0 or >= CpuSetBytes * 8)
        {
            throw new SchedulingDeniedException(serviceId, request, 0, Inv($"cpu {cpu} is outside 0..{(CpuSetBytes * 8) - 1}"));
        }

        var mask = stackalloc byte[CpuSetBytes];
        new Span<byte>(mask, CpuSetBytes).Clear();
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        if (sched_setaffinity(0, CpuSetBytes, mask) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SchedulingDeniedException(serviceId, request, errno, AffinityFix(cpu, errno));
        }
    }

    /// <summary>
    /// Whether <see cref="LockMemory"/> also locks mappings made later (MCL_FUTURE). False in a
    /// sandboxed service process, where only the real-time thread keeps CAP_IPC_LOCK: a mapping
    /// another thread makes later (the runtime's code or heap) would be charged to RLIMIT_MEMLOCK,
    /// which the locked mappings already exceed, and fail with EAGAIN. What the loop has touched by
    /// then stays locked; the loop allocates nothing after start. Process-wide, set before the lock.
    /// </summary>
    public static bool LockFutureMappings { get; set; } = true;

    /// <summary>
    /// Locks every page of the process once it is touched, now and later (MCL_ONFAULT): a page the
    /// loop has used never pages out, so after its first cycles the loop takes no page fault.
    /// Locking on fault rather than populating every mapping keeps what the process never touches
    /// (each thread's 8 MB stack, the runtime's reservations) out of RAM and out of the memory
    /// limit of a service's process; the task's own stack is pre-faulted. Kernels before 4.4 know
    /// no MCL_ONFAULT (EINVAL): there every mapping is populated. Process-wide.
    /// </summary>
    public static void LockMemory(string serviceId)
    {
        var future = LockFutureMappings ? MclFuture : 0;
        if (mlockall(MclCurrent | future | MclOnFault) == 0)
        {
            return;
        }

        if (Marshal.GetLastPInvokeError() == 22 && mlockall(MclCurrent | future) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        throw new SchedulingDeniedException(
            serviceId,
            "mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT)",
            errno,
            errno == 12
                ? "the process's memory exceeds RLIMIT_MEMLOCK; run as root or grant CAP_IPC_LOCK, or raise it ('<user> - memlock unlimited' in /etc/security/limits.conf, LimitMEMLOCK=infinity in a systemd unit)"
                : "run as root or grant CAP_IPC_LOCK, or raise RLIMIT_MEMLOCK ('<user> - memlock unlimited' in /etc/security/limits.conf, LimitMEMLOCK=infinity in a systemd unit)");
    }

    /// <summary>
    /// Timer slack 1 ns: a SCHED_OTHER thread's sleeps otherwise end up to 50 µs late by design
    /// (real-time threads get no slack from the kernel anyway).
    /// </summary>
    public static void SetTimerSlackMinimal(string serviceId)
    {
        if (prctl(PrSetTimerSlack, 1, 0, 0, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SchedulingDeniedException(serviceId, "prctl(PR_SET_TIMERSLACK, 1)", errno, "the kernel refused the timer slack; it has supported it since Linux 2.6.28");
        }
    }

    public static void SetFifo(string serviceId, int priority)
    {
        var parameters = new SchedParam { Priority = priority };
        if (sched_setscheduler(0, SchedFifo, in parameters) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SchedulingDeniedException(serviceId, Inv($"SCHED_FIFO priority {priority}"), errno, FifoFix(errno));
        }
    }

    /// <summary>SCHED_OTHER with <paramref name="nice"/>: explicit, so a thread started from a real-time thread does not inherit its class.</summary>
    public static void SetBestEffort(string serviceId, int nice)
    {
        var parameters = new SchedParam { Priority = 0 };
        if (sched_setscheduler(0, SchedOther, in parameters) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SchedulingDeniedException(serviceId, "SCHED_OTHER", errno, "the kernel refused SCHED_OTHER for this thread");
        }

        // Linux keeps the nice value per thread: PRIO_PROCESS with this thread's id sets only this thread.
        if (setpriority(PrioProcess, (uint)gettid(), nice) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SchedulingDeniedException(serviceId, Inv($"nice {nice}"), errno, NiceFix(errno));
        }
    }

    /// <summary>SCHED_DEADLINE through the raw sched_setattr system call (glibc has no wrapper).</summary>
    public static unsafe void SetDeadline(string serviceId, long runtimeNs, long deadlineNs, long periodNs)
    {
        var request = Inv($"SCHED_DEADLINE runtime {runtimeNs} ns, deadline {deadlineNs} ns, period {periodNs} ns");
        if (runtimeNs < DeadlineRuntimeNsMin || runtimeNs > deadlineNs || deadlineNs > periodNs)
        {
            throw new SchedulingDeniedException(serviceId, request, 0, Inv($"the kernel needs {DeadlineRuntimeNsMin} ns <= runtime (budget) <= deadline <= period"));
        }

        var attributes = new SchedAttr
        {
            Size = (uint)sizeof(SchedAttr),
            Policy = SchedDeadline,
            RuntimeNs = (ulong)runtimeNs,
            DeadlineNs = (ulong)deadlineNs,
            PeriodNs = (ulong)periodNs,
        };
        if (syscall(SchedSetAttrNumber(), 0, &attributes, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SchedulingDeniedException(serviceId, request, errno, DeadlineFix(errno));
        }
    }

    /// <summary>Touches <see cref="StackPrefaultBytes"/> of stack page by page, so those pages are present (and locked, after mlockall).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PrefaultStack()
    {
        Span<byte> stack = stackalloc byte[StackPrefaultBytes];
        for (var i = 0; i < stack.Length; i += PageBytes)
        {
            Volatile.Write(ref stack[i], 1);
        }
    }

    /// <summary>
    /// Calls every import the executor's loop uses once, with harmless arguments: the first call of
    /// a lazily bound import allocates, and that must happen before the loop, not in it.
    /// </summary>
    public static void WarmUpImports()
    {
        var now = LinuxTime.MonotonicNs();
        LinuxTime.SleepUntil(now - 1);
        _ = Marshal.GetLastPInvokeError();
    }

    /// <summary>The name of an errno value, for messages (the values shared by x86_64 and arm64).</summary>
    public static string ErrnoName(int errno) => errno switch
    {
        0 => "checked before any system call",
        1 => "EPERM",
        3 => "ESRCH",
        4 => "EINTR",
        7 => "E2BIG",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        22 => "EINVAL",
        38 => "ENOSYS",
        _ => Inv($"errno {errno}"),
    };

    /// <summary>The calling thread's policy (0 SCHED_OTHER, 1 SCHED_FIFO, 6 SCHED_DEADLINE), for tests and diagnostics.</summary>
    internal static int CurrentThreadPolicy() => sched_getscheduler(0);

    /// <summary>The calling thread's real-time priority (0 for SCHED_OTHER).</summary>
    internal static int CurrentThreadRealtimePriority() => sched_getparam(0, out var parameters) == 0 ? parameters.Priority : -1;

    /// <summary>The calling thread's nice value.</summary>
    internal static int CurrentThreadNice() => getpriority(PrioProcess, (uint)gettid());

    /// <summary>The CPU the calling thread runs on right now.</summary>
    internal static int CurrentCpu() => sched_getcpu();

    private static void PinIfAsked(CyclicTaskSpec spec)
    {
        if (spec.Cpu is { } cpu)
        {
            SetAffinity(spec.ServiceId, cpu);
        }
    }

    private static void RequireRange(CyclicTaskSpec spec, string what, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new SchedulingDeniedException(spec.ServiceId, Inv($"{ManifestWords.TimingClasses.Word(spec.SchedulingClass)} {what} {value}"), 0, Inv($"use a {what} in {min}..{max}"));
        }
    }

    /// <summary>The kernel refuses SCHED_DEADLINE for a thread pinned to fewer CPUs than its root domain.</summary>
    private static void RequireUnpinnedDeadline(CyclicTaskSpec spec)
    {
        if (spec.Cpu is { } cpu)
        {
            throw new SchedulingDeniedException(
                spec.ServiceId,
                Inv($"rt-deadline on cpu {cpu}"),
                0,
                "SCHED_DEADLINE threads may not be pinned to one CPU (the kernel answers EPERM/EBUSY) unless the CPU is an exclusive cpuset partition; drop timing.cpu or use rt-fifo");
        }
    }

    private static long SchedSetAttrNumber() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => SysSchedSetAttrX64,
        Architecture.Arm64 => SysSchedSetAttrArm64,
        var other => throw new PlatformNotSupportedException(Inv($"sched_setattr: no system call number known for {other}; Neokernel supports x64 and arm64")),
    };

    private static string FifoFix(int errno) => errno switch
    {
        1 => "run as root or grant CAP_SYS_NICE (setcap cap_sys_nice+ep <binary>), or raise RLIMIT_RTPRIO ('<user> - rtprio 99' in /etc/security/limits.conf). " +
             "If already root: the process's cgroup may have no real-time runtime (CONFIG_RT_GROUP_SCHED with cpu.rt_runtime_us = 0); give it some, or run it in the root cgroup",
        22 => "the kernel rejected the priority; SCHED_FIFO takes 1..99",
        _ => "the kernel refused SCHED_FIFO",
    } + ". Note: kernel.sched_rt_runtime_us (default 950000 of every 1000000) throttles all real-time threads to 95% of a CPU";

    private static string DeadlineFix(int errno) => errno switch
    {
        1 => "run as root or grant CAP_SYS_NICE; SCHED_DEADLINE also needs the thread's affinity to span its whole root domain",
        16 => "admission control refused the bandwidth: the sum of runtime/period of all deadline threads would exceed kernel.sched_rt_runtime_us/kernel.sched_rt_period_us per CPU; lower the budget, lengthen the period, or raise kernel.sched_rt_runtime_us",
        22 => "the kernel rejected the parameters: it needs 1024 ns <= runtime <= deadline <= period, and a kernel built with SCHED_DEADLINE; if admission control is disabled (kernel.sched_rt_runtime_us = -1) the kernel also refuses deadline tasks",
        38 => "this kernel has no sched_setattr system call (before Linux 3.14); use rt-fifo",
        _ => "the kernel refused SCHED_DEADLINE",
    };

    private static string NiceFix(int errno) => errno is 1 or 13
        ? "a negative nice needs root or CAP_SYS_NICE, or RLIMIT_NICE ('<user> - nice -20' in /etc/security/limits.conf)"
        : "the kernel refused the nice value";

    private static string AffinityFix(int cpu, int errno) => errno == 22
        ? Inv($"cpu {cpu} does not exist or is outside this process's cpuset (online cpus: {OnlineCpus()}); pick an online cpu in timing.cpu")
        : Inv($"the kernel refused to pin the thread to cpu {cpu}");

    private static string OnlineCpus()
    {
        try
        {
            return File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        }
        catch (IOException)
        {
            return Inv($"unknown, {Environment.ProcessorCount} usable");
        }
        catch (UnauthorizedAccessException)
        {
            return Inv($"unknown, {Environment.ProcessorCount} usable");
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    /// <summary>struct sched_attr, first version (48 bytes): the kernel accepts any size it knows.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong RuntimeNs;
        public ulong DeadlineNs;
        public ulong PeriodNs;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, in SchedParam parameters);

    [LibraryImport("libc")]
    private static partial int sched_getscheduler(int pid);

    [LibraryImport("libc")]
    private static partial int sched_getparam(int pid, out SchedParam parameters);

    [LibraryImport("libc")]
    private static partial int getpriority(int which, uint who);

    [LibraryImport("libc")]
    private static partial int sched_getcpu();

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_setaffinity(int pid, nuint cpuSetBytes, byte* mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mlockall(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, uint who, int priority);

    [LibraryImport("libc")]
    private static partial int gettid();

    /// <summary>The variadic syscall(2) with integer arguments: on x86_64 and arm64 Linux those travel in the same registers as fixed ones.</summary>
    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial long syscall(long number, int pid, SchedAttr* attributes, uint flags);
}

/// <summary>The kernel (or a check before it) refused part of a task's timing capability.</summary>
public sealed class SchedulingDeniedException : Exception
{
    public SchedulingDeniedException(string serviceId, string request, int errno, string fix)
        : base(string.Create(CultureInfo.InvariantCulture, $"service '{serviceId}': {request} denied ({LinuxScheduling.ErrnoName(errno)}): {fix}"))
    {
        ServiceId = serviceId;
        Request = request;
        Errno = errno;
    }

    public SchedulingDeniedException()
        : this("?", "?", 0, "?")
    {
    }

    public SchedulingDeniedException(string message)
        : base(message)
    {
        ServiceId = "?";
        Request = "?";
    }

    public SchedulingDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
        ServiceId = "?";
        Request = "?";
    }

    public string ServiceId { get; }

    /// <summary>What was asked, e.g. <c>SCHED_FIFO priority 80</c>.</summary>
    public string Request { get; }

    /// <summary>The errno the kernel answered, 0 when a check refused before any call.</summary>
    public int Errno { get; }
}
