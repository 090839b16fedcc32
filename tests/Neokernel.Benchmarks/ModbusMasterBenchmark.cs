using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;

namespace Neokernel.Benchmarks;

/// <summary>One way of running a poll cycle, and what its cycles took (ns, over every repetition).</summary>
internal sealed record ModbusCycleSeries(string Name, List<double> P50Ns, List<double> P99Ns, List<double> MeanNs);

internal sealed record ModbusMasterResult(int Slaves, int Registers, int Cycles, int Repetitions, IReadOnlyList<ModbusCycleSeries> Series, string? NotMeasured)
{
    public ModbusCycleSeries? Find(string name) => Series.FirstOrDefault(s => s.Name == name && s.P50Ns.Count > 0);
}

/// <summary>
/// The master's poll cycle (issue 8): 10 libmodbus slaves on loopback, a cycle reads 100 holding
/// registers from each. Ours: one <see cref="ModbusMaster"/> per slave on one paced loop, the ten
/// requests in flight at once (as a driver polls), and again one after another; the anchor:
/// libmodbus's blocking client doing the same cycle one slave after another, in the same run,
/// repetitions alternating so that load from other jobs hits every side.
/// </summary>
internal static class ModbusMasterBenchmark
{
    public const int Slaves = 10;
    public const int Registers = 100;
    public const int Cycles = 2_000;
    public const int WarmupCycles = 300;
    public const string Concurrent = "ours, 10 requests in flight at once";
    public const string Sequential = "ours, one slave after another";
    public const string Anchor = "libmodbus client, one slave after another";

    private const string SlaveSource = "tests/interop/libmodbus/server_master_peer.c";
    private const string ClientSource = "tests/interop/libmodbus/client_master_cycle.c";

    public static ModbusMasterResult Run(int repetitions)
    {
        Console.WriteLine(Inv($"  modbus master: {Slaves} libmodbus slaves x {Registers} registers, {Cycles:N0} cycles per repetition"));
        var series = new[] { Empty(Concurrent), Empty(Sequential), Empty(Anchor) };
        var problem = Prerequisites();
        if (problem is not null)
        {
            return new ModbusMasterResult(Slaves, Registers, Cycles, repetitions, series, problem);
        }

        var directory = Directory.CreateTempSubdirectory("neokernel-modbus-bench-");
        var slaves = new List<BackgroundProcess>();
        try
        {
            var slaveBinary = Build(SlaveSource, directory.FullName);
            var clientBinary = Build(ClientSource, directory.FullName);
            var ports = Enumerable.Range(0, Slaves).Select(_ => FreePort()).ToArray();
            foreach (var port in ports)
            {
                slaves.Add(Tool.StartBackground(slaveBinary, Inv($"tcp {port}")));
                WaitForListener(port);
            }

            for (var repetition = 0; repetition < repetitions; repetition++)
            {
                Add(series[0], RunOurs(ports, concurrent: true));
                Add(series[1], RunOurs(ports, concurrent: false));
                Add(series[2], RunAnchor(clientBinary, ports));
            }

            return new ModbusMasterResult(Slaves, Registers, Cycles, repetitions, series, null);
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException or TimeoutException)
        {
            return new ModbusMasterResult(Slaves, Registers, Cycles, repetitions, series, exception.Message);
        }
        finally
        {
            foreach (var slave in slaves)
            {
                slave.Dispose();
            }

            directory.Delete(recursive: true);
        }
    }

