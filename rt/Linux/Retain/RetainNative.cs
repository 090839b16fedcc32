using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux.Retain;

/// <summary>The *at calls a retain store makes on its directory's descriptor: nothing outside the directory is named by path.</summary>
internal static unsafe partial class RetainNative
{
    public const int O_WRONLY = 0x1;
    public const int O_CREAT = 0x40;
    public const int O_TRUNC = 0x200;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int directoryFd, string path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat(int fromDirectoryFd, string from, int toDirectoryFd, string to);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fchownat(int directoryFd, string path, uint owner, uint group, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchown(int fd, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    public static int Errno() => Marshal.GetLastPInvokeError();
}
