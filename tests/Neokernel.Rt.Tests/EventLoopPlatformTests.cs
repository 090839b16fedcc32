using FsCheck;
using FsCheck.Xunit;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Rt.Tests;

public sealed class EventLoopPlatformTests
{
    private sealed class Recorder(List<(string Name, long Ns)> log, string name) : ITimerCallback
    {
        public void OnTimer(long nowNs) => log.Add((name, nowNs));
    }

    [Fact]
    public void Timers_FireInDueOrder_TiesInArmingOrder()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var log = new List<(string, long)>();
        var a = platform.CreateTimer(new Recorder(log, "a"));
        var b = platform.CreateTimer(new Recorder(log, "b"));
        var c = platform.CreateTimer(new Recorder(log, "c"));
        c.ArmAt(200);
        b.ArmAt(100);
        a.ArmAt(100);
        platform.RunUntil(1_000);
        Assert.Equal([("b", 100L), ("a", 100L), ("c", 200L)], log);
        Assert.Equal(1_000, platform.NowNs);
    }

    [Fact]
    public void Timer_RearmedOrCancelled_FiresOnlyAsLastArmed()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var log = new List<(string, long)>();
        var a = platform.CreateTimer(new Recorder(log, "a"));
        var b = platform.CreateTimer(new Recorder(log, "b"));
        a.ArmAt(100);
        a.ArmAt(300);
        b.ArmAt(50);
        b.Cancel();
        Assert.False(b.IsArmed);
        platform.RunUntil(1_000);
        Assert.Equal([("a", 300L)], log);
    }

    /// <summary>
    /// Against a model (each armed timer's latest due time and arming order, fired by sorting):
    /// any mix of arms, re-arms, cancels and runs fires the same timers at the same times in the
    /// same order, and the queue holds exactly the armed timers.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Timers_ArmedRearmedAndCancelled_FireAsTheModelSays((byte Op, byte Timer, ushort Time)[] operations)
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var log = new List<(string Name, long Ns)>();
        const int timerCount = 12;
        var timers = Enumerable.Range(0, timerCount).Select(i => platform.CreateTimer(new Recorder(log, i.ToString()))).ToArray();
        var model = new Dictionary<int, (long DueNs, long Sequence)>();
        var expected = new List<(string Name, long Ns)>();
        var sequence = 0L;
        foreach (var (op, which, time) in operations ?? [])
        {
            var timer = which % timerCount;
            switch (op % 3)
            {
                case 0:
                    timers[timer].ArmAt(platform.NowNs + time - 100);
                    model[timer] = (Math.Max(platform.NowNs + time - 100, platform.NowNs), sequence++);
                    break;
                case 1:
                    timers[timer].Cancel();
                    model.Remove(timer);
                    break;
                default:
                    var end = platform.NowNs + time;
                    foreach (var (id, key) in model.Where(m => m.Value.DueNs <= end).OrderBy(m => m.Value.DueNs).ThenBy(m => m.Value.Sequence).ToList())
                    {
                        expected.Add((id.ToString(), key.DueNs));
                        model.Remove(id);
                    }

                    platform.RunUntil(end);
                    break;
            }

            if (platform.PendingEvents != model.Count || timers.Where(t => t.IsArmed).Count() != model.Count)
            {
                return false;
            }
        }

        return log.SequenceEqual(expected);
    }

    private sealed class Callback(Action<long> onTimer) : ITimerCallback
    {
        public void OnTimer(long nowNs) => onTimer(nowNs);
    }

    /// <summary>A firing timer keeps its heap slot during its callback; none of that shows to the callback or changes the order.</summary>
    [Fact]
    public void Timer_InItsOwnCallback_IsNotArmed_AndMayRearmCancelOrLeave()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var log = new List<string>();
        IPlatformTimer? periodic = null, once = null, late = null, other = null;
        var fired = 0;
        periodic = platform.CreateTimer(new Callback(now =>
        {
            log.Add($"periodic {now} armed={periodic!.IsArmed}");
            if (++fired < 3)
            {
                periodic.ArmAt(now + 100);
                periodic.Cancel(); // cancelled after re-arming: gone
                periodic.ArmAt(now + 100);
            }
        }));
        once = platform.CreateTimer(new Callback(now =>
        {
            log.Add($"once {now} armed={once!.IsArmed}");
            once.Cancel(); // cancelling itself while it fires: nothing to cancel
            late!.ArmAt(now); // due now, armed after: runs next, not before this callback ends
            Assert.False(platform.TryRunNext(long.MaxValue)); // nothing runs inside a callback
            other!.Cancel();
        }));
        late = platform.CreateTimer(new Callback(now => log.Add($"late {now}")));
        other = platform.CreateTimer(new Callback(now => log.Add($"other {now}")));
        periodic.ArmAt(100);
        once.ArmAt(150);
        other.ArmAt(160);
        platform.RunUntil(1_000);
        Assert.Equal(["periodic 100 armed=False", "once 150 armed=False", "late 150", "periodic 200 armed=False", "periodic 300 armed=False"], log);
        Assert.Equal(0, platform.PendingEvents);
        Assert.False(periodic.IsArmed || once.IsArmed || late.IsArmed || other.IsArmed);
    }

    [Fact]
    public void Timer_ArmedInThePast_FiresNowNotBackwards()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var log = new List<(string, long)>();
        platform.RunUntil(500);
        platform.CreateTimer(new Recorder(log, "late")).ArmAt(100);
        platform.RunUntil(600);
        Assert.Equal([("late", 500L)], log);
    }

    [Fact]
    public void Timer_RearmedManyTimes_HoldsOneEntry()
    {
        var platform = new SimulationPlatform(1, new NoDevices());
        var timer = platform.CreateTimer(new Recorder([], "x"));
        for (var i = 0; i < 100_000; i++)
        {
            timer.ArmAt(1_000_000 + i);
        }

        Assert.Equal(1, platform.PendingEvents);
        timer.Cancel();
        Assert.Equal(0, platform.PendingEvents);
    }

    [Fact]
    public void Paced_RunsOnRealTime()
    {
        var platform = new PacedPlatform(1, new NoDevices());
        var log = new List<(string Name, long Ns)>();
        platform.CreateTimer(new Recorder(log, "t")).ArmAt(platform.NowNs + 20_000_000);
        var start = LinuxTime.MonotonicNs();
        platform.RunUntil(platform.NowNs + 30_000_000);
        var elapsed = LinuxTime.MonotonicNs() - start;
        Assert.Single(log);
        Assert.True(elapsed >= 30_000_000, $"returned after {elapsed} ns");
    }

    [Fact]
    public void Paced_Cancelled_ReturnsPromptly()
    {
        var platform = new PacedPlatform(1, new NoDevices());
        using var cancel = new CancellationTokenSource(100);
        var start = LinuxTime.MonotonicNs();
        platform.RunUntil(platform.NowNs + 60_000_000_000, cancel.Token);
        Assert.True(LinuxTime.MonotonicNs() - start < 5_000_000_000);
    }
}
