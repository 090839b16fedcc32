using System.Diagnostics;
using System.Globalization;
using System.Text;
using Neokernel.Controllers;
using Neokernel.Controllers.Blocks;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Benchmarks;

/// <summary>What one cycle of the shipped cascade network costs, and the same control written by hand, each a list over repetitions.</summary>
internal sealed record BlockNetworkBenchResult(int Cycles, List<double> NetworkNsPerCycle, List<double> HandWrittenNsPerCycle, long NetworkBytes, long HandWrittenBytes, string? NotMeasured);

/// <summary>
/// The block network's cycle (issue 10): the heated-tank cascade as shipped
/// (<c>manifests/services/heated-tank-cascade-controller.yaml</c>: LAG, two PID blocks wired as a
/// cascade with their feedback, ALARM), built from the manifest and evaluated with
/// <see cref="BlockNetwork.Evaluate"/>. The anchor is the same control written in C# without the
/// block layer: the lag's backward Euler inline, two <see cref="PidController"/>s called directly
/// with the inner loop's limits and setpoint handed back to the outer, and the alarm's two high
/// limits with deadband and on-delay inline. Both replay the same recorded inputs (a closed-loop
/// run of the network on a first-order jacket and vessel), so the ratio is what the network's
/// generality (slots, virtual calls, modes read each cycle) costs over code a control engineer
/// would write for this one cascade.
/// </summary>
internal static class BlockNetworkBenchmark
{
    public const string Manifest = "manifests/services/heated-tank-cascade-controller.yaml";
    private const int Cycles = 200_000;
    private const long DtNs = 100_000_000;
    private const double Dt = 0.1;

    public static BlockNetworkBenchResult Run(int repetitions)
    {
        var result = new BlockNetworkBenchResult(Cycles, [], [], 0, 0, null);
        if (!File.Exists(Manifest))
        {
            return result with { NotMeasured = $"{Manifest} is missing; run the harness from the repository root" };
        }

        var catalog = new ProgramCatalog().AddControllers();
        var source = new InMemoryManifestSource();
        source.Add(Manifest, File.ReadAllText(Manifest));
        var (manifest, diagnostics) = ManifestLoader.LoadService(Manifest, source, catalog);
        if (manifest is null || diagnostics.Count > 0)
        {
            return result with { NotMeasured = $"{Manifest} does not load: {string.Join("; ", diagnostics.Select(d => d.Problem))}" };
        }

        var spec = SpecBuilder.Service(manifest, catalog);
        var (temperatures, jackets) = Record(() => BlockNetworkManifest.Build(spec.Id, spec.Program.Parameters).Network);
        Console.WriteLine(Inv($"  block network: the heated-tank cascade, {Cycles:N0} cycles per repetition, {repetitions} repetitions, against the same cascade written by hand"));
        long networkBytes = 0;
        long handBytes = 0;
        for (var r = 0; r < repetitions; r++)
        {
            var network = BlockNetworkManifest.Build(spec.Id, spec.Program.Parameters).Network;
            var (networkNs, networkAllocated) = Time(() => RunNetwork(network, temperatures, jackets));
            var hand = new HandWrittenCascade();
            var (handNs, handAllocated) = Time(() => hand.Run(temperatures, jackets));
            result.NetworkNsPerCycle.Add(networkNs / Cycles);
            result.HandWrittenNsPerCycle.Add(handNs / Cycles);
            networkBytes = Math.Max(networkBytes, networkAllocated);
            handBytes = Math.Max(handBytes, handAllocated);
            Console.WriteLine(Inv($"  block network {r + 1}/{repetitions}: network {result.NetworkNsPerCycle[^1]:F0} ns per cycle, by hand {result.HandWrittenNsPerCycle[^1]:F0} ns"));
        }

        return result with { NetworkBytes = networkBytes, HandWrittenBytes = handBytes };
    }

    public static string Section(BlockNetworkBenchResult r)
    {
        var text = new StringBuilder();
        text.AppendLine("## Block networks: one cycle of the heated-tank cascade (issue 10)");
        text.AppendLine();
        if (r.NotMeasured is not null)
        {
            text.AppendLine($"Not measured: {r.NotMeasured}.");
            return text.ToString();
        }

        var network = Stats.Median(r.NetworkNsPerCycle);
        var hand = Stats.Median(r.HandWrittenNsPerCycle);
        text.AppendLine(Inv($"`{Manifest}`'s network (LAG, outer and inner PID with the cascade's feedback, ALARM) built from the manifest, {r.Cycles:N0} cycles of recorded inputs per repetition, median of {r.NetworkNsPerCycle.Count}; the anchor is the same cascade written by hand on two `PidController`s."));
        text.AppendLine();
        text.AppendLine("| | block network | anchor: by hand | ratio | target |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- |");
        text.AppendLine(Inv($"| one cycle, ns | {network:F0} | {hand:F0} | {network / hand:F2} | |"));
        text.AppendLine(Inv($"| bytes allocated over all cycles of a repetition | {r.NetworkBytes} | {r.HandWrittenBytes} | | 0 |"));
        text.AppendLine(Inv($"| share of the shipped 100 ms period | {network / DtNs * 100:0.0000} % | | | |"));
        return text.ToString();
    }

