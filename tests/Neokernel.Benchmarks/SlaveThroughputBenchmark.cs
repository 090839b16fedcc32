using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Neokernel.Benchmarks;

/// <summary>What the Modbus slave-throughput benchmark runs: the published neokernel for our slave, and how long each client run lasts.</summary>
internal sealed record SlaveThroughputSettings(string? NeokernelBinary, double Seconds, int Repetitions)
{
    public const double SecondsDefault = 3;
    public const int RepetitionsDefault = 3;

    public static SlaveThroughputSettings Default(string? neokernelBinary) => new(neokernelBinary, SecondsDefault, RepetitionsDefault);
}

/// <summary>One client run against one slave: requests per second, and the slave process's CPU time per 1000 requests.</summary>
internal readonly record struct SlaveRun(double RequestsPerSecond, double CpuMsPer1000);

/// <summary>Every run, by slave and by connection count; or why nothing was measured.</summary>
internal sealed record SlaveThroughputResult(IReadOnlyDictionary<(string Slave, int Connections), List<SlaveRun>> Runs, double Seconds, string? Failure)
{
    public const string Ours = "neokernel modbus serve";
    public const string Libmodbus = "libmodbus 3.1.6 (select loop)";
    public const string Pymodbus = "pymodbus 3.0.0";

    public static readonly int[] ConnectionCounts = [1, 16];

    public double? MedianRate(string slave, int connections) => Median(slave, connections, run => run.RequestsPerSecond);

    public double? MedianCpu(string slave, int connections) => Median(slave, connections, run => run.CpuMsPer1000);

    public double? Ratio(string other, int connections) =>
        MedianRate(Ours, connections) is { } ours && MedianRate(other, connections) is { } theirs && theirs > 0 ? ours / theirs : null;

    private double? Median(string slave, int connections, Func<SlaveRun, double> value)
    {
        if (!Runs.TryGetValue((slave, connections), out var runs) || runs.Count == 0)
        {
            return null;
        }

        var sorted = runs.Select(value).Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}

/// <summary>
/// Issue 8's slave throughput: the same libmodbus client loop (tests/interop/libmodbus/client_loop.c,
/// FC03 × 10 registers, every answer checked) against our slave (<c>neokernel modbus serve</c>,
/// NativeAOT), a libmodbus slave and a pymodbus slave, each a process of its own on loopback with the
/// default placement, in the same run; 1 and 16 connections; the slaves take turns within each
/// repetition so that a burst of load from a neighbour lands on all of them. CPU is the slave
/// process's user + system time over the run (/proc/PID/stat), per 1000 requests answered.
/// </summary>
internal static class SlaveThroughputBenchmark
{
    /// <summary>USER_HZ: the unit of utime and stime in /proc/PID/stat, 100 on every Linux ABI .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    private const int FirstValue = 100;

    private static readonly Regex Summary = new(@"^requests (\d+) errors (\d+) seconds ([0-9.]+) rate (\d+) req/s", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    public static SlaveThroughputResult Run(SlaveThroughputSettings settings)
    {
        var runs = new Dictionary<(string, int), List<SlaveRun>>();
        if (settings.NeokernelBinary is null || !File.Exists(settings.NeokernelBinary))
        {
            return new SlaveThroughputResult(runs, settings.Seconds, "needs the published neokernel (--neokernel-binary)");
        }

        try
        {
            var client = BuildLibmodbus("client_loop.c");
            var slaves = StartSlaves(settings.NeokernelBinary);
            try
            {
                foreach (var connections in SlaveThroughputResult.ConnectionCounts)
                {
                    for (var repetition = 0; repetition < settings.Repetitions; repetition++)
                    {
                        foreach (var (name, process, port) in Rotate(slaves, repetition))
                        {
                            var run = Measure(client, process, port, connections, settings.Seconds);
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  modbus slave: {name}, {connections} connection(s): {run.RequestsPerSecond:F0} req/s, {run.CpuMsPer1000:F2} ms CPU per 1000 requests"));
                            AddRun(runs, (name, connections), run);
                        }
                    }
                }
            }
            finally
            {
                foreach (var (_, process, _) in slaves)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                    process.Dispose();
                }
            }
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return new SlaveThroughputResult(runs, settings.Seconds, exception.Message);
        }

        return new SlaveThroughputResult(runs, settings.Seconds, null);
    }

