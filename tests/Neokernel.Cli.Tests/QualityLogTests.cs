using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Neokernel.Kernel.Regions;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Cli.Tests;

/// <summary>
/// <c>run --quality-log</c>: what a benchmark reads to learn when a restarted driver's first good
/// sample came, on the clock it killed the driver by.
/// </summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class QualityLogTests
{
    private const long SecondNs = 1_000_000_000;

    [Fact]
    public void Watch_TankDemoBoots_LogsEveryPointOnceThenTheLevelTurningGoodWithItsSourceTimestamp()
    {
        var session = Boot();
        var log = new QualityLog(session.Kernel);
        log.Start(session.Platform);
        session.Platform.RunUntil(SecondNs);

        var transitions = log.Transitions();
        var first = transitions.Where(t => t.ObservedNs == 0).Select(log.PointName).ToList();
        Assert.Equal(["tank.inputs.level", "tank.outputs.pump", "tank.outputs.setpoint", "tank.outputs.pv", "tank.outputs.mode"], first);
        var good = Assert.Single(transitions, t => log.PointName(t) == "tank.inputs.level" && t.Quality == Quality.Good);
        Assert.InRange(good.ObservedNs - good.SourceNs, 0, QualityLog.IntervalNs);
        Assert.Equal(transitions.Count, log.Count);

        using var text = new StringWriter();
        log.Write(text, originNs: 5_000);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith('#') && l.Contains("origin-ns 5000", StringComparison.Ordinal));
        Assert.Contains(Invariant($"{5_000 + good.ObservedNs} tank.inputs.level Good {5_000 + good.SourceNs} {good.Sequence}"), lines);
        Assert.Equal(transitions.Count, lines.Count(l => !l.StartsWith('#')));
    }

    [Fact]
    public void Watch_MoreChangesThanItKeeps_KeepsTheNewestAndSaysHowManyWereDropped()
    {
        var session = Boot();
        var log = new QualityLog(session.Kernel, capacity: 2);
        log.Start(session.Platform);
        session.Platform.RunUntil(SecondNs);

        Assert.True(log.Count > 2);
        Assert.Equal(2, log.Transitions().Count);
        using var text = new StringWriter();
        log.Write(text, originNs: 0);
        Assert.Contains(Invariant($"{log.Count - 2} older transitions dropped"), text.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The watch runs on the event loop beside the control loop: it must not allocate.</summary>
    [Fact]
    public void Watch_SteadyState_WholeSystemWithTheWatch_AllocatesNothing()
    {
        var session = Boot();
        var log = new QualityLog(session.Kernel);
        log.Start(session.Platform);
        session.Platform.RunUntil(130 * SecondNs);
        const long periodNs = 10_000_000;
        AllocationAssert.NoAllocations(1_000, _ => session.Platform.RunUntil(session.Platform.NowNs + periodNs));
    }

    [Fact]
    public void Run_KillNineTheSensor_LevelGoesBadThenGoodWithASourceTimestampAfterTheKill_TraceHasTheFault()
    {
        var directory = Directory.CreateTempSubdirectory("neokernel-quality-log-");
        var qualityLog = Path.Combine(directory.FullName, "quality.log");
        var trace = Path.Combine(directory.FullName, "trace.jsonl");
        CliResult? result = null;
        var run = new Thread(() => result = CliResult.Run("run", Repository.TankDemo, "--duration", "8s", "--plain", "--quality-log", qualityLog, "--trace-jsonl", trace));
        run.Start();
        var pid = ServiceHostProcesses.WaitFor("level-sensor", TimeSpan.FromSeconds(30), []);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        var killedNs = LinuxTime.MonotonicNs();
        Process.GetProcessById(pid).Kill();
        run.Join();

        Assert.NotNull(result);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"written to {qualityLog} (CLOCK_MONOTONIC ns)", result.Output, StringComparison.Ordinal);
        var lines = File.ReadAllLines(qualityLog);
        var originNs = long.Parse(lines[1].Split("origin-ns ")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        var level = lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(' ')).Where(f => f[1] == "tank.inputs.level")
            .Select(f => (ObservedNs: long.Parse(f[0], CultureInfo.InvariantCulture), Quality: f[2], SourceNs: long.Parse(f[3], CultureInfo.InvariantCulture), Sequence: long.Parse(f[4], CultureInfo.InvariantCulture)))
            .ToList();
        var bad = level.First(t => t.ObservedNs > killedNs);
        Assert.Equal("Bad", bad.Quality);
        var good = level.First(t => t.ObservedNs > bad.ObservedNs);
        Assert.Equal("Good", good.Quality);
        Assert.True(good.SourceNs > killedNs, $"first good sample at {good.SourceNs}, killed at {killedNs}");
        Assert.True(good.Sequence > bad.Sequence, "the region's publish sequence only grows");

        var fault = File.ReadLines(trace).Select(l => JsonDocument.Parse(l).RootElement)
            .First(e => e.GetProperty("kind").GetString() == "fault" && e.GetProperty("service").GetString() == "level-sensor");
        var faultNs = originNs + fault.GetProperty("tNs").GetInt64();
        Assert.InRange(faultNs, killedNs, good.SourceNs);
        directory.Delete(recursive: true);
    }

    private static SimulationSession Boot()
    {
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(Repository.TankDemo, catalog, TextWriter.Null)!;
        return SimulationSession.Boot(system, catalog, seed: 5);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
