using Neokernel.Controllers.Blocks;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

public sealed class AlarmBlockTests
{
    private static BlockHarness Alarm(long delayNanoseconds = 0) => Of(
        "ALARM",
        Real("HH_LIMIT", 90.0),
        Real("H_LIMIT", 80.0),
        Real("L_LIMIT", 20.0),
        Real("LL_LIMIT", 10.0),
        Real("DEADBAND", 2.0),
        Time("DELAY", delayNanoseconds));

    private static AlarmState State(BlockHarness alarm) => (AlarmState)alarm.Dint("STATE");

    /// <summary>A limit is beyond only strictly past it, clears only strictly back past the deadband, on every one of the four limits; L alone is level -1.</summary>
    [Theory]
    [InlineData("HH", 90.0, 91.0, 88.0, 87.9)]
    [InlineData("H", 80.0, 81.0, 78.0, 77.9)]
    [InlineData("L", 20.0, 19.0, 22.0, 22.1)]
    [InlineData("LL", 10.0, 9.0, 12.0, 12.1)]
    public void Each_limit_raises_strictly_beyond_it_and_clears_strictly_past_its_deadband(string pin, double limit, double beyond, double atDeadband, double pastDeadband)
    {
        var alarm = Alarm().Set("IN", 50.0).Step(0);
        alarm.Set("IN", limit).Step(0);
        Assert.False(alarm.Bool(pin));
        alarm.Set("IN", beyond).Step(0);
        Assert.True(alarm.Bool(pin));
        Assert.True(alarm.Bool("ACTIVE"));
        alarm.Set("IN", atDeadband).Step(0);
        Assert.True(alarm.Bool(pin));
        alarm.Set("IN", pastDeadband).Step(0);
        Assert.False(alarm.Bool(pin));

        var low = Alarm().Set("IN", 19.0).Step(0);
        Assert.Equal((true, false, -1), (low.Bool("L"), low.Bool("LL"), low.Dint("LEVEL")));
    }

    /// <summary>Two limits raised in the same cycle raise the alarm once: it is Unacknowledged, not cancelled out.</summary>
    [Theory]
    [InlineData(95.0)]
    [InlineData(5.0)]
    public void Two_limits_raised_in_one_cycle_make_the_alarm_unacknowledged(double input)
    {
        var alarm = Alarm().Set("IN", 50.0).Step(0);
        alarm.Set("IN", input).Step(0);
        Assert.Equal(AlarmState.Unacknowledged, State(alarm));
        Assert.True(alarm.Bool("UNACKED"));
    }

    /// <summary>After a limit cleared, crossing it again waits the whole on-delay again.</summary>
    [Fact]
    public void The_on_delay_starts_afresh_after_a_limit_cleared()
    {
        var alarm = Alarm(Second).Set("IN", 50.0).Step(0);
        static int CyclesUntilHigh(BlockHarness alarm)
        {
            alarm.Set("IN", 85.0);
            for (var cycles = 1; cycles <= 100; cycles++)
            {
                if (alarm.Step(100 * Millisecond).Bool("H"))
                {
                    return cycles;
                }
            }

            return -1;
        }

        var first = CyclesUntilHigh(alarm);
        Assert.InRange(first, 10, 11);
        alarm.Set("IN", 50.0).Step(100 * Millisecond);
        Assert.False(alarm.Bool("H"));
        Assert.Equal(first, CyclesUntilHigh(alarm));
    }