    public static string Section(ModbusMasterResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("<a id=\"modbus-master-poll-cycle\"></a>");
        text.AppendLine("## Modbus master: poll cycle");
        text.AppendLine();
        text.AppendLine(Inv($"One cycle reads {result.Registers} holding registers (FC03) from each of {result.Slaves} libmodbus 3.1.6 slaves on loopback, one TCP connection each; {result.Cycles:N0} cycles per repetition after a warm-up, median over {result.Repetitions} repetitions of each repetition's p50, p99 and mean, in µs."));
        text.AppendLine();
        if (result.NotMeasured is not null)
        {
            text.AppendLine($"Not measured: {result.NotMeasured}");
            text.AppendLine();
            return text.ToString();
        }

        text.AppendLine("| Cycle | p50 | p99 | mean |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var series in result.Series.Where(s => s.P50Ns.Count > 0))
        {
            text.AppendLine(Inv($"| {series.Name} | {Stats.Median(series.P50Ns) / 1e3:F0} | {Stats.Median(series.P99Ns) / 1e3:F0} | {Stats.Median(series.MeanNs) / 1e3:F0} |"));
        }

        text.AppendLine();
        text.AppendLine("- Ours: `ModbusMaster` per slave (pipeline depth 1) on one `PacedPlatform` loop in the harness's process (JIT, after warm-up); a cycle submits to every master at once (or each after the previous one's reply) and ends at the last completion. Time is `Stopwatch`.");
        text.AppendLine("- Anchor: `tests/interop/libmodbus/client_master_cycle.c` (cc -O2), `modbus_read_registers` on each connection in turn, timed with CLOCK_MONOTONIC; a blocking client cannot overlap the slaves' replies, which is why the concurrent cycle is the driver's and the sequential one is the like-for-like comparison.");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>Cycles of our masters, in the harness's process; (p50, p99, mean) ns.</summary>
    private static (double P50, double P99, double Mean) RunOurs(int[] ports, bool concurrent)
    {
        using var platform = new PacedPlatform(1, new NoRegisterBanks());
        var loop = new PlatformModbusLoop(platform);
        var options = new ModbusMasterOptions { TimeoutNs = 1_000_000_000, Retries = 0 };
        var masters = ports.Select(p => new ModbusMaster(platform.Streams, DeviceUri.Parse(Inv($"modbus-tcp://127.0.0.1:{p}?unit=1")), loop, options)).ToArray();
        try
        {
            using var cycle = new Cycle(masters, concurrent);
            foreach (var master in masters)
            {
                master.Start();
            }

            var samples = new long[Cycles];
            for (var i = -WarmupCycles; i < Cycles; i++)
            {
                var started = Stopwatch.GetTimestamp();
                cycle.RunOne(platform);
                if (i >= 0)
                {
                    samples[i] = Stopwatch.GetTimestamp() - started;
                }
            }

            Array.Sort(samples);
            return (Stats.Nanoseconds(Stats.Percentile(samples, 50)), Stats.Nanoseconds(Stats.Percentile(samples, 99)), Stats.Nanoseconds((long)samples.Average()));
        }
        finally
        {
            foreach (var master in masters)
            {
                master.Dispose();
            }
        }
    }

    private static (double P50, double P99, double Mean) RunAnchor(string clientBinary, int[] ports)
    {
        var (exitCode, output) = Tool.Run(clientBinary, Inv($"{Cycles} {WarmupCycles} {Registers} {string.Join(' ', ports)}"), TimeSpan.FromMinutes(2));
        var fields = output.Trim().Split(' ');
        if (exitCode != 0 || fields.Length != 3)
        {
            throw new InvalidOperationException($"the libmodbus client failed ({exitCode}): {output.Trim()}");
        }

        return (double.Parse(fields[0], CultureInfo.InvariantCulture), double.Parse(fields[1], CultureInfo.InvariantCulture), double.Parse(fields[2], CultureInfo.InvariantCulture));
    }

    private static string? Prerequisites()
    {
        if (!File.Exists("/usr/bin/cc") || !File.Exists("/usr/include/modbus/modbus.h"))
        {
            return "cc or libmodbus-dev is missing (scripts/install-deps.sh installs gcc and libmodbus-dev)";
        }

        return File.Exists(SlaveSource) && File.Exists(ClientSource) ? null : $"{Path.GetFullPath(SlaveSource)} is missing; run the harness from the repository root";
    }

    private static string Build(string source, string directory)
    {
        var binary = Path.Combine(directory, Path.GetFileNameWithoutExtension(source));
        var (exitCode, output) = Tool.Run("/usr/bin/cc", $"-O2 -Wall -Werror -I/usr/include/modbus -o {binary} {source} -lmodbus", TimeSpan.FromMinutes(1));
        return exitCode == 0 ? binary : throw new InvalidOperationException($"cc {source} failed ({exitCode}): {output.Trim()}");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static void WaitForListener(int port)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }

        throw new TimeoutException(Inv($"no libmodbus slave listens on 127.0.0.1:{port} after 10 s"));
    }

    private static ModbusCycleSeries Empty(string name) => new(name, [], [], []);

    private static void Add(ModbusCycleSeries series, (double P50, double P99, double Mean) sample)
    {
        series.P50Ns.Add(sample.P50);
        series.P99Ns.Add(sample.P99);
        series.MeanNs.Add(sample.Mean);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One poll cycle over every master: all at once, or each after the previous reply. Ends the loop's run at the last reply.</summary>
    private sealed class Cycle(ModbusMaster[] masters, bool concurrent) : IModbusCompletion, IDisposable
    {
        private readonly ModbusRequest request = ModbusRequest.ReadHoldingRegisters(0, Registers);
        private CancellationTokenSource done = new();
        private int completed;

        public void RunOne(PacedPlatform platform)
        {
            done.Dispose();
            done = new CancellationTokenSource();
            completed = 0;
            for (var i = 0; i < (concurrent ? masters.Length : 1); i++)
            {
                Submit(i);
            }

            var limit = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 10);
            while (!done.IsCancellationRequested && Stopwatch.GetTimestamp() < limit)
            {
                platform.RunUntil(platform.NowNs + 1_000_000_000, done.Token);
            }

            if (!done.IsCancellationRequested)
            {
                throw new TimeoutException("a poll cycle did not end within 10 s");
            }
        }

        public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
        {
            if (result.Status != ModbusStatus.Good)
            {
                throw new InvalidOperationException($"a benchmark read ended {result.Status} ({result.Exception}, {result.Error})");
            }

            completed++;
            if (completed == masters.Length)
            {
                done.Cancel();
            }
            else if (!concurrent)
            {
                Submit(completed);
            }
        }

        public void Dispose() => done.Dispose();

        private void Submit(int index)
        {
            if (masters[index].Submit(1, request, default, this, tag: index) != SubmitResult.Queued)
            {
                throw new InvalidOperationException($"master {index} refused a request");
            }
        }
    }

    private sealed class NoRegisterBanks : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException($"no register bank '{uri}' in this benchmark");
    }
}
