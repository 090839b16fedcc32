using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Neokernel.Interop.Tests.Support;

/// <summary>
/// Starts the real peers: pymodbus scripts under Debian's <c>/usr/bin/python3</c> (the only
/// interpreter that sees python3-pymodbus), libmodbus programs built from
/// <c>tests/interop/libmodbus</c> with <c>cc -lmodbus</c>, and any installed tool (mbpoll, socat).
/// A missing peer fails the test with the command that installs it: interop is never skipped.
/// </summary>
public static class Peers
{
    public const string Python = "/usr/bin/python3";

    private static readonly object BuildGate = new();

    /// <summary>The folder the peers' sources are copied to beside the test assembly.</summary>
    public static string SourceDirectory => Path.Combine(AppContext.BaseDirectory, "interop");

    /// <summary>Runs <c>tests/interop/pymodbus/SCRIPT</c> with <paramref name="arguments"/>.</summary>
    public static PeerProcess PymodbusScript(string script, params string[] arguments)
    {
        RequireTool(Python, "python3-pymodbus");
        var path = Path.Combine(SourceDirectory, "pymodbus", script);
        return PeerProcess.Start(Python, ["-u", path, .. arguments]);
    }

    /// <summary>Runs the libmodbus program built from <c>tests/interop/libmodbus/SOURCE</c>.</summary>
    public static PeerProcess Libmodbus(string source, params string[] arguments) =>
        PeerProcess.Start(BuildLibmodbus(source), arguments);

    /// <summary>
    /// Builds <c>tests/interop/libmodbus/SOURCE</c> once per content (cached under the temp
    /// folder by its SHA-256), and returns the binary's path.
    /// </summary>
    public static string BuildLibmodbus(string source)
    {
        RequireTool("/usr/bin/cc", "gcc");
        if (!File.Exists("/usr/include/modbus/modbus.h"))
        {
            throw new InvalidOperationException("libmodbus headers are missing: run scripts/install-deps.sh (it installs libmodbus-dev)");
        }

        var sourcePath = Path.Combine(SourceDirectory, "libmodbus", source);
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(sourcePath)))[..16].ToLowerInvariant();
        var directory = Path.Combine(Path.GetTempPath(), "neokernel-interop-peers");
        var binary = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(source)}-{hash}");
        lock (BuildGate)
        {
            if (File.Exists(binary))
            {
                return binary;
            }

            Directory.CreateDirectory(directory);
            var partial = binary + ".partial-" + Environment.ProcessId;
            using var cc = PeerProcess.Start("/usr/bin/cc", "-O2", "-Wall", "-Werror", "-I/usr/include/modbus", "-o", partial, sourcePath, "-lmodbus");
            var exit = cc.WaitForExit(TimeSpan.FromSeconds(60));
            if (exit != 0)
            {
                throw new InvalidOperationException($"building {source} failed ({exit}):\n{cc.Output}");
            }

            File.Move(partial, binary, overwrite: true);
            return binary;
        }
    }

    /// <summary>Runs an installed tool by name, e.g. <c>mbpoll</c>.</summary>
    public static PeerProcess Tool(string name, string package, params string[] arguments)
    {
        var path = "/usr/bin/" + name;
        RequireTool(path, package);
        return PeerProcess.Start(path, arguments);
    }

    /// <summary>A TCP port on 127.0.0.1 nobody listens on now (the OS picks it).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static void WaitForListener(int port, TimeSpan timeout, PeerProcess? owner = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                if (owner is { HasExited: true })
                {
                    throw new InvalidOperationException($"peer exited before listening on {port}:\n{owner.Output}");
                }

                Thread.Sleep(20);
            }
        }

        throw new TimeoutException($"nothing listens on 127.0.0.1:{port} after {timeout.TotalSeconds:0.#} s{(owner is null ? "" : ":\n" + owner.Output)}");
    }

    private static void RequireTool(string path, string package)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: run scripts/install-deps.sh (it installs {package})");
        }
    }
}

/// <summary>
/// A serial line made of two pseudo-terminals joined by socat (<c>A</c> and <c>B</c> in a temp
/// folder): what one end writes, the other reads, as System.IO.Ports and libmodbus see a tty.
/// </summary>
public sealed class SocatPair : IDisposable
{
    private readonly PeerProcess socat;
    private readonly DirectoryInfo directory;

    public SocatPair()
    {
        directory = Directory.CreateTempSubdirectory("neokernel-pty-");
        A = Path.Combine(directory.FullName, "a");
        B = Path.Combine(directory.FullName, "b");
        socat = Peers.Tool("socat", "socat", "-d", $"pty,raw,echo=0,link={A}", $"pty,raw,echo=0,link={B}");
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(A) && File.Exists(B)))
        {
            if (socat.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException($"socat made no pty pair in {directory.FullName}:\n{socat.Output}");
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>One end's path (a symlink to its /dev/pts node).</summary>
    public string A { get; }

    /// <summary>The other end's path.</summary>
    public string B { get; }

    public void Dispose()
    {
        socat.Dispose();
        directory.Delete(recursive: true);
    }
}
