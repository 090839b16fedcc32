using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux;

/// <summary>Readiness of a file descriptor, as epoll(7) reports it (the EPOLL* bits, identical on x86_64 and arm64).</summary>
[Flags]
public enum FdEvents : uint
{
    None = 0,

    /// <summary>EPOLLIN: data to read, a connection to accept, or the peer closed (a read returns 0).</summary>
    Readable = 0x001,

    /// <summary>EPOLLOUT: a write would not block; a non-blocking connect finished (check SO_ERROR).</summary>
    Writable = 0x004,

    /// <summary>EPOLLERR: an error is pending on the descriptor (always reported, never asked for).</summary>
    Error = 0x008,

    /// <summary>EPOLLHUP: both directions closed (always reported, never asked for).</summary>
    HangUp = 0x010,

    /// <summary>EPOLLRDHUP: the peer shut down its writing half.</summary>
    PeerClosed = 0x2000,
}

/// <summary>Called on the loop's thread when a registered descriptor is ready. Must not block.</summary>
public interface IFdReadyCallback
{
    void OnFdReady(FdEvents events);
}

/// <summary>
/// The waiting half of the real-time event loop: one epoll set holding a timerfd (the next timed
/// event, armed on an absolute CLOCK_MONOTONIC time, so the wake-up is as exact as an absolute
/// clock_nanosleep), an eventfd (work posted from other threads) and the descriptors services wait
/// on (sockets, serial lines, pidfds). The loop sleeps in one place and wakes for whichever comes
/// first. Callbacks run on the loop's thread only, so a service's callbacks stay serial.
/// <para>
/// Waiting, dispatching and (re-)registering allocate nothing: the epoll buffer is native memory
/// allocated once, registrations live in a fixed table. <see cref="Post"/> may allocate: it is for
/// the control plane (a control thread handing a result to the loop), never for a cyclic path.
/// </para>
/// <para>
/// A dispatch runs callbacks for at most <see cref="DispatchSliceNs"/> (at least one callback):
/// the events epoll returned beyond that wait in the buffer and are dispatched first by the next
/// wait or look, which then does not block. So the loop's timers (a service's heartbeat, its
/// request timeouts) run between slices however many descriptors are ready at once and however
/// long their callbacks take (fifty OPC UA sessions each creating a thousand monitored items),
/// and no event is lost: an edge-triggered descriptor's readiness is kept, not asked for again.
/// </para>
/// </summary>
public sealed unsafe partial class LoopReactor : IDisposable
{
    /// <summary>Descriptors registered at once; a registration beyond it is refused with this number in the message.</summary>
    public const int RegistrationsMax = 1_024;

    /// <summary>How long one dispatch runs callbacks before it leaves the rest of its events for the next (timers run between).</summary>
    public const long DispatchSliceNs = 2_000_000;

    /// <summary>Events taken from the kernel in one epoll_wait.</summary>
    private const int EventsPerWaitMax = 64;

    // epoll_event is packed on x86_64 (u32 events, u64 data: 12 bytes) and naturally aligned on
    // arm64 (16 bytes, data at offset 8): the one ABI difference between the two targets here.
    private static readonly int EventStride = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private const ulong TimerToken = ulong.MaxValue;
    private const ulong WakeToken = ulong.MaxValue - 1;

    private readonly int epollFd;
    private readonly int timerFd;
    private readonly int wakeFd;
    private readonly byte* events;
    private readonly Registration?[] registrations = new Registration?[RegistrationsMax];
    private readonly ConcurrentQueue<Action> posted = new();
    private int wakePending;

    /// <summary>Events of the last epoll_wait not dispatched yet (a slice ended first): [pendingNext, pendingEnd).</summary>
    private int pendingNext;
    private int pendingEnd;
    private long timerArmedAtNs = long.MinValue;
    private int registered;
    private bool disposed;

