using System.Globalization;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>The Markdown report (docs/PERFORMANCE.md) and the tables printed to stdout.</summary>
internal static class Report
{
    public static string Render(Machine machine, DateTime startedUtc, int repetitions, QueueResult queue, SocketResult sockets, CrossProcessResult crossProcess)
    {
        var text = new StringBuilder();
        text.AppendLine("# Performance");
        text.AppendLine();
        text.AppendLine("Written by `./build.sh --target=Bench` (tests/Neokernel.Benchmarks, Release build, JIT). Do not edit by hand: run it again.");
        text.AppendLine();
        text.AppendLine("## Machine");
        text.AppendLine();
        text.AppendLine("| | |");
        text.AppendLine("|---|---|");
        text.AppendLine(Inv($"| Date (UTC) | {startedUtc:yyyy-MM-dd HH:mm} |"));
        text.AppendLine(Inv($"| CPU | {machine.CpuModel} |"));
        text.AppendLine(Inv($"| Cores | {machine.Cores}{(machine.IsVirtual ? " (virtual machine)" : "")} |"));
        text.AppendLine(Inv($"| Kernel | Linux {machine.Kernel} ({machine.Architecture}) |"));
        text.AppendLine(Inv($"| OS | {machine.Os} |"));
        text.AppendLine(Inv($"| Runtime | {machine.Runtime} |"));
        text.AppendLine();
        if (machine.IsVirtual)
        {
            text.AppendLine(Inv($"Measured on a shared {machine.Cores}-core virtual machine: other jobs run beside the benchmark and the"));
            text.AppendLine("hypervisor takes time away, so single runs vary (see min and max). Every number below is the median of");
        }
        else
        {
            text.AppendLine(Inv($"Measured on a {machine.Cores}-core machine that may run other jobs beside the benchmark, so single runs"));
            text.AppendLine("vary (see min and max). Every number below is the median of");
        }

        text.AppendLine(Inv($"{repetitions} repetitions run back to back in one process; compare ratios, not absolute numbers, and"));
        text.AppendLine("compare only numbers taken on the same machine.");
        text.AppendLine();
        text.AppendLine(Tables(queue, sockets));
        text.AppendLine(CrossProcessReport.Section(crossProcess));
        text.AppendLine("## How it is measured");
        text.AppendLine();
        text.AppendLine("- Timing is `Stopwatch.GetTimestamp()`. Both benchmarks warm up first (tiered JIT), then their repetitions alternate (queue, socket, queue, ...) so that load from other jobs hits both.");
        text.AppendLine(Inv($"- **Queue**: `Neokernel.Kernel.Ipc.BoundedMessageQueue` (capacity 64, 64-byte slots); one thread does `TryEnqueue` of a 64-byte message then `TryDequeue` into a caller's buffer, {queue.OperationsPerRepetition:N0} times per repetition; the repetition's result is its total time divided by the operations."));
        text.AppendLine(Inv($"- **Anchor**: a connected pair of Unix-domain stream sockets (`System.Net.Sockets.Socket`, `UnixDomainSocketEndPoint`) between two threads of the same process; the sender times each 64-byte ping-pong, {sockets.RoundTripsPerRepetition:N0} round trips per repetition, and takes p50 and p99 of them. One message's share is half the round trip."));
        text.AppendLine("- **The ratio is only indicative.** The queue is an in-process, single-threaded ring: no thread wake-up, no system call, no copy across an address space. It is not a cross-process transport; for that, see \"IPC across processes\" above, which compares the shared-memory ring with a socket between two processes.");
        text.AppendLine();
        text.AppendLine("## Not measured yet");
        text.AppendLine();
        text.AppendLine("- **Regions** (seqlock publish + snapshot of a 16-point region): `Region`'s constructor and its `Publish`/`TryCopy` are internal to the kernel, and `RegionWriter`/`RegionReader` can only be made by the kernel, so this harness cannot build one from outside. It needs either `[InternalsVisibleTo(\"Neokernel.Benchmarks\")]` in kernel/Neokernel.Kernel.csproj, or a public factory for a standalone region over managed memory (for example `Region.CreateInMemory(name, pointNames, writer)` returning a writer and a reader).");
        return text.ToString();
    }

    public static string Tables(QueueResult queue, SocketResult sockets)
    {
        var text = new StringBuilder();
        text.AppendLine("## IPC: one 64-byte message");
        text.AppendLine();
        text.AppendLine("| Benchmark | Neokernel queue, enqueue+dequeue | Anchor: Unix socket, ½ round trip (p50) | Ratio (anchor / ours) |");
        text.AppendLine("|---|---:|---:|---:|");
        text.AppendLine(Inv($"| 64-byte message, median of {queue.NsPerOp.Count} | {queue.Median:F1} ns/op | {sockets.PerMessageNs:F0} ns | {sockets.PerMessageNs / queue.Median:F0}x |"));
        text.AppendLine();
        text.AppendLine("| Neokernel queue | median | min | max |");
        text.AppendLine("|---|---:|---:|---:|");
        text.AppendLine(Inv($"| enqueue+dequeue, ns/op | {queue.Median:F1} | {queue.NsPerOp.Min():F1} | {queue.NsPerOp.Max():F1} |"));
        text.AppendLine();
        text.AppendLine("| Anchor: Unix-socket ping-pong, 64 bytes | median | min | max |");
        text.AppendLine("|---|---:|---:|---:|");
        text.AppendLine(Inv($"| round trip p50, µs | {sockets.MedianP50Ns / 1000:F1} | {sockets.P50Ns.Min() / 1000:F1} | {sockets.P50Ns.Max() / 1000:F1} |"));
        text.AppendLine(Inv($"| round trip p99, µs | {sockets.MedianP99Ns / 1000:F1} | {sockets.P99Ns.Min() / 1000:F1} | {sockets.P99Ns.Max() / 1000:F1} |"));
        return text.ToString();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
