using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Benchmarks;

/// <summary>
/// Our gateway for the OPC UA benchmark: <c>neokernel run SYSTEM --plain</c> of the NativeAOT binary
/// on a gateway-bench system, its gateway in its own service host process on
/// <see cref="Endpoint"/>. Started only when nothing else listens there (another run on the same
/// port would answer in its place), ready once node-opcua reads the server's state through it,
/// stopped with SIGTERM (the kernel stops its services) and killed with its children if it lingers.
/// </summary>
internal sealed class GatewayRun : IDisposable
{
    public const string Endpoint = "opc.tcp://127.0.0.1:4840";
    public const int Port = 4840;
    public const string ServiceId = "gateway";

    /// <summary>A run ends by itself after this, should the harness die without stopping it.</summary>
    private static readonly TimeSpan DurationMax = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    /// <summary>What of the run's output is kept: enough for a failure's message.</summary>
    private const int OutputCharsMax = 64 * 1024;

    private readonly Process process;
    private readonly StringBuilder output = new();

    private GatewayRun(Process process, string systemPath)
    {
        this.process = process;
        SystemPath = systemPath;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string SystemPath { get; }

    /// <summary>The gateway's service host process: the server whose CPU and memory are measured.</summary>
    public int GatewayProcessId { get; private set; }

    /// <summary>Starts the system and waits until the gateway answers; throws naming what went wrong, with the run's output.</summary>
    public static GatewayRun Start(string neokernelBinary, string systemPath)
    {
        if (!File.Exists(systemPath))
        {
            throw new InvalidOperationException($"{Path.GetFullPath(systemPath)} does not exist; run the harness from the repository root");
        }

        if (Listening())
        {
            throw new InvalidOperationException($"something already listens on 127.0.0.1:{Port} (another neokernel run of the tank demo or a gateway bench?): stop it and measure again");
        }

        var info = new ProcessStartInfo(neokernelBinary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "run", systemPath, "--plain", "--duration", Inv($"{DurationMax.TotalSeconds:0}s") })
        {
            info.ArgumentList.Add(argument);
        }

        var run = new GatewayRun(Process.Start(info) ?? throw new InvalidOperationException($"could not start {neokernelBinary}"), systemPath);
        try
        {
            run.WaitReady();
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>What the run printed so far, its last lines.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return NodeOpcua.Tail(output.ToString());
            }
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            _ = Tool.Run("kill", Inv($"-TERM {process.Id}"), TimeSpan.FromSeconds(5));
            if (!process.WaitForExit(StopTimeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }

        process.Dispose();
        WaitUntil(() => !Listening(), TimeSpan.FromSeconds(10));
    }

    /// <summary>The gateway's process under the run, then the server's state read through node-opcua.</summary>
    private void WaitReady()
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        int? pid;
        while ((pid = ServiceHosts.Find(process.Id, ServiceId)) is null)
        {
            ThrowIfGone(deadline, "has no gateway service host process");
            Thread.Sleep(200);
        }

        GatewayProcessId = pid.Value;
        while (true)
        {
            ThrowIfGone(deadline, $"does not answer on {Endpoint}");
            if (Listening())
            {
                try
                {
                    using var probe = NodeOpcua.Run("client.mjs", TimeSpan.FromSeconds(30), "read", Endpoint, "ns=0;i=2259");
                    return;
                }
                catch (NodeOpcuaException) when (DateTime.UtcNow < deadline)
                {
                    // Not serving yet: the probe is tried again.
                }
            }

            Thread.Sleep(500);
        }
    }

    private void ThrowIfGone(DateTime deadline, string what)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"neokernel run {SystemPath} exited with {process.ExitCode} before its gateway served:\n{Output}");
        }

        if (DateTime.UtcNow >= deadline)
        {
            throw new TimeoutException(Inv($"neokernel run {SystemPath} {what} after {ReadyTimeout.TotalSeconds:0} s:\n{Output}"));
        }
    }

    private static bool Listening()
    {
        using var client = new TcpClient();
        try
        {
            return client.ConnectAsync("127.0.0.1", Port).Wait(TimeSpan.FromSeconds(1)) && client.Connected;
        }
        catch (AggregateException exception) when (exception.InnerException is SocketException)
        {
            return false;
        }
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length > OutputCharsMax)
            {
                output.Remove(0, output.Length - (OutputCharsMax / 2));
            }

            output.AppendLine(line);
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