    [Fact]
    public void Alarm_raises_each_limit_and_reports_the_most_severe_level()
    {
        var alarm = Alarm().Set("IN", 50.0).Step(0);
        Assert.False(alarm.Bool("ACTIVE"));
        Assert.Equal(AlarmState.Normal, State(alarm));
        alarm.Set("IN", 85.0).Step(0);
        Assert.True(alarm.Bool("H"));
        Assert.False(alarm.Bool("HH"));
        Assert.Equal(1, alarm.Dint("LEVEL"));
        alarm.Set("IN", 95.0).Step(0);
        Assert.True(alarm.Bool("HH"));
        Assert.Equal(2, alarm.Dint("LEVEL"));
        alarm.Set("IN", 5.0).Step(0);
        Assert.True(alarm.Bool("LL"));
        Assert.True(alarm.Bool("L"));
        Assert.False(alarm.Bool("H"));
        Assert.Equal(-2, alarm.Dint("LEVEL"));
        Assert.Equal(AlarmState.Unacknowledged, State(alarm));
        Assert.True(alarm.Bool("UNACKED"));
    }

    [Fact]
    public void Alarm_clears_only_past_the_deadband()
    {
        var alarm = Alarm().Set("IN", 81.0).Step(0);
        Assert.True(alarm.Set("IN", 79.0).Step(0).Bool("H"));
        Assert.True(alarm.Set("IN", 78.0).Step(0).Bool("H"));
        Assert.False(alarm.Set("IN", 77.9).Step(0).Bool("H"));
        alarm.Set("IN", 19.0).Step(0);
        Assert.True(alarm.Set("IN", 22.0).Step(0).Bool("L"));
        Assert.False(alarm.Set("IN", 22.1).Step(0).Bool("L"));
    }

    [Fact]
    public void Alarm_waits_for_its_on_delay_and_restarts_it_when_the_value_returns()
    {
        var alarm = Alarm(delayNanoseconds: 30 * Millisecond).Set("IN", 85.0);
        alarm.Step(10 * Millisecond).Step(10 * Millisecond).Step(10 * Millisecond);
        Assert.False(alarm.Bool("H"));
        alarm.Set("IN", 50.0).Step(10 * Millisecond).Set("IN", 85.0);
        alarm.Step(10 * Millisecond).Step(10 * Millisecond).Step(10 * Millisecond);
        Assert.False(alarm.Bool("H"));
        alarm.Step(10 * Millisecond);
        Assert.True(alarm.Bool("H"));
    }

    [Fact]
    public void Alarm_follows_the_isa_18_2_states_with_acknowledge()
    {
        var alarm = Alarm().Set("IN", 85.0).Step(0);
        Assert.Equal(AlarmState.Unacknowledged, State(alarm));
        alarm.Set("ACK", true).Step(0);
        Assert.Equal(AlarmState.Acknowledged, State(alarm));
        Assert.False(alarm.Bool("UNACKED"));
        alarm.Set("IN", 50.0).Step(0);
        Assert.Equal(AlarmState.Normal, State(alarm));

        alarm.Set("ACK", false).Set("IN", 85.0).Step(0).Set("IN", 50.0).Step(0);
        Assert.Equal(AlarmState.ReturnedUnacknowledged, State(alarm));
        Assert.True(alarm.Bool("UNACKED"));
        Assert.False(alarm.Bool("ACTIVE"));
        alarm.Step(0);
        Assert.Equal(AlarmState.ReturnedUnacknowledged, State(alarm));
        alarm.Set("ACK", true).Step(0);
        Assert.Equal(AlarmState.Normal, State(alarm));
    }

    [Fact]
    public void Alarm_acknowledges_on_the_edge_of_ack_only_and_a_new_limit_needs_a_new_ack()
    {
        var alarm = Alarm().Set("IN", 85.0).Step(0).Set("ACK", true).Step(0);
        Assert.Equal(AlarmState.Acknowledged, State(alarm));
        alarm.Set("IN", 95.0).Step(0);
        Assert.Equal(AlarmState.Unacknowledged, State(alarm));
        alarm.Step(0);
        Assert.Equal(AlarmState.Unacknowledged, State(alarm));
    }

    [Fact]
    public void Alarm_holds_its_limits_on_a_nan_input()
    {
        var alarm = Alarm().Set("IN", 85.0).Step(0).Set("IN", double.NaN).Step(0);
        Assert.True(alarm.Bool("H"));
    }
}
