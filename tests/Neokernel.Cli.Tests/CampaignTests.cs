using System.Text.Json;

namespace Neokernel.Cli.Tests;

/// <summary>Fault campaigns: determinism, shards, replay, the invariants' verdicts and the file's errors.</summary>
public sealed class CampaignTests
{
    private static string Small => Path.Combine(Repository.Root, "tests", "Neokernel.Cli.Tests", "Campaigns", "small.yaml");

    private static string Scratch() => Directory.CreateTempSubdirectory("neokernel-campaign-").FullName;

    private static string Line(CliResult result, string prefix) =>
        result.Output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal)).TrimEnd();

    private static JsonElement Result(string directory) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "result.json"))).RootElement;

    [Fact]
    public void SameCampaign_SameResultDigest_OnOneThreadOrTwo()
    {
        var one = CliResult.Run("campaign", "run", Small, "--jobs", "1");
        var two = CliResult.Run("campaign", "run", Small, "--jobs", "2");
        Assert.Equal(0, one.ExitCode);
        Assert.Equal(Line(one, "result digest: "), Line(two, "result digest: "));
        Assert.Contains("| 9 | 9 | 9 | 9 of 9 | 9 of 9 |", one.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Sharded_ThenMerged_EqualsUnsharded()
    {
        var whole = Scratch();
        var all = CliResult.Run("campaign", "run", Small, "--out", whole);
        Assert.Equal(0, all.ExitCode);
        var shards = Enumerable.Range(0, 3).Select(i =>
        {
            var directory = Scratch();
            var shard = CliResult.Run("campaign", "run", Small, "--shard", $"{i}/3", "--out", directory);
            Assert.Equal(0, shard.ExitCode);
            Assert.Contains($"shard {i}/3: 3 runs", shard.Output, StringComparison.Ordinal);
            return directory;
        }).ToList();

        var merged = Scratch();
        var merge = CliResult.Run(["campaign", "merge", .. shards, "--out", merged]);
        Assert.Equal(0, merge.ExitCode);
        Assert.Equal(Line(all, "result digest: "), Line(merge, "result digest: "));
        var expected = Result(whole);
        var actual = Result(merged);
        foreach (var field in (string[])["runs", "faultsInjected", "kernelSurvived", "safetyHeld", "resultDigest", "runsInMatrix"])
        {
            Assert.Equal(expected.GetProperty(field).ToString(), actual.GetProperty(field).ToString());
        }

        Assert.Equal(expected.GetProperty("runList").ToString(), actual.GetProperty("runList").ToString());
    }

    [Fact]
    public void ARate_PutsOneInjectionInEachSlotOfItsWindow_FromTheSeed()
    {
        var (campaign, _, diagnostics) = Campaigns.CampaignReader.Load(Small, Composition.Catalog());
        Assert.Empty(diagnostics);
        var cell = campaign!.Cells()[0];
        Assert.Equal("crash:level-sensor 1/20s", cell.Name);
        var schedule = cell.Schedule(1);

        // 30 s at one per 20 s: one injection, in the window 300..330 s.
        var injection = Assert.Single(schedule.Injections);
        Assert.InRange(injection.AtNs, 300_000_000_000, 329_999_000_000);
        Assert.Equal(0, injection.AtNs % 1_000_000);
        Assert.Equal(schedule.ToString(), cell.Schedule(1).ToString());
        Assert.NotEqual(schedule.ToString(), cell.Schedule(2).ToString());

        var dense = cell with { Entry = cell.Entry with { Rate = new Campaigns.FaultRate(10, 1_000_000_000) } };
        var times = dense.Schedule(3).Injections.Select(i => i.AtNs).ToList();
        Assert.Equal(300, times.Count);
        for (var i = 0; i < times.Count; i++)
        {
            Assert.InRange(times[i], 300_000_000_000 + (i * 100_000_000L), 300_000_000_000 + ((i + 1) * 100_000_000L) - 1);
        }
    }

    [Fact]
    public void TheDemoCampaign_ASliceOfIt_KeepsEveryInvariant()
    {
        var result = CliResult.Run("campaign", "run", Path.Combine(Repository.Root, "campaigns", "tank-faults.yaml"), "--shard", "0/40");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("shard 0/40: 20 runs", result.Output, StringComparison.Ordinal);
        Assert.Contains("| 20 | 20 | 20 of 20 | 20 of 20 |", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_RefusesMissingAndRepeatedShards()
    {
        var shard = Scratch();
        Assert.Equal(0, CliResult.Run("campaign", "run", Small, "--shard", "0/3", "--out", shard).ExitCode);
        var missing = CliResult.Run("campaign", "merge", shard, "--out", Scratch());
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("the shards hold 3 of the 9 runs", missing.Error, StringComparison.Ordinal);
        var twice = CliResult.Run("campaign", "merge", shard, shard, "--out", Scratch());
        Assert.Contains("is in more than one shard", twice.Error, StringComparison.Ordinal);
        var notOne = CliResult.Run("campaign", "merge", Scratch(), "--out", Scratch());
        Assert.Contains("not a campaign result", notOne.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailingRun_PrintsTheReplay_WhichReproducesItsDigestAndItsViolation()
    {
        // The liveness window is too short for the loop to settle after the setpoint step: every run fails it.
        var campaign = WriteCampaign("""
            campaign: strict
            system: SYSTEM
            duration: 200s
            seeds: [7]
            faults:
              - fault: sensor-stuck
                targets: [sim://tank/level]
                at: [100s]
                duration: 10s
                value: 0.5
            invariants:
              - liveness: tank.inputs.level within 1% of tank.outputs.setpoint
                within: 5s
            """);
        var out1 = Scratch();
        var result = CliResult.Run("campaign", "run", campaign, "--out", out1);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("failing runs: 1", result.Output, StringComparison.Ordinal);
        var replay = Line(result, "    replay: ")["    replay: neokernel ".Length..];
        Assert.Equal($"sim {Repository.TankDemo} --seed 7 --duration 200s --faults 'sensor-stuck:sim://tank/level@100s+10s=0.5' --invariants {campaign}", replay);

        var run = Result(out1).GetProperty("runList")[0];
        var again = CliResult.Run("sim", Repository.TankDemo, "--seed", "7", "--duration", "200s", "--faults", "sensor-stuck:sim://tank/level@100s+10s=0.5", "--invariants", campaign);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"trace digest: {run.GetProperty("traceDigest").GetString()}", again.Output, StringComparison.Ordinal);
        Assert.Contains(run.GetProperty("violation").GetString()!, again.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The tank demo with a level sensor that is never restarted (a crash loses it for good, and
    /// its region goes Bad) and, when <paramref name="broken"/>, a controller without a safe state.
    /// </summary>
    internal static string SensorLossSystem(bool broken) => Repository.CopyManifests(root =>
    {
        Repository.Replace(Path.Combine(root, "services", "level-sensor.yaml"), "policy: permanent", "policy: temporary");
        if (broken)
        {
            Repository.Replace(Path.Combine(root, "services", "tank-controller.yaml"), "safeState:\n  onBadInput: hold\n  outputs:\n    - region: tank.outputs\n      point: pump\n      value: 0\n", "");
        }
    });

    internal const string SensorLossCampaign = """
        campaign: sensor-loss
        system: SYSTEM
        duration: 60s
        seeds: 2
        faults:
          - fault: crash
            targets: [level-sensor]
            at: [30s]
        invariants:
          - name: pump stops on sensor loss
            safety: sim://tank/pump <= 0.5
            after: tank.inputs.level is bad
            within: 6s
          - kernel: sound
        """;

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void ASensorLoss_IsCaughtWhenTheControllerHasNoSafeState(bool broken, int exitCode)
    {
        // The kernel drives a failed service's dependants' safe outputs: the pump to 0 % (the
        // actuator slews at 20 %/s). Without a safe state the controller holds, and the pump runs blind.
        var campaign = WriteCampaign(SensorLossCampaign, SensorLossSystem(broken));
        var result = CliResult.Run("campaign", "run", campaign);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(broken ? "| 2 | 2 | 0 | 2 of 2 | 0 of 2 | 0 of 2 |" : "| 2 | 2 | 2 | 2 of 2 | 2 of 2 | 2 of 2 |", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Shrink_ReducesTheBrokenControllersFailingSchedule_ToTheSensorLoss()
    {
        var campaign = WriteCampaign(SensorLossCampaign, SensorLossSystem(broken: true));
        const string schedule = "crash:pump-actuator@10s,overrun:pump-actuator@20s+1s=5,sensor-noise:sim://tank/level@15s+2s=0.01,crash:level-sensor@30s,crash:tank-controller@40s,sensor-drift:sim://tank/level@45s+5s=0.01";
        var result = CliResult.Run("campaign", "shrink", campaign, "--seed", "1", "--faults", schedule);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the run fails 'pump stops on sensor loss'", result.Output, StringComparison.Ordinal);
        Assert.Contains("shrunk from 6 injections to 1 in ", result.Output, StringComparison.Ordinal);
        Assert.EndsWith(": crash:level-sensor@30s", Line(result, "shrunk from "), StringComparison.Ordinal);
        var replay = Line(result, "replay: ");
        Assert.Contains("--faults 'crash:level-sensor@30s' --invariants ", replay, StringComparison.Ordinal);

        // The matrix's own run shrinks too (its one injection is already minimal), and a passing run has nothing to shrink.
        Assert.Contains("shrunk from 1 injections to 1", CliResult.Run("campaign", "shrink", campaign, "--run", "0").Output, StringComparison.Ordinal);
        var good = WriteCampaign(SensorLossCampaign, SensorLossSystem(broken: false));
        var passes = CliResult.Run("campaign", "shrink", good, "--run", "1");
        Assert.Equal(0, passes.ExitCode);
        Assert.Contains("nothing to shrink", passes.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crush\n    targets: [level-sensor]\n    at: 1s\ninvariants:\n  - kernel: sound\n", ":6:12: error: faults[0].fault: no fault 'crush'")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [nobody]\n    at: 1s\ninvariants:\n  - kernel: sound\n", ":6:5: error: targets: no service 'nobody'")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    rate: often\ninvariants:\n  - kernel: sound\n", ":8:11: error: faults[0].rate: 'often' is not a rate")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    at: 20s\ninvariants:\n  - kernel: sound\n", ":8:9: error: faults[0].at: 20s is not before the run's end")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    at: 1s\ninvariants:\n  - kernel: sound\n", ":3:11: error: duration: time '10' needs a unit")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 0\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    at: 1s\ninvariants:\n  - kernel: sound\n", ":4:8: error: seeds: 0 seeds")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    at: 1s\ninvariants:\n  - safety: tank.inputs.depth < 2\n", ":10:5: error: invariants[0]: 'tank.inputs.depth < 2': region 'tank.inputs' has no point 'depth'")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    at: 1s\ninvariants:\n  - safety: the level is fine\n", ":10:13: error: invariants[0].safety: 'the level is fine' is not a condition")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfaults:\n  - fault: crash\n    targets: [level-sensor]\n    at: 1s\ninvariants:\n  - liveness: tank.inputs.level > 0\n", ":10:5: error: invariants[0].within: required field is missing")]
    [InlineData("campaign: x\nsystem: SYSTEM\nduration: 10s\nseeds: 1\nfault:\n  - fault: crash\n", ":5:1: error: fault: unknown field")]
    public void ABadCampaignFile_GetsAnErrorNamingFileLineAndField(string text, string expected)
    {
        var campaign = WriteCampaign(text);
        var run = CliResult.Run("campaign", "run", campaign);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(campaign + expected, run.Error, StringComparison.Ordinal);
        var validate = CliResult.Run("validate", campaign);
        Assert.Equal(1, validate.ExitCode);
        Assert.Contains(campaign + expected, validate.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsTheCampaignsOfTheRepository()
    {
        var files = Directory.GetFiles(Path.Combine(Repository.Root, "campaigns"), "*.yaml").Append(Small).ToArray();
        var result = CliResult.Run(["validate", .. files]);
        Assert.True(result.ExitCode == 0, result.Error);
    }

    [Theory]
    [InlineData("--shard", "3/3", "--shard 3/3: write i/n")]
    [InlineData("--jobs", "0", "--jobs 0: not a thread count")]
    public void BadOptions_AreUsageErrors(string option, string value, string expected)
    {
        var result = CliResult.Run("campaign", "run", Small, option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    internal static string WriteCampaign(string text, string? system = null)
    {
        var path = Path.Combine(Scratch(), "campaign.yaml");
        File.WriteAllText(path, text.Replace("SYSTEM", system ?? Repository.TankDemo, StringComparison.Ordinal));
        return path;
    }
}

/// <summary>The campaign file's JSON Schema says what its reader reads.</summary>
public sealed class CampaignSchemaTests
{
    private static JsonElement Schema() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "manifests", "schema", "campaign.schema.json"))).RootElement;

    private static string[] Names(JsonElement properties) => [.. properties.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public void Fields_AreTheReadersFields()
    {
        var schema = Schema();
        Assert.Equal(Campaigns.CampaignReader.TopFields.Order(StringComparer.Ordinal), Names(schema.GetProperty("properties")));
        Assert.Equal(Campaigns.CampaignReader.FaultFields.Order(StringComparer.Ordinal), Names(schema.GetProperty("properties").GetProperty("faults").GetProperty("items").GetProperty("properties")));
        Assert.Equal(Campaigns.CampaignReader.InvariantFields.Order(StringComparer.Ordinal), Names(schema.GetProperty("properties").GetProperty("invariants").GetProperty("items").GetProperty("properties")));
        Assert.Equal(Campaigns.CampaignReader.PlotFields.Order(StringComparer.Ordinal), Names(schema.GetProperty("properties").GetProperty("plot").GetProperty("properties")));
    }

    [Fact]
    public void Faults_AreTheLibrarysWords()
    {
        var words = Schema().GetProperty("properties").GetProperty("faults").GetProperty("items").GetProperty("properties").GetProperty("fault").GetProperty("enum");
        Assert.Equal(Rt.Faults.FaultCatalog.All.Select(d => d.Word), words.EnumerateArray().Select(w => w.GetString()));
    }
}
