using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

public sealed class ServiceConfigurationTests
{
    /// <summary>A context whose parameters are typed against the PID's declarations, as the kernel's spec builder types them.</summary>
    private static FakeServiceContext Pid(IReadOnlyDictionary<string, string> parameters, long periodUs = 100_000, SafeStateManifest? safeState = null) =>
        new(parameters, periodUs, safeState, declarations: PidServiceSettings.Parameters, kind: "controller");

    private static Dictionary<string, string> ValidPid() => new()
    {
        ["kc"] = "4",
        ["tiSeconds"] = "30",
        ["tdSeconds"] = "0.5",
        ["derivativeFilter"] = "8",
        ["outputMin"] = "0",
        ["outputMax"] = "100",
        ["setpoint"] = "1.2",
        ["inputRegion"] = "level",
        ["inputPoint"] = "level",
        ["outputRegion"] = "pump-cmd",
        ["outputPoint"] = "pump",
        ["commandEndpoint"] = "level-controller.commands",
    };

    [Fact]
    public void Pid_settings_are_read_from_the_manifest()
    {
        var settings = PidServiceSettings.From(Pid(ValidPid(), periodUs: 50_000));
        Assert.Equal(new PidTuning(4, 30, 0.5, 8, 0, 100), settings.Tuning);
        Assert.Equal(1.2, settings.Setpoint);
        Assert.Equal(("level", "level", "pump-cmd", "pump"), (settings.InputRegion, settings.InputPoint, settings.OutputRegion, settings.OutputPoint));
        Assert.Equal("level-controller.commands", settings.CommandEndpoint);
        Assert.Equal(0.05, settings.PeriodSeconds);
        Assert.Equal(BadInputPolicy.Hold, settings.BadInputPolicy);
    }

    [Fact]
    public void Safe_state_takes_the_safe_value_of_the_output_point()
    {
        var safeState = new SafeStateManifest
        {
            OnBadInput = "safe-state",
            Outputs = [new SafeValueManifest { Region = "other", Point = "pump", Value = 99 }, new SafeValueManifest { Region = "pump-cmd", Point = "pump", Value = 5 }],
        };
        var settings = PidServiceSettings.From(Pid(ValidPid(), safeState: safeState));
        Assert.Equal(BadInputPolicy.SafeState, settings.BadInputPolicy);
        Assert.Equal(5.0, settings.SafeOutput);
    }

    [Theory]
    [InlineData("inputRegion", null, "inputRegion")]
    [InlineData("outputPoint", "", "outputPoint")]
    [InlineData("kc", "0", "kc")]
    [InlineData("kc", "fast", "kc")]
    [InlineData("outputMax", "-1", "outputMin")]
    [InlineData("tiSeconds", "-3", "tiSeconds")]
    public void Pid_configuration_errors_name_the_parameter(string parameter, string? value, string named)
    {
        var parameters = ValidPid();
        if (value is null)
        {
            parameters.Remove(parameter);
        }
        else
        {
            parameters[parameter] = value;
        }

        var exception = Assert.Throws<ServiceConfigurationException>(() => PidServiceSettings.From(Pid(parameters)));
        Assert.Equal(named, exception.Parameter);
    }

    [Fact]
    public void The_complete_tuning_is_read_from_the_manifest()
    {
        var parameters = ValidPid();
        parameters.Remove("kc");
        parameters.Remove("tiSeconds");
        parameters.Remove("tdSeconds");
        parameters["form"] = "parallel";
        parameters["kp"] = "3";
        parameters["kiPerSecond"] = "0.5";
        parameters["setpointWeightP"] = "0.7";
        parameters["antiWindup"] = "clamping";
        parameters["outputRateUpPerSecond"] = "10";
        var tuning = PidServiceSettings.From(Pid(parameters)).Tuning;
        Assert.Equal((PidForm.Parallel, 3.0, 0.5, 0.0), (tuning.Form, tuning.ProportionalGain, tuning.IntegralGainPerSecond, tuning.Kc));
        Assert.Equal((0.7, AntiWindup.Clamping, 10.0, 0.0), (tuning.SetpointWeightProportional, tuning.AntiWindup, tuning.OutputRateUpPerSecond, tuning.OutputRateDownPerSecond));
    }

