using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Linux.Devices;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// Stream devices of an isolated service, opened by the kernel and handed over with SCM_RIGHTS:
/// the kernel binds the listening socket and opens (and configures) the serial line its manifest
/// names, so the service's process never opens a socket or a tty of its own. An outgoing
/// connection is made by the kernel on the service's request (<see cref="IsolationProtocol.ConnectRequest"/>),
/// a fresh connecting socket on each attempt, and only to an address one of the service's device
/// capabilities names (see ARCHITECTURE.md, "Devices").
/// </summary>
public static class DeviceGrants
{
    /// <summary>Whether the device at <paramref name="uri"/> is a stream the kernel opens for an isolated service.</summary>
    public static bool IsStream(string uri) =>
        DeviceUri.TryParse(uri, out var address, out _) && address!.Transport != DeviceTransport.RegisterBank;

    /// <summary>Whether the device at <paramref name="uri"/> is a listening socket.</summary>
    public static bool IsListener(string uri) =>
        DeviceUri.TryParse(uri, out var address, out _) && address!.Transport == DeviceTransport.TcpListen;

    /// <summary>
    /// Kernel: opens the listener or serial line behind <paramref name="uri"/>; null for an outgoing
    /// connection (nothing to hand over at start). Throws with the errno and a hint when it cannot.
    /// </summary>
    public static SafeFileHandle? Open(string serviceId, string uri)
    {
        var address = DeviceUri.Parse(uri);
        int errno, fd;
        switch (address.Transport)
        {
            case DeviceTransport.TcpListen:
                errno = DeviceFds.BindListener(address, out fd);
                break;
            case DeviceTransport.Serial:
                errno = DeviceFds.OpenSerial(address, out fd);
                break;
            default:
                return null;
        }

        if (errno != 0)
        {
            throw new LinuxErrnoException($"service '{serviceId}': opening {address.Describe()} ({uri}) for its process", errno, "EADDRINUSE: another program listens there; ENOENT: no such tty; EACCES: join the dialout group or grant the port");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }
}

/// <summary>Kernel side of a connect request: connects for the service if it holds the device, and answers.</summary>
public static class KernelConnects
{
    /// <summary>Answers <paramref name="body"/> (the device URI) with a connecting socket, or EACCES unless <paramref name="holds"/> says the service holds it.</summary>
    public static void Answer(Socket socket, Func<string, bool> holds, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(holds);
        var uri = Encoding.UTF8.GetString(body);
        var granted = holds(uri) && DeviceUri.TryParse(uri, out var address, out _) && address!.Transport == DeviceTransport.TcpConnect;
        var errno = Errnos.EACCES;
        var fd = -1;
        if (granted)
        {
            errno = DeviceFds.StartConnect(DeviceUri.Parse(uri), out fd, out _);
        }

        var reply = new byte[4 + Encoding.UTF8.GetByteCount(uri)];
        BinaryPrimitives.WriteInt32LittleEndian(reply, errno);
        Encoding.UTF8.GetBytes(uri, reply.AsSpan(4));
        if (fd < 0)
        {
            IsolationProtocol.Send(socket, IsolationProtocol.ConnectReply, reply);
            return;
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        IsolationProtocol.Send(socket, IsolationProtocol.ConnectReply, reply, handle);
    }
}

/// <summary>
/// Child: the descriptors the kernel handed over, by URI. Each is taken once (the channel or
/// listener then owns and closes it); anything not handed over is refused with EACCES, so the
/// process reaches only what its manifest names and the kernel opened.
/// </summary>
public sealed class GrantedStreamFds : IStreamFdSource
{
    private readonly Dictionary<string, SafeFileHandle> granted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<IConnectWaiter>> waiting = new(StringComparer.Ordinal);
    private Socket? kernel;
    private Action<Action>? post;

    /// <summary>Connects go to the kernel over <paramref name="socket"/>; its answers run on the loop through <paramref name="postToLoop"/>.</summary>
    public void ConnectThrough(Socket socket, Action<Action> postToLoop)
    {
        kernel = socket;
        post = postToLoop;
    }

    /// <summary>Reader thread: takes a connect answer off the isolation socket; false for any other message.</summary>
    public bool TryDeliver(byte type, byte[] body, SafeFileHandle[] fds)
    {
        if (type != IsolationProtocol.ConnectReply || post is null)
        {
            return false;
        }

        var errno = BinaryPrimitives.ReadInt32LittleEndian(body);
        var uri = Encoding.UTF8.GetString(body.AsSpan(4));
        var fd = -1;
        if (fds.Length == 1)
        {
            fd = (int)fds[0].DangerousGetHandle();
            fds[0].SetHandleAsInvalid();
        }

        post(() =>
        {
            if (waiting.TryGetValue(uri, out var queue) && queue.TryDequeue(out var waiter))
            {
                waiter.OnConnectFd(fd, errno);
            }
            else
            {
                DeviceFds.Close(ref fd);
            }
        });
        return true;
    }

    /// <summary>Keeps <paramref name="fd"/> for the device at <paramref name="uri"/>.</summary>
    public void Add(string uri, SafeFileHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!granted.TryAdd(uri, fd))
        {
            fd.Dispose();
            throw new InvalidDataException($"the kernel granted device '{uri}' twice");
        }
    }

    /// <summary>Asks the kernel to connect; EINPROGRESS, and the socket comes to <paramref name="waiter"/>. EACCES when no kernel takes requests.</summary>
    public int StartConnect(DeviceAddress address, IConnectWaiter waiter, out int fd, out bool connected)
    {
        ArgumentNullException.ThrowIfNull(address);
        fd = -1;
        connected = false;
        if (kernel is null)
        {
            return Errnos.EACCES;
        }

        if (!waiting.TryGetValue(address.Text, out var queue))
        {
            queue = new Queue<IConnectWaiter>();
            waiting.Add(address.Text, queue);
        }

        queue.Enqueue(waiter);
        IsolationProtocol.Send(kernel, IsolationProtocol.ConnectRequest, Encoding.UTF8.GetBytes(address.Text));
        return DeviceNative.EINPROGRESS;
    }

    public int BindListener(DeviceAddress address, out int fd) => Take(address, out fd);

    public int OpenSerial(DeviceAddress address, out int fd) => Take(address, out fd);

    private int Take(DeviceAddress address, out int fd)
    {
        fd = -1;
        if (!granted.Remove(address.Text, out var handle))
        {
            return Errnos.EACCES;
        }

        fd = (int)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        return 0;
    }
}
