using System.Runtime.InteropServices;
using Neokernel.Kernel.Devices;

namespace Neokernel.Rt.Linux.Devices;

/// <summary>
/// The libc calls stream devices need: IPv4 TCP sockets and termios serial lines, bound with
/// LibraryImport. Every constant here has the same value on x86_64 and arm64 (the generic Linux
/// ABI); glibc's struct termios is 60 bytes on both, handled as an opaque buffer of
/// <see cref="TermiosBytes"/> with the two fields we set at their offsets.
/// </summary>
internal static unsafe partial class DeviceNative
{
    public const int AF_INET = 2;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_ERROR = 4;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const uint TIOCEXCL = 0x540C;
    public const uint FIONREAD = 0x541B;
    public const int TCSANOW = 0;

    /// <summary>Larger than glibc's 60-byte struct termios, so a wrong guess can never overrun.</summary>
    public const int TermiosBytes = 128;
    public const int CflagOffset = 8;
    public const uint CSIZE = 0x30;
    public const uint CSTOPB = 0x40;
    public const uint CREAD = 0x80;
    public const uint PARENB = 0x100;
    public const uint PARODD = 0x200;
    public const uint CLOCAL = 0x800;
    public const uint CRTSCTS = 0x80000000;

    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int ENODEV = 19;
    public const int ENETUNREACH = 101;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int EINPROGRESS = 115;

    /// <summary>The Bxxx speed constant termios wants for a baud rate the URI grammar allows.</summary>
    public static uint SpeedOf(int baud) => baud switch
    {
        1_200 => 9,
        2_400 => 11,
        4_800 => 12,
        9_600 => 13,
        19_200 => 14,
        38_400 => 15,
        57_600 => 0x1001,
        115_200 => 0x1002,
        230_400 => 0x1003,
        _ => throw new ArgumentOutOfRangeException(nameof(baud), baud, "the URI grammar admits only the rates in DeviceUri.BaudRates"),
    };

    /// <summary>The reason a driver acts on, for an errno.</summary>
    public static DeviceError ErrorOf(int errno) => errno switch
    {
        ECONNREFUSED => DeviceError.ConnectionRefused,
        Errnos.ETIMEDOUT => DeviceError.TimedOut,
        Errnos.ECONNRESET or Errnos.EPIPE => DeviceError.ConnectionReset,
        ENETUNREACH or EHOSTUNREACH => DeviceError.Unreachable,
        EADDRINUSE or EADDRNOTAVAIL => DeviceError.AddressInUse,
        Errnos.ENOENT or ENXIO or ENODEV => DeviceError.NotFound,
        Errnos.EACCES or Errnos.EPERM or Errnos.EBUSY => DeviceError.AccessDenied,
        _ => DeviceError.Io,
    };

    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrIn
    {
        public ushort Family;
        public ushort PortNetworkOrder;
        public uint AddressNetworkOrder;
        public ulong Zero;

        public static SockaddrIn Of(uint ipv4, int port) => new()
        {
            Family = AF_INET,
            PortNetworkOrder = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)port),
            AddressNetworkOrder = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(ipv4),
        };

        public readonly string Text()
        {
            var address = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(AddressNetworkOrder);
            var port = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(PortNetworkOrder);
            return $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}:{port}";
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int connect(int fd, SockaddrIn* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, SockaddrIn* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int accept4(int fd, SockaddrIn* address, int* length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockname(int fd, SockaddrIn* address, int* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, int* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, int* value, int* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, int* argument);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc")]
    public static partial void cfmakeraw(byte* termios);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int cfsetispeed(byte* termios, uint speed);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int cfsetospeed(byte* termios, uint speed);

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
