using Neokernel.Kernel.Devices;

namespace Neokernel.Rt.Linux.Devices;

/// <summary>
/// Puts a tty into raw mode with the framing a URI names, through termios directly: no echo, no
/// line discipline, no flow control, the receiver on, modem lines ignored. (System.IO.Ports
/// blocks a thread per port; the loop needs a descriptor it can wait on with everything else.)
/// </summary>
internal static unsafe class SerialLine
{
    /// <summary>Configures <paramref name="fd"/>; 0, or the errno of the call that failed.</summary>
    public static int Configure(int fd, in SerialSettings settings)
    {
        var exclusive = 0;
        if (DeviceNative.ioctl(fd, DeviceNative.TIOCEXCL, &exclusive) < 0)
        {
            // A second opener of the line (another process, or a stale service) would corrupt frames.
            return DeviceNative.LastErrno;
        }

        var termios = stackalloc byte[DeviceNative.TermiosBytes];
        new Span<byte>(termios, DeviceNative.TermiosBytes).Clear();
        if (DeviceNative.tcgetattr(fd, termios) < 0)
        {
            return DeviceNative.LastErrno;
        }

        DeviceNative.cfmakeraw(termios);
        var speed = DeviceNative.SpeedOf(settings.Baud);
        if (DeviceNative.cfsetispeed(termios, speed) < 0 || DeviceNative.cfsetospeed(termios, speed) < 0)
        {
            return DeviceNative.LastErrno;
        }

        var cflag = (uint*)(termios + DeviceNative.CflagOffset);
        *cflag = Framing(*cflag, settings);
        return DeviceNative.tcsetattr(fd, DeviceNative.TCSANOW, termios) < 0 ? DeviceNative.LastErrno : 0;
    }

    /// <summary>The control flags for data bits, parity and stop bits, on top of <paramref name="cflag"/>'s speed bits.</summary>
    internal static uint Framing(uint cflag, in SerialSettings settings)
    {
        cflag &= ~(DeviceNative.CSIZE | DeviceNative.PARENB | DeviceNative.PARODD | DeviceNative.CSTOPB | DeviceNative.CRTSCTS);
        cflag |= (uint)(settings.DataBits - 5) << 4;
        cflag |= DeviceNative.CREAD | DeviceNative.CLOCAL;
        cflag |= settings.Parity switch
        {
            Parity.Even => DeviceNative.PARENB,
            Parity.Odd => DeviceNative.PARENB | DeviceNative.PARODD,
            _ => 0u,
        };
        return settings.StopBits == 2 ? cflag | DeviceNative.CSTOPB : cflag;
    }
}
