using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Neokernel.Fuzz;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The fault-schedule and campaign-file fuzz targets (<see cref="FaultFuzzTargets"/>) on their
/// seeds and findings, on random text, and on the seeds cut and corrupted: what afl-fuzz runs in
/// the Fuzz and FuzzSlice targets, run here against the normal build.
/// </summary>
public sealed class FaultFuzzTargetTests
{
    private const int Tests = 300;

    private static readonly string[] Words =
        ["crash", "modbus-delay", "sim://tank/level", "@", "+", "=", ",", "5s", "1e308", "-0", "NaN", "campaign:", "faults:", "\n  - fault: ", "rate: ", "1/0s", "at: [", "]", ":", " ", "\n", "&a", "*a", "seeds: "];

    public static TheoryData<string, FuzzTarget> Targets() => new()
    {
        { "fault-schedule", FaultFuzzTargets.FaultScheduleTarget },
        { "campaign-file", FaultFuzzTargets.CampaignFileTarget },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void CorpusAndRegressions_PassTheTarget(string name, FuzzTarget target)
    {
        var files = 0;
        foreach (var kind in new[] { "corpus", "regressions" })
        {
            var directory = Path.Combine(AppContext.BaseDirectory, "fuzz", kind, name);
            foreach (var file in Directory.Exists(directory) ? Directory.GetFiles(directory) : [])
            {
                target(File.ReadAllBytes(file));
                files++;
            }
        }

        Assert.True(files >= 3, $"only {files} {name} corpus files found");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void RandomTextOfTheirWords_KeepsTheTargetsInvariants(string name, FuzzTarget target)
    {
        Assert.NotEmpty(name);
        Prop.ForAll(Gen.ArrayOf(Gen.Elements(Words)).ToArbitrary(), words =>
        {
            target(Encoding.UTF8.GetBytes(string.Concat(words)));
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeedsCutAndCorrupted_KeepTheTargetsInvariants(string name, FuzzTarget target)
    {
        var seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fuzz", "corpus", name)).Select(File.ReadAllBytes).ToArray();
        var cases = from seed in Gen.Elements(seeds)
                    from cut in Gen.Choose(0, 4_000)
                    from flipCount in Gen.Choose(0, 4)
                    from flips in Gen.ArrayOf(Gen.Choose(0, (4_000 * 256) - 1), flipCount)
                    select Corrupt(seed, cut, flips);
        Prop.ForAll(cases.ToArbitrary(), bytes =>
        {
            target(bytes);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Tests));
    }

    [Fact]
    public void RefusedInput_IsNotAFinding()
    {
        // A refused schedule or campaign answers with its own error, which the targets accept: only their invariants are findings.
        FaultFuzzTargets.FaultScheduleTarget("crash:level-sensor@banana"u8);
        FaultFuzzTargets.CampaignFileTarget("campaign: [unclosed"u8);
    }

    [Fact]
    public void CampaignReader_AParserThatGivesUp_IsAnsweredAsInvalidYaml_NotAnException()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fuzz", "regressions", "campaign-file", "unclosed-flow-sequence.yaml");
        var (spec, diagnostics) = Campaigns.CampaignReader.ReadText(File.ReadAllText(path), "c.yaml");
        Assert.Null(spec);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("yaml", diagnostic.Field);
        Assert.StartsWith("not valid YAML: the parser gave up", diagnostic.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CampaignReader_AFieldWithoutAName_IsNamedSo()
    {
        var (_, diagnostics) = Campaigns.CampaignReader.ReadText("campaign: c\n: 1\n", "c.yaml");
        Assert.Contains(diagnostics, d => d.Field == "''" && d.Problem == "a field without a name");
    }

    [Theory]
    [InlineData("crash:level-sensor@5555555555555555555555555s", "time '5555555555555555555555555s' is not a whole number of ns below")]
    [InlineData("overrun:tank-controller@2000000000000000000000000h+1us=0.25", "time '2000000000000000000000000h' is not a whole number of ns below")]
    [InlineData("hang:level-sensor@1s+99999999999999999999999999m", "duration '99999999999999999999999999m' is not a whole number of ns below")]
    public void FaultSchedule_ATimeTooLargeForADecimal_IsRefusedWithItsPart(string schedule, string problem)
    {
        var exception = Assert.Throws<Rt.Faults.FaultSyntaxException>(() => Rt.Faults.FaultSchedule.Parse(schedule));
        Assert.StartsWith(problem, exception.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("1e300s")]
    [InlineData("99999999999h")]
    public void CommandLine_ADurationPastTheLimit_IsAUsageError_NotAnEndlessRun(string duration)
    {
        var exception = Assert.Throws<UsageException>(() => CommandLine.ParseDurationNs(duration));
        Assert.Equal($"--duration {duration}: not a duration; write e.g. 500ms, 30s, 10m or 2h", exception.Message);
    }

    private static byte[] Corrupt(byte[] seed, int cut, int[] flips)
    {
        var bytes = seed.AsSpan(0, Math.Min(seed.Length, cut)).ToArray();
        foreach (var flip in flips)
        {
            if (bytes.Length > 0)
            {
                bytes[flip / 256 % bytes.Length] ^= (byte)(1 + (flip % 255));
            }
        }

        return bytes;
    }
}
