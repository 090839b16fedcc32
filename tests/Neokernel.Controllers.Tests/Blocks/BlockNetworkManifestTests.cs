using Neokernel.Controllers.Blocks;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>What validate says of a controllers.blocks manifest: each problem at the row and column it is about.</summary>
public sealed class BlockNetworkManifestTests
{
    private const string Header = """
        id: cascade
        kind: controller
        program:
          type: controllers.blocks
          tables:

        """;

    private const string Footer = """
        timing:
          class: best-effort
          periodUs: 100000
        regions:
          - name: tank.inputs
            access: read
            points: [temperature, jacket]
          - name: tank.outputs
            access: write
            points: [heater, alarm]
          - name: other.outputs
            access: read
            points: [valve]
        """;

    /// <summary>A cascade: outer temperature loop, inner jacket loop, back-calculation wired back, and a high alarm.</summary>
    private const string Cascade = """
            blocks:
              - {name: outer, type: PID, PV: tank.inputs/temperature, SP: 60.0, KC: 4, TI: T#120s, OUT_MIN: 20, OUT_MAX: 95,
                 BLOCK_HI: inner.SP_BLOCK_HI, BLOCK_LO: inner.SP_BLOCK_LO, BKCAL_ON: inner.OPEN, BKCAL_VAL: inner.SP_USED}
              - {name: inner, type: PID, PV: tank.inputs/jacket, SP: outer.OUT, KC: 5, TI: T#10s}
              - {name: high, type: ALARM, IN: tank.inputs/temperature, H_LIMIT: 80, HH_LIMIT: 90}
            outputs:
              - {point: tank.outputs/heater, from: inner.OUT}
              - {point: tank.outputs/alarm, from: high.ACTIVE}

        """;

