using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Neokernel.Rt.Linux;

namespace Neokernel.Rt.Tests.CrossProcess;

/// <summary>
/// A child process running Neokernel.Rt.TestPeer with a role, connected to this test over a Unix
/// socket. A real OS process: its own pid, address space and fd table, started with exec, so it
/// holds only what was inherited (stdio) and what it is passed.
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    private const int ConnectTimeoutMs = 20_000;
    private readonly string socketPath;
    private readonly StringBuilder stderr = new();

    private PeerProcess(string role, Action<ProcessStartInfo>? configure)
    {
        socketPath = Path.Combine(Path.GetTempPath(), $"nk-peer-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        InheritedFds.MarkCloseOnExec();
        var info = StartInfo(role, socketPath);
        configure?.Invoke(info);
        Process = Process.Start(info) ?? throw new InvalidOperationException("the peer process did not start");
        Process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        Process.BeginErrorReadLine();
        if (!listener.Poll(ConnectTimeoutMs * 1000, SelectMode.SelectRead))
        {
            throw new TimeoutException($"the peer ({role}) did not connect within {ConnectTimeoutMs} ms; exited: {Process.HasExited}; stderr: {Stderr}");
        }

        Socket = listener.Accept();
        File.Delete(socketPath);
    }

    public Process Process { get; }

    public Socket Socket { get; }

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    /// <summary>Starts the peer in <paramref name="role"/>; <paramref name="configure"/> may add to its start (its environment).</summary>
    public static PeerProcess Start(string role, Action<ProcessStartInfo>? configure = null) => new(role, configure);

    public void SendText(string text) => FdPassing.Send(Socket, Encoding.UTF8.GetBytes(text));

    public void SendGrant(CapabilityGrant grant, params ReadOnlySpan<SafeFileHandle> fds)
    {
        var handles = new System.Runtime.InteropServices.SafeHandle[fds.Length];
        for (var i = 0; i < fds.Length; i++)
        {
            handles[i] = fds[i];
        }

        FdPassing.Send(Socket, grant.Encode(), handles);
    }

    /// <summary>The peer's next text message; fails the test with the peer's stderr when it hung up instead.</summary>
    public string ReceiveText()
    {
        var buffer = new byte[FdPassing.PayloadBytesMax];
        if (!FdPassing.TryReceive(Socket, buffer, out var length, out var fds))
        {
            Process.WaitForExit(5_000);
            throw new InvalidOperationException($"the peer hung up (exit code {(Process.HasExited ? Process.ExitCode : -1)}); stderr: {Stderr}");
        }

        Assert.Empty(fds);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Closes the socket (the peer's cue to exit) and waits for a clean exit.</summary>
    public int CloseAndWait()
    {
        Socket.Shutdown(SocketShutdown.Both);
        Socket.Dispose();
        Assert.True(Process.WaitForExit(10_000), $"the peer did not exit after the socket closed; stderr: {Stderr}");
        return Process.ExitCode;
    }

    public void Dispose()
    {
        Socket.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit(5_000);
        }

        Process.Dispose();
        File.Delete(socketPath);
    }

    private static ProcessStartInfo StartInfo(string role, string socketPath)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, "Neokernel.Rt.TestPeer");
        var info = File.Exists(apphost)
            ? new ProcessStartInfo(apphost)
            : new ProcessStartInfo(DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "Neokernel.Rt.TestPeer.dll")]);
        info.ArgumentList.Add(role);
        info.ArgumentList.Add(socketPath);
        info.UseShellExecute = false;
        info.RedirectStandardError = true;

        // No diagnostics IPC socket in the child: its fd table then shows only what the test gave it.
        info.Environment["DOTNET_EnableDiagnostics"] = "0";
        return info;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
