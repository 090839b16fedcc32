using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Rt.Linux.Retain;

/// <summary>
/// A retain store's two slots as files in its directory, reached only through the directory's
/// descriptor (openat, renameat), so the store works the same in the kernel's process and in a
/// sandboxed service process that was handed the descriptor and may name no path. A write goes
/// to <see cref="TemporaryName"/>, is synced, renamed over its slot, and the directory is synced:
/// a crash at any point leaves the slot's old record or its new one. Writes run on a worker
/// thread of the store's own; the loop only copies the record and wakes it, and a record handed
/// over while the worker is still busy replaces the one waiting (a burst costs one write more).
/// </summary>
internal sealed unsafe class DirectoryRetainMedium : IRetainMedium
{
    /// <summary>Where a record is written before it is renamed over its slot; a crash may leave it behind, and the next write truncates it.</summary>
    public const string TemporaryName = "retain.tmp";

    /// <summary>How long closing waits for the worker to finish its last write.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly SafeFileHandle directory;
    private readonly int directoryFd;
    private readonly Lock gate = new();
    private readonly object wake = new();
    private readonly byte[] pending;
    private readonly byte[] writing;
    private readonly Thread worker;
    private int pendingLength;
    private int pendingSlot = -1;
    private bool writingNow;
    private bool stopping;
    private long written;
    private long failed;
    private string? lastFailure;

    public DirectoryRetainMedium(SafeFileHandle directory, string location, int recordBytesMax)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentException.ThrowIfNullOrEmpty(location);
        ArgumentOutOfRangeException.ThrowIfLessThan(recordBytesMax, RetainRecord.OverheadBytes);
        this.directory = directory;
        directoryFd = (int)directory.DangerousGetHandle();
        Location = location;
        pending = new byte[recordBytesMax];
        writing = new byte[recordBytesMax];

