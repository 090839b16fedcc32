using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Neokernel.Rt.Linux;

/// <summary>
/// Sends file descriptors and a small payload over a connected Unix-domain stream socket with
/// SCM_RIGHTS: how the kernel process hands capabilities (memfds of regions and rings) to a
/// service process. .NET has no managed API for ancillary data, so this is sendmsg/recvmsg.
/// </summary>
/// <remarks>
/// Wire format: a 4-byte little-endian payload length, then the payload; the fds ride on the
/// first byte. A stream socket keeps no message boundaries, so the receiver reads the length
/// alone first (with the control buffer), which is also where the kernel delivers the fds.
/// Received fds are close-on-exec (MSG_CMSG_CLOEXEC): a service process that spawns a helper
/// does not leak its capabilities into it. Control-plane only: it allocates.
/// </remarks>
public static unsafe class FdPassing
{
    public const int PayloadBytesMax = 4_096;

    /// <summary>Per message. The kernel's own limit (SCM_MAX_FD) is 253.</summary>
    public const int FdsMax = 16;

    private const int LengthPrefixBytes = 4;
    private const int CmsgHeaderBytes = 16;
    private const int ControlBytes = CmsgHeaderBytes + (FdsMax * sizeof(int));

    /// <summary>Sends <paramref name="payload"/> and duplicates of <paramref name="fds"/> (this process keeps its own).</summary>
    public static void Send(Socket socket, ReadOnlySpan<byte> payload, params ReadOnlySpan<SafeHandle> fds)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, PayloadBytesMax, nameof(payload));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fds.Length, FdsMax, nameof(fds));
        var frame = new byte[LengthPrefixBytes + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(LengthPrefixBytes));
        var added = 0;
        var socketAdded = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref socketAdded);
            var control = stackalloc byte[ControlBytes];
            new Span<byte>(control, ControlBytes).Clear();
            for (; added < fds.Length; added++)
            {
                var ok = false;
                fds[added].DangerousAddRef(ref ok);
                ((int*)(control + CmsgHeaderBytes))[added] = (int)fds[added].DangerousGetHandle();
            }

            WriteCmsgHeader(control, fds.Length);
            SendFrame((int)socket.SafeHandle.DangerousGetHandle(), frame, control, fds.Length == 0 ? 0 : CmsgSpace(fds.Length));
        }
        finally
        {
            for (var i = 0; i < added; i++)
            {
                fds[i].DangerousRelease();
            }

            if (socketAdded)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Receives one message: its payload into <paramref name="payload"/> and the fds that came
    /// with it, owned by the caller. False when the peer closed the connection cleanly before a
    /// message started (the peer process exited or was killed).
    /// </summary>
    public static bool TryReceive(Socket socket, Span<byte> payload, out int payloadLength, out SafeFileHandle[] fds)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var socketAdded = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref socketAdded);
            return ReceiveFrame((int)socket.SafeHandle.DangerousGetHandle(), payload, out payloadLength, out fds);
        }
        finally
        {
            if (socketAdded)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for the peer to hang up (POLLHUP: its end is
    /// closed, which the kernel does when the peer process dies, even by SIGKILL). True when it
    /// did. Data still queued does not count as a hang-up.
    /// </summary>
    public static bool WaitForHangup(Socket socket, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            var pollFd = new LinuxNative.PollFd { Fd = (int)socket.SafeHandle.DangerousGetHandle(), Events = 0 };
            var remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var ready = LinuxNative.poll(&pollFd, 1, remaining);
            GC.KeepAlive(socket);
            if (ready < 0 && Marshal.GetLastPInvokeError() != Errnos.EINTR)
            {
                throw LinuxNative.Error("poll(socket)", "the socket was closed in this process");
            }

            if (ready > 0 && (pollFd.Revents & LinuxNative.POLLHUP) != 0)
            {
                return true;
            }

            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }
        }
    }

    private static void WriteCmsgHeader(byte* control, int fdCount)
    {
        // struct cmsghdr on LP64: size_t cmsg_len; int cmsg_level; int cmsg_type; then the data.
        *(nuint*)control = (nuint)(CmsgHeaderBytes + (fdCount * sizeof(int)));
        *(int*)(control + 8) = LinuxNative.SOL_SOCKET;
        *(int*)(control + 12) = LinuxNative.SCM_RIGHTS;
    }

    /// <summary>CMSG_SPACE: header plus data, padded to the 8-byte alignment of the next cmsghdr.</summary>
    private static int CmsgSpace(int fdCount) => CmsgHeaderBytes + (((fdCount * sizeof(int)) + 7) & ~7);

    private static void SendFrame(int fd, byte[] frame, byte* control, int controlBytes)
    {
        fixed (byte* data = frame)
        {
            var sent = 0;
            while (sent < frame.Length)
            {
                var iov = new LinuxNative.IoVec { Base = data + sent, Length = (nuint)(frame.Length - sent) };
                var message = new LinuxNative.MsgHdr { Iov = &iov, IovLength = 1 };
                if (sent == 0 && controlBytes > 0)
                {
                    message.Control = control;
                    message.ControlLength = (nuint)controlBytes;
                }

                var result = LinuxNative.sendmsg(fd, &message, LinuxNative.MSG_NOSIGNAL);
                if (result < 0)
                {
                    ThrowUnlessRetry(fd, "sendmsg(SCM_RIGHTS)", LinuxNative.POLLOUT, "EPIPE/ECONNRESET: the peer process is gone; EBADF: a passed fd was already closed");
                    continue;
                }

                sent += (int)result;
            }
        }
    }

    private static bool ReceiveFrame(int fd, Span<byte> payload, out int payloadLength, out SafeFileHandle[] fds)
    {
        var prefix = stackalloc byte[LengthPrefixBytes];
        var control = stackalloc byte[ControlBytes];
        fds = [];
        payloadLength = 0;
        var received = ReceiveSome(fd, prefix, LengthPrefixBytes, control, out fds);
        if (received == 0)
        {
            return false;
        }

        try
        {
            ReceiveExactly(fd, prefix + received, LengthPrefixBytes - received);
            payloadLength = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(prefix, LengthPrefixBytes));
            if (payloadLength < 0 || payloadLength > PayloadBytesMax || payloadLength > payload.Length)
            {
                throw new InvalidDataException($"peer announced a {payloadLength}-byte payload; this side accepts 0..{Math.Min(PayloadBytesMax, payload.Length)}: the two ends disagree on the protocol");
            }

            fixed (byte* data = payload)
            {
                ReceiveExactly(fd, data, payloadLength);
            }

            return true;
        }
        catch
        {
            foreach (var handle in fds)
            {
                handle.Dispose();
            }

            throw;
        }
    }

    /// <summary>One recvmsg with a control buffer; returns the byte count (0 at end of stream) and the fds that came with it.</summary>
    private static int ReceiveSome(int fd, byte* buffer, int length, byte* control, out SafeFileHandle[] fds)
    {
        while (true)
        {
            var iov = new LinuxNative.IoVec { Base = buffer, Length = (nuint)length };
            var message = new LinuxNative.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlBytes };
            var result = LinuxNative.recvmsg(fd, &message, LinuxNative.MSG_CMSG_CLOEXEC);
            if (result < 0)
            {
                ThrowUnlessRetry(fd, "recvmsg(SCM_RIGHTS)", LinuxNative.POLLIN, "ECONNRESET: the peer process is gone");
                continue;
            }

            fds = CollectFds(control, (int)message.ControlLength);
            if ((message.Flags & LinuxNative.MSG_CTRUNC) != 0)
            {
                foreach (var handle in fds)
                {
                    handle.Dispose();
                }

                throw new InvalidDataException($"the peer passed more than {FdsMax} fds in one message (MSG_CTRUNC): the extra ones were closed; send at most {FdsMax} per message");
            }

            return (int)result;
        }
    }

    private static void ReceiveExactly(int fd, byte* buffer, int length)
    {
        var received = 0;
        while (received < length)
        {
            var count = ReceiveSome(fd, buffer + received, length - received, null, out _);
            if (count == 0)
            {
                throw new EndOfStreamException($"the peer closed the socket in the middle of a message ({received} of {length} bytes): it crashed or was killed");
            }

            received += count;
        }
    }

    private static SafeFileHandle[] CollectFds(byte* control, int controlLength)
    {
        if (control == null || controlLength < CmsgHeaderBytes)
        {
            return [];
        }

        var handles = new List<SafeFileHandle>();
        var offset = 0;
        while (offset + CmsgHeaderBytes <= controlLength)
        {
            var cmsgLength = (int)*(nuint*)(control + offset);
            if (cmsgLength < CmsgHeaderBytes || offset + cmsgLength > controlLength)
            {
                break;
            }

            if (*(int*)(control + offset + 8) == LinuxNative.SOL_SOCKET && *(int*)(control + offset + 12) == LinuxNative.SCM_RIGHTS)
            {
                var count = (cmsgLength - CmsgHeaderBytes) / sizeof(int);
                for (var i = 0; i < count; i++)
                {
                    handles.Add(new SafeFileHandle(((int*)(control + offset + CmsgHeaderBytes))[i], ownsHandle: true));
                }
            }

            offset += (cmsgLength + 7) & ~7;
        }

        return [.. handles];
    }

    /// <summary>EINTR: retry at once. EAGAIN (a socket someone made non-blocking): wait until ready, then retry. Anything else throws.</summary>
    private static void ThrowUnlessRetry(int fd, string call, short readiness, string hint)
    {
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errnos.EINTR)
        {
            return;
        }

        if (errno == Errnos.EAGAIN)
        {
            var pollFd = new LinuxNative.PollFd { Fd = fd, Events = readiness };
            _ = LinuxNative.poll(&pollFd, 1, -1);
            return;
        }

        throw new LinuxErrnoException(call, errno, hint);
    }
}
