using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Linux.Devices;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// Stream devices of an isolated service, opened by the kernel and handed over with SCM_RIGHTS:
/// the kernel binds the listening socket and opens (and configures) the serial line its manifest
/// names, so the service's process never opens a socket or a tty of its own. An outgoing
/// connection is not handed over at start: the kernel is to connect on the service's request (see
/// ARCHITECTURE.md, "Devices"); until then an isolated service's connect is refused
/// (<see cref="DeviceError.AccessDenied"/>), so it cannot reach any address at all.
/// </summary>
public static class DeviceGrants
{
    /// <summary>Whether the device at <paramref name="uri"/> is a stream the kernel opens for an isolated service.</summary>
    public static bool IsStream(string uri) =>
        DeviceUri.TryParse(uri, out var address, out _) && address!.Transport != DeviceTransport.RegisterBank;

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

    /// <summary>Kernel: sends the stream grant of <paramref name="capability"/> (if it has one to hand over) on <paramref name="socket"/>.</summary>
    public static void Send(Socket socket, string serviceId, Capability capability)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(capability);
        var uri = (string)capability.KernelObject;
        using var fd = Open(serviceId, uri);
        if (fd is null)
        {
            return;
        }

        var grant = new CapabilityGrant(CapabilityKind.Device, uri, capability.Rights, 0, 0, 0);
        IsolationProtocol.Send(socket, IsolationProtocol.StreamGrant, grant.Encode(), fd);
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

    public int StartConnect(DeviceAddress address, out int fd, out bool connected)
    {
        fd = -1;
        connected = false;
        return Errnos.EACCES;
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
