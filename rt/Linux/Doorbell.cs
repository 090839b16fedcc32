using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Neokernel.Rt.Linux;

/// <summary>
/// An eventfd(2) that one process rings and another waits on in its epoll set: how a message in a
/// shared ring wakes a consumer that sleeps in its event loop. It passes between processes with
/// SCM_RIGHTS like the ring's memfd; both ends hold the same kernel object. Ringing and draining
/// allocate nothing.
/// </summary>
public sealed unsafe partial class Doorbell : IDisposable
{
    private const int EfdNonBlock = 0x800;
    private const int EfdCloexec = 0x80000;

    private Doorbell(SafeFileHandle fd)
    {
        FileDescriptor = fd;
    }

    /// <summary>The eventfd, owned by this object: pass it to the peer with <see cref="FdPassing"/>.</summary>
    public SafeFileHandle FileDescriptor { get; }

    /// <summary>A new eventfd, non-blocking and close-on-exec.</summary>
    public static Doorbell Create()
    {
        var fd = eventfd(0, EfdNonBlock | EfdCloexec);
        if (fd < 0)
        {
            throw new LinuxErrnoException("eventfd", Marshal.GetLastPInvokeError(), "EMFILE: raise the open-file limit (files.openMax)");
        }

        return new Doorbell(new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>Takes ownership of an eventfd another process passed.</summary>
    public static Doorbell Attach(SafeFileHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return new Doorbell(fd);
    }

    /// <summary>Makes the eventfd readable (adds 1 to its counter). One system call.</summary>
    public void Ring()
    {
        ulong one = 1;
        _ = write((int)FileDescriptor.DangerousGetHandle(), &one, sizeof(ulong));
    }

    /// <summary>Resets the counter, so the descriptor is not readable until the next ring.</summary>
    public void Drain()
    {
        ulong value;
        _ = read((int)FileDescriptor.DangerousGetHandle(), &value, sizeof(ulong));
    }

    public void Dispose() => FileDescriptor.Dispose();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buffer, nuint count);
}
