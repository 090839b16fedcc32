using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

/// <summary>hil.signal-generator: its waveforms at known times, its table, its determinism, its cycle's allocations, and what validate says.</summary>
public sealed class SignalGeneratorTests
{
    private const double Tolerance = 1e-10;

    private static readonly ProgramDescriptor Program = new ProgramCatalog().AddHil().Find(HilPrograms.SignalGeneratorType)!;

    private static string CorpusDirectory => Path.Combine(AppContext.BaseDirectory, "Corpus", "signal-generator");

    private static FakeServiceContext Context(Dictionary<string, string> parameters, List<Dictionary<string, string>>? rows = null, ulong seed = 7) =>
        new(parameters, periodUs: 100_000, seed: seed, program: Program, tables: rows is null ? null : new Dictionary<string, List<Dictionary<string, string>>> { [SignalGeneratorService.SignalsTable] = rows });

    private static (double[] Values, Quality[] Qualities, long TimestampNs) Read(FakeServiceContext context, string region)
    {
        var reader = context.Objects.OpenRegionReader(region, FakeServiceContext.PeerId);
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        var count = reader.Region.PointCount;
        return ([.. Enumerable.Range(0, count).Select(snapshot.Value)], [.. Enumerable.Range(0, count).Select(snapshot.Quality)], snapshot.TimestampNs(0));
    }

    /// <summary>The fraction of a period at <paramref name="timeNs"/>, computed exactly as a reference.</summary>
    private static double Phase(long timeNs, double periodSeconds)
    {
        var periodNs = (long)Math.Round(periodSeconds * 1e9);
        return (double)(timeNs % periodNs) / periodNs;
    }

    [Theory]
    [InlineData("sine")]
    [InlineData("ramp")]
    [InlineData("square")]
    [InlineData("triangle")]
    public void Execute_EachWaveform_WritesItsValueAtTheCycleTime(string waveform)
    {
        var context = Context(new() { ["waveform"] = waveform, ["amplitude"] = "2", ["offset"] = "5", ["periodSeconds"] = "1.6", ["phaseSpreadPeriods"] = "0" });
        context.AddRegion("bench", context.ServiceId, "a", "b");
        new SignalGeneratorService().Start(context);

        for (var cycle = 0; cycle < 40; cycle++)
        {
            context.RunCycles(1);
            var (values, qualities, timeNs) = Read(context, "bench");
            var x = Phase(timeNs, 1.6);
            var shape = waveform switch
            {
                "sine" => Math.Sin(2 * Math.PI * x),
                "ramp" => (2 * x) - 1,
                "square" => x < 0.5 ? 1 : -1,
                _ => x < 0.5 ? (4 * x) - 1 : 3 - (4 * x),
            };
            Assert.Equal(5 + (2 * shape), values[0], Tolerance);
            Assert.Equal(values[0], values[1]);
            Assert.Equal([Quality.Good, Quality.Good], qualities);
        }
    }

    [Fact]
    public void SinTwoPi_AtQuartersAndBetween_MatchesTheLibrarySine()
    {
        Assert.Equal(0.0, Waveforms.SinTwoPi(0.0));
        Assert.Equal(1.0, Waveforms.SinTwoPi(0.25));
        Assert.Equal(0.0, Waveforms.SinTwoPi(0.5), 1e-15);
        Assert.Equal(-1.0, Waveforms.SinTwoPi(0.75));
        for (var i = 0; i < 10_000; i++)
        {
            var x = i / 10_000.0;
            Assert.Equal(Math.Sin(2 * Math.PI * x), Waveforms.SinTwoPi(x), 1e-11);
        }
    }

    [Fact]
    public void Plan_WithPhaseSpread_OffsetsThePointsEvenlyOverAPeriod()
    {
        var context = Context(new() { ["waveform"] = "ramp", ["periodSeconds"] = "4", ["phaseSpreadPeriods"] = "1" });
        context.AddRegion("bench", context.ServiceId, [.. new PointSeries("s", 0, 4, 1).Names()]);
        new SignalGeneratorService().Start(context);
        context.RunCycles(1);

        var (values, _, timeNs) = Read(context, "bench");

        for (var j = 0; j < 4; j++)
        {
            Assert.Equal((2 * ((Phase(timeNs, 4) + (j / 4.0)) % 1.0)) - 1, values[j], Tolerance);
        }
    }