    [Theory]
    [InlineData("form: pid", "program.parameters.form: unknown form 'pid'")]
    [InlineData("antiWindup: none", "program.parameters.antiWindup: unknown anti-windup 'none'")]
    [InlineData("form: parallel", "program.parameters.kc: kc is a gain of the isa form, and form is parallel")]
    [InlineData("kp: 2", "program.parameters.kp: kp is a gain of the parallel form, and form is isa")]
    [InlineData("outputMax: -1", "program.parameters.outputMin: ")]
    [InlineData("kc: 0", "program.parameters.kc: ")]
    public void Validate_names_a_wrong_tuning_at_its_parameter(string line, string expected)
    {
        var yaml = $$"""
            id: loop
            kind: controller
            program:
              type: controllers.pid
              parameters:
                kc: 2
                {{line}}
                inputRegion: plant.inputs
                inputPoint: level
                outputRegion: plant.outputs
                outputPoint: pump
            timing: {class: best-effort, periodUs: 100000}
            regions:
              - {name: plant.inputs, access: read, points: [level]}
              - {name: plant.outputs, access: write, points: [pump]}
            """;
        if (line.StartsWith("kc:", StringComparison.Ordinal))
        {
            yaml = yaml.Replace("    kc: 2\n", string.Empty, StringComparison.Ordinal);
        }

        var source = new InMemoryManifestSource();
        source.Add("loop.yaml", yaml);
        var (_, diagnostics) = ManifestLoader.LoadService("loop.yaml", source, new ProgramCatalog().AddControllers());
        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith(expected, $"{diagnostic.Field}: {diagnostic.Problem}", StringComparison.Ordinal);
        Assert.True(diagnostic.Location.Line > 0, "the problem has a line");
    }

    [Fact]
    public void Safe_state_without_a_safe_value_is_refused()
    {
        var missing = new SafeStateManifest { OnBadInput = "safe-state" };
        Assert.Equal("safeState.outputs", Assert.Throws<ServiceConfigurationException>(() => PidServiceSettings.From(Pid(ValidPid(), safeState: missing))).Parameter);
    }

    [Fact]
    public void A_pid_without_timing_is_refused_before_opening_anything()
    {
        var context = Pid(ValidPid(), periodUs: 0);
        var exception = Assert.Throws<ServiceConfigurationException>(() => new PidService().Start(context));
        Assert.Equal("timing.periodUs", exception.Parameter);
        Assert.Empty(context.Opened);
    }

    [Fact]
    public void Operator_script_needs_its_endpoint()
    {
        var context = new FakeServiceContext(new Dictionary<string, string> { ["setpointStepAtSeconds"] = "5" }, declarations: OperatorScriptService.Parameters);
        Assert.Equal("endpoint", Assert.Throws<ServiceConfigurationException>(() => new OperatorScriptService().Start(context)).Parameter);
        Assert.Empty(context.Opened);
    }

    [Fact]
    public void The_catalog_lists_both_programs_with_their_parameters()
    {
        var catalog = new ProgramCatalog().AddControllers();
        var pid = catalog.Find("controllers.pid");
        Assert.NotNull(pid);
        Assert.IsType<PidService>(pid.Create());
        foreach (var name in new[] { "kc", "tiSeconds", "tdSeconds", "derivativeFilter", "outputMin", "outputMax", "setpoint", "inputRegion", "inputPoint", "outputRegion", "outputPoint", "commandEndpoint" })
        {
            Assert.NotNull(pid.FindParameter(name));
        }

        var script = catalog.Find("controllers.operator-script");
        Assert.NotNull(script);
        Assert.IsType<OperatorScriptService>(script.Create());
        Assert.Equal(["endpoint", "setpointStepAtSeconds", "setpointStepTo", "blockValue"], script.Parameters.Select(p => p.Name));
    }
}