    public LoopReactor()
    {
        epollFd = Check(Native.epoll_create1(Native.EPOLL_CLOEXEC), "epoll_create1");
        timerFd = Check(Native.timerfd_create(LinuxTime.ClockMonotonic, Native.TFD_NONBLOCK | Native.TFD_CLOEXEC), "timerfd_create(CLOCK_MONOTONIC)");
        wakeFd = Check(Native.eventfd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC), "eventfd");
        events = (byte*)NativeMemory.AllocZeroed((nuint)(EventStride * EventsPerWaitMax));
        Add(timerFd, FdEvents.Readable, TimerToken);
        Add(wakeFd, FdEvents.Readable, WakeToken);
    }

    /// <summary>Descriptors registered now (the timer and wake descriptors not counted).</summary>
    public int Registered => registered;

    /// <summary>Whether a zero-timeout look could find anything: descriptors are registered or work was posted.</summary>
    public bool HasSources => registered > 0 || !posted.IsEmpty;

    /// <summary>
    /// Watches <paramref name="fd"/> for <paramref name="interest"/>; <paramref name="callback"/> runs on
    /// the loop's thread when it is ready (level-triggered: again on every wait while it stays ready).
    /// The caller keeps owning the descriptor and must <see cref="FdRegistration.Dispose"/> the
    /// registration before closing it.
    /// </summary>
    public FdRegistration Register(int fd, FdEvents interest, IFdReadyCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        ObjectDisposedException.ThrowIf(disposed, this);
        var slot = Array.IndexOf(registrations, null);
        if (slot < 0)
        {
            throw new InvalidOperationException($"the event loop watches {RegistrationsMax} descriptors already (LoopReactor.RegistrationsMax); close some before opening more");
        }

        var registration = new Registration(this, slot, fd, callback);
        Add(fd, interest, (ulong)slot);
        registrations[slot] = registration;
        registered++;
        return registration;
    }

    /// <summary>Runs <paramref name="action"/> on the loop's thread at its next wake-up, which this call causes. Thread-safe.</summary>
    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        posted.Enqueue(action);
        Wake();
    }

    /// <summary>Interrupts a wait in progress (or the next one) from any thread. Allocation-free.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref wakePending, 1) == 1)
        {
            return;
        }

        ulong one = 1;
        _ = Native.write(wakeFd, &one, sizeof(ulong));
    }

    /// <summary>
    /// Sleeps until CLOCK_MONOTONIC reads <paramref name="deadlineNs"/> (absolute) or something is ready,
    /// and runs the callbacks of what is. Returns the callbacks and posted actions run: 0 means the
    /// deadline came and nothing else happened. Loop thread only.
    /// </summary>
    public int WaitUntil(long deadlineNs)
    {
        if (PendingEvents > 0)
        {
            return DispatchPending();
        }

        ArmTimer(deadlineNs);
        return Dispatch(Native.epoll_wait(epollFd, events, EventsPerWaitMax, -1));
    }

    /// <summary>Runs the callbacks of what is ready now and the posted actions, without waiting. Loop thread only.</summary>
    public int PollNow() => PendingEvents > 0 ? DispatchPending() : Dispatch(Native.epoll_wait(epollFd, events, EventsPerWaitMax, 0));

    /// <summary>Events epoll returned that a dispatch's slice left for the next wait or look.</summary>
    public int PendingEvents => pendingEnd - pendingNext;

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        _ = Native.close(epollFd);
        _ = Native.close(timerFd);
        _ = Native.close(wakeFd);
        NativeMemory.Free(events);
    }

    private void ArmTimer(long deadlineNs)
    {
        if (deadlineNs == timerArmedAtNs)
        {
            return;
        }

        // A deadline of 0 would disarm the timer; the earliest real one is 1 ns.
        var due = Math.Max(deadlineNs, 1);
        var spec = new Native.ITimerSpec { ValueSeconds = due / 1_000_000_000L, ValueNanoseconds = due % 1_000_000_000L };
        Check(Native.timerfd_settime(timerFd, Native.TFD_TIMER_ABSTIME, &spec, null), "timerfd_settime(TFD_TIMER_ABSTIME)");
        timerArmedAtNs = deadlineNs;
    }

    private int Dispatch(int ready)
    {
        if (ready < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errnos.EINTR)
            {
                return RunPosted();
            }

            throw new LinuxErrnoException("epoll_wait", errno, "EBADF/EINVAL: the reactor was disposed while its loop still ran");
        }

        pendingNext = 0;
        pendingEnd = ready;
        return DispatchPending();
    }

    /// <summary>Runs the callbacks of the events not dispatched yet, until the slice is spent, then the posted actions.</summary>
    private int DispatchPending()
    {
        var ran = 0;
        var startNs = LinuxTime.MonotonicNs();
        while (pendingNext < pendingEnd)
        {
            var entry = events + (pendingNext++ * EventStride);
            var mask = (FdEvents)(*(uint*)entry);
            var token = *(ulong*)(entry + DataOffset);
            if (token == TimerToken)
            {
                Drain(timerFd);
                timerArmedAtNs = long.MinValue;
                continue;
            }

            if (token == WakeToken)
            {
                Volatile.Write(ref wakePending, 0);
                Drain(wakeFd);
                continue;
            }

            // A callback earlier in this batch may have closed this registration (or reused its
            // slot: the new one then sees one spurious readiness, which a non-blocking handler
            // answers with EAGAIN).
            if (registrations[(int)token] is { } registration)
            {
                registration.Callback.OnFdReady(mask);
                ran++;
                if (LinuxTime.MonotonicNs() - startNs >= DispatchSliceNs)
                {
                    break;
                }
            }
        }

        return ran + RunPosted();
    }

    private int RunPosted()
    {
        var ran = 0;
        while (posted.TryDequeue(out var action))
        {
            action();
            ran++;
        }

        return ran;
    }

    private void Add(int fd, FdEvents interest, ulong token) => Control(Native.EPOLL_CTL_ADD, fd, interest, token);

    private void Control(int operation, int fd, FdEvents interest, ulong token)
    {
        var entry = stackalloc byte[16];
        *(uint*)entry = (uint)interest;
        *(ulong*)(entry + DataOffset) = token;
        if (Native.epoll_ctl(epollFd, operation, fd, operation == Native.EPOLL_CTL_DEL ? null : entry) < 0)
        {
            // Formatted only on failure: changing a registration's interest is on the data plane.
            Check(-1, $"epoll_ctl(fd {fd})");
        }
    }

    private static void Drain(int fd)
    {
        ulong value;
        _ = Native.read(fd, &value, sizeof(ulong));
    }

    private static int Check(int result, string call)
    {
        if (result < 0)
        {
            throw new LinuxErrnoException(call, Marshal.GetLastPInvokeError(), "EMFILE: raise the open-file limit (files.openMax); EBADF: the descriptor was closed before it was unregistered");
        }

        return result;
    }

    /// <summary>One watched descriptor. Changing its interest or disposing it allocates nothing.</summary>
    private sealed class Registration(LoopReactor reactor, int slot, int fd, IFdReadyCallback callback) : FdRegistration
    {
        public IFdReadyCallback Callback { get; } = callback;

        public override int Fd => fd;

        public override bool IsActive => reactor.registrations[slot] == this;

        public override void Change(FdEvents interest)
        {
            ObjectDisposedException.ThrowIf(!IsActive, this);
            reactor.Control(Native.EPOLL_CTL_MOD, fd, interest, (ulong)slot);
        }

        public override void Dispose()
        {
            if (!IsActive)
            {
                return;
            }

            reactor.registrations[slot] = null;
            reactor.registered--;
            if (!reactor.disposed)
            {
                // The descriptor may already be closed by its owner: then the kernel removed it from the set itself.
                _ = Native.epoll_ctl(reactor.epollFd, Native.EPOLL_CTL_DEL, fd, null);
            }
        }
    }

    private static partial class Native
    {
        public const int EPOLL_CLOEXEC = 0x80000;
        public const int EPOLL_CTL_ADD = 1;
        public const int EPOLL_CTL_DEL = 2;
        public const int EPOLL_CTL_MOD = 3;
        public const int TFD_NONBLOCK = 0x800;
        public const int TFD_CLOEXEC = 0x80000;
        public const int TFD_TIMER_ABSTIME = 1;
        public const int EFD_NONBLOCK = 0x800;
        public const int EFD_CLOEXEC = 0x80000;

        [StructLayout(LayoutKind.Sequential)]
        public struct ITimerSpec
        {
            public long IntervalSeconds;
            public long IntervalNanoseconds;
            public long ValueSeconds;
            public long ValueNanoseconds;
        }

        [LibraryImport("libc", SetLastError = true)]
        public static partial int epoll_create1(int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int epoll_ctl(int epfd, int op, int fd, void* eventEntry);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int epoll_wait(int epfd, void* eventEntries, int maxEvents, int timeoutMs);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int timerfd_create(int clockId, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int timerfd_settime(int fd, int flags, ITimerSpec* newValue, ITimerSpec* oldValue);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int eventfd(uint initial, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial nint read(int fd, void* buffer, nuint count);

        [LibraryImport("libc", SetLastError = true)]
        public static partial nint write(int fd, void* buffer, nuint count);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int close(int fd);
    }
}

/// <summary>A descriptor watched by a <see cref="LoopReactor"/>. Dispose it before closing the descriptor.</summary>
public abstract class FdRegistration : IDisposable
{
    public abstract int Fd { get; }

    /// <summary>False once disposed.</summary>
    public abstract bool IsActive { get; }

    /// <summary>Watches for <paramref name="interest"/> from now on (e.g. Writable only while output is queued).</summary>
    public abstract void Change(FdEvents interest);

    public abstract void Dispose();
}
