using System.Collections.Immutable;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Manifests;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Tests;

/// <summary>
/// Specs are what the kernel grants from, so nothing a service holds may change them: their
/// collections refuse every edit, and a service that tries and then faults is granted, after its
/// restart, exactly what its manifest said.
/// </summary>
public sealed class SpecTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void Spec_Collections_RefuseEveryEdit()
    {
        var spec = LoadTankSensor();
        var regions = (IList<RegionSpec>)spec.Regions;
        var points = (IList<string>)spec.Regions[0].Points;
        var parameters = (IDictionary<string, ParameterValue>)spec.Program.Parameters.All;

        Assert.Throws<NotSupportedException>(() => regions.Add(regions[0] with { Name = "other" }));
        Assert.Throws<NotSupportedException>(() => regions[0] = regions[0] with { Access = RegionAccess.Write });
        Assert.Throws<NotSupportedException>(() => regions.Clear());
        Assert.Throws<NotSupportedException>(() => points.Add("extra"));
        Assert.Throws<NotSupportedException>(() => points[0] = "renamed");
        Assert.Throws<NotSupportedException>(() => parameters["noise"] = ParameterValue.OfString("0"));
        Assert.Throws<NotSupportedException>(() => parameters.Remove("noise"));
        Assert.Throws<NotSupportedException>(() => ((IList<string>)spec.Uses).Add("gateway.commands"));
        Assert.Throws<NotSupportedException>(() => ((IList<DeviceSpec>)spec.Devices).Add(new DeviceSpec("d", "sim://x", Platform.DeviceAccess.ReadWrite)));
        Assert.Equal(["level", "quality"], spec.Regions[0].Points.ToArray());
        Assert.Equal("0.001", spec.Program.Parameters.Text("noise"));
    }

    [Fact]
    public void Spec_With_CopiesAndLeavesTheOriginal()
    {
        var spec = LoadTankSensor();

        var widened = spec with { Regions = [new RegionSpec("pump.command", RegionAccess.Write, ["demand"])] };

        Assert.NotSame(spec, widened);
        Assert.Equal(RegionAccess.Write, spec.Regions[0].Access);
        Assert.Equal("tank.level", spec.Regions[0].Name);
        Assert.Single(spec.Regions);
    }

    [Fact]
    public void SystemDefinition_Services_RefuseEdits_AndWithServiceCopies()
    {
        var system = ManifestLoader.LoadSystem(TestPrograms.TankSystemPath, new FileManifestSource(), TestPrograms.Catalog()).System!;

        Assert.Throws<NotSupportedException>(() => ((IList<ServiceDefinition>)system.Services).RemoveAt(0));
        var copy = system.WithService("pump", s => s with { Restart = s.Restart with { Policy = RestartPolicy.Temporary } });

        Assert.Equal(RestartPolicy.Temporary, copy.Find("pump")!.Spec.Restart.Policy);
        Assert.Equal(RestartPolicy.Transient, system.Find("pump")!.Spec.Restart.Policy);
        Assert.Same(system.Find("plant"), copy.Find("plant"));
    }

    /// <summary>
    /// The regression: a reader of a region edited its own manifest to say write, faulted, and
    /// was granted write on restart. Now it edits whatever it can reach of its spec, and its
    /// second incarnation is still a reader.
    /// </summary>
    [Fact]
    public void Restart_AfterTheServiceEditedItsOwnSpec_GrantsNothingMore()
    {
        var system = new TestSystem();
        system.Add("writer", "test.writer").Regions.Add(TestSystem.Writes("r", "x"));
        system.Add("intruder", "test.intruder").Regions.Add(TestSystem.Reads("r"));
        system.Catalog.Program("test.writer", () => new DelegateService(c => c.OpenRegionWriter("r"), _ => { }));
        var incarnation = 0;
        var edits = new List<string>();
        Exception? secondAttempt = null;
        system.Catalog.Program("test.intruder", () =>
        {
            IServiceContext? context = null;
            return new DelegateService(
                c =>
                {
                    context = c;
                    incarnation++;
                    if (incarnation == 1)
                    {
                        edits.AddRange(TryToWiden(c));
                    }
                    else
                    {
                        secondAttempt = Record.Exception(() => c.OpenRegionWriter("r"));
                    }
                },
                _ =>
                {
                    if (incarnation == 1)
                    {
                        context!.ReportFault("edited my spec");
                    }
                });
        });

        var (kernel, platform) = system.Boot();
        platform.RunUntil(1_000 * Ms);

        var intruder = kernel.Service("intruder");
        Assert.Equal(2, intruder.Incarnation);
        Assert.Equal(ServiceState.Running, intruder.State);
        Assert.Equal(["refused", "refused", "refused", "refused", "copy only"], edits);
        Assert.IsType<CapabilityDeniedException>(secondAttempt);
        Assert.Equal(RegionAccess.Read, intruder.Spec.Regions.Single().Access);
        Assert.Equal("writer", kernel.FindRegion("r")!.Writer);
        var writeGrants = kernel.Trace.Events(TraceEventKind.CapabilityGrant)
            .Where(e => e.Subject == intruder.TraceId && (e.Arg0 & (long)Rights.Write) != 0);
        Assert.Empty(writeGrants);
    }

    [Fact]
    public void ProgramParameters_Parse_TypesValuesAndFillsDefaults()
    {
        var parameters = ProgramParameters.Parse("svc", TestPrograms.TypedParameters, new Dictionary<string, string> { ["region"] = "out", ["samples"] = "4" });

        Assert.Equal((50.0, 4L, "out", false), (parameters.Number("gainPercent"), parameters.Integer("samples"), parameters.Text("region"), parameters.Boolean("inverted")));
        Assert.True(parameters.IsGiven("samples"));
        Assert.False(parameters.IsGiven("gainPercent"));
        Assert.Throws<InvalidOperationException>(() => parameters.Number("region"));
        Assert.Throws<InvalidOperationException>(() => parameters.Number("undeclared"));
    }

    [Theory]
    [InlineData("gainPercent", "101", "parameter 'gainPercent': 101 is out of range; allowed: a number in 0..100 %")]
    [InlineData("samples", "many", "parameter 'samples': 'many' is not an integer; allowed: an integer in 1..16")]
    [InlineData("inverted", "1", "parameter 'inverted': '1' is not true or false; allowed: true or false")]
    [InlineData("colour", "red", "parameter 'colour': unknown parameter; the program declares: gainPercent, samples, region, inverted")]
    public void ProgramParameters_Parse_BadValue_NamesTheParameter(string name, string value, string expected)
    {
        var texts = new Dictionary<string, string> { ["region"] = "out", [name] = value };

        var exception = Assert.Throws<ServiceConfigurationException>(() => ProgramParameters.Parse("svc", TestPrograms.TypedParameters, texts));

        Assert.Equal(name, exception.Parameter);
        Assert.EndsWith(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgramParameters_Parse_MissingRequired_IsRefused() =>
        Assert.Equal("region", Assert.Throws<ServiceConfigurationException>(() => ProgramParameters.Parse("svc", TestPrograms.TypedParameters, new Dictionary<string, string>())).Parameter);

    [Fact]
    public void ProgramParameters_ParseTables_TypesEachRowAndNamesItsColumn()
    {
        var rows = new Dictionary<string, List<Dictionary<string, string>>> { ["polls"] = [new() { ["point"] = "level", ["count"] = "2" }, new() { ["point"] = "flow" }] };

        var parameters = ProgramParameters.Parse("svc", [], new Dictionary<string, string>(), [TestPrograms.PollTable], rows);

        var polls = parameters.Table("polls");
        Assert.Equal([(0L, 2L, "level"), (0L, 1L, "flow")], polls.Select(r => (r.Integer("address"), r.Integer("count"), r.Text("point"))).ToArray());
        Assert.True(polls[0].IsGiven("count"));
        Assert.False(polls[1].IsGiven("count"));
        Assert.Throws<InvalidOperationException>(() => parameters.Table("flows"));
        rows["polls"][1]["count"] = "0";
        var bad = Assert.Throws<ServiceConfigurationException>(() => ProgramParameters.Parse("svc", [], new Dictionary<string, string>(), [TestPrograms.PollTable], rows));
        Assert.Equal("tables.polls[1].count", bad.Parameter);
    }

    [Fact]
    public void ProgramParameters_ParseTables_DeclaredButLeftOut_HasNoRowsOrIsRequired()
    {
        var optional = TestPrograms.PollTable with { RowsMin = 0 };
        var none = new Dictionary<string, List<Dictionary<string, string>>>();

        Assert.Empty(ProgramParameters.Parse("svc", [], new Dictionary<string, string>(), [optional], none).Table("polls"));
        Assert.Equal("tables.polls", Assert.Throws<ServiceConfigurationException>(() => ProgramParameters.Parse("svc", [], new Dictionary<string, string>(), [TestPrograms.PollTable], none)).Parameter);
    }

    /// <summary>Everything an in-process service can try without reflection; each entry says what came of it.</summary>
    private static IEnumerable<string> TryToWiden(IServiceContext context)
    {
        var spec = context.Spec;
        var widened = new RegionSpec("r", RegionAccess.Write, ["x"]);
        yield return Outcome(() => ((IList<RegionSpec>)spec.Regions)[0] = widened);
        yield return Outcome(() => ((ICollection<RegionSpec>)spec.Regions).Add(widened));
        yield return Outcome(() => ((IList<string>)spec.Regions[0].Points).Add("x"));
        yield return Outcome(() => ((IDictionary<string, ParameterValue>)context.Parameters.All).Add("access", ParameterValue.OfString("write")));
        var copy = spec with { Regions = ImmutableArray.Create(widened) };
        yield return copy.Regions[0].Access == RegionAccess.Write && context.Spec.Regions[0].Access == RegionAccess.Read ? "copy only" : "changed";
    }

    private static string Outcome(Action edit)
    {
        try
        {
            edit();
            return "changed";
        }
        catch (NotSupportedException)
        {
            return "refused";
        }
    }

    private static ServiceSpec LoadTankSensor()
    {
        var result = ManifestLoader.LoadSystem(TestPrograms.TankSystemPath, new FileManifestSource(), TestPrograms.Catalog());
        Assert.True(result.Succeeded, TestPrograms.Describe(result.Diagnostics));
        return result.System!.Find("level-sensor")!.Spec;
    }
}
