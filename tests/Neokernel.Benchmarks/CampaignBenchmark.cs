using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Neokernel.Benchmarks;

/// <summary>What the simulation and the fault campaigns measured (issue 11), each a list over repetitions.</summary>
internal sealed record CampaignBenchResult(
    List<double> Demo1KhzSpeed,
    List<double> DemoSpeed,
    List<double> FaultsPerHourOneThread,
    List<double> FaultsPerHourTwoThreads,
    List<double> SimulatedPerWallOneThread,
    List<double> SimulatedPerWallTwoThreads,
    string? NotMeasured);

/// <summary>
/// Simulation speed (simulated seconds per wall second of <c>neokernel sim</c>, on the tank demo
/// with its loop at 1 kHz and as shipped at 100 Hz) and campaign throughput (injected faults per
/// hour of <c>neokernel campaign run campaigns/tank-faults.yaml</c> on a slice of its matrix, on one
/// thread and on two), with the NativeAOT binary. The anchor of the speed is real time (1x); the
/// target is 1000x. FoundationDB's simulation, which runs at about 10x, is quoted from its
/// documentation, not measured here.
/// </summary>
internal static partial class CampaignBenchmark
{
    public const string Demo1Khz = "manifests/systems/tank-demo-1khz.yaml";
    public const string Demo = "manifests/systems/tank-demo.yaml";
    public const string Campaign = "campaigns/tank-faults.yaml";
    public const string Slice = "0/8";
    public const string SimDuration = "10m";

    public static CampaignBenchResult Run(string? binary, int repetitions)
    {
        var result = new CampaignBenchResult([], [], [], [], [], [], null);
        if (binary is null || !File.Exists(binary) || !File.Exists(Campaign))
        {
            return result with { NotMeasured = binary is null ? "no --neokernel-binary given" : $"{binary} or {Campaign} is missing; run the harness from the repository root" };
        }

        Console.WriteLine(Inv($"  campaigns: sim {SimDuration} of {Demo1Khz} and {Demo}, and campaign slice {Slice} of {Campaign} on 1 and 2 threads, {repetitions} repetitions"));
        for (var i = 0; i < repetitions; i++)
        {
            result.Demo1KhzSpeed.Add(SimSpeed(binary, Demo1Khz));
            result.DemoSpeed.Add(SimSpeed(binary, Demo));
            var (faultsOne, simulatedOne) = CampaignRate(binary, 1);
            var (faultsTwo, simulatedTwo) = CampaignRate(binary, 2);
            result.FaultsPerHourOneThread.Add(faultsOne);
            result.SimulatedPerWallOneThread.Add(simulatedOne);
            result.FaultsPerHourTwoThreads.Add(faultsTwo);
            result.SimulatedPerWallTwoThreads.Add(simulatedTwo);
            Console.WriteLine(Inv($"  campaigns {i + 1}/{repetitions}: 1 kHz demo {result.Demo1KhzSpeed[^1]:0}x real time, demo {result.DemoSpeed[^1]:0}x; faults per hour {faultsOne:0} on 1 thread, {faultsTwo:0} on 2"));
        }

        return result;
    }

    public static string Section(CampaignBenchResult r)
    {
        var text = new StringBuilder();
        text.AppendLine("## Simulation speed and fault campaigns (issue 11)");
        text.AppendLine();
        if (r.NotMeasured is not null)
        {
            text.AppendLine($"Not measured: {r.NotMeasured}.");
            return text.ToString();
        }

        text.AppendLine(Inv($"`neokernel sim SYSTEM --duration {SimDuration}` (simulated seconds per wall second; the anchor is real time, 1x) and `neokernel campaign run {Campaign} --shard {Slice} --jobs N`, NativeAOT, median of {r.DemoSpeed.Count}."));
        text.AppendLine();
        text.AppendLine("| | measured | anchor | ratio | target |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- |");
        text.AppendLine(Inv($"| simulation speed, tank demo with a 1 kHz loop | {Stats.Median(r.Demo1KhzSpeed):0}x | 1x (real time) | {Stats.Median(r.Demo1KhzSpeed):0} | at least 1000x (FoundationDB's simulation: about 10x, from its documentation) |"));
        text.AppendLine(Inv($"| simulation speed, tank demo (100 Hz loop, 1 kHz plant) | {Stats.Median(r.DemoSpeed):0}x | 1x (real time) | {Stats.Median(r.DemoSpeed):0} | |"));
        var one = Stats.Median(r.FaultsPerHourOneThread);
        var two = Stats.Median(r.FaultsPerHourTwoThreads);
        text.AppendLine(Inv($"| campaign throughput, faults injected per hour, 1 thread | {one:0} | | | |"));
        text.AppendLine(Inv($"| campaign throughput, faults injected per hour, 2 threads | {two:0} | 1 thread: {one:0} | {two / one:0.00} | 2.00 on 2 cores |"));
        text.AppendLine(Inv($"| campaign, simulated seconds per wall second, 1 and 2 threads | {Stats.Median(r.SimulatedPerWallOneThread):0}, {Stats.Median(r.SimulatedPerWallTwoThreads):0} | | | |"));
        return text.ToString();
    }

    private static double SimSpeed(string binary, string system)
    {
        var (code, output) = Tool.Run(binary, $"sim {system} --duration {SimDuration}", TimeSpan.FromMinutes(5));
        var match = SimSpeedLine().Match(output);
        return code == 0 && match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
    }

    private static (double FaultsPerHour, double SimulatedPerWall) CampaignRate(string binary, int jobs)
    {
        var (code, output) = Tool.Run(binary, $"campaign run {Campaign} --shard {Slice} --jobs {jobs}", TimeSpan.FromMinutes(10));
        var match = CampaignLine().Match(output);
        return code == 0 && match.Success
            ? (double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
            : (double.NaN, double.NaN);
    }

    [GeneratedRegex(@"\(([0-9.]+) simulated s per wall s\)")]
    private static partial Regex SimSpeedLine();

    [GeneratedRegex(@"wall [0-9.]+ s: ([0-9.]+) simulated s per wall s, ([0-9.]+) faults per wall s \(([0-9.]+) per hour\)")]
    private static partial Regex CampaignLine();

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
