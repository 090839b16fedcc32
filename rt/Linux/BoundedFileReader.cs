using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Neokernel.Rt.Linux;

/// <summary>
/// Reads a text file people name on a command line (a manifest), refusing what is not a regular
/// file of bounded size before anything could hang on it: a FIFO blocks its reader until a writer
/// comes, a character device such as /dev/zero never ends, and opening some devices has effects.
/// The type is read with statx(2) without opening the path, and again on the open descriptor (the
/// path may have been swapped in between); the descriptor is opened non-blocking. Every refusal
/// is an <see cref="IOException"/> whose message says what the path is and what is wanted (the
/// caller names the path).
/// </summary>
public static unsafe partial class BoundedFileReader
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int ModeTypeMask = 0xF000;
    private const int OpenReadOnlyNonBlocking = 0x0 | 0x800 | 0x80000 | 0x100; // O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY
    private const int ELOOP = 40;
    private const int ENOTDIR = 20;

    /// <summary>The text of <paramref name="path"/> (UTF-8), or null when nothing is there; throws <see cref="IOException"/> for anything else that is not a regular file of at most <paramref name="bytesMax"/> bytes.</summary>
    public static string? ReadText(string path, int bytesMax)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesMax);
        if (!Stat(AtFdCwd, path, 0, out var mode, out var size, out var errno))
        {
            return errno == Errnos.ENOENT && !IsLink(path) ? null : throw new IOException(Describe(path, errno));
        }

        Require(path, mode, size, bytesMax);
        var fd = open(path, OpenReadOnlyNonBlocking);
        if (fd < 0)
        {
            throw new IOException(Describe(path, Marshal.GetLastPInvokeError()));
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!Stat(fd, "", AtEmptyPath, out mode, out size, out errno))
        {
            throw new IOException(Describe(path, errno));
        }

        Require(path, mode, size, bytesMax);
        return Read(handle, path, bytesMax);
    }

    private static string Read(SafeFileHandle handle, string path, int bytesMax)
    {
        var buffer = new byte[(int)Math.Min((long)bytesMax + 1, int.MaxValue)];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
        {
            length += read;
        }

        if (length > bytesMax)
        {
            throw new IOException($"grew past {bytesMax} bytes while it was read; a manifest is at most {bytesMax} bytes");
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static void Require(string path, int mode, long size, int bytesMax)
    {
        var kind = (mode & ModeTypeMask) switch
        {
            0x8000 => null,
            0x4000 => "a directory",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0x1000 => "a FIFO (named pipe)",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
        if (kind is not null)
        {
            throw new IOException($"is {kind}; give the path of a regular file");
        }

        if (size > bytesMax)
        {
            throw new IOException($"is {size} bytes; a manifest is at most {bytesMax} bytes");
        }
    }

    private static string Describe(string path, int errno) => errno switch
    {
        ELOOP => "a symbolic link loop (a link that, followed, comes back to itself)",
        Errnos.ENOENT => $"a dangling symbolic link (to {LinkTarget(path)}, which does not exist)",
        Errnos.EACCES or Errnos.EPERM => "permission denied: this user may not read the file or enter a directory on its path",
        ENOTDIR => "a part of the path is not a directory",
        _ => $"cannot be read: errno {errno} {Errnos.Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})",
    };

    private static bool IsLink(string path) => Stat(AtFdCwd, path, AtSymlinkNoFollow, out var mode, out _, out _) && (mode & ModeTypeMask) == 0xA000;

    private static string LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static bool Stat(int directoryFd, string path, int flags, out int mode, out long size, out int errno)
    {
        // struct statx has one layout on every architecture: stx_mode (u16) at 28, stx_size (u64) at 40.
        var buffer = stackalloc byte[256];
        if (statx(directoryFd, path, flags, StatxType | StatxSize, buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            (mode, size) = (0, 0);
            return false;
        }

        errno = 0;
        mode = *(ushort*)(buffer + 28);
        size = *(long*)(buffer + 40);
        return true;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int directoryFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);
}
