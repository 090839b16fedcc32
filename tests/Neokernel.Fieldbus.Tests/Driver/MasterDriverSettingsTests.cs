using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Driver;
using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Services;

namespace Neokernel.Fieldbus.Tests.Driver;

/// <summary>What validate says of a Modbus master driver's manifest: each problem where it is written.</summary>
public sealed class MasterDriverSettingsTests
{
    private const string Header = """
        id: plc-io
        kind: driver
        program:
          type: test.modbus-master
          parameters:
            device: plc
            outputRegion: io.inputs
            inputRegion: io.outputs
          tables:

        """;

    private const string Footer = """
        regions:
          - name: io.inputs
            access: write
            points: [level, running]
          - name: io.outputs
            access: read
            points: [pump]
        devices:
          - name: plc
            uri: modbus-tcp://127.0.0.1:1502?unit=1
            access: read-write
        """;

    private const string GoodTables = """
            polls:
              - {name: fast, table: input, address: 0, count: 2, periodUs: 10000}
              - {name: bits, table: coils, address: 0, count: 8}
            inputs:
              - {point: level, poll: fast, index: 0, type: float32, wordOrder: low-first, scale: 0.001}
              - {point: running, poll: bits, index: 3, type: bit}
            outputs:
              - {point: pump, table: holding, address: 10, type: int16, scale: 0.01, mode: cyclic, periodUs: 20000}

        """;

    [Fact]
    public void Load_AGoodMap_TypesEveryRow()
    {
        var (manifest, diagnostics) = Load(GoodTables);
        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));

        var spec = SpecBuilder.Service(manifest!, Catalog());
        var settings = MasterDriverSettings.From(spec.Id, spec.Program.Parameters);

        Assert.Equal(new PollSetting("fast", MasterDriverSettings.DeviceUnit, ModbusTable.InputRegisters, 0, 2, 10_000_000), settings.Polls[0]);
        Assert.Equal(100_000_000, settings.Polls[1].PeriodNs);
        Assert.Equal(new InputSetting("level", 0, 0, ModbusValueType.Float32, WordOrder.LowFirst, 0, 0.001, 0), settings.Inputs[0]);
        Assert.Equal((1, 3, ModbusValueType.Bit), (settings.Inputs[1].Poll, settings.Inputs[1].Index, settings.Inputs[1].Type));
        Assert.Equal(new OutputSetting("pump", MasterDriverSettings.DeviceUnit, ModbusTable.HoldingRegisters, 10, ModbusValueType.Int16, WordOrder.HighFirst, 0, 0.01, 0, OutputMode.Cyclic, 20_000_000), settings.Outputs[0]);
        Assert.Equal(1_000_000_000, settings.TimeoutNs);
    }

    [Theory]
    [InlineData("      - {name: a, table: holding, count: 126}\n", "program.tables.polls[0].count: 126 points in one read of holding")]
    [InlineData("      - {name: a, table: holdings}\n", "program.tables.polls[0].table: unknown table 'holdings'")]
    [InlineData("      - {name: a, table: coils, address: 65000, count: 1000}\n", "program.tables.polls[0].count: addresses 65000..65999 run past 65535")]
    [InlineData("      - {name: a, table: coils}\n      - {name: a, table: coils}\n", "program.tables.polls[1].name: poll group 'a' is named twice")]
    public void Load_ABadPoll_NamesItsRowAndColumn(string polls, string expected) =>
        AssertOneError("    polls:\n" + polls, expected);

    [Theory]
    [InlineData("{point: level, poll: slow}", "program.tables.inputs[0].poll: no poll group 'slow'")]
    [InlineData("{point: level, poll: p, index: 1, type: float32}", "program.tables.inputs[0].index: a float32 at index 1 needs 2 of the 2 points poll group 'p' reads")]
    [InlineData("{point: level, poll: p, type: real}", "program.tables.inputs[0].type: unknown type 'real'")]
    [InlineData("{point: level, poll: p, wordOrder: big}", "program.tables.inputs[0].wordOrder: unknown word order 'big'")]
    [InlineData("{point: flow, poll: p}", "program.tables.inputs[0].point: region 'io.inputs' has no point 'flow'")]
    [InlineData("{point: level, poll: p, scale: 0}", "program.tables.inputs[0].scale: a scale of 0 loses the value")]
    public void Load_ABadInput_NamesItsRowAndColumn(string input, string expected) =>
        AssertOneError($"    polls:\n      - {{name: p, table: holding, count: 2}}\n    inputs:\n      - {input}\n", expected);

    [Theory]
    [InlineData("{point: pump, table: input}", "program.tables.outputs[0].table: input cannot be written")]
    [InlineData("{point: pump, table: coils, type: uint16}", "program.tables.outputs[0].type: a coil holds a bit, not uint16")]
    [InlineData("{point: pump, table: holding, mode: sometimes}", "program.tables.outputs[0].mode: unknown mode 'sometimes'")]
    [InlineData("{point: pump, table: holding, address: 65535, type: float32}", "program.tables.outputs[0].address: a float32 at 65535 runs past 65535")]
    public void Load_ABadOutput_NamesItsRowAndColumn(string output, string expected) =>
        AssertOneError($"    outputs:\n      - {output}\n", expected);

    [Fact]
    public void Load_TwoOutputsOnOneRegister_IsRefusedButTwoBitsOfItAreNot()
    {
        AssertOneError(
            "    outputs:\n      - {point: pump, table: holding, address: 4, type: int32}\n      - {point: pump, table: holding, address: 5}\n",
            "program.tables.outputs[1].address: holding 5 is also written by another row");
        var (_, diagnostics) = Load("    outputs:\n      - {point: pump, table: holding, address: 4, type: bit, bit: 0}\n      - {point: pump, table: holding, address: 4, type: bit, bit: 1}\n");
        Assert.True(diagnostics.Count == 0, ManifestReport.Format(diagnostics));
    }

    [Fact]
    public void Load_ADeviceThatIsNotModbus_IsRefused()
    {
        var (_, diagnostics) = Load(GoodTables, Footer.Replace("modbus-tcp://127.0.0.1:1502?unit=1", "tcp://127.0.0.1:1502", StringComparison.Ordinal));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("program.parameters.device", diagnostic.Field);
        Assert.Contains("not a Modbus device", diagnostic.Problem, StringComparison.Ordinal);
    }

    private static void AssertOneError(string tables, string expected)
    {
        var (_, diagnostics) = Load(tables);
        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith(expected, $"{diagnostic.Field}: {diagnostic.Problem}", StringComparison.Ordinal);
        Assert.True(diagnostic.Location.Line > 0, "the problem has a line");
    }

    private static (ServiceManifest? Manifest, IReadOnlyList<ManifestDiagnostic> Diagnostics) Load(string tables, string footer = Footer)
    {
        var source = new InMemoryManifestSource();
        source.Add("plc-io.yaml", Header + tables + footer);
        return ManifestLoader.LoadService("plc-io.yaml", source, Catalog());
    }

    private static ProgramCatalog Catalog() => new ProgramCatalog().Add(
        new ProgramDescriptor("test.modbus-master", "the master driver's declarations", MasterDriverSettings.Parameters, static () => throw new InvalidOperationException("only its manifest is checked here"))
        {
            Tables = MasterDriverSettings.Tables,
            Check = MasterDriverSettings.Check,
        });
}
