using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Regions;
using Neokernel.Rt.Linux;

namespace Neokernel.Rt.TestPeer;

/// <summary>
/// The child process of the cross-process tests. It connects to the Unix socket the test listens
/// on, receives its capabilities as fds, and plays one role:
/// <c>region</c> maps a region read-only, reports what a write attempt gets, and answers snapshot
/// requests; <c>echo</c> maps an endpoint's two rings and replies to every request with its own
/// bytes, pausing and resuming on command; <c>limits</c> runs into the resource limits the test
/// puts on it; <c>oom-host</c> plays a leaking service host, <c>idle-host</c> one that idles until it is killed. The first two report their open fds. Exit code 0 when the test closes the socket.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is ["oom-host", ..])
        {
            return OomHostRole.Run(args);
        }

        if (args is ["idle-host", ..])
        {
            return IdleHostRole.Run(args);
        }

        if (args is ["kernel-host", "service-host", ..])
        {
            return KernelClientRole.Run(args[1..], Console.Error);
        }

        if (args.Length != 2 || args[0] is not ("region" or "region-store" or "echo" or "limits" or "stream-echo"))
        {
            Console.Error.WriteLine("usage: Neokernel.Rt.TestPeer region|region-store|echo|limits|stream-echo SOCKET_PATH");
            return 2;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(args[1]));
        return args[0] switch
        {
            "region" => RegionRole.Run(socket),
            "region-store" => RegionRole.Store(socket),
            "limits" => LimitsRole.Run(socket),
            "stream-echo" => StreamEchoRole.Run(socket),
            _ => EchoRole.Run(socket),
        };
    }
}

/// <summary>Text messages over <see cref="FdPassing"/>: the peer protocol is a handful of commands, readable in test failures.</summary>
internal static class Wire
{
    public static void SendText(Socket socket, string text) => FdPassing.Send(socket, Encoding.UTF8.GetBytes(text));

