using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Neokernel.Interop.Tests.Support;

/// <summary>
/// Runs the node-opcua scripts of <c>tests/interop/node-opcua</c> (client.mjs, bench.mjs,
/// anchor-server.mjs) under <c>/usr/bin/node</c>: each prints one JSON object on stdout, which
/// comes back parsed; a script that fails, prints no JSON or outlives its timeout (then it is
/// killed with its children) throws with what it wrote on stderr. Shared by the interop tests and
/// the benchmarks (linked into tests/Neokernel.Benchmarks), so it uses nothing but the BCL.
/// </summary>
public static class NodeOpcua
{
    public const string Node = "/usr/bin/node";

    /// <summary>The node-opcua version package.json pins for the client and the server.</summary>
    public const string Version = "2.186.4";

    /// <summary>How much of a failed script's stderr goes into the exception message.</summary>
    private const int StderrTailChars = 4000;

    private static readonly Lazy<string> ScriptDirectory = new(FindScriptDirectory);

    /// <summary>The folder of the scripts, its package.json and node_modules.</summary>
    public static string Directory => ScriptDirectory.Value;

    /// <summary>
    /// Fails, naming the fix, when node or the npm packages are missing; returns the installed
    /// versions of node-opcua-client and node-opcua-server otherwise.
    /// </summary>
    public static (string Client, string Server) RequireInstalled()
    {
        if (!File.Exists(Node))
        {
            throw new InvalidOperationException($"{Node} is missing: run scripts/install-deps.sh (it installs nodejs)");
        }

        return (InstalledVersion("node-opcua-client"), InstalledVersion("node-opcua-server"));
    }

    /// <summary>
    /// Runs <c>node SCRIPT ARGUMENTS</c> in the scripts' folder and returns the JSON object it printed
    /// (its last line on stdout). Throws <see cref="NodeOpcuaException"/> with its stderr when it exits
    /// non-zero or prints no JSON, and after killing it when it runs past <paramref name="timeout"/>.
    /// </summary>
    public static JsonDocument Run(string script, TimeSpan timeout, params string[] arguments)
    {
        RequireInstalled();
        using var process = Start(script, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var command = Describe(script, arguments);
        if (!process.WaitForExit(timeout))
        {
            KillTree(process);
            throw new NodeOpcuaException($"{command} did not finish within {timeout.TotalSeconds:0.#} s and was killed:\n{Tail(Finished(stderr))}");
        }

        process.WaitForExit();
        var output = Finished(stdout);
        var errors = Finished(stderr);
        if (process.ExitCode != 0)
        {
            throw new NodeOpcuaException($"{command} failed with exit code {process.ExitCode}:\n{Tail(errors)}");
        }

        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (line is null)
        {
            throw new NodeOpcuaException($"{command} printed nothing on stdout:\n{Tail(errors)}");
        }

        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException exception)
        {
            throw new NodeOpcuaException($"{command} printed no JSON object ({exception.Message}): {Tail(line)}\n{Tail(errors)}");
        }
    }

    /// <summary>Starts anchor-server.mjs with <paramref name="points"/> points on a free port and waits until it is ready.</summary>
    public static NodeOpcuaAnchor StartAnchor(int points, int intervalMs = 100, TimeSpan? readyTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        RequireInstalled();
        var port = FreePort();
        var anchor = new NodeOpcuaAnchor(Start("anchor-server.mjs", "--port", Inv($"{port}"), "--points", Inv($"{points}"), "--interval-ms", Inv($"{intervalMs}")), port, points);
        try
        {
            anchor.WaitForReady(readyTimeout ?? TimeSpan.FromSeconds(90));
            return anchor;
        }
        catch
        {
            anchor.Dispose();
            throw;
        }
    }

    /// <summary>A field of /proc/PID/status in kB, e.g. VmRSS (resident now) or VmHWM (its peak).</summary>
    public static long StatusKilobytes(int processId, string field)
    {
        var prefix = field + ":";
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return long.Parse(line[prefix.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{processId}/status has no {field} line");
    }

    /// <summary>A TCP port on 127.0.0.1 nobody listens on now (the OS picks it).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    internal static Process Start(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo(Node)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(Directory, script));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new NodeOpcuaException($"could not start {Describe(script, arguments)}");
    }

    internal static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    internal static string Tail(string text) => text.Length <= StderrTailChars ? text : "…" + text[^StderrTailChars..];

    private static string Finished(Task<string> output) => output.Wait(TimeSpan.FromSeconds(5)) ? output.Result : "(output not closed)";

    private static string Describe(string script, string[] arguments) => $"node {script} {string.Join(' ', arguments)}".TrimEnd();

    private static string InstalledVersion(string package)
    {
        var manifest = Path.Combine(Directory, "node_modules", package, "package.json");
        if (!File.Exists(manifest))
        {
            throw new InvalidOperationException($"{manifest} is missing: run scripts/install-deps.sh (it runs npm ci in {Directory})");
        }

        using var json = JsonDocument.Parse(File.ReadAllText(manifest));
        return json.RootElement.GetProperty("version").GetString() ?? throw new InvalidOperationException($"{manifest} has no version");
    }

    /// <summary>The scripts live in the repository, not beside the tests: node_modules is too big to copy. Found upward from the assembly, then the working directory.</summary>
    private static string FindScriptDirectory()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "tests", "interop", "node-opcua");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException($"tests/interop/node-opcua not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; run from the repository");
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A node-opcua script failed; the message carries what it wrote on stderr.</summary>
public sealed class NodeOpcuaException(string message) : Exception(message);

/// <summary>
/// The running anchor-server.mjs: node-opcua's server with N points under Objects/Regions/bench,
/// anonymous, SecurityPolicy None, on 127.0.0.1. Killed with its children when disposed.
/// </summary>
public sealed class NodeOpcuaAnchor : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder log = new();

    internal NodeOpcuaAnchor(Process process, int port, int points)
    {
        this.process = process;
        Port = port;
        Points = points;
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginErrorReadLine();
    }

    /// <summary>The endpoint URL the server printed once listening, e.g. opc.tcp://127.0.0.1:PORT.</summary>
    public string Endpoint { get; private set; } = "";

    public int Port { get; }

    public int Points { get; }

    public int ProcessId => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>What the server wrote on stderr so far (node-opcua's log).</summary>
    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    /// <summary>The server's resident set size now (VmRSS), in bytes.</summary>
    public long ResidentBytes() => NodeOpcua.StatusKilobytes(process.Id, "VmRSS") * 1024;

    public void Dispose()
    {
        NodeOpcua.KillTree(process);
        process.Dispose();
    }

    /// <summary>Waits for the {"ready":true,"endpoint":...} line; throws with the server's log when it exits first or the time runs out.</summary>
    internal void WaitForReady(TimeSpan timeout)
    {
        var readyLine = process.StandardOutput.ReadLineAsync();
        if (!readyLine.Wait(timeout))
        {
            throw new NodeOpcuaException($"anchor-server.mjs was not ready within {timeout.TotalSeconds:0.#} s:\n{NodeOpcua.Tail(Log)}");
        }

        if (readyLine.Result is not { } line)
        {
            process.WaitForExit(5000);
            throw new NodeOpcuaException($"anchor-server.mjs exited before it was ready:\n{NodeOpcua.Tail(Log)}");
        }

        using var ready = JsonDocument.Parse(line);
        Endpoint = ready.RootElement.TryGetProperty("endpoint", out var endpoint) && endpoint.GetString() is { } url
            ? url
            : throw new NodeOpcuaException($"anchor-server.mjs said ready without an endpoint: {line}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }
}