        // Made at open, on the control plane: a write on the loop (a real-time thread's) then only copies and wakes it.
        worker = new Thread(Work) { IsBackground = true, Name = "retain-writer" };
        worker.Start();
    }

    public string Location { get; }

    /// <summary>A test's crash: when it answers true, the worker stops after syncing the temporary file, before the rename (the slot keeps its old record).</summary>
    internal Func<bool>? CrashBeforeRename { get; set; }

    public RetainMediumStatus Status
    {
        get
        {
            lock (wake)
            {
                return new RetainMediumStatus(written, failed, lastFailure);
            }
        }
    }

    public string SlotName(int slot) => RetainRecord.SlotNames[slot];

    public RetainSlotRead Read(int slot, Span<byte> destination)
    {
        var fd = RetainNative.openat(directoryFd, SlotName(slot), LinuxNative.O_RDONLY | LinuxNative.O_CLOEXEC | RetainNative.O_NOFOLLOW, 0);
        if (fd < 0)
        {
            var errno = RetainNative.Errno();
            return errno == Errnos.ENOENT
                ? new RetainSlotRead(RetainSlotState.Missing, 0)
                : new RetainSlotRead(RetainSlotState.Unreadable, 0, new LinuxErrnoException($"openat({Location}/{SlotName(slot)})", errno, "").Message);
        }

        try
        {
            var length = 0;
            byte extra;
            while (true)
            {
                nint got;
                fixed (byte* into = destination)
                {
                    got = length < destination.Length ? RetainNative.read(fd, into + length, (nuint)(destination.Length - length)) : RetainNative.read(fd, &extra, 1);
                }

                if (got < 0 && RetainNative.Errno() == Errnos.EINTR)
                {
                    continue;
                }

                if (got < 0)
                {
                    return new RetainSlotRead(RetainSlotState.Unreadable, 0, new LinuxErrnoException($"read({Location}/{SlotName(slot)})", RetainNative.Errno(), "").Message);
                }

                if (got == 0)
                {
                    return new RetainSlotRead(RetainSlotState.Read, length);
                }

                if (length == destination.Length)
                {
                    return new RetainSlotRead(RetainSlotState.TooLarge, 0);
                }

                length += (int)got;
            }
        }
        finally
        {
            _ = RetainNative.close(fd);
        }
    }

    public void Write(int slot, ReadOnlySpan<byte> record)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(record.Length, pending.Length);
        lock (wake)
        {
            if (stopping)
            {
                throw new ObjectDisposedException(Location, "the retain store is closed");
            }

            record.CopyTo(pending);
            pendingLength = record.Length;
            pendingSlot = slot;
            Monitor.Pulse(wake);
        }
    }

    /// <summary>Waits (bounded) for the last record handed over to be written, then closes the directory.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            lock (wake)
            {
                if (stopping)
                {
                    return;
                }

                stopping = true;
                Monitor.PulseAll(wake);
            }

            worker.Join(CloseTimeout);
            directory.Dispose();
        }
    }

    /// <summary>True once every record handed over is written (or failed): for tests and for a clean stop.</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (wake)
        {
            while (pendingSlot >= 0 || writingNow)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(wake, TimeSpan.FromMilliseconds(left)))
                {
                    return pendingSlot < 0 && !writingNow;
                }
            }

            return true;
        }
    }

    private void Work()
    {
        while (true)
        {
            int slot;
            int length;
            lock (wake)
            {
                while (pendingSlot < 0 && !stopping)
                {
                    Monitor.Wait(wake);
                }

                if (pendingSlot < 0)
                {
                    return;
                }

                (slot, length) = (pendingSlot, pendingLength);
                pending.AsSpan(0, length).CopyTo(writing);
                pendingSlot = -1;
                writingNow = true;
            }

            var failure = WriteSlot(slot, writing.AsSpan(0, length));
            lock (wake)
            {
                writingNow = false;
                if (failure is null)
                {
                    written++;
                }
                else
                {
                    failed++;
                    lastFailure = failure;
                }

                Monitor.PulseAll(wake);
            }
        }
    }

    /// <summary>Temporary file, fsync, rename over the slot, fsync of the directory; null when done, else what failed.</summary>
    private string? WriteSlot(int slot, ReadOnlySpan<byte> record)
    {
        var fd = RetainNative.openat(directoryFd, TemporaryName, RetainNative.O_WRONLY | RetainNative.O_CREAT | RetainNative.O_TRUNC | LinuxNative.O_CLOEXEC | RetainNative.O_NOFOLLOW, 0x180);
        if (fd < 0)
        {
            return Failure("openat", TemporaryName);
        }

        try
        {
            if (WriteAll(fd, record) is { } writeFailure)
            {
                return writeFailure;
            }

            if (RetainNative.fsync(fd) != 0)
            {
                return Failure("fsync", TemporaryName);
            }
        }
        finally
        {
            _ = RetainNative.close(fd);
        }

        if (CrashBeforeRename?.Invoke() == true)
        {
            return null;
        }

        if (RetainNative.renameat(directoryFd, TemporaryName, directoryFd, SlotName(slot)) != 0)
        {
            return Failure("renameat", $"{TemporaryName} to {SlotName(slot)}");
        }

        return RetainNative.fsync(directoryFd) != 0 ? Failure("fsync", "(the directory)") : null;
    }

    private string? WriteAll(int fd, ReadOnlySpan<byte> record)
    {
        var done = 0;
        while (done < record.Length)
        {
            nint wrote;
            fixed (byte* from = record)
            {
                wrote = RetainNative.write(fd, from + done, (nuint)(record.Length - done));
            }

            if (wrote < 0 && RetainNative.Errno() == Errnos.EINTR)
            {
                continue;
            }

            if (wrote <= 0)
            {
                return Failure("write", TemporaryName);
            }

            done += (int)wrote;
        }

        return null;
    }

    private string Failure(string call, string what) =>
        new LinuxErrnoException($"{call}({Location}/{what})", RetainNative.Errno(), "").Message;
}
