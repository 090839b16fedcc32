using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Neokernel.Rt.Linux.Faults;

/// <summary>
/// The operator's line into a running <c>neokernel run</c>: a Unix stream socket, one per system,
/// in a directory only its user may enter (0700), the socket itself 0600, and every peer's
/// credentials checked (SO_PEERCRED: the same user, or root). One request per connection, one line
/// each way, at most <see cref="LineBytesMax"/> bytes: <c>inject SERVICE FAULT</c> answered by
/// <c>ok WHAT</c> or <c>error WHY</c>. Requests are served one at a time on a thread of its own;
/// a peer that says nothing is dropped after <see cref="ReceiveTimeout"/>.
/// </summary>
public sealed class ControlSocket : IDisposable
{
    public const int LineBytesMax = 4_096;

    public static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How much a peer may send past its answer before it is cut off.</summary>
    private const int DrainBytesMax = 64 * 1_024;

    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    private readonly Socket listener;
    private readonly Func<string, string, string> inject;
    private readonly Thread thread;
    private readonly uint ownUid;
    private volatile bool stopping;

    private ControlSocket(string path, Socket listener, Func<string, string, string> inject)
    {
        Path = path;
        this.listener = listener;
        this.inject = inject;
        ownUid = Sandbox.SandboxNative.geteuid();
        thread = new Thread(Serve) { IsBackground = true, Name = "neokernel-control" };
        thread.Start();
    }

    /// <summary>Where the socket is bound.</summary>
    public string Path { get; }

    /// <summary>
    /// The directory control sockets live in: /run/neokernel for root, else
    /// $XDG_RUNTIME_DIR/neokernel, else /tmp/neokernel-UID.
    /// </summary>
    public static string Directory()
    {
        var uid = Sandbox.SandboxNative.geteuid();
        if (uid == 0)
        {
            return "/run/neokernel";
        }

        return Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime
            ? System.IO.Path.Combine(runtime, "neokernel")
            : $"/tmp/neokernel-{uid.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The socket of system <paramref name="systemName"/> in <see cref="Directory()"/>.</summary>
    public static string DefaultPath(string systemName) => System.IO.Path.Combine(Directory(), systemName + ".sock");

    /// <summary>
    /// Binds <paramref name="path"/> and serves <paramref name="inject"/> (service, fault → what
    /// struck; <see cref="ArgumentException"/> → an error line). Null, with one warning, when
    /// another run of the system answers there already or the socket cannot be made.
    /// </summary>
    public static ControlSocket? TryStart(string path, Func<string, string, string> inject, TextWriter warnings)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(inject);
        ArgumentNullException.ThrowIfNull(warnings);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("control sockets are the Linux platform's");
        }

        try
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (File.Exists(path))
            {
                if (Answers(path))
                {
                    warnings.WriteLine($"neokernel: warning: another run answers on {path}, so `neokernel fault inject` reaches that one; this run has no control socket (--control PATH gives it one)");
                    return null;
                }

                // Left by a run that is gone.
                File.Delete(path);
            }

            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                listener.Bind(new UnixDomainSocketEndPoint(path));
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                listener.Listen(4);
                return new ControlSocket(path, listener, inject);
            }
            catch
            {
                listener.Dispose();
                throw;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or SocketException)
        {
            warnings.WriteLine($"neokernel: warning: no control socket at {path} ({exception.Message}); `neokernel fault inject` cannot reach this run (--control PATH puts it elsewhere)");
            return null;
        }
    }

    /// <summary>Sends one request and returns the answer line; throws <see cref="IOException"/> when no run answers at <paramref name="path"/>.</summary>
    public static string Request(string path, string request, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            socket.SendTimeout = (int)timeout.TotalMilliseconds;
            socket.Send(Encoding.UTF8.GetBytes(request.ReplaceLineEndings(" ") + "\n"));
            return ReadLine(socket) ?? throw new IOException($"the run at {path} hung up without an answer");
        }
        catch (SocketException exception)
        {
            var why = exception.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable when !File.Exists(path) => "no socket there",
                SocketError.ConnectionRefused => "a socket is there, but nothing listens on it",
                SocketError.AccessDenied => "permission denied: it is another user's",
                var code => code.ToString(),
            };
            throw new IOException($"no run answers at {path} ({why})", exception);
        }
    }

    public void Dispose()
    {
        stopping = true;
        listener.Dispose();
        thread.Join(TimeSpan.FromSeconds(5));
        try
        {
            File.Delete(Path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The next run removes it.
        }
    }

    private static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Serve()
    {
        while (!stopping)
        {
            Socket peer;
            try
            {
                peer = listener.Accept();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return;
            }

            using (peer)
            {
                try
                {
                    peer.ReceiveTimeout = (int)ReceiveTimeout.TotalMilliseconds;
                    peer.SendTimeout = (int)ReceiveTimeout.TotalMilliseconds;
                    var answer = Allowed(peer) is { } refusal ? "error " + refusal : Answer(ReadLine(peer));
                    peer.Send(Encoding.UTF8.GetBytes(answer.ReplaceLineEndings(" ") + "\n"));
                    peer.Shutdown(SocketShutdown.Send);
                    Drain(peer);
                }
                catch (SocketException)
                {
                    // The peer went away or said nothing in time: the next one is served.
                }
            }
        }
    }

    /// <summary>
    /// Reads what the peer still sends, until it hangs up, at most <see cref="DrainBytesMax"/> bytes,
    /// each receive waiting at most <see cref="ReceiveTimeout"/>: closing a Unix socket with unread
    /// bytes resets the peer's side (ECONNRESET, or EPIPE on its send), and it would lose the answer it was sent.
    /// </summary>
    private static void Drain(Socket peer)
    {
        Span<byte> sink = stackalloc byte[512];
        var drained = 0;
        while (drained < DrainBytesMax)
        {
            var read = peer.Receive(sink, SocketFlags.None);
            if (read == 0)
            {
                return;
            }

            drained += read;
        }
    }

    /// <summary>Null when the peer runs as this process's user or as root; else why it is refused.</summary>
    private string? Allowed(Socket peer)
    {
        Span<byte> credentials = stackalloc byte[12];
        var length = peer.GetRawSocketOption(SolSocket, SoPeerCred, credentials);
        var uid = length >= 8 ? BitConverter.ToUInt32(credentials[4..8]) : uint.MaxValue;
        return uid == ownUid || uid == 0 ? null : $"user {uid.ToString(CultureInfo.InvariantCulture)} may not control a run of user {ownUid.ToString(CultureInfo.InvariantCulture)}";
    }

    private string Answer(string? line)
    {
        var words = (line ?? "").Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words is not ["inject", var service, var fault])
        {
            return $"error expected 'inject SERVICE FAULT' on one line of at most {LineBytesMax} bytes";
        }

        try
        {
            return "ok " + inject(service, fault);
        }
        catch (ArgumentException exception)
        {
            return "error " + exception.Message;
        }
    }

    /// <summary>One line, without its newline; null when the peer hung up first or sent more than <see cref="LineBytesMax"/> bytes.</summary>
    private static string? ReadLine(Socket socket)
    {
        var buffer = new byte[LineBytesMax];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (read == 0)
            {
                return null;
            }

            var newline = Array.IndexOf(buffer, (byte)'\n', length, read);
            length += read;
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, newline);
            }
        }

        return null;
    }
}
