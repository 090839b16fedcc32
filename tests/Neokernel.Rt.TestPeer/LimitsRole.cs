using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Linux.Limits;

namespace Neokernel.Rt.TestPeer;

/// <summary>
/// Runs into the limits the test applied to this process, one command at a time:
/// <c>report</c> says what the process sees of its limits; <c>open-files</c> opens /dev/null until
/// the OS refuses; <c>allocate MIB</c> touches native memory a MiB at a time, saying how far it
/// got after each (the OOM killer may end it on the way); <c>spin MS</c> burns CPU for that long.
/// </summary>
internal static unsafe class LimitsRole
{
    private const int MiB = 1024 * 1024;
    private const int PageBytes = 4096;

    public static int Run(Socket socket)
    {
        while (Wire.ReceiveText(socket, out _) is { } command)
        {
            var words = command.Split(' ');
            var argument = words.Length > 1 ? int.Parse(words[1], CultureInfo.InvariantCulture) : 0;
            switch (words[0])
            {
                case "report":
                    Wire.SendText(socket, Report());
                    break;
                case "open-files":
                    Wire.SendText(socket, OpenFiles());
                    break;
                case "allocate":
                    Allocate(socket, argument);
                    break;
                case "spin":
                    Spin(argument);
                    Wire.SendText(socket, "spun");
                    break;
                default:
                    Wire.SendText(socket, $"unknown command '{command}'");
                    break;
            }
        }

        return 0;
    }

    private static string Report() =>
        $"gc-available={GC.GetGCMemoryInfo().TotalAvailableMemoryBytes.ToString(CultureInfo.InvariantCulture)};" +
        $"nofile={OpenFilesLimit.Read(0).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Opens until refused; the descriptors stay open until the process exits, as a leak would.</summary>
    private static string OpenFiles()
    {
        var opened = 0;
        var highest = -1;
        while (opened < 1_000_000)
        {
            var fd = LinuxNative.open("/dev/null", LinuxNative.O_RDONLY | LinuxNative.O_CLOEXEC);
            if (fd < 0)
            {
                return $"opened={opened};highest={highest};error={Errnos.Name(Marshal.GetLastPInvokeError())}";
            }

            opened++;
            highest = Math.Max(highest, fd);
        }

        return $"opened={opened};highest={highest};error=none";
    }

    /// <summary>One MiB of native memory, every page touched so it is really charged; never freed.</summary>
    public static void TouchOneMiB()
    {
        var block = (byte*)NativeMemory.Alloc(MiB);
        for (var offset = 0; offset < MiB; offset += PageBytes)
        {
            block[offset] = 1;
        }
    }

    private static void Allocate(Socket socket, int mebibytes)
    {
        for (var i = 1; i <= mebibytes; i++)
        {
            TouchOneMiB();
            Wire.SendText(socket, $"allocated {i.ToString(CultureInfo.InvariantCulture)}");
        }

        Wire.SendText(socket, "done");
    }

    private static void Spin(int milliseconds)
    {
        var watch = Stopwatch.StartNew();
        var sink = 0UL;
        while (watch.ElapsedMilliseconds < milliseconds)
        {
            sink = (sink * 6364136223846793005UL) + 1442695040888963407UL;
        }

        GC.KeepAlive(sink);
    }
}

/// <summary>
/// Stands in for <c>neokernel service-host</c> with a service that leaks: it connects to the
/// socket the kernel names, takes its grants until Ready, says "started", then touches native
/// memory a MiB at a time until the OOM killer ends it (or, with no memory limit, until
/// <see cref="MiBMax"/>, and exits 0).
/// </summary>
internal static class OomHostRole
{
    private const int MiBMax = 512;

    public static int Run(string[] args)
    {
        using var socket = ServiceHostPeer.Started(args);
        for (var i = 0; i < MiBMax; i++)
        {
            LimitsRole.TouchOneMiB();
        }

        return 0;
    }
}

/// <summary>A service host that takes its grants, says it started, and idles until the kernel hangs up or kills it.</summary>
internal static class IdleHostRole
{
    public static int Run(string[] args)
    {
        using var socket = ServiceHostPeer.Started(args);
        while (IsolationProtocol.Receive(socket) is { } message && message.Type != IsolationProtocol.Quit)
        {
        }

        return 0;
    }
}

/// <summary>What every stand-in service host does first: take the kernel's socket it inherited, take its grants (closing them), and say it started.</summary>
internal static class ServiceHostPeer
{
    public static Socket Started(string[] args)
    {
        var socket = ChildSocket.Inherited(int.Parse(args[Array.IndexOf(args, ChildSocket.FdOption) + 1], CultureInfo.InvariantCulture));
        while (IsolationProtocol.Receive(socket) is { } message && message.Type != IsolationProtocol.Ready)
        {
            foreach (var fd in message.Fds)
            {
                fd.Dispose();
            }
        }

        IsolationProtocol.SendText(socket, "started");
        return socket;
    }
}
