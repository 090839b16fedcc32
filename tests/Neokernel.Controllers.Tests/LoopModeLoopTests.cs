using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Trace;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>What the mode machine does to a loop's output: hold, safe value, bumpless returns, shed, and the trace of each change.</summary>
public sealed class LoopModeLoopTests
{
    private static readonly PidTuning Tuning = new(Kc: 5.0, TiSeconds: 20.0, TdSeconds: 1.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0);

    private static readonly RelayTuneSettings Relay = new(RelayAmplitude: 1.0, HysteresisProcessValue: 0.01, ProcessValueMin: -10.0, ProcessValueMax: 10.0, TimeoutSeconds: 600.0);

    /// <summary>Keeps every change it is told of (a test list: allocation is fine here).</summary>
    private sealed class Changes : ILoopModeObserver
    {
        public List<LoopModeChange> Seen { get; } = [];

        public void OnModeChanged(in LoopModeChange change) => Seen.Add(change);
    }

    private static (PidLoop Loop, Changes Changes) Settled(BadInputPolicy policy, double safeOutput = 12.5, PidTuning? tuning = null)
    {
        var loop = new PidLoop(tuning ?? Tuning, 1.0, policy, safeOutput);
        var changes = new Changes();
        loop.ModeObserver = changes;
        for (var i = 0; i < 20; i++)
        {
            loop.Step(0.5, Quality.Good, 0.1);
        }

        return (loop, changes);
    }

    [Fact]
    public void Hold_keeps_the_last_output_and_the_return_goes_on_from_it_however_far_the_pv_moved()
    {
        var (loop, changes) = Settled(BadInputPolicy.Hold);
        var held = loop.LastOutput.Output;

        Assert.Equal(new PidLoopOutput(held, Quality.Uncertain), loop.Step(0.9, Quality.Bad, 0.1));
        Assert.Equal(LoopMode.Hold, loop.Mode);
        Assert.Equal(new PidLoopOutput(held, Quality.Uncertain), loop.Step(double.NaN, Quality.Good, 0.1));

        // The PV moved by 0.4 while unseen: without a re-base, Kc·0.4 = 2 would be the bump.
        var resumed = loop.Step(0.1, Quality.Good, 0.1);
        Assert.Equal(LoopMode.Auto, loop.Mode);
        Assert.Equal(held, resumed.Output, 9);
        Assert.Equal(Quality.Good, resumed.Quality);
        Assert.Equal(
            [new LoopModeChange(LoopMode.Auto, LoopMode.Hold, LoopModeTrigger.InputBad), new LoopModeChange(LoopMode.Hold, LoopMode.Auto, LoopModeTrigger.InputRecovered)],
            changes.Seen);
    }

    [Fact]
    public void Safe_state_drives_the_safe_value_at_once_even_past_the_rate_limit_and_returns_bumplessly_from_it()
    {
        var (loop, _) = Settled(BadInputPolicy.SafeState, safeOutput: 90.0, Tuning with { OutputRateUpPerSecond = 1.0, OutputRateDownPerSecond = 1.0 });

        Assert.Equal(new PidLoopOutput(90.0, Quality.Good), loop.Step(0.5, Quality.Bad, 0.1));
        Assert.Equal(LoopMode.SafeState, loop.Mode);
        var resumed = loop.Step(0.2, Quality.Good, 0.1);
        Assert.Equal(LoopMode.Auto, loop.Mode);
        Assert.InRange(resumed.Output, 90.0 - 0.1 - 1e-9, 90.0 + 0.1 + 1e-9);
    }

