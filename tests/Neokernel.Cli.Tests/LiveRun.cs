using System.Diagnostics;
using System.Globalization;

namespace Neokernel.Cli.Tests;

/// <summary>
/// A <c>neokernel run … --plain</c> in a process of its own, with its control socket at a path of
/// the test's, whose output lines a test waits for as they come. Disposing stops it with SIGINT,
/// as an operator's Ctrl-C would, and kills it only if it does not stop.
/// </summary>
internal sealed class LiveRun : IDisposable
{
    private readonly Process process;
    private readonly List<string> lines = [];
    private readonly List<string> errors = [];

    private LiveRun(Process process, string control)
    {
        this.process = process;
        Control = control;
        process.OutputDataReceived += (_, e) => Keep(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(errors, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The run's control socket.</summary>
    public string Control { get; }

    public int Id => process.Id;

    /// <summary>Everything the run printed so far, stdout then stderr.</summary>
    public string Printed
    {
        get
        {
            lock (lines)
            {
                lock (errors)
                {
                    return string.Join('\n', lines) + "\n--- stderr ---\n" + string.Join('\n', errors);
                }
            }
        }
    }

    /// <summary>Starts <c>neokernel run SYSTEM --plain --control PATH</c> with <paramref name="extra"/> and waits for its control socket line.</summary>
    public static LiveRun Start(string system, TimeSpan duration, params string[] extra)
    {
        var control = Path.Combine(Path.GetTempPath(), $"nk-control-{Guid.NewGuid():N}", "run.sock");
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "neokernel"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["run", system, "--plain", "--duration", $"{duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s", "--control", control, .. extra])
        {
            info.ArgumentList.Add(argument);
        }

        var run = new LiveRun(Process.Start(info) ?? throw new InvalidOperationException("neokernel did not start"), control);
        run.WaitForLine(l => l.StartsWith($"control socket: {control}", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        return run;
    }

    /// <summary>The first line, at or after line <paramref name="from"/>, that <paramref name="match"/> accepts; fails the test with all that was printed when none comes in time.</summary>
    public (string Line, int Index) WaitForLine(Func<string, bool> match, TimeSpan timeout, int from = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (lines)
            {
                for (var i = from; i < lines.Count; i++)
                {
                    if (match(lines[i]))
                    {
                        return (lines[i], i);
                    }
                }
            }

            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                Assert.Fail($"the run did not print the line awaited within {timeout}{(process.HasExited ? " (it exited)" : "")}; it printed:\n{Printed}");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>The lines printed from index <paramref name="from"/> up to <paramref name="to"/> (exclusive).</summary>
    public IReadOnlyList<string> Lines(int from, int to)
    {
        lock (lines)
        {
            return lines.GetRange(from, Math.Min(to, lines.Count) - from);
        }
    }

    /// <summary>Ctrl-C: returns the exit code, and the run's output ends with its summary.</summary>
    public int Stop()
    {
        if (!process.HasExited)
        {
            using var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the run did not stop within 30 s of SIGINT; it printed:\n{Printed}");
        }

        process.WaitForExit(); // the redirected streams are drained
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
        try
        {
            Directory.Delete(Path.GetDirectoryName(Control)!, recursive: true);
        }
        catch (IOException)
        {
            // already gone
        }
    }

    private static void Keep(List<string> into, string? line)
    {
        if (line is not null)
        {
            lock (into)
            {
                into.Add(line);
            }
        }
    }
}
