using System.Diagnostics;
using System.Globalization;

namespace Neokernel.Benchmarks;

/// <summary>
/// The allocating service of the loaded latency scenario: another .NET process (this harness
/// again, JIT, the default workstation concurrent GC) that makes short-lived garbage at a steady
/// rate, so its collections, page faults and memory traffic run beside the loop. Most blocks die
/// young; a sliding window of the newest ones lives long enough to be promoted, so gen 1 and gen 2
/// collect too. It runs until its standard input closes, then prints what it did.
/// </summary>
internal static class AllocatingLoad
{
    public const string Flag = "--allocating-load";

    /// <summary>After the rate: also serve requests over loopback TCP (<see cref="TcpAllocatingService"/>).</summary>
    public const string TcpFlag = "tcp";
    public const int MegabytesPerSecondDefault = 100;

    private const int BlockBytesMax = 16 * 1024;
    private const int SurvivorsMax = 1_024;

    /// <summary>The child's side: allocates until stdin closes. Returns the exit code.</summary>
    public static int Run(int megabytesPerSecond, bool tcp = false)
    {
        var service = tcp ? TcpAllocatingService.Start() : null;
        var stopped = 0;
        var watcher = new Thread(() =>
        {
            Console.In.ReadToEnd();
            Volatile.Write(ref stopped, 1);
        })
        { IsBackground = true };
        watcher.Start();

        var random = new Random(1);
        var survivors = new byte[SurvivorsMax][];
        var bytesPerSecond = megabytesPerSecond * 1_000_000.0;
        var started = Stopwatch.GetTimestamp();
        long allocated = 0;
        long blocks = 0;
        while (Volatile.Read(ref stopped) == 0)
        {
            var due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * bytesPerSecond);
            while (allocated < due)
            {
                var block = new byte[64 + random.Next(BlockBytesMax)];
                block[^1] = (byte)blocks;
                survivors[blocks++ % SurvivorsMax] = block;
                allocated += block.Length;
            }

            Thread.Sleep(1);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{allocated / 1e6:F0} MB in {seconds:F1} s ({allocated / 1e6 / seconds:F0} MB/s), {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} collections (gen 0/1/2){(service is null ? "" : $", {service.Served} TCP requests served")}"));
        return 0;
    }

    /// <summary>Starts the allocating process beside a scenario.</summary>
    public static Process Start(int megabytesPerSecond, bool tcp = false)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable this is, so cannot start the allocating process");
        var info = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(Flag);
        info.ArgumentList.Add(megabytesPerSecond.ToString(CultureInfo.InvariantCulture));
        if (tcp)
        {
            info.ArgumentList.Add(TcpFlag);
        }
        return Process.Start(info) ?? throw new InvalidOperationException("the allocating process did not start");
    }

    /// <summary>Closes its input, so it stops, and returns what it says it did.</summary>
    public static string Stop(Process process)
    {
        process.StandardInput.Close();
        var summary = process.StandardOutput.ReadToEnd().Trim();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            return "did not stop when its input closed";
        }

        return process.ExitCode == 0 && summary.Length > 0 ? summary : $"exited with {process.ExitCode}";
    }
}
