using Neokernel.Controllers.Blocks;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class ProcessBlockTests
{
    [Fact]
    public void Ramp_rises_and_falls_at_its_rates_and_reaches_the_target()
    {
        var ramp = Of("RAMP", Real("RATE_UP", 2.0), Real("RATE_DOWN", 4.0)).Set("TARGET", 1.0);
        ramp.Step(Second / 4);
        Assert.Equal(0.5, ramp.Real("OUT"));
        Assert.True(ramp.Bool("RAMPING"));
        ramp.Step(Second);
        Assert.Equal(1.0, ramp.Real("OUT"));
        Assert.False(ramp.Bool("RAMPING"));
        ramp.Set("TARGET", -1.0).Step(Second / 4);
        Assert.Equal(0.0, ramp.Real("OUT"));
    }

    [Fact]
    public void Ramp_stays_within_its_limits_and_holds_on_a_non_finite_target()
    {
        var ramp = Of("RAMP", Real("RATE_UP", 100.0), Real("OUT_MIN", -1.0), Real("OUT_MAX", 5.0)).Set("TARGET", 50.0);
        ramp.Step(Second);
        Assert.Equal(5.0, ramp.Real("OUT"));
        Assert.False(ramp.Bool("RAMPING"));
        ramp.Set("TARGET", double.NaN).Step(Second);
        Assert.Equal(5.0, ramp.Real("OUT"));
    }

    [Fact]
    public void Lag_starts_at_its_first_input_and_follows_by_backward_euler()
    {
        var lag = Of("LAG", Time("TIME_CONSTANT", Second)).Set("IN", 2.0).Step(0);
        Assert.Equal(2.0, lag.Real("OUT"));
        lag.Set("IN", 4.0).Step(Second);
        Assert.Equal(3.0, lag.Real("OUT"));
        lag.Set("IN", double.PositiveInfinity).Step(Second);
        Assert.Equal(3.0, lag.Real("OUT"));
    }

    [Fact]
    public void Lag_with_zero_time_constant_passes_its_input_through()
    {
        var lag = Of("LAG", Time("TIME_CONSTANT", 0)).Set("IN", 1.0).Step(0).Set("IN", 7.0).Step(0);
        Assert.Equal(7.0, lag.Real("OUT"));
    }

    [Fact]
    public void DeadBand_holds_center_inside_and_passes_outside()
    {
        var band = Of("DEADBAND", Real("CENTER", 10.0), Real("WIDTH", 0.5));
        band.Set("IN", 10.5).Step(0);
        Assert.Equal(10.0, band.Real("OUT"));
        Assert.True(band.Bool("INSIDE"));
        band.Set("IN", 10.6).Step(0);
        Assert.Equal(10.6, band.Real("OUT"));
        Assert.False(band.Bool("INSIDE"));
    }

    [Fact]
    public void Hysteresis_switches_at_its_points_and_holds_between()
    {
        var onOff = Of("HYSTERESIS", Real("LOW", 1.0), Real("HIGH", 2.0));
        Assert.False(onOff.Set("IN", 1.5).Step(0).Bool("Q"));
        Assert.True(onOff.Set("IN", 2.0).Step(0).Bool("Q"));
        Assert.True(onOff.Set("IN", 1.5).Step(0).Bool("Q"));
        Assert.True(onOff.Set("IN", double.NaN).Step(0).Bool("Q"));
        Assert.False(onOff.Set("IN", 1.0).Step(0).Bool("Q"));

        var heater = Of("HYSTERESIS", Real("LOW", 1.0), Real("HIGH", 2.0), Bool("REVERSE", true));
        Assert.True(heater.Set("IN", 0.0).Step(0).Bool("Q"));
        Assert.True(heater.Set("IN", 1.9).Step(0).Bool("Q"));
        Assert.False(heater.Set("IN", 2.1).Step(0).Bool("Q"));
    }

    [Fact]
    public void Scale_maps_linearly_and_clamps_to_the_engineering_range()
    {
        var scale = Of("SCALE", Real("RAW_MIN", 4.0), Real("RAW_MAX", 20.0), Real("ENG_MIN", 0.0), Real("ENG_MAX", 160.0));
        Assert.Equal(80.0, scale.Set("IN", 12.0).Step(0).Real("OUT"));
        Assert.False(scale.Bool("OUT_OF_RANGE"));
        Assert.Equal(0.0, scale.Set("IN", 2.0).Step(0).Real("OUT"));
        Assert.True(scale.Bool("OUT_OF_RANGE"));
        Assert.Equal(160.0, scale.Set("IN", 1e308).Step(0).Real("OUT"));
        Assert.Equal(160.0, scale.Set("IN", double.NaN).Step(0).Real("OUT"));
        Assert.True(scale.Bool("OUT_OF_RANGE"));
    }

    [Fact]
    public void Scale_runs_downward_ranges_and_extrapolates_without_clamp()
    {
        var inverted = Of("SCALE", Real("RAW_MIN", 0.0), Real("RAW_MAX", 10.0), Real("ENG_MIN", 100.0), Real("ENG_MAX", 0.0));
        Assert.Equal(75.0, inverted.Set("IN", 2.5).Step(0).Real("OUT"));
        Assert.Equal(0.0, inverted.Set("IN", 11.0).Step(0).Real("OUT"));
        Assert.Equal(100.0, inverted.Set("IN", -1.0).Step(0).Real("OUT"));

        var open = Of("SCALE", Real("RAW_MAX", 10.0), Real("ENG_MAX", 100.0), Bool("CLAMP", false));
        Assert.Equal(200.0, open.Set("IN", 20.0).Step(0).Real("OUT"));
        Assert.True(open.Bool("OUT_OF_RANGE"));
    }

    [Fact]
    public void MovingAverage_averages_the_last_window_and_skips_non_finite_inputs()
    {
        var average = Of("MOVAVG", Dint("WINDOW", 3));
        Assert.Equal(0.0, average.Real("OUT"));
        Assert.Equal(3.0, average.Set("IN", 3.0).Step(0).Real("OUT"));
        Assert.Equal(4.5, average.Set("IN", 6.0).Step(0).Real("OUT"));
        Assert.Equal(4.5, average.Set("IN", double.NaN).Step(0).Real("OUT"));
        Assert.Equal(6.0, average.Set("IN", 9.0).Step(0).Real("OUT"));
        Assert.Equal(9.0, average.Set("IN", 12.0).Step(0).Real("OUT"));
    }

    [Fact]
    public void MovingAverage_recovers_exactly_after_a_huge_sample_leaves_the_window()
    {
        var average = Of("MOVAVG", Dint("WINDOW", 4));
        average.Set("IN", 1e20).Step(0);
        for (var i = 0; i < 4; i++)
        {
            average.Set("IN", 1.0).Step(0);
        }

        Assert.Equal(1.0, average.Real("OUT"));
        for (var i = 0; i < 10_000; i++)
        {
            average.Set("IN", 0.1 * (i % 7)).Step(0);
        }

        var expected = (0.1 * (9996 % 7) + 0.1 * (9997 % 7) + 0.1 * (9998 % 7) + 0.1 * (9999 % 7)) / 4;
        Assert.Equal(expected, average.Real("OUT"), 1e-15);
    }

    [Fact]
    public void Delay_outputs_the_input_of_the_cycle_before()
    {
        var delay = Of("DELAY", Real("INITIAL", -1.0)).Set("IN", 5.0).Step(0);
        Assert.Equal(-1.0, delay.Real("OUT"));
        delay.Set("IN", 6.0).Step(0);
        Assert.Equal(5.0, delay.Real("OUT"));
        Assert.True(UnitDelay.Type.IsDelay);
    }
}