    /// <summary>Null when the test closed the socket.</summary>
    public static string? ReceiveText(Socket socket, out SafeFileHandle[] fds)
    {
        var buffer = new byte[FdPassing.PayloadBytesMax];
        if (!FdPassing.TryReceive(socket, buffer, out var length, out fds))
        {
            return null;
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    public static (CapabilityGrant Grant, SafeFileHandle[] Fds) ReceiveGrant(Socket socket)
    {
        var buffer = new byte[FdPassing.PayloadBytesMax];
        if (!FdPassing.TryReceive(socket, buffer, out var length, out var fds))
        {
            throw new EndOfStreamException("the test closed the socket before granting anything");
        }

        return (CapabilityGrant.Decode(buffer.AsSpan(0, length)), fds);
    }

    /// <summary>Every fd this process holds, as "N -> target" lines from /proc/self/fd.</summary>
    public static string FdListing()
    {
        var lines = new List<string>();
        foreach (var entry in Directory.GetFiles("/proc/self/fd").Select(Path.GetFileName).OfType<string>().OrderBy(n => int.Parse(n, CultureInfo.InvariantCulture)))
        {
            var target = new FileInfo($"/proc/self/fd/{entry}").LinkTarget ?? "?";
            lines.Add($"{entry} -> {target}");
        }

        return string.Join('\n', lines);
    }
}

internal static unsafe class RegionRole
{
    public static int Run(Socket socket)
    {
        var (grant, fds) = Wire.ReceiveGrant(socket);
        var pointNames = Enumerable.Range(0, (grant.LengthBytes - Region.HeaderBytes) / Region.PointBytes).Select(i => $"p{i}").ToArray();
        var fdNumber = (int)fds[0].DangerousGetHandle();
        using var memory = MemfdRegionMemory.Attach(grant.Name, fds[0], grant.LengthBytes, writable: false);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"access-mode={AccessMode(fdNumber)}");
        report.AppendLine(CultureInfo.InvariantCulture, $"mmap-write={MapWritable(fdNumber, grant.LengthBytes)}");
        report.AppendLine(CultureInfo.InvariantCulture, $"mprotect-write={ProtectWritable(memory)}");
        report.AppendLine(CultureInfo.InvariantCulture, $"reopen-rdwr-as-root={Reopen(fdNumber)}");
        report.AppendLine(CultureInfo.InvariantCulture, $"reopen-rdwr-without-capabilities={ReopenWithoutCapabilities(fdNumber)}");
        report.Append("fds:\n").Append(Wire.FdListing());
        Wire.SendText(socket, report.ToString());

        var region = new MappedRegion(grant.Name, pointNames, memory);
        var snapshot = new RegionSnapshot(region.PointCount);
        while (Wire.ReceiveText(socket, out _) is "read")
        {
            var ok = region.TryRead(snapshot);
            var values = string.Join(',', Enumerable.Range(0, snapshot.PointCount).Select(i => $"{snapshot.Value(i).ToString("R", CultureInfo.InvariantCulture)}/{snapshot.Quality(i)}/{snapshot.TimestampNs(i)}"));
            Wire.SendText(socket, ok ? $"seq={snapshot.Sequence};{values}" : "torn");
        }

        return 0;
    }

    /// <summary>Stores a byte through the read-only mapping: the MMU refuses, and the process dies of the fault.</summary>
    public static int Store(Socket socket)
    {
        var (grant, fds) = Wire.ReceiveGrant(socket);
        using var memory = MemfdRegionMemory.Attach(grant.Name, fds[0], grant.LengthBytes, writable: false);
        Wire.SendText(socket, "storing");
        memory.Bytes[Region.HeaderBytes] = 0xFF;
        Wire.SendText(socket, "stored");
        return 0;
    }

    private static string AccessMode(int fd) =>
        (LinuxNative.fcntl(fd, LinuxNative.F_GETFL, 0) & LinuxNative.O_ACCMODE) switch
        {
            LinuxNative.O_RDONLY => "O_RDONLY",
            LinuxNative.O_RDWR => "O_RDWR",
            var other => other.ToString(CultureInfo.InvariantCulture),
        };

    /// <summary>A second, writable MAP_SHARED mapping of the received fd: what a reader trying to write would do first.</summary>
    private static string MapWritable(int fd, int length)
    {
        var mapped = LinuxNative.mmap(IntPtr.Zero, (nuint)length, LinuxNative.PROT_READ | LinuxNative.PROT_WRITE, LinuxNative.MAP_SHARED, fd, 0);
        if (mapped == LinuxNative.MapFailed)
        {
            return Errnos.Name(Marshal.GetLastPInvokeError());
        }

        _ = LinuxNative.munmap(mapped, (nuint)length);
        return "mapped";
    }

    /// <summary>Upgrading the existing read-only mapping in place.</summary>
    private static string ProtectWritable(MemfdRegionMemory memory)
    {
        fixed (byte* start = memory.ReadOnlyBytes)
        {
            return LinuxNative.mprotect((IntPtr)start, (nuint)memory.Length, LinuxNative.PROT_READ | LinuxNative.PROT_WRITE) == 0
                ? "writable"
                : Errnos.Name(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Re-opening the memfd read-write through /proc: the inode's 0400 mode stops everyone without CAP_DAC_OVERRIDE.</summary>
    private static string Reopen(int fd)
    {
        var reopened = LinuxNative.open($"/proc/self/fd/{fd}", LinuxNative.O_RDWR | LinuxNative.O_CLOEXEC);
        if (reopened < 0)
        {
            return Errnos.Name(Marshal.GetLastPInvokeError());
        }

        new SafeFileHandle(reopened, ownsHandle: true).Dispose();
        return "opened";
    }

    /// <summary>
    /// Drops every capability of this thread (capset: capabilities are per thread in Linux), as a
    /// service host process is meant to run, and re-opens again.
    /// </summary>
    private static string ReopenWithoutCapabilities(int fd)
    {
        var header = stackalloc uint[2] { 0x20080522, 0 };
        var data = stackalloc uint[6];
        const nint capset = 126;
        const nint capsetArm64 = 91;
        var number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? capsetArm64 : capset;
        if (LinuxNative.syscall(number, (nint)header, (nint)data, 0, 0, 0, 0) != 0)
        {
            return $"capset failed: {Errnos.Name(Marshal.GetLastPInvokeError())}";
        }

        return Reopen(fd);
    }
}

internal static class EchoRole
{
    private const long IdleWaitNs = 20_000_000;

    public static int Run(Socket socket)
    {
        var (grant, fds) = Wire.ReceiveGrant(socket);
        using var endpoint = SharedEndpointRings.Attach(grant, fds[0], fds[1]);
        Wire.SendText(socket, "ready\nfds:\n" + Wire.FdListing());
        while (true)
        {
            if (endpoint.Requests.WaitForMessage(IdleWaitNs))
            {
                EchoAll(endpoint);
                continue;
            }

            if (socket.Poll(0, SelectMode.SelectRead) && !Control(socket))
            {
                return 0;
            }
        }
    }

    /// <summary>Replies to every request waiting; a reply refused for a full ring is retried, so none is dropped.</summary>
    private static void EchoAll(SharedEndpointRings endpoint)
    {
        while (endpoint.Requests.TryPeek(out var header, out var request))
        {
            while (endpoint.Reply(header, request, sender: 2) == EnqueueResult.Full)
            {
                Thread.Yield();
            }

            endpoint.Requests.Advance();
        }
    }

    /// <summary>pause: stop consuming until resume. False when the test closed the socket.</summary>
    private static bool Control(Socket socket)
    {
        var command = Wire.ReceiveText(socket, out _);
        if (command is null)
        {
            return false;
        }

        if (command == "pause")
        {
            Wire.SendText(socket, "paused");
            command = Wire.ReceiveText(socket, out _);
            if (command is null)
            {
                return false;
            }

            Wire.SendText(socket, "resumed");
        }

        return true;
    }
}
