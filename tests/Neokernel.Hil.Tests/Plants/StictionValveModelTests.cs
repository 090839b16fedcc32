using Neokernel.Hil.Plants;

namespace Neokernel.Hil.Tests.Plants;

public sealed class StictionValveModelTests
{
    private const double S = 4.0;
    private const double J = 1.0;

    [Fact]
    public void A_slow_ramp_sticks_until_S_is_exceeded_then_jumps_and_follows_with_the_lag()
    {
        var valve = new StictionValveModel(new StictionValveParameters(S, J, 50.0));
        var stuckSamples = 0;
        for (var i = 1; i <= 1000; i++)
        {
            valve.CommandPercent = 50.0 + (i * 0.01);
            valve.Step(0.1);
            if (valve.CommandPercent <= 50.0 + S)
            {
                Assert.Equal(50.0, valve.StemPercent);
                Assert.True(valve.IsStuck);
                stuckSamples++;
            }
            else
            {
                Assert.False(valve.IsStuck);
                Assert.Equal(valve.CommandPercent - ((S - J) / 2.0), valve.StemPercent, 12);
            }
        }

        Assert.InRange(stuckSamples, 399, 401);
    }

    [Fact]
    public void On_a_reversal_the_stem_holds_through_S_then_slips_by_J()
    {
        var valve = new StictionValveModel(new StictionValveParameters(S, J, 50.0));
        Ramp(valve, 50.0, 60.0);
        var top = valve.StemPercent;
        Assert.Equal(60.0 - 1.5, top, 12);
        var previous = top;
        var jumps = new List<double>();
        for (var i = 1; i <= 1000; i++)
        {
            valve.CommandPercent = 60.0 - (i * 0.01);
            valve.Step(0.1);
            if (valve.CommandPercent >= 60.0 - S)
            {
                Assert.Equal(top, valve.StemPercent);
            }
            else if (valve.StemPercent != previous && Math.Abs(valve.StemPercent - previous) > 0.02)
            {
                jumps.Add(valve.StemPercent - previous);
            }

            previous = valve.StemPercent;
        }

        var jump = Assert.Single(jumps);
        Assert.Equal(-J, jump, 1);
        Assert.Equal(50.0 + 1.5, valve.StemPercent, 12);
    }

    [Fact]
    public void After_a_stop_moving_on_the_same_way_needs_only_J()
    {
        var valve = new StictionValveModel(new StictionValveParameters(S, J, 50.0));
        Ramp(valve, 50.0, 60.0);
        valve.Step(0.1);
        Assert.True(valve.IsStuck);
        var held = valve.StemPercent;
        valve.CommandPercent = 60.0 + (J * 0.9);
        valve.Step(0.1);
        Assert.Equal(held, valve.StemPercent);
        valve.CommandPercent = 60.0 + (J * 1.1);
        valve.Step(0.1);
        Assert.False(valve.IsStuck);
        Assert.Equal(60.0 + (J * 1.1) - 1.5, valve.StemPercent, 12);
    }

    [Fact]
    public void Without_stiction_the_stem_follows_the_command_and_commands_are_clipped_to_the_span()
    {
        var valve = new StictionValveModel(new StictionValveParameters(0.0, 0.0, 0.0));
        foreach (var command in new[] { 10.0, 12.5, 3.0, 150.0, -5.0, 42.0 })
        {
            valve.CommandPercent = command;
            valve.Step(0.1);
            Assert.Equal(Math.Clamp(command, 0.0, 100.0), valve.StemPercent);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => valve.CommandPercent = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => valve.Step(0.0));
    }

    [Fact]
    public void Validate_names_the_parameter_its_value_and_what_is_allowed()
    {
        var error = Assert.Throws<ArgumentException>(() => new StictionValveModel(new StictionValveParameters(2.0, 3.0, 50.0)));
        Assert.Equal(nameof(StictionValveParameters.SlipJumpPercent), error.ParamName);
        Assert.Contains("within 0..2, is 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(StictionValveParameters.StemInitialPercent), Assert.Throws<ArgumentException>(new StictionValveParameters(4.0, 1.0, 101.0).Validate).ParamName);
    }

    private static void Ramp(StictionValveModel valve, double from, double to)
    {
        var samples = (int)Math.Round(Math.Abs(to - from) / 0.01);
        for (var i = 1; i <= samples; i++)
        {
            valve.CommandPercent = from + ((to - from) * i / samples);
            valve.Step(0.1);
        }
    }
}