    public static string Section(SlaveThroughputResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("<a id=\"modbus-slave-throughput\"></a>");
        text.AppendLine("### Modbus slave throughput");
        text.AppendLine();
        if (result.Failure is not null)
        {
            text.AppendLine($"Not measured: {result.Failure}.");
            text.AppendLine();
            return text.ToString();
        }

        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"The libmodbus client loop (`tests/interop/libmodbus/client_loop.c`: FC03 × 10 registers, every answer checked) for {result.Seconds:0.#} s per run against each slave, a process of its own on loopback, default placement, the slaves taking turns; medians over the runs. CPU is the slave process's user + system time per 1000 requests. Our slave allocates nothing per request (`Serve_ManyRequests_AllocatesNothing` in tests/Neokernel.Fieldbus.Tests)."));
        text.AppendLine();
        text.AppendLine("| Slave | connections | req/s | CPU ms per 1000 requests | ours ÷ this |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var connections in SlaveThroughputResult.ConnectionCounts)
        {
            foreach (var slave in new[] { SlaveThroughputResult.Ours, SlaveThroughputResult.Libmodbus, SlaveThroughputResult.Pymodbus })
            {
                var ratio = slave == SlaveThroughputResult.Ours ? "" : Format(result.Ratio(slave, connections), "F2");
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {slave} | {connections} | {Format(result.MedianRate(slave, connections), "F0")} | {Format(result.MedianCpu(slave, connections), "F2")} | {ratio} |"));
            }
        }

        text.AppendLine();
        return text.ToString();
    }

    private static string Format(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

    private static void AddRun(Dictionary<(string, int), List<SlaveRun>> runs, (string, int) key, SlaveRun run)
    {
        if (!runs.TryGetValue(key, out var list))
        {
            runs[key] = list = [];
        }

        list.Add(run);
    }

    private static IEnumerable<T> Rotate<T>(IReadOnlyList<T> items, int by) => items.Skip(by % items.Count).Concat(items.Take(by % items.Count));

    private static SlaveRun Measure(string client, Process slave, int port, int connections, double seconds)
    {
        var before = CpuTicks(slave.Id);
        var (exit, output) = RunToEnd(client, ["tcp", "127.0.0.1", Inv(port), Inv(seconds), Inv(connections), Inv(FirstValue)], TimeSpan.FromSeconds(seconds + 30));
        var after = CpuTicks(slave.Id);
        var match = Summary.Match(output);
        if (exit != 0 || !match.Success || match.Groups[2].Value != "0")
        {
            throw new InvalidOperationException($"client_loop against port {port} failed ({exit}): {output.Trim()}");
        }

        var requests = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var rate = double.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture);
        return new SlaveRun(rate, (after - before) / TicksPerSecond * 1000 * 1000 / requests);
    }

    /// <summary>utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat, after the parenthesised name).</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static List<(string Name, Process Process, int Port)> StartSlaves(string neokernel)
    {
        var slaves = new List<(string, Process, int)>();
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort()).ToArray();
        slaves.Add((SlaveThroughputResult.Ours, StartListening(neokernel, ["modbus", "serve", "--port", Inv(ports[0]), "--points", "100", "--connections-max", "32"]), ports[0]));
        slaves.Add((SlaveThroughputResult.Libmodbus, StartListening(BuildLibmodbus("bench_slave_select.c"), [Inv(ports[1])]), ports[1]));
        slaves.Add((SlaveThroughputResult.Pymodbus, StartListening("/usr/bin/python3", ["-u", Path.GetFullPath("tests/interop/pymodbus/bench_slave.py"), Inv(ports[2])]), ports[2]));
        return slaves;
    }

    /// <summary>Starts a slave and waits until it printed "listening".</summary>
    private static Process StartListening(string fileName, string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result is null || !line.Result.StartsWith("listening", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not say it listens");
        }

        // Nothing more is read from stdout: the slaves print only when they stop.
        return process;
    }

    /// <summary>Builds tests/interop/libmodbus/SOURCE with cc into the temp folder; returns the binary.</summary>
    private static string BuildLibmodbus(string source)
    {
        var binary = Path.Combine(Path.GetTempPath(), "neokernel-bench-peers", Path.GetFileNameWithoutExtension(source));
        Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
        var (exit, output) = RunToEnd("/usr/bin/cc", ["-O2", "-Wall", "-Werror", "-I/usr/include/modbus", "-o", binary, Path.GetFullPath(Path.Combine("tests/interop/libmodbus", source)), "-lmodbus"], TimeSpan.FromSeconds(60));
        return exit == 0 ? binary : throw new InvalidOperationException($"building {source} failed (is libmodbus-dev installed? scripts/install-deps.sh): {output}");
    }

    private static (int Exit, string Output) RunToEnd(string fileName, string[] arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0} s");
        }

        return (process.ExitCode, output.Result + error.Result);
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string Inv(double value) => value.ToString(CultureInfo.InvariantCulture);
}
