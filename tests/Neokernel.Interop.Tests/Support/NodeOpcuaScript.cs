using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Neokernel.Interop.Tests.Support;

/// <summary>
/// A node-opcua script running beside the test, for scenarios where the test acts while the
/// client works (kills the server, attacks it): the test waits for a line the script prints when
/// it is ready (e.g. {"polling":true}), acts, then takes the script's result, its last JSON line,
/// as <see cref="NodeOpcua.Run"/> does. Killed with its children when disposed.
/// </summary>
public sealed class NodeOpcuaScript : IDisposable
{
    private readonly Process process;
    private readonly string command;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();

    private NodeOpcuaScript(Process process, string command)
    {
        this.process = process;
        this.command = command;
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static NodeOpcuaScript Start(string script, params string[] arguments)
    {
        NodeOpcua.RequireInstalled();
        return new NodeOpcuaScript(NodeOpcua.Start(script, arguments), $"node {script} {string.Join(' ', arguments)}");
    }

    /// <summary>Waits until stdout has a line containing <paramref name="text"/>; throws with stderr when the script exits first or the time runs out.</summary>
    public void WaitForLine(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Text(stdout).Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || clock.Elapsed > timeout)
            {
                throw new NodeOpcuaException($"{command} did not print '{text}' within {timeout.TotalSeconds:0.#} s (exited: {process.HasExited}):\n{NodeOpcua.Tail(Text(stderr))}");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Waits for the script to end and returns its result; throws with stderr if it fails or outlives <paramref name="timeout"/>.</summary>
    public JsonDocument Result(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            NodeOpcua.KillTree(process);
            throw new NodeOpcuaException($"{command} did not finish within {timeout.TotalSeconds:0.#} s and was killed:\n{NodeOpcua.Tail(Text(stderr))}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new NodeOpcuaException($"{command} failed with exit code {process.ExitCode}:\n{NodeOpcua.Tail(Text(stderr))}");
        }

        var line = Text(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new NodeOpcuaException($"{command} printed nothing on stdout:\n{NodeOpcua.Tail(Text(stderr))}");
        return JsonDocument.Parse(line);
    }

    public void Dispose()
    {
        NodeOpcua.KillTree(process);
        process.Dispose();
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            builder.AppendLine(line);
        }
    }
}
