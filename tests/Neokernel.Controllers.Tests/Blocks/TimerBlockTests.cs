using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class TimerBlockTests
{
    private const long Cycle = 10 * Millisecond;

    [Fact]
    public void Ton_turns_on_after_pt_and_off_with_in()
    {
        var ton = Of("TON").SetTime("PT", 30 * Millisecond).Set("IN", true);
        ton.Step(Cycle);
        Assert.False(ton.Bool("Q"));
        Assert.Equal(0, ton.Time("ET"));
        ton.Step(Cycle).Step(Cycle);
        Assert.False(ton.Bool("Q"));
        Assert.Equal(20 * Millisecond, ton.Time("ET"));
        ton.Step(Cycle);
        Assert.True(ton.Bool("Q"));
        Assert.Equal(30 * Millisecond, ton.Time("ET"));
        ton.Step(Cycle);
        Assert.Equal(30 * Millisecond, ton.Time("ET"));
        ton.Set("IN", false).Step(Cycle);
        Assert.False(ton.Bool("Q"));
        Assert.Equal(0, ton.Time("ET"));
    }

    [Fact]
    public void Ton_restarts_when_in_drops_before_pt()
    {
        var ton = Of("TON").SetTime("PT", 30 * Millisecond).Set("IN", true);
        ton.Step(Cycle).Step(Cycle).Step(Cycle);
        ton.Set("IN", false).Step(Cycle);
        ton.Set("IN", true).Step(Cycle).Step(Cycle);
        Assert.False(ton.Bool("Q"));
        Assert.Equal(10 * Millisecond, ton.Time("ET"));
    }

    [Fact]
    public void Ton_with_zero_or_negative_pt_follows_in_at_once()
    {
        var ton = Of("TON").SetTime("PT", -5).Set("IN", true).Step(Cycle);
        Assert.True(ton.Bool("Q"));
        Assert.Equal(0, ton.Time("ET"));
    }

    [Fact]
    public void Ton_saturates_elapsed_time_instead_of_wrapping()
    {
        var ton = Of("TON").SetTime("PT", long.MaxValue).Set("IN", true);
        ton.Step(0).Step(long.MaxValue / 2).Step(long.MaxValue / 2).Step(long.MaxValue / 2);
        Assert.Equal(long.MaxValue, ton.Time("ET"));
        Assert.True(ton.Bool("Q"));
    }

    [Fact]
    public void Tof_is_off_before_in_was_ever_on()
    {
        var tof = Of("TOF").SetTime("PT", 30 * Millisecond).Step(Cycle).Step(Cycle);
        Assert.False(tof.Bool("Q"));
        Assert.Equal(0, tof.Time("ET"));
    }

    [Fact]
    public void Tof_holds_q_for_pt_after_in_falls()
    {
        var tof = Of("TOF").SetTime("PT", 20 * Millisecond).Set("IN", true).Step(Cycle);
        Assert.True(tof.Bool("Q"));
        tof.Set("IN", false).Step(Cycle);
        Assert.True(tof.Bool("Q"));
        Assert.Equal(0, tof.Time("ET"));
        tof.Step(Cycle);
        Assert.True(tof.Bool("Q"));
        Assert.Equal(10 * Millisecond, tof.Time("ET"));
        tof.Step(Cycle);
        Assert.False(tof.Bool("Q"));
        Assert.Equal(20 * Millisecond, tof.Time("ET"));
        tof.Step(Cycle);
        Assert.Equal(20 * Millisecond, tof.Time("ET"));
        tof.Set("IN", true).Step(Cycle);
        Assert.True(tof.Bool("Q"));
        Assert.Equal(0, tof.Time("ET"));
    }

    [Fact]
    public void Tp_gives_one_pulse_of_pt_and_ignores_edges_during_it()
    {
        var tp = Of("TP").SetTime("PT", 30 * Millisecond).Set("IN", true).Step(Cycle);
        Assert.True(tp.Bool("Q"));
        Assert.Equal(0, tp.Time("ET"));
        tp.Set("IN", false).Step(Cycle);
        tp.Set("IN", true).Step(Cycle);
        Assert.True(tp.Bool("Q"));
        Assert.Equal(20 * Millisecond, tp.Time("ET"));
        tp.Step(Cycle);
        Assert.False(tp.Bool("Q"));
        Assert.Equal(30 * Millisecond, tp.Time("ET"));
        tp.Step(Cycle);
        Assert.False(tp.Bool("Q"));
        Assert.Equal(30 * Millisecond, tp.Time("ET"));
        tp.Set("IN", false).Step(Cycle);
        Assert.Equal(0, tp.Time("ET"));
        tp.Set("IN", true).Step(Cycle);
        Assert.True(tp.Bool("Q"));
    }

    [Fact]
    public void Tp_starts_a_new_pulse_on_an_edge_right_after_the_last_one_ended()
    {
        var tp = Of("TP").SetTime("PT", 10 * Millisecond).Set("IN", true).Step(Cycle);
        tp.Set("IN", false).Step(Cycle);
        Assert.False(tp.Bool("Q"));
        tp.Set("IN", true).Step(Cycle);
        Assert.True(tp.Bool("Q"));
    }

    [Fact]
    public void Tp_with_zero_pt_gives_no_pulse()
    {
        var tp = Of("TP").Set("IN", true).Step(Cycle);
        Assert.False(tp.Bool("Q"));
        Assert.Equal(0, tp.Time("ET"));
    }
}
