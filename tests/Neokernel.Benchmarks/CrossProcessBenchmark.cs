using System.Globalization;
using Neokernel.Rt.Linux;

namespace Neokernel.Benchmarks;

/// <summary>
/// Runs <see cref="CrossProcessPingPong"/> in two placements: unpinned (the scheduler places both
/// processes) and pinned (parent's measuring thread on CPU 0, child's echo threads on CPU 1).
/// Both children live for the whole run; each repetition measures ring, socket and spinning ring in
/// every placement, so a neighbour's burst of load lands on all four numbers rather than on one.
/// </summary>
internal static class CrossProcessBenchmark
{
    public const int RoundTripsPerRepetition = 10_000;
    private const int WarmUpRoundTrips = 2_000;

    public static CrossProcessResult Run(int repetitions)
    {
        CrossProcessResult? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = RunHere(repetitions);
            }
            catch (Exception exception) when (exception is IOException or InvalidOperationException or TimeoutException)
            {
                failure = exception;
            }
        })
        { Name = "cross-process-benchmark" };
        thread.Start();
        thread.Join();
        return result ?? throw new InvalidOperationException("cross-process benchmark failed", failure);
    }

    /// <summary>On a thread of its own, so pinning it leaves the main thread as it was.</summary>
    private static CrossProcessResult RunHere(int repetitions)
    {
        var unpinnedMask = ThreadAffinity.CurrentMask();
        var placements = new List<Placement> { new("unpinned", parentCpu: null, childCpu: null) };
        if (Environment.ProcessorCount >= 2)
        {
            placements.Add(new Placement("pinned: parent CPU 0, child CPU 1", parentCpu: 0, childCpu: 1));
        }

        try
        {
            foreach (var placement in placements)
            {
                placement.Start(unpinnedMask);
                placement.PingPong.WarmUp(WarmUpRoundTrips);
            }

            for (var r = 0; r < repetitions; r++)
            {
                foreach (var placement in placements)
                {
                    placement.MeasureOnce(unpinnedMask);
                    Console.WriteLine(placement.Describe(r, repetitions));
                }
            }

            return new CrossProcessResult(RoundTripsPerRepetition, [.. placements.Select(p => p.Result())]);
        }
        finally
        {
            foreach (var placement in placements)
            {
                placement.Dispose();
            }

            ThreadAffinity.SetCurrentMask(unpinnedMask);
        }
    }

    private sealed class Placement(string name, int? parentCpu, int? childCpu) : IDisposable
    {
        private readonly List<double> ringP50Ns = [];
        private readonly List<double> ringP99Ns = [];
        private readonly List<double> socketP50Ns = [];
        private readonly List<double> socketP99Ns = [];
        private readonly List<double> spinningP50Ns = [];
        private readonly List<double> spinningP99Ns = [];
        private CrossProcessPingPong? pingPong;

        public CrossProcessPingPong PingPong => pingPong ?? throw new InvalidOperationException("placement not started");

        public void Start(ulong unpinnedMask)
        {
            Place(unpinnedMask);
            pingPong = new CrossProcessPingPong(childCpu);
        }

        public void MeasureOnce(ulong unpinnedMask)
        {
            Place(unpinnedMask);
            Add(PingPong.Measure(Transport.Ring, RoundTripsPerRepetition), ringP50Ns, ringP99Ns);
            Add(PingPong.Measure(Transport.Socket, RoundTripsPerRepetition), socketP50Ns, socketP99Ns);
            Add(PingPong.Measure(Transport.SpinningRing, RoundTripsPerRepetition), spinningP50Ns, spinningP99Ns);
        }

        public string Describe(int repetition, int repetitions) => string.Create(
            CultureInfo.InvariantCulture,
            $"  cross-process {name}, repetition {repetition + 1}/{repetitions}: ring+futex p50 {ringP50Ns[^1] / 1000:F1} µs, p99 {ringP99Ns[^1] / 1000:F1} µs; unix socket p50 {socketP50Ns[^1] / 1000:F1} µs, p99 {socketP99Ns[^1] / 1000:F1} µs; spinning ring p50 {spinningP50Ns[^1] / 1000:F1} µs, p99 {spinningP99Ns[^1] / 1000:F1} µs");

        public PlacementResult Result() => new(name, ringP50Ns, ringP99Ns, socketP50Ns, socketP99Ns, spinningP50Ns, spinningP99Ns);

        public void Dispose() => pingPong?.Dispose();

        private void Place(ulong unpinnedMask)
        {
            if (parentCpu is { } cpu)
            {
                ThreadAffinity.PinCurrentThread(cpu);
            }
            else
            {
                ThreadAffinity.SetCurrentMask(unpinnedMask);
            }
        }

        private static void Add(long[] sorted, List<double> p50Ns, List<double> p99Ns)
        {
            p50Ns.Add(Stats.Nanoseconds(Stats.Percentile(sorted, 50)));
            p99Ns.Add(Stats.Nanoseconds(Stats.Percentile(sorted, 99)));
        }
    }
}

internal sealed record CrossProcessResult(int RoundTripsPerRepetition, IReadOnlyList<PlacementResult> Placements);

internal sealed record PlacementResult(
    string Placement,
    IReadOnlyList<double> RingP50Ns,
    IReadOnlyList<double> RingP99Ns,
    IReadOnlyList<double> SocketP50Ns,
    IReadOnlyList<double> SocketP99Ns,
    IReadOnlyList<double> SpinningP50Ns,
    IReadOnlyList<double> SpinningP99Ns)
{
    /// <summary>Median ring p50 over median socket p50: below 1 means the ring is faster. Target: at most 0.8.</summary>
    public double P50Ratio => Stats.Median(RingP50Ns) / Stats.Median(SocketP50Ns);

    /// <summary>Ring p50 over socket p50 of the same repetition (measured back to back): their spread shows how much the noise moved the ratio.</summary>
    public IReadOnlyList<double> P50RatiosPerRepetition => [.. RingP50Ns.Zip(SocketP50Ns, (ring, socket) => ring / socket)];

    /// <summary>Median spinning-ring p50 over median socket p50.</summary>
    public double SpinningP50Ratio => Stats.Median(SpinningP50Ns) / Stats.Median(SocketP50Ns);
}
