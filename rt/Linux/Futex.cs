using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux;

public enum FutexWaitResult
{
    /// <summary>Woken by FUTEX_WAKE (or spuriously: callers re-check their condition).</summary>
    Woken,

    /// <summary>The word no longer held the expected value when the kernel looked: nothing to wait for.</summary>
    ValueChanged,

    TimedOut,

    /// <summary>A signal arrived; callers re-check and wait again.</summary>
    Interrupted,
}

/// <summary>
/// futex(2) on a 32-bit word in shared memory, across processes: FUTEX_WAIT and FUTEX_WAKE
/// without FUTEX_PRIVATE_FLAG, because the private variant keys the wait queue on the address
/// space and a waiter in another process would never be found. There is no glibc wrapper, so
/// this is syscall(2) by number. Neither call allocates.
/// </summary>
public static unsafe class Futex
{
    private static readonly nint SyscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => -1,
    };

    /// <summary>
    /// Sleeps while <paramref name="word"/> equals <paramref name="expected"/>, at most
    /// <paramref name="timeoutNs"/> (relative; negative waits forever). The compare and the sleep
    /// are atomic in the kernel, which is what makes a lost wake-up impossible.
    /// </summary>
    public static FutexWaitResult Wait(ref int word, int expected, long timeoutNs)
    {
        var timeout = new LinuxNative.TimeSpec { Seconds = timeoutNs / 1_000_000_000L, Nanoseconds = timeoutNs % 1_000_000_000L };
        var address = (nint)Unsafe.AsPointer(ref word);
        var result = LinuxNative.syscall(Number(), address, LinuxNative.FUTEX_WAIT, expected, timeoutNs < 0 ? 0 : (nint)(&timeout), 0, 0);
        if (result == 0)
        {
            return FutexWaitResult.Woken;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            Errnos.EAGAIN => FutexWaitResult.ValueChanged,
            Errnos.ETIMEDOUT => FutexWaitResult.TimedOut,
            Errnos.EINTR => FutexWaitResult.Interrupted,
            _ => throw new LinuxErrnoException("futex(FUTEX_WAIT)", errno, "EFAULT: the word is not in mapped memory; EINVAL: the word is not 4-byte aligned or the timeout is malformed"),
        };
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters on <paramref name="word"/>, in any process; returns how many woke.</summary>
    public static int Wake(ref int word, int count)
    {
        var address = (nint)Unsafe.AsPointer(ref word);
        var result = LinuxNative.syscall(Number(), address, LinuxNative.FUTEX_WAKE, count, 0, 0, 0);
        if (result < 0)
        {
            throw LinuxNative.Error("futex(FUTEX_WAKE)", "EFAULT: the word is not in mapped memory; EINVAL: the word is not 4-byte aligned");
        }

        return (int)result;
    }

    private static nint Number() => SyscallNumber > 0
        ? SyscallNumber
        : throw new PlatformNotSupportedException($"futex syscall number unknown for {RuntimeInformation.ProcessArchitecture}; supported: x64 (202), arm64 (98)");
}
