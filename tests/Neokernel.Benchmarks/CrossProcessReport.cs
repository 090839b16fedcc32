using System.Globalization;
using System.Text;

namespace Neokernel.Benchmarks;

/// <summary>The "IPC across processes" section of docs/PERFORMANCE.md: self-contained, tables and method together.</summary>
internal static class CrossProcessReport
{
    public const double TargetP50Ratio = 0.8;

    public static string Section(CrossProcessResult result)
    {
        var text = new StringBuilder();
        text.AppendLine("## IPC across processes");
        text.AppendLine();
        text.AppendLine("One 64-byte request and its 64-byte reply between this process and a child process, over two transports in the same run: the shared-memory ring with futex wake-ups, and a Unix-domain socket.");
        text.AppendLine(Inv($"Medians over the repetitions of each repetition's p50 and p99 ({result.RoundTripsPerRepetition:N0} round trips per repetition). Target: ring p50 ≤ {TargetP50Ratio:F1}× the socket's."));
        text.AppendLine();
        text.AppendLine("| Placement | Ring + futex p50 | Ring + futex p99 | Unix socket p50 | Unix socket p99 | p50 ratio (ring / socket) | Per-repetition p50 ratios, min–max | Target ≤ 0.8 |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var p in result.Placements)
        {
            text.AppendLine(Inv($"| {p.Placement} | {Us(Stats.Median(p.RingP50Ns))} | {Us(Stats.Median(p.RingP99Ns))} | {Us(Stats.Median(p.SocketP50Ns))} | {Us(Stats.Median(p.SocketP99Ns))} | {p.P50Ratio:F2} | {p.P50RatiosPerRepetition.Min():F2}–{p.P50RatiosPerRepetition.Max():F2} | {(p.P50Ratio <= TargetP50Ratio ? "met" : "missed")} |"));
        }

        text.AppendLine();
        text.AppendLine(Inv($"Not the design point, for scale: the same ring with both sides polling up to {CrossProcessPingPong.SpinNs / 1000} µs before FUTEX_WAIT, so a reply that comes within that time needs no wake-up at all."));
        text.AppendLine();
        text.AppendLine("| Placement | Ring, spin then futex p50 | p99 | p50 ratio (spinning ring / socket) |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var p in result.Placements)
        {
            text.AppendLine(Inv($"| {p.Placement} | {Us(Stats.Median(p.SpinningP50Ns))} | {Us(Stats.Median(p.SpinningP99Ns))} | {p.SpinningP50Ratio:F2} |"));
        }

        text.AppendLine();
        text.AppendLine("| Placement, transport | p50 median | p50 min | p50 max | p99 median | p99 min | p99 max |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var p in result.Placements)
        {
            text.AppendLine(Inv($"| {p.Placement}, ring + futex | {Us(Stats.Median(p.RingP50Ns))} | {Us(p.RingP50Ns.Min())} | {Us(p.RingP50Ns.Max())} | {Us(Stats.Median(p.RingP99Ns))} | {Us(p.RingP99Ns.Min())} | {Us(p.RingP99Ns.Max())} |"));
            text.AppendLine(Inv($"| {p.Placement}, Unix socket | {Us(Stats.Median(p.SocketP50Ns))} | {Us(p.SocketP50Ns.Min())} | {Us(p.SocketP50Ns.Max())} | {Us(Stats.Median(p.SocketP99Ns))} | {Us(p.SocketP99Ns.Min())} | {Us(p.SocketP99Ns.Max())} |"));
            text.AppendLine(Inv($"| {p.Placement}, ring, spin then futex | {Us(Stats.Median(p.SpinningP50Ns))} | {Us(p.SpinningP50Ns.Min())} | {Us(p.SpinningP50Ns.Max())} | {Us(Stats.Median(p.SpinningP99Ns))} | {Us(p.SpinningP99Ns.Min())} | {Us(p.SpinningP99Ns.Max())} |"));
        }

        text.AppendLine();
        text.AppendLine("How it is measured:");
        text.AppendLine();
        text.AppendLine("- The harness starts itself again as the child (`--peer`), a separate OS process connected by a Unix-domain stream socket. Over that socket the parent passes the child the memfds of two `Neokernel.Rt.Linux.SharedMessageRing`s (requests, replies; 16 slots of 64 bytes) with SCM_RIGHTS.");
        text.AppendLine("- **Ring + futex**: the parent's measuring thread sends a request (`TrySend`), then waits for the reply with `WaitForMessage` (no spinning: straight into FUTEX_WAIT); the child's echo thread does the same on the request ring and replies. Each wait that finds the ring empty sleeps in the kernel and is woken by the other side's FUTEX_WAKE, so a round trip is two cross-process wake-ups, as with the socket.");
        text.AppendLine("- **Unix socket**: the same 64 bytes written to and read back from the connecting socket (`Socket.Send`/`Receive`, blocking), echoed by a second thread of the child.");
        text.AppendLine("- Both are timed per round trip with `Stopwatch.GetTimestamp()` on the parent's measuring thread, after 2,000 warm-up round trips of each. One child per placement, both alive for the whole run; each repetition measures ring, socket and spinning ring in each placement in turn, so load from other jobs hits all of them.");
        text.AppendLine(Inv($"- **Spin then futex**: a second pair of rings on which the parent's and the child's waits poll for up to {CrossProcessPingPong.SpinNs / 1000} µs (`WaitForMessage(timeout, spinNs)`) before they sleep; a third child thread echoes on it."));
        text.AppendLine("- **Pinned**: `sched_setaffinity` of the parent's measuring thread to CPU 0 and of both child echo threads to CPU 1. **Unpinned**: the scheduler places them. A pinned thread cannot move away from a CPU that another job is using, so on a shared machine the pinned rows also measure that contention: read them with their min and max.");
        return text.ToString();
    }

    private static string Us(double ns) => (ns / 1000).ToString("F1", CultureInfo.InvariantCulture) + " µs";

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
