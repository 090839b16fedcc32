using System.Runtime.InteropServices;

namespace Neokernel.Rt.Linux;

/// <summary>
/// A Linux system call failed. Carries the call, the errno (number and symbolic name) and a hint
/// on how to fix it, because "operation failed" alone sends the reader to strace.
/// </summary>
public sealed class LinuxErrnoException : IOException
{
    public LinuxErrnoException()
        : this("unknown", 0, string.Empty)
    {
    }

    public LinuxErrnoException(string message)
        : base(message)
    {
        Call = "unknown";
    }

    public LinuxErrnoException(string message, Exception innerException)
        : base(message, innerException)
    {
        Call = "unknown";
    }

    public LinuxErrnoException(string call, int errno, string hint)
        : base(Describe(call, errno, hint))
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>The failed call with its salient arguments, e.g. <c>mmap(PROT_WRITE, MAP_SHARED)</c>.</summary>
    public string Call { get; }

    public int Errno { get; }

    public string ErrnoName => Errnos.Name(Errno);

    private static string Describe(string call, int errno, string hint) =>
        $"{call} failed: errno {errno} {Errnos.Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})" + (hint.Length > 0 ? $"; {hint}" : string.Empty);
}

/// <summary>The errno values these wrappers test for, with their symbolic names (Linux, x86_64 and arm64 agree).</summary>
public static class Errnos
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EFBIG = 27;
    public const int EPIPE = 32;
    public const int ENOSYS = 38;
    public const int ENOTSOCK = 88;
    public const int EMSGSIZE = 90;
    public const int ECONNRESET = 104;
    public const int ENOTCONN = 107;
    public const int ETIMEDOUT = 110;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EBUSY => "EBUSY",
        EINVAL => "EINVAL",
        ENFILE => "ENFILE",
        EMFILE => "EMFILE",
        EFBIG => "EFBIG",
        EPIPE => "EPIPE",
        ENOSYS => "ENOSYS",
        ENOTSOCK => "ENOTSOCK",
        EMSGSIZE => "EMSGSIZE",
        ECONNRESET => "ECONNRESET",
        ENOTCONN => "ENOTCONN",
        ETIMEDOUT => "ETIMEDOUT",
        _ => $"E#{errno}",
    };
}