    /// <summary>The first row covering a point gives its shape; a column a row leaves out is the service's parameter; points no row covers take the parameters.</summary>
    [Fact]
    public void Plan_WithRows_GivesEachPointItsFirstMatchingRow()
    {
        var rows = new List<Dictionary<string, string>>
        {
            new() { ["points"] = "s0000..s0001", ["waveform"] = "square", ["amplitude"] = "3" },
            new() { ["points"] = "s000?", ["waveform"] = "noise" },
            new() { ["region"] = "bench.b", ["points"] = "*", ["offset"] = "100" },
        };
        var context = Context(new() { ["waveform"] = "triangle", ["offset"] = "10", ["phaseSpreadPeriods"] = "0" }, rows);
        context.AddRegion("bench.a", context.ServiceId, "s0000", "s0001", "s0002", "s0010");
        context.AddRegion("bench.b", context.ServiceId, "s0000", "t");
        var service = new SignalGeneratorService();
        service.Start(context);
        context.RunCycles(1);

        var (a, _, timeNs) = Read(context, "bench.a");
        var (b, _, _) = Read(context, "bench.b");

        var x = Phase(timeNs, 10);
        var square = x < 0.5 ? 1 : -1;
        var triangle = x < 0.5 ? (4 * x) - 1 : 3 - (4 * x);
        Assert.Equal(10 + (3 * square), a[0], Tolerance);
        Assert.Equal(10 + (3 * square), a[1], Tolerance);
        Assert.InRange(a[2], 9, 11);
        Assert.Equal(10 + triangle, a[3], Tolerance);
        Assert.Equal(10 + (3 * square), b[0], Tolerance);
        Assert.Equal(100 + triangle, b[1], Tolerance);
        Assert.Equal([3, 1, 1], service.Plan!.RuleMembers);
    }

    [Fact]
    public void Execute_Noise_IsTheSameForOneSeedAndBoundedByTheAmplitude()
    {
        double[][] Run(ulong seed)
        {
            var context = Context(new() { ["waveform"] = "noise", ["amplitude"] = "0.5", ["offset"] = "1" }, seed: seed);
            context.AddRegion("bench", context.ServiceId, [.. new PointSeries("n", 0, 100, 2).Names()]);
            new SignalGeneratorService().Start(context);
            var cycles = new double[20][];
            for (var i = 0; i < cycles.Length; i++)
            {
                context.RunCycles(1);
                cycles[i] = Read(context, "bench").Values;
            }

            return cycles;
        }

        var first = Run(3);
        Assert.Equal(first, Run(3));
        Assert.NotEqual(first, Run(4));
        Assert.All(first.SelectMany(v => v), v => Assert.InRange(v, 0.5, 1.5));
        Assert.True(first.SelectMany(v => v).Distinct().Count() > 1_900, "each point draws anew every cycle");
    }

    [Fact]
    public void Execute_OverTwoFullRegions_AllocatesNothing()
    {
        var rows = new List<Dictionary<string, string>> { new() { ["points"] = "s0*", ["waveform"] = "noise" }, new() { ["points"] = "s1*", ["waveform"] = "ramp" } };
        var context = Context(new() { ["waveform"] = "sine" }, rows);
        context.AddRegion("bench.a", context.ServiceId, [.. new PointSeries("s", 0, 4096, 4).Names()]);
        context.AddRegion("bench.b", context.ServiceId, [.. new PointSeries("s", 4096, 4096, 4).Names()]);
        new SignalGeneratorService().Start(context);

        AllocationAssert.NoAllocations(200, _ => context.RunCycles(1));
        Assert.Empty(context.Faults);
    }

    [Fact]
    public void Start_WithoutARegionToWrite_IsAConfigurationError()
    {
        var context = Context([]);
        Assert.Equal("regions", Assert.Throws<ServiceConfigurationException>(() => new SignalGeneratorService().Start(context)).Parameter);
        Assert.Empty(context.Opened);
    }

    [Fact]
    public void Start_WithABadWaveform_NamesItBeforeOpeningAnything()
    {
        var context = Context(new() { ["waveform"] = "sinus" });
        context.AddRegion("bench", context.ServiceId, "a");
        Assert.Equal("waveform", Assert.Throws<ServiceConfigurationException>(() => new SignalGeneratorService().Start(context)).Parameter);
        Assert.Empty(context.Opened);
    }

    public static TheoryData<string> Cases() =>
        [.. Directory.EnumerateFiles(CorpusDirectory, "*.yaml").Order(StringComparer.Ordinal).Select(file => Path.GetFileNameWithoutExtension(file))];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_CorpusCase_ProducesExactlyTheExpectedDiagnostics(string name)
    {
        var file = Path.Combine(CorpusDirectory, name + ".yaml");
        var source = new InMemoryManifestSource().Add(file, File.ReadAllText(file));

        var (manifest, diagnostics) = ManifestLoader.LoadService(file, source, new ProgramCatalog().AddHil());

        Assert.Null(manifest);
        ManifestExpectations.AssertExactly(name, diagnostics, [file]);
    }
}