    [Fact]
    public void A_loop_whose_input_is_bad_from_its_start_starts_the_algorithm_at_its_first_sample()
    {
        // Before its first sample a loop has no output to be bumpless to: the first Good sample
        // gives the proportional action at once, as a start does (tank-modbus's first poll).
        var loop = new PidLoop(new PidTuning(Kc: 5.0, TiSeconds: 20.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0), 10.0, BadInputPolicy.Hold, 0);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0.0, loop.Step(double.NaN, Quality.Bad, 0.1).Output);
        }

        Assert.Equal(LoopMode.Hold, loop.Modes.Mode);
        Assert.Equal(5.0 * (10.0 - 4.0), loop.Step(4.0, Quality.Good, 0.1).Output, 9);
        Assert.Equal(LoopMode.Auto, loop.Modes.Mode);
    }

    [Fact]
    public void Manual_ignores_bad_input_and_follows_the_operator()
    {
        var (loop, changes) = Settled(BadInputPolicy.SafeState);
        loop.Apply(ControllerCommand.SetMode(PidMode.Manual));
        loop.Apply(ControllerCommand.SetManualOutput(40.0));

        Assert.Equal(new PidLoopOutput(40.0, Quality.Good), loop.Step(double.NaN, Quality.Bad, 0.1));
        Assert.Equal(LoopMode.Manual, loop.Mode);
        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetManualOutput(60.0)));
        Assert.Equal(60.0, loop.Step(double.NaN, Quality.Bad, 0.1).Output);
        Assert.Equal(0.5, loop.ProcessValue);
        Assert.Single(changes.Seen);
    }

    [Fact]
    public void Auto_asked_under_bad_input_waits_for_the_input_and_manual_takes_over_from_the_safe_value()
    {
        var (loop, changes) = Settled(BadInputPolicy.SafeState);
        loop.Apply(ControllerCommand.SetMode(PidMode.Manual));
        loop.Step(0.5, Quality.Bad, 0.1);

        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetMode(PidMode.Auto)));
        Assert.Equal((LoopMode.SafeState, PidMode.Auto), (loop.Mode, loop.Modes.Target));
        Assert.Equal(12.5, loop.Step(0.5, Quality.Bad, 0.1).Output);
        Assert.Equal(CommandStatus.WrongMode, loop.Apply(ControllerCommand.SetManualOutput(30.0)));

        Assert.Equal(CommandStatus.Ok, loop.Apply(ControllerCommand.SetMode(PidMode.Manual)));
        Assert.Equal(12.5, loop.Step(0.5, Quality.Bad, 0.1).Output);
        Assert.Equal(
            [LoopModeTrigger.OperatorManual, LoopModeTrigger.OperatorAuto, LoopModeTrigger.OperatorManual],
            changes.Seen.Select(c => c.Cause));
        Assert.Equal(LoopModeTrigger.OperatorManual, loop.Status().ModeCause);
    }

    [Fact]
    public void Cascade_sheds_to_auto_on_a_bad_remote_setpoint_and_comes_back_without_a_bump()
    {
        var (loop, changes) = Settled(BadInputPolicy.Hold);
        loop.Apply(ControllerCommand.SetMode(PidMode.Cascade));
        Assert.Equal((LoopMode.Auto, PidMode.Cascade), (loop.Mode, loop.Modes.Target));

        var before = loop.Step(0.5, Quality.Good, 0.1).Output;
        loop.RemoteSetpoint = 3.0;
        var entered = loop.Step(0.5, Quality.Good, 0.1).Output;
        Assert.Equal(LoopMode.Cascade, loop.Mode);
        Assert.Equal(before, entered, 1);
        Assert.Equal(3.0, loop.Setpoint);

        loop.RemoteSetpoint = double.NaN;
        var shed = loop.Step(0.5, Quality.Good, 0.1).Output;
        Assert.Equal((LoopMode.Auto, PidMode.Auto, 3.0), (loop.Mode, loop.Controller.Mode, loop.Setpoint));
        Assert.Equal(entered, shed, 1);
        Assert.Equal([LoopModeTrigger.RemoteSetpointRecovered, LoopModeTrigger.RemoteSetpointBad], changes.Seen.Select(c => c.Cause));
    }

    [Fact]
    public void Tracking_is_beaten_by_bad_input_and_comes_back_after_it()
    {
        var (loop, _) = Settled(BadInputPolicy.Hold);
        loop.TrackingValue = 33.0;
        loop.SetTracking(true);
        Assert.Equal(33.0, loop.Step(0.5, Quality.Good, 0.1).Output);
        loop.Step(0.5, Quality.Bad, 0.1);
        Assert.Equal(LoopMode.Hold, loop.Mode);
        loop.Step(0.5, Quality.Good, 0.1);
        Assert.Equal((LoopMode.Tracking, PidMode.Tracking), (loop.Mode, loop.Controller.Mode));
        loop.SetTracking(false);
        Assert.Equal(33.0, loop.Step(0.5, Quality.Good, 0.1).Output, 1);
        Assert.Equal(LoopMode.Auto, loop.Mode);
    }

    [Fact]
    public void Tracking_aborts_a_relay_experiment_and_auto_tune_is_refused_where_the_mode_does_not_fit()
    {
        var (loop, _) = Settled(BadInputPolicy.Hold);
        var before = loop.LastOutput.Output;
        Assert.Equal(CommandStatus.Ok, loop.StartAutoTune(Relay));
        loop.SetTracking(true);
        Assert.Equal(AutoTuneState.Failed, loop.AutoTune.State);
        Assert.Equal(before, loop.Controller.Output);
        Assert.Equal(CommandStatus.WrongMode, loop.StartAutoTune(Relay));
        loop.SetTracking(false);
        loop.Step(0.5, Quality.Bad, 0.1);
        Assert.Equal(CommandStatus.WrongMode, loop.StartAutoTune(Relay));
    }

    /// <summary>One thing that happens to a loop between or as its cycles: 0 a cycle, 1 a mode command, 2 a manual output, 3 a setpoint, 4 tracking, 5 a remote setpoint.</summary>
    public readonly record struct Event(int Kind, double Value, Quality Quality, byte Mode, bool Flag, double DtSeconds);

    private static Gen<double> Uniform(double min, double max) => PidPropertyTests.Uniform(min, max);

    private static Gen<double> MaybeNaN(Gen<double> value) => Gen.Frequency((1, Gen.Constant(double.NaN)), (6, value));

    private static Gen<Event> Events =>
        from kind in Gen.Frequency((20, Gen.Constant(0)), (3, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)), (2, Gen.Constant(4)), (3, Gen.Constant(5)))
        from value in MaybeNaN(Uniform(-1_000.0, 1_000.0))
        from quality in Gen.Frequency((2, Gen.Constant(Quality.Bad)), (2, Gen.Constant(Quality.Uncertain)), (6, Gen.Constant(Quality.Good)))
        from mode in Gen.Choose(0, 4).Select(m => (byte)m)
        from flag in Gen.Elements(false, true)
        from dt in Uniform(0.001, 2.0)
        select new Event(kind, value, quality, mode, flag, dt);

    private static Gen<PidTuning> RateLimited =>
        from isa in PidPropertyTests.IsaGains
        from up in Uniform(0.01, 100.0)
        from down in Uniform(0.01, 100.0)
        select isa with { OutputRateUpPerSecond = up, OutputRateDownPerSecond = down };

    public readonly record struct Case(PidTuning Tuning, BadInputPolicy Policy, double SafeFraction, double TrackingValue, Event[] Events);

    private static Gen<Case> Cases(Gen<PidTuning> tunings) =>
        from tuning in tunings
        from policy in Gen.Elements(BadInputPolicy.Hold, BadInputPolicy.SafeState)
        from safe in Uniform(0.0, 1.0)
        from tracking in MaybeNaN(Uniform(-1_000.0, 1_000.0))
        from events in Gen.ArrayOf(Events)
        select new Case(tuning, policy, safe, tracking, events);

    private static PidLoop LoopFor(in Case c, Changes changes)
    {
        var safeOutput = c.Tuning.OutputMin + (c.SafeFraction * (c.Tuning.OutputMax - c.Tuning.OutputMin));
        return new PidLoop(c.Tuning, 0.0, c.Policy, safeOutput) { ModeObserver = changes, TrackingValue = c.TrackingValue };
    }

    /// <summary>Applies one event; returns the output it left and the time it covered (0 for a command).</summary>
    private static (double Output, double DtSeconds) Apply(PidLoop loop, in Event e)
    {
        switch (e.Kind)
        {
            case 1:
                loop.Apply(ControllerCommand.SetMode((PidMode)e.Mode));
                return (loop.Controller.Output, 0);
            case 2:
                loop.Apply(ControllerCommand.SetManualOutput(e.Value));
                return (loop.Controller.Output, 0);
            case 3:
                loop.Apply(ControllerCommand.SetSetpoint(e.Value));
                return (loop.Controller.Output, 0);
            case 4:
                loop.SetTracking(e.Flag);
                return (loop.Controller.Output, 0);
            case 5:
                loop.RemoteSetpoint = e.Value;
                return (loop.Controller.Output, 0);
            default:
                return (loop.Step(e.Value, e.Quality, e.DtSeconds).Output, e.DtSeconds);
        }
    }

    private static bool Allowed(LoopModeChange change) =>
        change.From != change.To && LoopModeTable.Rows.Any(r => r.From == change.From && r.Trigger == change.Cause && r.To == change.To);

    /// <summary>Any tuning, policy and sequence of cycles and commands: the output stays finite and within its limits, and every mode change the loop reports is a row of the table.</summary>
    [Fact]
    public void Outputs_stay_within_limits_and_every_mode_change_is_in_the_table_for_any_input_and_command_sequence()
    {
        var tunings = from isa in PidPropertyTests.IsaGains
                      from rate in Gen.Elements(false, true)
                      select rate ? isa with { OutputRateUpPerSecond = 5.0, OutputRateDownPerSecond = 5.0 } : isa;
        Prop.ForAll(Cases(tunings).ToArbitrary(), c =>
        {
            var changes = new Changes();
            return EveryEvent(c, changes, (effect, loop) =>
                double.IsFinite(effect.Output) && effect.Output >= c.Tuning.OutputMin && effect.Output <= c.Tuning.OutputMax
                && loop.Mode == LoopModeTable.ModeFor(loop.Modes.Target, loop.Modes.Conditions))
                && changes.Seen.All(Allowed);
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// With rate limits, consecutive outputs never differ by more than rate × dt across every
    /// mode change (bumpless transfer), except the step into the safe value, which is applied at once by design.
    /// </summary>
    [Fact]
    public void Bumpless_transfer_never_moves_the_output_by_more_than_the_rate_limit()
    {
        Prop.ForAll(Cases(RateLimited).ToArbitrary(), c => EveryEvent(c, new Changes(), (effect, _) =>
        {
            var tolerance = 1e-9 * (1.0 + Math.Abs(effect.Previous));
            var intoSafeValue = effect.After == LoopMode.SafeState && effect.Before != LoopMode.SafeState;
            return intoSafeValue || (effect.Output - effect.Previous <= (c.Tuning.OutputRateUpPerSecond * effect.DtSeconds) + tolerance
                && effect.Previous - effect.Output <= (c.Tuning.OutputRateDownPerSecond * effect.DtSeconds) + tolerance);
        })).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// Without a rate limit to hide a bump: a cycle in which the loop goes (back) to auto or
    /// cascade by itself (the input recovered, the remote setpoint went bad or came back) gives
    /// the output it had before, however far the process value or the setpoint moved.
    /// </summary>
    [Fact]
    public void A_return_to_auto_or_cascade_within_a_cycle_leaves_the_output_where_it_was()
    {
        Prop.ForAll(Cases(PidPropertyTests.IsaGains).ToArbitrary(), c => EveryEvent(c, new Changes(), (effect, _) =>
        {
            // A loop that never had a usable sample has nothing to be bumpless to: its first sample starts it.
            var returned = effect.Event.Kind == 0 && effect.HadControlled && effect.Before != effect.After && effect.After is LoopMode.Auto or LoopMode.Cascade;
            return !returned || Math.Abs(effect.Output - effect.Previous) <= 1e-9 * (1.0 + Math.Abs(effect.Previous));
        })).QuickCheckThrowOnFailure();
    }

    /// <summary>One event's effect on a loop: its mode before and after, its output before and after, the time the event covered.</summary>
    private readonly record struct Effect(Event Event, LoopMode Before, LoopMode After, double Previous, double Output, double DtSeconds, bool HadControlled);

    /// <summary>Plays a case's events on a fresh loop; true when <paramref name="holds"/> held after every one.</summary>
    private static bool EveryEvent(in Case c, Changes changes, Func<Effect, PidLoop, bool> holds)
    {
        var loop = LoopFor(c, changes);
        var previous = loop.Controller.Output;
        foreach (var e in c.Events)
        {
            var before = loop.Mode;
            var controlled = loop.Controller.HasControlled;
            var (output, dt) = Apply(loop, e);
            if (!holds(new Effect(e, before, loop.Mode, previous, output, dt, controlled), loop))
            {
                return false;
            }

            previous = output;
        }

        return true;
    }

    private static (FakeServiceContext Context, RegionWriter Level, RegionReader Outputs) StartPid(string onBadInput)
    {
        var parameters = new Dictionary<string, string>
        {
            ["kc"] = "4", ["tiSeconds"] = "30", ["outputMin"] = "0", ["outputMax"] = "100", ["setpoint"] = "1.0",
            ["inputRegion"] = "level", ["inputPoint"] = "level", ["outputRegion"] = "pump-cmd", ["outputPoint"] = "pump",
        };
        var safeState = new SafeStateManifest
        {
            OnBadInput = onBadInput,
            Outputs = [new SafeValueManifest { Region = "pump-cmd", Point = "pump", Value = 7.0 }],
        };
        var context = new FakeServiceContext(parameters, periodUs: 10_000, safeState: safeState, declarations: PidServiceSettings.Parameters, kind: "controller", serviceId: "level-loop");
        context.AddRegion("level", FakeServiceContext.PeerId, "level");
        context.AddRegion("pump-cmd", context.ServiceId, "pump", "mode", "modeTarget", "modeCause");
        var level = context.Objects.OpenRegionWriter("level", FakeServiceContext.PeerId);
        var outputs = context.Objects.OpenRegionReader("pump-cmd", FakeServiceContext.PeerId);
        new PidService().Start(context);
        return (context, level, outputs);
    }

    private static void Publish(RegionWriter level, double value, Quality quality)
    {
        level.Set(0, value, quality, 0);
        level.Publish();
    }

    [Fact]
    public void PidService_traces_each_mode_change_with_its_cause_and_publishes_the_mode_points()
    {
        var (context, level, outputs) = StartPid("safe-state");
        Publish(level, 0.8, Quality.Good);
        context.RunCycles(3);
        Publish(level, 0.8, Quality.Bad);
        context.RunCycles(3);

        var snapshot = outputs.CreateSnapshot();
        Assert.True(outputs.TryRead(snapshot));
        Assert.Equal((7.0, (double)LoopMode.SafeState, (double)PidMode.Auto, (double)LoopModeTrigger.InputBad),
            (snapshot.Value(0), snapshot.Value(1), snapshot.Value(2), snapshot.Value(3)));

        Publish(level, 0.8, Quality.Good);
        context.RunCycles(3);
        var trace = context.Objects.Trace;
        var events = trace.Events(TraceEventKind.ModeChange);
        Assert.Equal(
            [((int)LoopModeTrigger.InputBad, (long)LoopMode.Auto, (long)LoopMode.SafeState), ((int)LoopModeTrigger.InputRecovered, (long)LoopMode.SafeState, (long)LoopMode.Auto)],
            events.Select(e => (e.Object, e.Arg0, e.Arg1)));
        Assert.All(events, e => Assert.Equal("level-loop", trace.NameOf(e.Subject)));
    }

    [Fact]
    public void PidService_cycles_with_a_flapping_input_and_their_traced_mode_changes_allocate_nothing()
    {
        var (context, level, _) = StartPid("hold");
        Publish(level, 0.8, Quality.Good);
        context.RunCycles(3);
        AllocationAssert.NoAllocations(2_000, i =>
        {
            if (i % 50 == 0)
            {
                Publish(level, 0.8, (i / 50) % 2 == 0 ? Quality.Bad : Quality.Good);
            }

            context.RunCycles(1);
        });

        Assert.True(context.Objects.Trace.CountOf(TraceEventKind.ModeChange) >= 40);
    }
}
