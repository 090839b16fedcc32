using System.Diagnostics;
using System.Text;

namespace Neokernel.Interop.Tests.Support;

/// <summary>
/// A peer program under test control: started with its output captured, waited on for the line
/// that says it is ready, and killed (with its children) when disposed. Its output goes into every
/// assertion message that needs it, so a failing interop test shows what the peer said.
/// </summary>
public sealed class PeerProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly object gate = new();

    private PeerProcess(Process process)
    {
        this.process = process;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Everything the peer printed so far, stdout and stderr interleaved as they came.</summary>
    public string Output
    {
        get
        {
            lock (gate)
            {
                return output.ToString();
            }
        }
    }

    public static PeerProcess Start(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var peer = new PeerProcess(process);
        process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {fileName}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Waits until the peer has printed a line containing <paramref name="text"/>; fails with its output if it exits or the time runs out.</summary>
    public void WaitForLine(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"peer exited with {process.ExitCode} before printing '{text}':\n{Output}");
            }

            Thread.Sleep(10);
        }

        throw new TimeoutException($"peer did not print '{text}' within {timeout.TotalSeconds:0.#} s:\n{Output}");
    }

    /// <summary>Waits for the peer to end by itself and returns its exit code; kills it and fails after <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"peer did not exit within {timeout.TotalSeconds:0.#} s:\n{Output}");
        }

        process.WaitForExit();
        return process.ExitCode;
    }

    public void Kill()
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

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            output.AppendLine(line);
        }
    }
}
