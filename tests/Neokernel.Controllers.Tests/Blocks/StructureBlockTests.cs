using System.Collections.Immutable;
using Neokernel.Controllers.Blocks;
using Neokernel.Hil.Plants;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>The loop-structure blocks (selectors, ratio, split range) and override control with external reset feedback.</summary>
public sealed class StructureBlockTests
{
    private const long Dt = 100 * Millisecond;

    [Theory]
    [InlineData("MIN_SEL", 2, new[] { 3.0, 1.0, -5.0, 0.0 }, 1.0, 2)]
    [InlineData("MIN_SEL", 3, new[] { 3.0, 1.0, -5.0, 0.0 }, -5.0, 3)]
    [InlineData("MAX_SEL", 4, new[] { 3.0, 1.0, -5.0, 7.0 }, 7.0, 4)]
    [InlineData("MAX_SEL", 2, new[] { 3.0, 3.0, 0.0, 0.0 }, 3.0, 1)]
    [InlineData("MIN_SEL", 2, new[] { double.NaN, 4.0, 0.0, 0.0 }, 4.0, 2)]
    [InlineData("MIN_SEL", 3, new[] { 2.0, 2.0, 2.0, 0.0 }, 2.0, 1)]
    public void A_selector_picks_the_lowest_or_highest_finite_candidate(string type, int count, double[] inputs, double expected, int selected)
    {
        var block = Of(type, Dint("COUNT", count));
        for (var i = 0; i < inputs.Length; i++)
        {
            block.Values.SetFromPointValue(block.Network.Input($"IN{i + 1}"), inputs[i]);
        }

        block.Network.Evaluate(Dt);
        Assert.Equal(expected, block.Values.GetPointValue(block.Network.Output("OUT")));
        Assert.Equal(selected, block.Values.GetPointValue(block.Network.Output("SEL")));
    }

    [Fact]
    public void A_selector_with_no_finite_candidate_holds_and_says_none()
    {
        var block = Of("MAX_SEL");
        Set(block, "IN1", 2);
        Set(block, "IN2", 1);
        block.Network.Evaluate(Dt);
        Set(block, "IN1", double.NaN);
        Set(block, "IN2", double.PositiveInfinity);
        block.Network.Evaluate(Dt);
        Assert.Equal((2.0, 0.0), (Get(block, "OUT"), Get(block, "SEL")));
    }

    [Fact]
    public void Ratio_multiplies_adds_and_clamps()
    {
        var unwired = BlockNetworkBuilder.Build(new BlockNetworkSpec([new BlockInstanceSpec("r", "RATIO", [], [new("IN", WireSource.Value(BlockValue.Real(10)))])], [], [new ExternalOutputSpec("out", WireSource.Output("r", "OUT"))])).Network!;
        unwired.Evaluate(Dt);
        Assert.Equal(10.0, unwired.Values.GetPointValue(unwired.Output("out")));

        var block = Of("RATIO", Real("OUT_MIN", 0), Real("OUT_MAX", 50));
        Set(block, "IN", 10);
        Set(block, "RATIO", 1);
        block.Network.Evaluate(Dt);
        Assert.Equal(10.0, Get(block, "OUT"));
        Set(block, "RATIO", 2.5);
        Set(block, "BIAS", 1);
        block.Network.Evaluate(Dt);
        Assert.Equal((26.0, 0.0), (Get(block, "OUT"), Get(block, "LIMITED")));
        Set(block, "IN", 100);
        block.Network.Evaluate(Dt);
        Assert.Equal((50.0, 1.0), (Get(block, "OUT"), Get(block, "LIMITED")));
        Set(block, "IN", double.NaN);
        block.Network.Evaluate(Dt);
        Assert.Equal(50.0, Get(block, "OUT"));
    }

    [Theory]
    [InlineData(0.0, 100.0, 0.0)]
    [InlineData(25.0, 50.0, 0.0)]
    [InlineData(50.0, 0.0, 0.0)]
    [InlineData(75.0, 0.0, 50.0)]
    [InlineData(100.0, 0.0, 100.0)]
    [InlineData(-20.0, 100.0, 0.0)]
    [InlineData(1e308, 0.0, 100.0)]
    public void Split_range_drives_a_falling_cooler_below_the_middle_and_a_heater_above(double input, double cooler, double heater)
    {
        var block = Of("SPLIT", Real("A_START", 50), Real("A_END", 0), Real("B_START", 50), Real("B_END", 100));
        Set(block, "IN", input);
        block.Network.Evaluate(Dt);
        Assert.Equal((cooler, heater), (Get(block, "OUT_A"), Get(block, "OUT_B")));
    }

    [Theory]
    [InlineData("SPLIT", "A_START", 5.0, "A_END", 5.0, "A_END")]
    [InlineData("SPLIT", "B_START", 7.0, "B_END", 7.0, "B_END")]
    [InlineData("SPLIT", "OUT_MIN", 10.0, "OUT_MAX", 10.0, "OUT_MIN")]
    [InlineData("RATIO", "OUT_MIN", 3.0, "OUT_MAX", 3.0, "OUT_MIN")]
    public void Empty_ranges_are_refused(string type, string first, double firstValue, string second, double secondValue, string named)
    {
        var result = BlockNetworkBuilder.Build(new BlockNetworkSpec([new BlockInstanceSpec("s", type, [Real(first, firstValue), Real(second, secondValue)], [])], [], []));
        var error = Assert.Single(result.Errors);
        Assert.Equal((BlockNetworkErrorKind.InvalidParameter, named), (error.Kind, error.Pin));
    }

