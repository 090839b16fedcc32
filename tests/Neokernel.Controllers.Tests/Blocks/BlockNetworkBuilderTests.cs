using System.Collections.Immutable;
using Neokernel.Controllers.Blocks;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class BlockNetworkBuilderTests
{
    private static BlockInstanceSpec Block(string name, string typeName, params InputWire[] inputs) => new(name, typeName, [], [.. inputs]);

    private static InputWire Wire(string pin, WireSource source) => new(pin, source);

    private static BlockNetworkSpec Spec(ImmutableArray<BlockInstanceSpec> blocks, ImmutableArray<ExternalInputSpec> inputs = default, ImmutableArray<ExternalOutputSpec> outputs = default) =>
        new(blocks, inputs.IsDefault ? [] : inputs, outputs.IsDefault ? [] : outputs);

    [Fact]
    public void Build_orders_blocks_by_dependency_whatever_the_listed_order()
    {
        var spec = Spec(
            [
                Block("lag", "LAG", Wire("IN", WireSource.Output("scale", "OUT"))),
                Block("alarm", "ALARM", Wire("IN", WireSource.Output("lag", "OUT"))),
                Block("scale", "SCALE", Wire("IN", WireSource.External("raw"))),
            ],
            [new ExternalInputSpec("raw", BlockValueType.Real)],
            [new ExternalOutputSpec("level", WireSource.Output("lag", "OUT")), new ExternalOutputSpec("high", WireSource.Output("alarm", "H"))]);
        var network = BlockNetworkBuilder.Build(spec).Network!;
        Assert.Equal(["scale", "lag", "alarm"], network.EvaluationOrder.Select(b => b.Name));

        network.Values.Reals[network.Input("raw").Slot] = 95.0;
        network.Evaluate(0);
        Assert.Equal(95.0, network.Values.Reals[network.Output("level").Slot]);
        Assert.True(network.Values.Bools[network.Output("high").Slot]);
    }

    [Fact]
    public void Wire_shares_one_slot_and_unwired_inputs_read_their_defaults_and_constants()
    {
        var spec = Spec(
            [
                Block("ton", "TON", Wire("IN", WireSource.Value(BlockValue.Bool(true))), Wire("PT", WireSource.Value(BlockValue.Time(5)))),
                Block("count", "CTU", Wire("CU", WireSource.Output("ton", "Q"))),
            ],
            outputs: [new ExternalOutputSpec("count", WireSource.Output("count", "CV")), new ExternalOutputSpec("pv", WireSource.Value(BlockValue.Dint(3)))]);
        var network = BlockNetworkBuilder.Build(spec).Network!;
        var ton = network.Block("ton");
        var counter = network.Block("count");
        Assert.Equal(ton.OutputSlots[TimerPins.Q], counter.InputSlots[UpCounter.Cu]);
        network.Evaluate(0);
        network.Evaluate(5);
        Assert.Equal(1, network.Values.Dints[network.Output("count").Slot]);
        Assert.Equal(3, network.Values.Dints[network.Output("pv").Slot]);
        Assert.Equal(0, network.Values.Dints[counter.InputSlots[UpCounter.Pv]]);
    }

    [Fact]
    public void Validate_reports_each_unknown_name_with_block_and_pin()
    {
        var spec = Spec(
            [
                Block("a", "TONN"),
                Block("b", "TON", Wire("Q", WireSource.Value(BlockValue.Bool(true))), Wire("IN", WireSource.Output("nobody", "Q"))),
                Block("c", "TON", Wire("IN", WireSource.Output("b", "QQ")), Wire("PT", WireSource.External("missing"))),
                Block("d", "TON", Wire("IN", WireSource.Output("a", "Q"))),
            ],
            [new ExternalInputSpec("x", BlockValueType.Real)],
            [new ExternalOutputSpec("o", WireSource.Output("b", "IN"))]);
        var errors = BlockNetworkBuilder.Validate(spec);
        Assert.Collection(
            errors,
            e => Assert.Equal((BlockNetworkErrorKind.UnknownBlockType, "a", (string?)null), (e.Kind, e.BlockName, e.Pin)),
            e =>
            {
                Assert.Equal((BlockNetworkErrorKind.UnknownPin, "b", "Q"), (e.Kind, e.BlockName, e.Pin));
                Assert.Equal("block 'b' (TON): no input 'Q' (its inputs: IN, PT); Q is an output", e.Message);
            },
            e => Assert.Equal("block 'b' (TON) input IN: no block 'nobody'", e.Message),
            e =>
            {
                Assert.Equal((BlockNetworkErrorKind.UnknownPin, "c", "IN"), (e.Kind, e.BlockName, e.Pin));
                Assert.Equal("block 'c' (TON) input IN: block 'b' (TON) has no output 'QQ' (its outputs: Q, ET)", e.Message);
            },
            e =>
            {
                Assert.Equal((BlockNetworkErrorKind.UnknownExternalInput, "c", "PT", "missing"), (e.Kind, e.BlockName, e.Pin, e.ExternalName));
                Assert.Equal("block 'c' (TON) input PT: no external input 'missing' (the inputs: x)", e.Message);
            },
            e =>
            {
                Assert.Equal((BlockNetworkErrorKind.UnknownPin, null, null, "o"), (e.Kind, e.BlockName, e.Pin, e.ExternalName));
                Assert.EndsWith("; IN is an input", e.Message, StringComparison.Ordinal);
            });
    }

    [Fact]
    public void Validate_reports_type_mismatches_without_implicit_conversion()
    {
        var spec = Spec(
            [
                Block("ramp", "RAMP", Wire("TARGET", WireSource.External("flag"))),
                Block("ton", "TON", Wire("IN", WireSource.Output("ramp", "OUT")), Wire("PT", WireSource.Value(BlockValue.Dint(5)))),
            ],
            [new ExternalInputSpec("flag", BlockValueType.Bool)]);
        var errors = BlockNetworkBuilder.Validate(spec);
        Assert.All(errors, e => Assert.Equal(BlockNetworkErrorKind.TypeMismatch, e.Kind));
        Assert.Equal(
            [
                "block 'ramp' (RAMP) input TARGET is REAL, but external input 'flag' is BOOL",
                "block 'ton' (TON) input IN is BOOL, but output ramp.OUT is REAL",
                "block 'ton' (TON) input PT is TIME, but constant 5 is DINT",
            ],
            errors.Select(e => e.Message));
        Assert.Equal("flag", errors[0].ExternalName);
    }

    [Fact]
    public void Validate_reports_duplicate_names_and_wires()
    {
        var spec = Spec(
            [
                Block("t", "TON", Wire("IN", WireSource.Value(BlockValue.Bool(true))), Wire("in", WireSource.Value(BlockValue.Bool(false)))),
                Block("t", "TOF"),
                Block(" ", "TOF"),
            ],
            [new ExternalInputSpec("x", BlockValueType.Real), new ExternalInputSpec("x", BlockValueType.Real)],
            [new ExternalOutputSpec("o", WireSource.Output("t", "Q")), new ExternalOutputSpec("o", WireSource.Output("t", "ET"))]);
        var errors = BlockNetworkBuilder.Validate(spec);
        Assert.Equal(
            [
                "external input 'x' is declared twice",
                "block 't' (TOF) is declared twice",
                "block ' ' (TOF) has no name",
                "block 't' (TON) input IN is wired twice",
                "external output 'o' is declared twice",
            ],
            errors.Select(e => e.Message));
        Assert.Equal(BlockNetworkErrorKind.DuplicateWire, errors[3].Kind);
    }

    [Fact]
    public void Algebraic_loop_without_a_delay_is_rejected_naming_its_blocks()
    {
        var spec = Spec(
            [
                Block("source", "LAG", Wire("IN", WireSource.External("x"))),
                Block("a", "LAG", Wire("IN", WireSource.Output("c", "OUT"))),
                Block("b", "RAMP", Wire("TARGET", WireSource.Output("a", "OUT"))),
                Block("c", "DEADBAND", Wire("IN", WireSource.Output("b", "OUT"))),
                Block("self", "SR", Wire("S1", WireSource.Output("self", "Q1"))),
            ],
            [new ExternalInputSpec("x", BlockValueType.Real)]);
        var errors = BlockNetworkBuilder.Validate(spec);
        Assert.Equal(
            [
                "algebraic loop without a delay block: a -> b -> c -> a (put a DELAY block into the loop)",
                "algebraic loop without a delay block: self -> self (put a DELAY block into the loop)",
            ],
            errors.Select(e => e.Message));
        Assert.All(errors, e => Assert.Equal(BlockNetworkErrorKind.AlgebraicLoop, e.Kind));
        Assert.Equal(["a", "self"], errors.Select(e => e.BlockName));
    }

    [Fact]
    public void Loop_through_a_delay_is_accepted_and_evaluates_one_cycle_late()
    {
        // ramp -> z -> follow (a LAG with T = 0 passes through) and z -> z2: each DELAY hands its
        // input to the next cycle, a chain of two to the one after, whatever the listed order.
        var spec = Spec(
            [
                Block("z", "DELAY", Wire("IN", WireSource.Output("ramp", "OUT"))),
                Block("ramp", "RAMP", Wire("TARGET", WireSource.External("target"))),
                new BlockInstanceSpec("follow", "LAG", [Time("TIME_CONSTANT", 0)], [Wire("IN", WireSource.Output("z", "OUT"))]),
                Block("z2", "DELAY", Wire("IN", WireSource.Output("z", "OUT"))),
            ],
            [new ExternalInputSpec("target", BlockValueType.Real)],
            [new ExternalOutputSpec("now", WireSource.Output("ramp", "OUT")), new ExternalOutputSpec("late", WireSource.Output("follow", "OUT")), new ExternalOutputSpec("later", WireSource.Output("z2", "OUT"))]);
        var network = BlockNetworkBuilder.Build(spec).Network!;
        Assert.Equal(["ramp", "follow"], network.EvaluationOrder.Select(b => b.Name));
        network.Values.Reals[network.Input("target").Slot] = 100.0;
        var seen = new List<(double Now, double Late, double Later)>();
        for (var i = 0; i < 3; i++)
        {
            network.Evaluate(Second);
            seen.Add((network.Values.Reals[network.Output("now").Slot], network.Values.Reals[network.Output("late").Slot], network.Values.Reals[network.Output("later").Slot]));
        }

        Assert.Equal([(1.0, 0.0, 0.0), (2.0, 1.0, 0.0), (3.0, 2.0, 1.0)], seen);
    }

    [Fact]
    public void Feedback_through_a_delay_in_a_cycle_of_blocks_is_accepted()
    {
        var spec = Spec(
            [
                Block("a", "LAG", Wire("IN", WireSource.Output("z", "OUT"))),
                Block("b", "RAMP", Wire("TARGET", WireSource.Output("a", "OUT"))),
                Block("z", "DELAY", Wire("IN", WireSource.Output("b", "OUT"))),
            ]);
        var result = BlockNetworkBuilder.Build(spec);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        result.Network!.Evaluate(Millisecond);
    }

    [Fact]
    public void Limits_and_negative_dt_are_refused()
    {
        var tooMany = Spec([.. Enumerable.Range(0, BlockLimits.BlocksMax + 1).Select(i => Block($"b{i}", "SR"))]);
        Assert.Equal(BlockNetworkErrorKind.TooMany, Assert.Single(BlockNetworkBuilder.Validate(tooMany)).Kind);

        var network = BlockNetworkBuilder.Build(Spec([Block("sr", "SR")])).Network!;
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Evaluate(-1));
        Assert.Throws<KeyNotFoundException>(() => network.Input("nothing"));
    }

    [Fact]
    public void Parameter_errors_come_back_structured_with_the_others()
    {
        var spec = Spec(
            [
                new BlockInstanceSpec("ramp", "RAMP", [Real("RATE_UP", -1.0)], []),
                new BlockInstanceSpec("alarm", "ALARM", [Real("H_LIMIT", 200.0)], []),
                Block("ton", "TON", Wire("IN", WireSource.Output("ramp", "RAMPING"))),
            ]);
        var errors = BlockNetworkBuilder.Validate(spec);
        Assert.Equal([("ramp", "RATE_UP"), ("alarm", "H_LIMIT")], errors.Select(e => (e.BlockName, e.Pin)));
        Assert.All(errors, e => Assert.Equal(BlockNetworkErrorKind.InvalidParameter, e.Kind));
    }
}