public sealed class TotalizerAndStateTests
{
    [Fact]
    public void Total_accumulates_the_rate_over_each_cycles_time_holds_and_resets()
    {
        var total = Of("TOTAL").Set("IN", 2.0).Step(Second);
        Assert.Equal(2.0, total.Real("OUT"));
        total.Step(Second / 2);
        Assert.Equal(3.0, total.Real("OUT"));
        total.Set("HOLD", true).Step(Second);
        Assert.Equal(3.0, total.Real("OUT"));
        total.Set("HOLD", false).Set("IN", -1.0).Step(Second);
        Assert.Equal(2.0, total.Real("OUT"));
        total.Set("RESET", true).Set("HOLD", true).Step(Second);
        Assert.Equal(0.0, total.Real("OUT"));
    }

    [Fact]
    public void Total_holds_on_a_non_finite_rate_and_on_a_sum_that_would_overflow()
    {
        var total = Of("TOTAL").Set("IN", 1.0).Step(Second);
        total.Set("IN", double.NaN).Step(Second);
        Assert.Equal(1.0, total.Real("OUT"));
        total.Set("IN", double.MaxValue).Step(10 * Second);
        Assert.Equal(1.0, total.Real("OUT"));
    }

    [Theory]
    [InlineData("CTU", "CV", 7.0)]
    [InlineData("CTD", "CV", -3.0)]
    [InlineData("CTUD", "CV", 12.0)]
    [InlineData("TOTAL", "TOTAL", 42.5)]
    public void Restored_state_is_what_the_next_cycle_starts_from(string type, string state, double value)
    {
        var harness = Of(type);
        var block = harness.Network.Block("block");
        var index = block.Descriptor.StateIndex(state);
        Assert.True(index >= 0);
        var typed = block.Descriptor.State[index].Type == BlockValueType.Dint ? BlockValue.Dint((int)value) : BlockValue.Real(value);
        block.SetState(index, typed);
        Assert.Equal(typed, block.GetState(index));
        harness.Step(0);
        var output = type == "TOTAL" ? harness.Real("OUT") : harness.Dint("CV");
        Assert.Equal(value, output);
    }

    /// <summary>A total restored as NaN or infinite starts from 0, and a state index the block lacks is refused, for a counter and the totalizer alike.</summary>
    [Theory]
    [InlineData("TOTAL")]
    [InlineData("CTU")]
    public void A_state_index_the_block_lacks_is_refused_and_a_non_finite_total_restores_as_zero(string type)
    {
        var harness = Of(type);
        var block = harness.Network.Block("block");
        Assert.Throws<ArgumentOutOfRangeException>(() => block.GetState(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => block.SetState(1, BlockValue.Real(1)));
        if (type == "TOTAL")
        {
            block.SetState(0, BlockValue.Real(double.PositiveInfinity));
            Assert.Equal(BlockValue.Real(0), block.GetState(0));
            harness.Step(0);
            Assert.Equal(0.0, harness.Real("OUT"));
        }
    }

    [Fact]
    public void A_block_without_state_says_so_when_asked_for_it()
    {
        var block = Of("RAMP").Network.Block("block");
        Assert.Empty(block.Descriptor.State);
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => block.GetState(0));
        Assert.Contains("RAMP has no retainable state", refused.Message, StringComparison.Ordinal);
    }
}
