using Microsoft.Win32.SafeHandles;

namespace Neokernel.Rt.Linux;

/// <summary>
/// A memfd and one MAP_SHARED mapping of it: the memory under a cross-process region or ring.
/// The creator maps read-write; a process that received the fd maps what the fd allows. The fd
/// stays open while the mapping lives so it can be passed on (SCM_RIGHTS duplicates it).
/// </summary>
internal sealed unsafe class SharedMapping : IDisposable
{
    /// <summary>
    /// Owner read-only (0400) on the memfd's inode. Mappings and fds already open keep their
    /// access; only a fresh open() (for example of /proc/PID/fd/N, which re-opens the inode with
    /// a mode of the caller's choice) is checked against it. So a process handed a read-only fd
    /// cannot upgrade it to read-write, unless it holds CAP_DAC_OVERRIDE.
    /// </summary>
    private const uint InodeModeOwnerReadOnly = 0x100;

    private IntPtr address;

    private SharedMapping(SafeFileHandle fd, IntPtr address, int length, bool isWritable)
    {
        FileDescriptor = fd;
        this.address = address;
        Length = length;
        IsWritable = isWritable;
    }

    public SafeFileHandle FileDescriptor { get; }

    public int Length { get; }

    public bool IsWritable { get; }

    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(address == IntPtr.Zero, this);
            return (byte*)address;
        }
    }

    public Span<byte> Bytes => new(Pointer, Length);

    /// <summary>Creates a zero-filled memfd of <paramref name="length"/> bytes and maps it read-write.</summary>
    public static SharedMapping Create(string name, int length, bool sealSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        var fd = CreateMemfd(name);
        try
        {
            Resize(fd, name, length);
            if (sealSize)
            {
                AddSeals(fd, LinuxNative.F_SEAL_SHRINK | LinuxNative.F_SEAL_GROW | LinuxNative.F_SEAL_SEAL);
            }

            if (LinuxNative.fchmod(Fd(fd), InodeModeOwnerReadOnly) != 0)
            {
                throw LinuxNative.Error($"fchmod(memfd '{name}', 0400)", "the memfd's inode refused a mode change; is /proc/sys/vm/memfd_noexec or an LSM restricting memfds?");
            }

            return new SharedMapping(fd, MapShared(fd, length, writable: true), length, isWritable: true);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps a memfd received from another process. Its size must be exactly
    /// <paramref name="expectedLength"/> (the length the capability granted), so a peer cannot
    /// hand over a shorter file and make this process fault on access. Takes ownership of
    /// <paramref name="fd"/>.
    /// </summary>
    public static SharedMapping Attach(SafeFileHandle fd, int expectedLength, bool writable, bool requireSizeSealed)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedLength, 1);
        try
        {
            CheckAccessMode(fd, writable);
            CheckLength(fd, expectedLength);
            if (requireSizeSealed)
            {
                CheckSizeSealed(fd);
            }

            return new SharedMapping(fd, MapShared(fd, expectedLength, writable), expectedLength, writable);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A new fd for the same memory, opened O_RDONLY through /proc/self/fd. Passed to a reader, it
    /// cannot be mapped writable (mmap and mprotect with PROT_WRITE fail with EACCES), while this
    /// process keeps writing through its own mapping.
    /// </summary>
    public SafeFileHandle OpenReadOnlyDescriptor() => OpenReadOnly(FileDescriptor);

    public static SafeFileHandle OpenReadOnly(SafeFileHandle fd)
    {
        var path = $"/proc/self/fd/{Fd(fd)}";
        var result = LinuxNative.open(path, LinuxNative.O_RDONLY | LinuxNative.O_CLOEXEC);
        GC.KeepAlive(fd);
        if (result < 0)
        {
            throw LinuxNative.Error($"open({path}, O_RDONLY)", "is /proc mounted in this process's mount namespace?");
        }

        return new SafeFileHandle(result, ownsHandle: true);
    }

    /// <summary>Seals currently on the memfd (F_GET_SEALS): F_SEAL_* bits.</summary>
    public static int Seals(SafeFileHandle fd)
    {
        var seals = LinuxNative.fcntl(Fd(fd), LinuxNative.F_GET_SEALS, 0);
        GC.KeepAlive(fd);
        if (seals < 0)
        {
            throw LinuxNative.Error("fcntl(F_GET_SEALS)", "the fd is not a memfd created with MFD_ALLOW_SEALING");
        }

        return seals;
    }

    public void Dispose()
    {
        var mapped = address;
        address = IntPtr.Zero;
        if (mapped != IntPtr.Zero)
        {
            _ = LinuxNative.munmap(mapped, (nuint)Length);
        }

        FileDescriptor.Dispose();
    }

    internal static int Fd(SafeFileHandle fd) => (int)fd.DangerousGetHandle();

    private static SafeFileHandle CreateMemfd(string name)
    {
        var fd = LinuxNative.memfd_create(name, LinuxNative.MFD_CLOEXEC | LinuxNative.MFD_ALLOW_SEALING);
        if (fd < 0)
        {
            throw LinuxNative.Error($"memfd_create('{name}', MFD_CLOEXEC|MFD_ALLOW_SEALING)", "needs Linux 3.17+; EMFILE/ENFILE mean the fd limit (ulimit -n) is reached");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static void Resize(SafeFileHandle fd, string name, int length)
    {
        if (LinuxNative.ftruncate(Fd(fd), length) != 0)
        {
            throw LinuxNative.Error($"ftruncate(memfd '{name}', {length})", "ENOMEM/EFBIG: the shared memory limit (tmpfs size, RLIMIT_FSIZE) is too small for this region");
        }
    }

    private static void AddSeals(SafeFileHandle fd, int seals)
    {
        if (LinuxNative.fcntl(Fd(fd), LinuxNative.F_ADD_SEALS, seals) != 0)
        {
            throw LinuxNative.Error($"fcntl(F_ADD_SEALS, 0x{seals:x})", "the memfd must be created with MFD_ALLOW_SEALING and not be sealed with F_SEAL_SEAL already");
        }
    }

    private static IntPtr MapShared(SafeFileHandle fd, int length, bool writable)
    {
        var protection = LinuxNative.PROT_READ | (writable ? LinuxNative.PROT_WRITE : 0);
        var mapped = LinuxNative.mmap(IntPtr.Zero, (nuint)length, protection, LinuxNative.MAP_SHARED, Fd(fd), 0);
        GC.KeepAlive(fd);
        if (mapped == LinuxNative.MapFailed)
        {
            throw LinuxNative.Error(
                $"mmap({length} bytes, {(writable ? "PROT_READ|PROT_WRITE" : "PROT_READ")}, MAP_SHARED)",
                writable ? "EACCES: the fd was opened read-only, so this process may only map it PROT_READ; EPERM: the memfd is sealed against writes" : "ENOMEM: address space or vm.max_map_count exhausted");
        }

        return mapped;
    }

    private static void CheckAccessMode(SafeFileHandle fd, bool writable)
    {
        var flags = LinuxNative.fcntl(Fd(fd), LinuxNative.F_GETFL, 0);
        if (flags < 0)
        {
            throw LinuxNative.Error("fcntl(F_GETFL)", "the fd is not open in this process (was it received with SCM_RIGHTS?)");
        }

        if (writable && (flags & LinuxNative.O_ACCMODE) != LinuxNative.O_RDWR)
        {
            throw new LinuxErrnoException("mmap(PROT_WRITE) of a read-only fd", Errnos.EACCES, "this process was granted read access only; map it with writable: false");
        }
    }

    private static void CheckLength(SafeFileHandle fd, int expectedLength)
    {
        // RandomAccess.GetLength is fstat(2): st_size of the memfd.
        var actual = RandomAccess.GetLength(fd);
        if (actual != expectedLength)
        {
            throw new InvalidDataException($"the shared memory fd is {actual} bytes, the capability grants {expectedLength}: refusing to map a mismatched region (wrong fd passed, or a peer resized it)");
        }
    }

    private static void CheckSizeSealed(SafeFileHandle fd)
    {
        const int sizeSeals = LinuxNative.F_SEAL_SHRINK | LinuxNative.F_SEAL_GROW;
        if ((Seals(fd) & sizeSeals) != sizeSeals)
        {
            throw new InvalidDataException("the shared memory fd is not sealed against shrinking and growing (F_SEAL_SHRINK|F_SEAL_GROW): a peer could truncate it and this process would die of SIGBUS on access");
        }
    }
}