    /// <summary>Inputs for the replay: the network in closed loop on a jacket (20 s lag of the heater) and a vessel (300 s lag of the jacket).</summary>
    private static (double[] Temperatures, double[] Jackets) Record(Func<BlockNetwork> build)
    {
        var network = build();
        var temperature = network.Input("jacketed-tank.inputs/temperature");
        var jacketInput = network.Input("jacketed-tank.inputs/jacket");
        var heater = network.Output("jacketed-tank.outputs/heater");
        var temperatures = new double[Cycles];
        var jackets = new double[Cycles];
        double vessel = 20;
        double jacket = 20;
        for (var i = 0; i < Cycles; i++)
        {
            temperatures[i] = vessel;
            jackets[i] = jacket;
            network.Values.SetFromPointValue(temperature, vessel);
            network.Values.SetFromPointValue(jacketInput, jacket);
            network.Evaluate(i == 0 ? 0 : DtNs);
            var power = network.Values.GetPointValue(heater);
            jacket += Dt / 20 * ((20 + (1.5 * power)) - jacket);
            vessel += Dt / 300 * (jacket - vessel);
        }

        return (temperatures, jackets);
    }

    private static void RunNetwork(BlockNetwork network, double[] temperatures, double[] jackets)
    {
        var temperature = network.Input("jacketed-tank.inputs/temperature");
        var jacket = network.Input("jacketed-tank.inputs/jacket");
        var values = network.Values;
        for (var i = 0; i < temperatures.Length; i++)
        {
            values.SetFromPointValue(temperature, temperatures[i]);
            values.SetFromPointValue(jacket, jackets[i]);
            network.Evaluate(i == 0 ? 0 : DtNs);
        }
    }

    private static (double Nanoseconds, long Allocated) Time(Action run)
    {
        run();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        run();
        var elapsed = Stopwatch.GetTimestamp() - started;
        return (Stats.Nanoseconds(elapsed), GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The anchor: the manifest's cascade as a control engineer would write it for this plant alone.</summary>
    private sealed class HandWrittenCascade
    {
        private const double LagSeconds = 5;
        private const double HighLimit = 75;
        private const double HighHighLimit = 85;
        private const double Deadband = 1;
        private const long DelayNs = 2_000_000_000;
        private readonly PidController outer = new(new PidTuning(8, 120, 0, 10, 20, 150));
        private readonly PidController inner = new(new PidTuning(5, 10, 0, 10, 0, 100));
        private double filtered;
        private bool started;
        private long highBeyondNs;
        private long highHighBeyondNs;
        private bool high;
        private bool highHigh;

        public void Run(double[] temperatures, double[] jackets)
        {
            outer.Reset(20);
            inner.Reset(0);
            started = false;
            for (var i = 0; i < temperatures.Length; i++)
            {
                Cycle(temperatures[i], jackets[i], i == 0 ? 0 : DtNs);
            }
        }

        private void Cycle(double temperature, double jacket, long dtNs)
        {
            filtered = started ? filtered + (Dt / (LagSeconds + Dt) * (temperature - filtered)) : temperature;
            started = true;
            if (dtNs > 0)
            {
                var blocked = inner.SetpointLimit;
                outer.Update(new PidInputs(60, filtered) { OutputBlocked = blocked }, Dt);
                inner.Update(new PidInputs(outer.Output, jacket), Dt);
            }

            high = Limit(high, temperature, HighLimit, ref highBeyondNs, dtNs);
            highHigh = Limit(highHigh, temperature, HighHighLimit, ref highHighBeyondNs, dtNs);
        }

        private static bool Limit(bool active, double value, double limit, ref long beyondNs, long dtNs)
        {
            if (active)
            {
                return !(value < limit - Deadband);
            }

            beyondNs = value > limit ? beyondNs + dtNs : 0;
            return beyondNs >= DelayNs;
        }
    }
}
