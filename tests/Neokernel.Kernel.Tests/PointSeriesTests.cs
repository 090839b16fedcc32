using Neokernel.Contracts;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Manifests;

namespace Neokernel.Kernel.Tests;

/// <summary>Numbered points: the names a series makes, the manifest form that declares them, and the codec's runs.</summary>
public sealed class PointSeriesTests
{
    [Fact]
    public void Names_OfAFullRegion_AreZeroPaddedToTheLastNumber()
    {
        var series = new PointSeries("s", 0, Region.PointsMax, PointSeries.DigitsOf(Region.PointsMax - 1));

        var names = series.Names().ToArray();

        Assert.Equal(4, series.Digits);
        Assert.Equal("s0000", names[0]);
        Assert.Equal("s4095", names[^1]);
        Assert.Equal(Region.PointsMax, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("s0042", "s", 42, 4)]
    [InlineData("pump7", "pump", 7, 1)]
    [InlineData("a.b.000", "a.b.", 0, 3)]
    public void TrySplit_OfANumberedName_GivesPrefixNumberAndWidth(string name, string prefix, int number, int digits)
    {
        Assert.True(PointSeries.TrySplit(name, out var p, out var n, out var d));
        Assert.Equal((prefix, number, digits), (p, n, d));
        Assert.Equal(name, PointSeries.Format(p, n, d));
    }

    [Theory]
    [InlineData("level")]
    [InlineData("s1234567890")]
    [InlineData("")]
    public void TrySplit_OfANameWithoutAFittingNumber_IsFalse(string name) =>
        Assert.False(PointSeries.TrySplit(name, out _, out _, out _));

    [Fact]
    public void Constructor_OfASeriesThatCannotBeWritten_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PointSeries("s", 0, 4096, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PointSeries("s", 0, 4097, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PointSeries("s", PointSeries.NumberMax, 2, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PointSeries("s", -1, 2, 1));
    }

    [Fact]
    public void LoadService_WithNamedAndNumberedPoints_DeclaresBothInOrder()
    {
        const string yaml = """
            id: generator
            kind: driver
            program:
              type: test.noop
            regions:
              - name: bench.a
                access: write
                points: [heartbeat]
                numberedPoints: {prefix: s, first: 4096, count: 4095, digits: 5}
            """;

        var (manifest, diagnostics) = ManifestLoader.LoadService("generator.yaml", new InMemoryManifestSource().Add("generator.yaml", yaml), TestPrograms.Catalog());

        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));
        var points = SpecBuilder.Service(manifest!, TestPrograms.Catalog()).Regions[0].Points;
        Assert.Equal(4096, points.Length);
        Assert.Equal(["heartbeat", "s04096", "s04097"], points.Take(3).ToArray());
        Assert.Equal("s08190", points[^1]);
    }

    [Fact]
    public void Service_OfACodeBuiltSeriesOutOfRange_Throws()
    {
        var manifest = new ServiceManifest
        {
            Id = "generator",
            Kind = "driver",
            Program = new ProgramManifest { Type = "test.noop" },
            Regions = [new RegionManifest { Name = "bench.a", Access = "write", NumberedPoints = new NumberedPointsManifest { Prefix = "s", Count = 5000 } }],
        };

        var error = Assert.Throws<ArgumentException>(() => SpecBuilder.Service(manifest, null));
        Assert.Contains("numberedPoints", error.Message, StringComparison.Ordinal);
    }

    /// <summary>25 full regions (the 100,000-point benchmark) are granted in a few kilobytes, named point for point as the writer declared them.</summary>
    [Fact]
    public void Encode_OfManyFullNumberedRegions_SendsRunsNotNames()
    {
        var regions = Enumerable.Range(0, 25)
            .Select(r => new HostedRegion($"bench.r{r:D2}", "generator", [.. new PointSeries("s", r * 4000, 4000, 5).Names()], 100_000))
            .ToArray();
        var spec = new HostedServiceSpec(
            new ServiceSpec { Id = "gateway", Kind = ServiceKind.Gateway, Program = new ProgramSpec("test.noop", ProgramParameters.Empty), Restart = new RestartSpec(RestartPolicy.Permanent, 3, 10_000, 100, 1_000, 0), Isolated = true },
            [.. regions],
            [],
            []);

        var bytes = HostedServiceSpecCodec.Encode(spec);
        var decoded = HostedServiceSpecCodec.Decode(bytes);

        Assert.True(bytes.Length < 2_000, $"{bytes.Length} bytes");
        Assert.Equal(regions.SelectMany(r => r.Points), decoded.Regions.SelectMany(r => r.Points));
        Assert.Equal("s99999", decoded.Regions[^1].Points[^1]);
    }

    [Fact]
    public void Decode_OfEncode_KeepsMixedNamesExactly()
    {
        string[] names = ["s9", "s10", "s11", "s011", "s012", "x", "x0", "x00", "x01", "level", "s0005", "s0004"];
        var spec = new HostedServiceSpec(
            new ServiceSpec { Id = "gateway", Kind = ServiceKind.Gateway, Program = new ProgramSpec("test.noop", ProgramParameters.Empty), Restart = new RestartSpec(RestartPolicy.Permanent, 3, 10_000, 100, 1_000, 0), Isolated = true },
            [new HostedRegion("mixed", "writer", [.. names], 0)],
            [],
            []);

        var decoded = HostedServiceSpecCodec.Decode(HostedServiceSpecCodec.Encode(spec));

        Assert.Equal(names, decoded.Regions[0].Points.ToArray());
    }
}