    [Fact]
    public void A_cascade_loads_and_builds()
    {
        var (manifest, diagnostics) = Load(Cascade);
        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));

        var spec = SpecBuilder.Service(manifest!, Catalog());
        var (network, read) = BlockNetworkManifest.Build(spec.Id, spec.Program.Parameters);

        Assert.Equal(["tank.inputs/temperature", "tank.inputs/jacket"], read.Inputs.Select(i => i.ExternalName).Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(["tank.outputs/heater", "tank.outputs/alarm"], read.Outputs.Select(o => o.ExternalName));
        Assert.Equal(["outer", "inner", "high"], network.EvaluationOrder.Select(b => b.Name));
        var outer = Assert.IsType<PidBlock>(network.Block("outer"));
        Assert.Equal(120, outer.Controller.Tuning.TiSeconds);
        Assert.Equal((20.0, 95.0), (outer.Controller.Tuning.OutputMin, outer.Controller.Tuning.OutputMax));
    }

    [Theory]
    [InlineData("  - {name: a, type: PIDD}\n", "program.tables.blocks[0].type: block 'a': no block type 'PIDD'")]
    [InlineData("  - {name: a, type: PID, FOO: 1}\n", "program.tables.blocks[0].FOO: block 'a' (PID) has no input or parameter 'FOO'")]
    [InlineData("  - {name: a, type: PID, OUT: 1}\n", "program.tables.blocks[0].OUT: block 'a' (PID) has no input or parameter 'OUT'; OUT is an output")]
    [InlineData("  - {name: a, type: PID, KC: fast}\n", "program.tables.blocks[0].KC: block 'a' (PID) parameter KC: 'fast' is not a REAL")]
    [InlineData("  - {name: a, type: PID, KC: 0}\n", "program.tables.blocks[0].KC: block 'a' (PID): parameter KC = 0 (REAL) is not allowed: it must be nonzero")]
    [InlineData("  - {name: a, type: PID, N: 0}\n", "program.tables.blocks[0].N: block 'a' (PID): parameter N = 0")]
    [InlineData("  - {name: a, type: PID, PV: tank.inputs/level}\n", "program.tables.blocks[0].PV: region 'tank.inputs' has no point 'level'")]
    [InlineData("  - {name: a, type: PID, PV: plant/level}\n", "program.tables.blocks[0].PV: no region 'plant' in this service's regions")]
    [InlineData("  - {name: a, type: PID, PV: tank.outputs/heater}\n", "program.tables.blocks[0].PV: region 'tank.outputs' is one this service writes")]
    [InlineData("  - {name: a, type: PID, PV: b.Q}\n  - {name: b, type: TON}\n", "program.tables.blocks[0].PV: block 'a' (PID) input PV is REAL, but output b.Q is BOOL")]
    [InlineData("  - {name: a, type: PID, MAN: 2.5}\n", "program.tables.blocks[0].MAN: block 'a' (PID) input MAN: '2.5' is no point, no BOOL literal and no block's output")]
    [InlineData("  - {name: a, type: LAG, IN: b.OUT}\n  - {name: b, type: LAG, IN: a.OUT}\n", "program.tables.blocks[0].name: algebraic loop without a delay block: a -> b -> a")]
    [InlineData("  - {name: a, type: LAG}\n  - {name: a, type: LAG}\n", "program.tables.blocks[0].name: block 'a' (LAG) is declared twice")]
    [InlineData("  - {name: a, type: LAG}\n  - {name: b, type: PID, N: 0}\n", "program.tables.blocks[1].N: block 'b' (PID): parameter N = 0")]
    [InlineData("  - {name: a, type: LAG}\n  - {name: b, type: LAGG}\n", "program.tables.blocks[1].type: block 'b': no block type 'LAGG'")]
    [InlineData("  - {name: a, type: LAG}\n  - {name: b, type: LAG, IN: a.Q}\n", "program.tables.blocks[1].IN: block 'b' (LAG) input IN: block 'a' (LAG) has no output 'Q'")]
    [InlineData("  - {name: a, type: LAG, IN: tank.inputs/}\n", "program.tables.blocks[0].IN: block 'a' (LAG) input IN: 'tank.inputs/' is not a point")]
    [InlineData("  - {name: a, type: LAG, IN: a.}\n", "program.tables.blocks[0].IN: block 'a' (LAG) input IN: 'a.' is no point")]
    public void A_bad_block_row_is_named_at_its_column(string blocks, string expected) =>
        AssertOneError("    blocks:\n" + Indent(blocks), expected);

    [Theory]
    [InlineData("  - {point: other.outputs/valve, from: a.OUT}\n", "program.tables.outputs[0].point: point other.outputs/valve is owned by the service that writes region 'other.outputs'")]
    [InlineData("  - {point: tank.outputs/pump, from: a.OUT}\n", "program.tables.outputs[0].point: region 'tank.outputs' has no point 'pump'")]
    [InlineData("  - {point: heater, from: a.OUT}\n", "program.tables.outputs[0].point: 'heater' is not a point")]
    [InlineData("  - {point: tank.outputs/heater, from: a.OUT}\n  - {point: tank.outputs/heater, from: a.LIMIT_HI}\n", "program.tables.outputs[1].point: point tank.outputs/heater is written twice")]
    [InlineData("  - {point: tank.outputs/heater, from: a.NOPE}\n", "program.tables.outputs[0].from: external output 'tank.outputs/heater': block 'a' (PID) has no output 'NOPE'")]
    [InlineData("  - {point: tank.outputs/heater, from: b.OUT}\n", "program.tables.outputs[0].from: 'b.OUT' is neither a block output nor a literal")]
    [InlineData("  - {point: tank.outputs/heater, from: a.OUT}\n  - {point: tank.outputs/alarm, from: a.NOPE}\n", "program.tables.outputs[1].from: external output 'tank.outputs/alarm': block 'a' (PID) has no output 'NOPE'")]
    [InlineData("  - {point: tank.outputs/, from: a.OUT}\n", "program.tables.outputs[0].point: 'tank.outputs/' is not a point")]
    public void A_bad_output_row_is_named_at_its_column(string outputs, string expected) =>
        AssertOneError("    blocks:\n      - {name: a, type: PID}\n    outputs:\n" + Indent(outputs), expected);

    [Fact]
    public void A_loop_closed_at_feedback_inputs_is_no_algebraic_loop()
    {
        var (_, diagnostics) = Load("""
                blocks:
                  - {name: outer, type: PID, SP: inner.SP_USED, BLOCK_HI: inner.SP_BLOCK_HI}
                  - {name: inner, type: PID, SP: outer.OUT}

            """);
        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith("program.tables.blocks[0].name: algebraic loop", $"{diagnostic.Field}: {diagnostic.Problem}", StringComparison.Ordinal);

        (_, diagnostics) = Load("""
                blocks:
                  - {name: outer, type: PID, BKCAL_VAL: inner.SP_USED, BLOCK_HI: inner.SP_BLOCK_HI}
                  - {name: inner, type: PID, SP: outer.OUT}

            """);
        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));
    }

    [Fact]
    public void A_point_feeding_pins_of_two_types_is_one_input_per_type_and_outputs_take_literals()
    {
        var (manifest, diagnostics) = Load("""
                blocks:
                  - {name: a, type: PID, PV: tank.inputs/temperature}
                  - {name: t, type: TON, IN: tank.inputs/temperature, PT: T#5s}
                outputs:
                  - {point: tank.outputs/heater, from: 12.5}
                  - {point: tank.outputs/alarm, from: t.Q}

            """);
        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));
        var spec = SpecBuilder.Service(manifest!, Catalog());
        var (network, read) = BlockNetworkManifest.Build(spec.Id, spec.Program.Parameters);
        Assert.Equal(["tank.inputs/temperature", "tank.inputs/temperature (BOOL)"], read.Inputs.Select(i => i.ExternalName));
        Assert.Equal([BlockValueType.Real, BlockValueType.Bool], read.Inputs.Select(i => i.Type));
        network.Evaluate(0);
        Assert.Equal(12.5, network.Values.GetPointValue(network.Output("tank.outputs/heater")));
    }

    [Fact]
    public void A_manifest_built_in_code_with_a_problem_fails_at_start_naming_it()
    {
        var parameters = ProgramParameters.Parse(
            "svc",
            [],
            new Dictionary<string, string>(),
            [BlockNetworkManifest.Blocks, BlockNetworkManifest.Outputs],
            new Dictionary<string, List<Dictionary<string, string>>> { ["blocks"] = [new() { ["name"] = "a", ["type"] = "PID", ["N"] = "0" }] });
        var error = Assert.Throws<ServiceConfigurationException>(() => BlockNetworkManifest.Build("svc", parameters));
        Assert.Equal("tables.blocks[0].N", error.Parameter);

        parameters = ProgramParameters.Parse(
            "svc",
            [],
            new Dictionary<string, string>(),
            [BlockNetworkManifest.Blocks, BlockNetworkManifest.Outputs],
            new Dictionary<string, List<Dictionary<string, string>>> { ["blocks"] = [new() { ["name"] = "a", ["type"] = "PID", ["FOO"] = "1" }] });
        Assert.Equal("tables.blocks[0].FOO", Assert.Throws<ServiceConfigurationException>(() => BlockNetworkManifest.Build("svc", parameters)).Parameter);
    }

    [Fact]
    public void A_problem_has_the_line_and_column_of_its_value()
    {
        var (_, diagnostics) = Load("    blocks:\n      - {name: a, type: PID}\n      - {name: b, type: PID, KC: x}\n");
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("program.tables.blocks[1].KC", diagnostic.Field);
        Assert.Equal(8, diagnostic.Location.Line);
        Assert.True(diagnostic.Location.Column > 30, $"column {diagnostic.Location.Column} points into the row, at KC's value");
    }

    [Fact]
    public void The_blocks_table_is_required()
    {
        var (_, diagnostics) = Load("    outputs:\n      - {point: tank.outputs/heater, from: 1}\n");
        Assert.Contains(diagnostics, d => d.Field == "program.tables.blocks" && d.Problem.Contains("required table", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{name: a, type: PID, PV: tank.inputs/temperature, settable: PV}", "program.tables.blocks[0].settable: block 'a' (PID): input PV is wired to external input 'tank.inputs/temperature', so the network, not an operator, sets it")]
    [InlineData("{name: a, type: PID, settable: CLAMPING}", "program.tables.blocks[0].settable: block 'a' (PID): parameter CLAMPING shapes the block rather than tunes it, so only the manifest sets it")]
    [InlineData("{name: a, type: PID, settable: 'KC, kc'}", "program.tables.blocks[0].settable: block 'a' (PID): KC is listed twice")]
    [InlineData("{name: a, type: PID, settable: NOPE}", "program.tables.blocks[0].settable: block 'a' (PID): it has no input or parameter 'NOPE'")]
    [InlineData("{name: a, type: MOVAVG, settable: WINDOW}", "program.tables.blocks[0].settable: block 'a' (MOVAVG): parameter WINDOW shapes the block rather than tunes it, so only the manifest sets it")]
    [InlineData("{name: a, type: PID, KC: 2, retain: KC}", "program.tables.blocks[0].retain: block 'a' (PID): parameter KC is not settable, and only what an operator can change needs retaining (list it under settable too)")]
    [InlineData("{name: a, type: PID, settable: OUT}", "program.tables.blocks[0].settable: block 'a' (PID): OUT is an output")]
    [InlineData("{name: a, type: PID, settable: 'SP, sp'}", "program.tables.blocks[0].settable: block 'a' (PID): SP is listed twice")]
    [InlineData("{name: a, type: PID, SP: 60, retain: SP}", "program.tables.blocks[0].retain: block 'a' (PID): input SP is not settable, and only what an operator can change needs retaining (list it under settable too)")]
    [InlineData("{name: a, type: CTU, retain: COUNT}", "program.tables.blocks[0].retain: block 'a' (CTU): it has no state, settable input or settable parameter 'COUNT'")]
    [InlineData("{name: a, type: CTU, retain: 'CV cv'}", "program.tables.blocks[0].retain: block 'a' (CTU): CV is listed twice")]
    public void A_bad_settable_or_retain_list_is_named_at_its_column(string row, string expected)
    {
        var diagnostic = Assert.Single(LoadOperated(row));
        Assert.StartsWith(expected, $"{diagnostic.Field}: {diagnostic.Problem}", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", true, 4096, "program.tables.blocks[0].settable: a.SP is settable, but the network serves no commands")]
    [InlineData("cascade.other", true, 4096, "program.parameters.commandEndpoint: endpoint 'cascade.other' is not one this service provides")]
    [InlineData("cascade.commands", false, 4096, "program.tables.blocks[0].retain: a.SP is retained, but the service has no retain store")]
    [InlineData("cascade.commands", true, 16, "program.tables.blocks[0].retain: the retained values take 17 bytes, more than retain.bytesMax (16)")]
    public void Settable_values_need_the_endpoint_and_retained_ones_a_store_that_holds_them(string endpoint, bool store, int bytesMax, string expected)
    {
        var diagnostics = LoadOperated("{name: a, type: PID, SP: 60, settable: SP, retain: SP}", endpoint, store, bytesMax);
        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith(expected, $"{diagnostic.Field}: {diagnostic.Problem}", StringComparison.Ordinal);
    }

    [Fact]
    public void Settable_and_retained_values_load_in_the_types_spelling()
    {
        var (_, read) = BuildOperated("{name: a, type: PID, SP: 60, settable: 'sp, man, MAN_OUT', retain: 'SP man_out'}\n      - {name: n, type: CTU, retain: cv}");
        Assert.Equal(["a.SP", "a.MAN", "a.MAN_OUT"], read.Settable.Select(v => v.FullName));
        Assert.Equal(["a.SP", "a.MAN_OUT", "n.CV"], read.Retained.Select(v => v.FullName));
        Assert.Equal([NetworkValueKind.Input, NetworkValueKind.Input, NetworkValueKind.State], read.Retained.Select(v => v.Kind));
    }

    [Fact]
    public void Tuning_parameters_are_settable_and_retained_in_the_types_spelling()
    {
        var (network, read) = BuildOperated("{name: a, type: PID, KC: 2, settable: 'kc, Ti, SP', retain: 'KC ti'}");
        Assert.Equal(["a.KC", "a.TI", "a.SP"], read.Settable.Select(v => v.FullName));
        Assert.Equal([NetworkValueKind.Parameter, NetworkValueKind.Parameter, NetworkValueKind.Input], read.Settable.Select(v => v.Kind));
        Assert.Equal(["a.KC", "a.TI"], read.Retained.Select(v => v.FullName));
        Assert.Equal([BlockValueType.Real, BlockValueType.Time], read.Retained.Select(v => v.Type));
        Assert.Equal(2.0, network.Block("a").Parameter(PidBlock.Kc).AsReal);
    }

    /// <summary>The network a valid operated manifest with <paramref name="rows"/> (a store, the endpoint cascade.commands) builds, and what it read.</summary>
    private static (BlockNetwork Network, ManifestBlockNetwork Read) BuildOperated(string rows)
    {
        var source = new InMemoryManifestSource();
        source.Add("cascade.yaml", Operated(rows, "cascade.commands", true, 4096));
        var (manifest, diagnostics) = ManifestLoader.LoadService("cascade.yaml", source, Catalog());
        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));
        var spec = SpecBuilder.Service(manifest!, Catalog());
        return BlockNetworkManifest.Build(spec.Id, spec.Program.Parameters);
    }

    /// <summary>What the network tells validate it serves: every input, output, state and parameter of every block, any case; the settable ones; nothing without an endpoint.</summary>
    [Fact]
    public void The_network_serves_every_pin_and_state_and_its_settable_inputs()
    {
        var source = new InMemoryManifestSource();
        source.Add("cascade.yaml", Operated("{name: a, type: PID, SP: 60, settable: 'sp, MAN, kc'}\n      - {name: n, type: TOTAL}", "cascade.commands", false, 0));
        var (manifest, diagnostics) = ManifestLoader.LoadService("cascade.yaml", source, Catalog());
        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));
        var spec = SpecBuilder.Service(manifest!, Catalog());

        var served = Assert.Single(BlockNetworkManifest.Serves(spec.Program.Parameters, manifest!));

        Assert.Equal(("cascade.commands", "BlockNetworkCommands"), (served.Endpoint, served.Contract));
        var pid = BlockCatalog.Descriptors.Single(d => d.TypeName == "PID");
        var total = BlockCatalog.Descriptors.Single(d => d.TypeName == "TOTAL");
        var expected = pid.Inputs.Concat(pid.Outputs).Select(p => "a." + p.Name).Concat(pid.Parameters.Select(p => "a." + p.Name))
            .Concat(total.Inputs.Concat(total.Outputs).Concat(total.State).Select(p => "n." + p.Name)).Concat(total.Parameters.Select(p => "n." + p.Name));
        Assert.Equal(expected.Order(StringComparer.OrdinalIgnoreCase), served.Names!.Order(StringComparer.OrdinalIgnoreCase));
        Assert.Contains("N.total", served.Names!);
        Assert.Contains("a.CLAMPING", served.Names!);
        Assert.True(served.Settable.SetEquals(["A.SP", "a.man", "a.KC"]));
        Assert.Contains("(a, n)", served.NamesHint, StringComparison.Ordinal);
        Assert.StartsWith("settable there: a.SP, a.MAN, a.KC;", served.SettableHint, StringComparison.Ordinal);

        source.Add("quiet.yaml", Operated("{name: a, type: PID}", "", false, 0));
        var quiet = ManifestLoader.LoadService("quiet.yaml", source, Catalog()).Manifest!;
        Assert.Empty(BlockNetworkManifest.Serves(SpecBuilder.Service(quiet, Catalog()).Program.Parameters, quiet));
    }

    /// <summary>The command endpoint is any endpoint the service provides, and must carry a value's reply (9 bytes); the store holds exactly its record.</summary>
    [Theory]
    [InlineData("cascade.commands", 8, 17, "program.parameters.commandEndpoint: endpoint 'cascade.commands' carries messages of at most 8 bytes, too few for a value's reply; allowed: maxMessageBytes of at least 9 (74 for the longest names)")]
    [InlineData("cascade.commands", 9, 17, "")]
    [InlineData("cascade.second", 80, 17, "")]
    [InlineData("cascade.third", 80, 17, "program.parameters.commandEndpoint: endpoint 'cascade.third' is not one this service provides; allowed: cascade.commands, cascade.second")]
    public void The_command_endpoint_is_one_provided_that_carries_a_reply_and_the_store_may_be_just_large_enough(string endpoint, int maxMessageBytes, int bytesMax, string expected)
    {
        var source = new InMemoryManifestSource();
        source.Add("cascade.yaml", Operated("{name: a, type: PID, SP: 60, settable: SP, retain: SP}", endpoint, true, bytesMax)
            .Replace("maxMessageBytes: 80\n", $"maxMessageBytes: {maxMessageBytes}\n    - name: cascade.second\n      maxMessageBytes: 80\n", StringComparison.Ordinal));

        var diagnostics = ManifestLoader.LoadService("cascade.yaml", source, Catalog()).Diagnostics;

        Assert.Equal(expected, string.Join("\n", diagnostics.Select(d => $"{d.Field}: {d.Problem}; allowed: {d.Allowed}")));
    }

    private static IReadOnlyList<ManifestDiagnostic> LoadOperated(string row, string endpoint = "cascade.commands", bool store = true, int bytesMax = 4096)
    {
        var source = new InMemoryManifestSource();
        source.Add("cascade.yaml", Operated(row, endpoint, store, bytesMax));
        return ManifestLoader.LoadService("cascade.yaml", source, Catalog()).Diagnostics;
    }

    private static string Operated(string row, string endpoint, bool store, int bytesMax) =>
        "id: cascade\nkind: controller\nprogram:\n  type: controllers.blocks\n  parameters:\n" +
        $"    commandEndpoint: \"{endpoint}\"\n  tables:\n    blocks:\n      - {row}\n" +
        "timing:\n  class: best-effort\n  periodUs: 100000\nregions:\n  - name: tank.inputs\n    access: read\n    points: [temperature, jacket]\n" +
        "endpoints:\n  provides:\n    - name: cascade.commands\n      maxMessageBytes: 80\n" +
        (store ? $"retain:\n  path: cascade\n  bytesMax: {bytesMax}\n" : string.Empty);

    private static string Indent(string rows) =>
        string.Concat(rows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => "    " + line + "\n"));

    private static void AssertOneError(string tables, string expected)
    {
        var (_, diagnostics) = Load(tables);
        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith(expected, $"{diagnostic.Field}: {diagnostic.Problem}", StringComparison.Ordinal);
        Assert.True(diagnostic.Location.Line > 0, "the problem has a line");
    }

    private static (ServiceManifest? Manifest, IReadOnlyList<ManifestDiagnostic> Diagnostics) Load(string tables)
    {
        var source = new InMemoryManifestSource();
        source.Add("cascade.yaml", Header + tables + Footer);
        return ManifestLoader.LoadService("cascade.yaml", source, Catalog());
    }

    private static ProgramCatalog Catalog() => new ProgramCatalog().AddControllers();
}