    [Fact]
    public void Split_range_scales_into_its_output_range()
    {
        var block = Of("SPLIT", Real("OUT_MIN", 4), Real("OUT_MAX", 20));
        Set(block, "IN", 25);
        block.Network.Evaluate(Dt);
        Assert.Equal((12.0, 4.0), (Get(block, "OUT_A"), Get(block, "OUT_B")));
        Set(block, "IN", double.NaN);
        block.Network.Evaluate(Dt);
        Assert.Equal((12.0, 4.0), (Get(block, "OUT_A"), Get(block, "OUT_B")));
    }

    /// <summary>
    /// Two tanks in series, the pump into the upper one. The level loop holds the lower tank; an
    /// override loop keeps the upper tank below 1.2 m; the lower of their outputs drives the pump.
    /// Asked for 1.5 m below, the override takes over and holds the upper tank at its limit; asked
    /// for 1.0 m again, the level loop takes back at once. Without external reset feedback the level
    /// loop's integrator winds up while it is not selected, and the take-back waits for it to unwind.
    /// </summary>
    [Fact]
    public void Override_control_holds_the_constraint_and_hands_back_without_windup()
    {
        var withReset = Override(externalReset: true);
        var without = Override(externalReset: false);

        Assert.True(withReset.UpperPeak < 1.25, $"the upper tank peaked at {withReset.UpperPeak:F3} m, the override's limit is 1.2 m");
        Assert.Equal(2, withReset.SelectedWhileHigh);
        Assert.InRange(withReset.LowerWhileHigh, 1.17, 1.23);
        Assert.True(withReset.TakeBackSeconds <= 1.0, $"the level loop took back after {withReset.TakeBackSeconds} s");
        Assert.True(without.TakeBackSeconds > 30 * withReset.TakeBackSeconds + 30, $"without external reset the take-back waited {without.TakeBackSeconds} s");
        Assert.InRange(withReset.LowerAtEnd, 0.98, 1.02);
    }

    private static (double UpperPeak, int SelectedWhileHigh, double LowerWhileHigh, double TakeBackSeconds, double LowerAtEnd) Override(bool externalReset)
    {
        ImmutableArray<ParameterSetting> reset = externalReset ? [Bool("EXT_RESET", true)] : [];
        ImmutableArray<InputWire> feedback = externalReset ? [new("RESET_FB", WireSource.Output("select", "OUT"))] : [];
        var spec = new BlockNetworkSpec(
            [
                new BlockInstanceSpec("level", "PID", [Real("KC", 100), Time("TI", 300 * Second), .. reset], [new("PV", WireSource.External("lower")), new("SP", WireSource.External("sp")), .. feedback]),
                new BlockInstanceSpec("limit", "PID", [Real("KC", 200), Time("TI", 60 * Second), .. reset], [new("PV", WireSource.External("upper")), new("SP", WireSource.Value(BlockValue.Real(1.2))), .. feedback]),
                new BlockInstanceSpec("select", "MIN_SEL", [], [new("IN1", WireSource.Output("level", "OUT")), new("IN2", WireSource.Output("limit", "OUT"))]),
            ],
            [new ExternalInputSpec("lower", BlockValueType.Real), new ExternalInputSpec("upper", BlockValueType.Real), new ExternalInputSpec("sp", BlockValueType.Real)],
            [new ExternalOutputSpec("pump", WireSource.Output("select", "OUT")), new ExternalOutputSpec("sel", WireSource.Output("select", "SEL"))]);
        var result = BlockNetworkBuilder.Build(spec);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var network = result.Network!;
        var plant = new TwoTankModel(TwoTankParameters.Default with { UpperLevelInitialMeters = 1.0, LowerLevelInitialMeters = 1.0 }, 0.1);
        var values = network.Values;
        var peak = 0.0;
        var selectedWhileHigh = 0;
        var lowerWhileHigh = 0.0;
        var takeBack = double.NaN;
        values.SetFromPointValue(network.Input("sp"), 1.0);
        for (var step = 1; step <= 60_000; step++)
        {
            var seconds = step * 0.1;
            if (step == 30_001)
            {
                selectedWhileHigh = (int)values.GetPointValue(network.Output("sel"));
                lowerWhileHigh = plant.LowerLevelMeters;
                values.SetFromPointValue(network.Input("sp"), 1.0);
            }
            else if (step == 1)
            {
                values.SetFromPointValue(network.Input("sp"), 1.5);
            }

            values.SetFromPointValue(network.Input("lower"), plant.LowerLevelMeters);
            values.SetFromPointValue(network.Input("upper"), plant.UpperLevelMeters);
            network.Evaluate(Dt);
            if (step > 30_000 && double.IsNaN(takeBack) && values.GetPointValue(network.Output("sel")) == 1)
            {
                takeBack = seconds - 3000.0;
            }

            plant.PumpPercent = values.GetPointValue(network.Output("pump"));
            plant.Step(0.1);
            peak = Math.Max(peak, plant.UpperLevelMeters);
        }

        return (peak, selectedWhileHigh, lowerWhileHigh, double.IsNaN(takeBack) ? double.PositiveInfinity : takeBack, plant.LowerLevelMeters);
    }

    private static void Set(BlockHarness block, string input, double value) => block.Values.SetFromPointValue(block.Network.Input(input), value);

    private static double Get(BlockHarness block, string output) => block.Values.GetPointValue(block.Network.Output(output));
}
