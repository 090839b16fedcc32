using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Neokernel.Rt.Linux.Faults;

namespace Neokernel.Rt.Tests.Faults;

/// <summary>
/// The operator's control socket of a live run: one bounded line each way, only its own user (or
/// root) served, a directory and socket no one else may enter, one run per socket path.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ControlSocketTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"nk-control-tests-{Guid.NewGuid():N}");
    private readonly List<(string Service, string Fault)> requests = [];

    private string SocketPath => Path.Combine(directory, "system.sock");

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Request_Inject_ReachesTheRunAndItsAnswerComesBack()
    {
        using var socket = Start();
        Assert.Equal("ok struck crash at level-sensor", ControlSocket.Request(SocketPath, "inject level-sensor crash", TimeSpan.FromSeconds(5)));
        Assert.Equal([("level-sensor", "crash")], requests);
    }

    [Fact]
    public void Request_TheRunRefuses_AnswersErrorWithWhy()
    {
        using var socket = Start();
        Assert.Equal("error no service 'nosuch'", ControlSocket.Request(SocketPath, "inject nosuch crash", TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("inject level-sensor")]
    [InlineData("strike level-sensor crash")]
    public void Request_NotAnInjectLine_AnswersWhatItExpects(string line)
    {
        using var socket = Start();
        Assert.Equal($"error expected 'inject SERVICE FAULT' on one line of at most {ControlSocket.LineBytesMax} bytes", ControlSocket.Request(SocketPath, line, TimeSpan.FromSeconds(5)));
        Assert.Empty(requests);
    }

    [Fact]
    public void Request_LongerThanTheLimit_IsAnsweredWithTheLimitAndNotServed()
    {
        using var socket = Start();
        var answer = ControlSocket.Request(SocketPath, "inject level-sensor " + new string('x', ControlSocket.LineBytesMax), TimeSpan.FromSeconds(5));
        Assert.Equal($"error expected 'inject SERVICE FAULT' on one line of at most {ControlSocket.LineBytesMax} bytes", answer);
        Assert.Empty(requests);
        Assert.StartsWith("ok ", ControlSocket.Request(SocketPath, "inject level-sensor crash", TimeSpan.FromSeconds(5)), StringComparison.Ordinal); // and the next peer is served
    }

    [Fact]
    public void Serve_APeerThatSaysNothing_IsDroppedAndTheNextIsServed()
    {
        using var socket = Start();
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        silent.Connect(new UnixDomainSocketEndPoint(SocketPath));
        var watch = Stopwatch.StartNew();
        var answer = ControlSocket.Request(SocketPath, "inject level-sensor crash", ControlSocket.ReceiveTimeout * 3);
        Assert.StartsWith("ok ", answer, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < ControlSocket.ReceiveTimeout * 3, $"the next peer waited {watch.Elapsed}");
    }

    [Fact]
    public void TryStart_MakesADirectoryAndSocketOnlyItsUserMayUse_AndDisposeRemovesTheSocket()
    {
        var socket = Start();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
        socket.Dispose();
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public void TryStart_AnotherRunAnswersThere_WarnsAndLeavesThatRunItsSocket()
    {
        using var first = Start();
        using var warnings = new StringWriter();
        Assert.Null(ControlSocket.TryStart(SocketPath, (_, _) => "second", warnings));
        Assert.Contains($"another run answers on {SocketPath}", warnings.ToString(), StringComparison.Ordinal);
        Assert.Equal("ok struck crash at a", ControlSocket.Request(SocketPath, "inject a crash", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void TryStart_ASocketLeftByARunThatIsGone_IsReplaced()
    {
        Directory.CreateDirectory(directory);
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            stale.Bind(new UnixDomainSocketEndPoint(SocketPath)); // bound, never listening, closed: what kill -9 of a run leaves
        }

        using var warnings = new StringWriter();
        using var socket = ControlSocket.TryStart(SocketPath, Inject, warnings);
        Assert.NotNull(socket);
        Assert.Equal("", warnings.ToString());
        Assert.StartsWith("ok ", ControlSocket.Request(SocketPath, "inject a crash", TimeSpan.FromSeconds(5)), StringComparison.Ordinal);
    }

    [Fact]
    public void Request_NoRunThere_ThrowsIOExceptionNamingThePath()
    {
        var exception = Assert.Throws<IOException>(() => ControlSocket.Request(SocketPath, "inject a crash", TimeSpan.FromSeconds(1)));
        Assert.Equal($"no run answers at {SocketPath} (no socket there)", exception.Message);
    }

    [Fact]
    public void Request_ASocketNobodyListensOn_SaysSo()
    {
        // Bound, then the process gone without unlinking it: what a killed run leaves (.NET would unlink its own on Dispose).
        Directory.CreateDirectory(directory);
        using (var binder = Process.Start("/usr/bin/python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", SocketPath]))
        {
            binder.WaitForExit();
            Assert.Equal(0, binder.ExitCode);
        }

        var exception = Assert.Throws<IOException>(() => ControlSocket.Request(SocketPath, "inject a crash", TimeSpan.FromSeconds(1)));
        Assert.Equal($"no run answers at {SocketPath} (a socket is there, but nothing listens on it)", exception.Message);
    }

    /// <summary>
    /// Behind the file modes stands the peer check: even with the directory and socket opened to
    /// everyone (as a careless chmod would), another user's request is refused and not served.
    /// </summary>
    [Fact]
    public void Serve_AnotherUsersPeer_IsRefusedByItsCredentials()
    {
        Assert.True(Environment.IsPrivilegedProcess, "the tests run as root (the CI and the test command do)");
        using var socket = Start();
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(SocketPath, (UnixFileMode)0b110_110_110);
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in (string[])["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c",
            "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'inject level-sensor crash\\n'); print(s.recv(4096).decode(), end='')", SocketPath])
        {
            info.ArgumentList.Add(argument);
        }

        using var peer = Process.Start(info)!;
        var answer = peer.StandardOutput.ReadToEnd();
        var errors = peer.StandardError.ReadToEnd();
        peer.WaitForExit();
        Assert.True(peer.ExitCode == 0, errors);
        Assert.Matches(@"^error user \d+ may not control a run of user 0\n$", answer);
        Assert.Empty(requests);
    }

    private ControlSocket Start()
    {
        using var warnings = new StringWriter();
        var socket = ControlSocket.TryStart(SocketPath, Inject, warnings);
        Assert.True(socket is not null, warnings.ToString());
        return socket;
    }

    private string Inject(string service, string fault)
    {
        if (service == "nosuch")
        {
            throw new ArgumentException($"no service '{service}'");
        }

        lock (requests)
        {
            requests.Add((service, fault));
        }

        return $"struck {fault} at {service}";
    }
}
