using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// The kernel's end of a service host's socket: one end of a socketpair whose other end exactly
/// one child inherits, as the fd number it is started with (<c>--socket-fd N</c>). The socket
/// has no name in the file system or the abstract namespace, so no other process, of this user
/// or another, can connect to it: whoever holds the kernel's capabilities was started by the kernel.
/// <para>
/// .NET's <see cref="Process.Start(ProcessStartInfo)"/> lets a child inherit every fd that is not
/// close-on-exec, and offers no per-child list of fds to keep. Both ends are therefore made
/// close-on-exec, and the child's end loses the flag only for the one spawn that hands it over,
/// under <see cref="SpawnGate"/>, which every service host spawn of this process takes. A sibling
/// started at the same time (another service's host, on another kernel's control thread in the
/// same process) cannot inherit it. Nothing else in a kernel process spawns processes. The other
/// way, posix_spawn with a dup2 file action, has no such window, but it would give up
/// <see cref="Process"/>: its stderr pipe, its kill, and the runtime's reaping of its child.
/// </para>
/// </summary>
public sealed class ChildSocket : IDisposable
{
    /// <summary>The service host's command-line option that names its inherited end.</summary>
    public const string FdOption = "--socket-fd";

    /// <summary>
    /// How long a send to the child may block on a full socket buffer before it fails. A child
    /// that was stopped (SIGSTOP) before it read its grants must not hold the control thread.
    /// </summary>
    private const int SendTimeoutMs = 2_000;

    private static readonly Lock SpawnGate = new();
    private static int leftoversRemoved;

    private SafeSocketHandle? childEnd;

    private ChildSocket(Socket kernel, SafeSocketHandle childEnd)
    {
        Kernel = kernel;
        this.childEnd = childEnd;
    }

    /// <summary>The kernel's end: grants go out, the child's messages come in.</summary>
    public Socket Kernel { get; }

    /// <summary>Makes a connected pair, both ends close-on-exec.</summary>
    public static unsafe ChildSocket Create()
    {
        if (Interlocked.Exchange(ref leftoversRemoved, 1) == 0)
        {
            RemoveLeftovers(Path.GetTempPath(), Console.Error);
        }

        var fds = stackalloc int[2];
        if (LinuxNative.socketpair(LinuxNative.AF_UNIX, LinuxNative.SOCK_STREAM | LinuxNative.SOCK_CLOEXEC, 0, fds) != 0)
        {
            throw LinuxNative.Error("socketpair(AF_UNIX, SOCK_STREAM)", "the kernel could not make a service host's socket; check the open-file limit (ulimit -n)");
        }

        var kernel = new Socket(new SafeSocketHandle(fds[0], ownsHandle: true)) { SendTimeout = SendTimeoutMs };
        return new ChildSocket(kernel, new SafeSocketHandle(fds[1], ownsHandle: true));
    }

    /// <summary>
    /// Starts <paramref name="info"/> (whose arguments this adds <c>--socket-fd N</c> to) with the
    /// child's end as its fd N, then closes that end here: from then on only the child holds it,
    /// and its exit shows as end of file on <see cref="Kernel"/>. <paramref name="start"/> starts
    /// it: <see cref="Process.Start(ProcessStartInfo)"/>, or the sandbox's spawner thread.
    /// </summary>
    public Process Spawn(ProcessStartInfo info, Func<ProcessStartInfo, Process> start)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(start);
        var end = childEnd ?? throw new InvalidOperationException("the child's end of this socket was already handed over");
        var fd = (int)end.DangerousGetHandle();
        info.ArgumentList.Add(FdOption);
        info.ArgumentList.Add(fd.ToString(CultureInfo.InvariantCulture));
        try
        {
            lock (SpawnGate)
            {
                // Fds this process inherited from its own parent must not reach the child either.
                InheritedFds.MarkCloseOnExec();
                SetCloseOnExec(fd, false);
                try
                {
                    return start(info);
                }
                finally
                {
                    SetCloseOnExec(fd, true);
                }
            }
        }
        finally
        {
            childEnd = null;
            end.Dispose();
        }
    }

    /// <summary>
    /// Child: takes the socket it inherited as <paramref name="fd"/> and makes it close-on-exec,
    /// so nothing the child might start inherits the kernel's connection.
    /// </summary>
    public static Socket Inherited(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fd, 3);
        var what = OpenFileOf(fd);
        if (what is null || !what.StartsWith("socket:", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"fd {fd} is {(what is null ? "not open" : $"'{what}', not a socket")}; {FdOption} must name the socket the kernel started this process with");
        }

        SetCloseOnExec(fd, true);
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
        {
            socket.Dispose();
            throw new InvalidDataException($"fd {fd} is a {socket.AddressFamily} {socket.SocketType} socket, not a Unix stream socket; {FdOption} must name the socket the kernel started this process with");
        }

        return socket;
    }

    public void Dispose()
    {
        childEnd?.Dispose();
        childEnd = null;
        Kernel.Dispose();
    }

    /// <summary>What the fd refers to, as /proc/self/fd shows it ("socket:[INODE]", a path); null when it is not open.</summary>
    private static string? OpenFileOf(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd.ToString(CultureInfo.InvariantCulture)}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void SetCloseOnExec(int fd, bool closeOnExec)
    {
        if (LinuxNative.fcntl(fd, LinuxNative.F_SETFD, closeOnExec ? LinuxNative.FD_CLOEXEC : 0) != 0)
        {
            throw LinuxNative.Error($"fcntl({fd}, F_SETFD)", closeOnExec ? "could not mark a service host's socket close-on-exec" : "could not hand a service host its socket");
        }
    }

    /// <summary>
    /// Removes the socket files that kernels of an older version, now gone, left in
    /// <paramref name="directory"/>: they bound <c>neokernel-PID-SERVICE-INCARNATION.sock</c> there,
    /// and a kernel killed with SIGKILL could not remove its own. A file whose kernel still runs
    /// stays. As is done for cgroups (<see cref="Limits.ProcessLimiter"/>); returns how many went.
    /// </summary>
    public static int RemoveLeftovers(string directory, TextWriter warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "neokernel-*.sock"))
        {
            var parts = Path.GetFileName(file).Split('-', 3);
            if (parts.Length < 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId || Directory.Exists($"/proc/{parts[1]}"))
            {
                continue;
            }

            try
            {
                File.Delete(file);
                removed++;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                warnings.WriteLine($"neokernel: warning: the socket {file} of a neokernel that is gone could not be removed ({exception.Message}); remove it by hand");
            }
        }

        return removed;
    }
}
