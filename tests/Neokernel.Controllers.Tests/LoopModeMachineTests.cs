using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Trace;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>The mode table and its machine: complete where triggers arrive, agreeing with Stateless and with the rules.</summary>
public sealed class LoopModeMachineTests
{
    private static readonly LoopModeTrigger[] Triggers = Enum.GetValues<LoopModeTrigger>().Where(t => t != LoopModeTrigger.None).ToArray();

    /// <summary>Every state a loop can be in: target, conditions (with the policy), and the mode the rules give for them.</summary>
    private static IEnumerable<(PidMode Target, LoopModeConditions Conditions)> ReachableStates()
    {
        foreach (var target in (PidMode[])[PidMode.Manual, PidMode.Auto, PidMode.Cascade])
        {
            for (var bits = 0; bits < 32; bits++)
            {
                var conditions = (LoopModeConditions)bits;
                if (((conditions & LoopModeConditions.TargetCascade) != 0) == (target == PidMode.Cascade))
                {
                    yield return (target, conditions);
                }
            }
        }
    }

    [Fact]
    public void Table_has_exactly_one_row_for_every_trigger_that_can_arrive_and_it_goes_where_the_rules_say()
    {
        var used = new HashSet<LoopModeTransition>();
        foreach (var (target, conditions) in ReachableStates())
        {
            var from = LoopModeTable.ModeFor(target, conditions);
            foreach (var trigger in Triggers)
            {
                var nextTarget = target;
                var next = LoopModeMachine.Apply(trigger, conditions, ref nextTarget);
                if (next == conditions && nextTarget == target)
                {
                    continue;
                }

                var holding = LoopModeTable.Rows.Where(r => r.From == from && r.Trigger == trigger && r.Holds(next)).ToList();
                Assert.True(holding.Count == 1, $"{from} on {trigger} with {next}: {holding.Count} rows hold");
                Assert.Equal(LoopModeTable.ModeFor(nextTarget, next), holding[0].To);
                used.Add(holding[0]);
            }
        }

        Assert.Empty(LoopModeTable.Rows.Where(r => !used.Contains(r)));
    }

    public readonly record struct Walk(BadInputPolicy Policy, PidMode Target, bool RemoteBad, LoopModeTrigger[] Triggers);

    private static Gen<Walk> Walks =>
        from policy in Gen.Elements(BadInputPolicy.Hold, BadInputPolicy.SafeState)
        from target in Gen.Elements(PidMode.Manual, PidMode.Auto, PidMode.Cascade)
        from remoteBad in Gen.Elements(false, true)
        from triggers in Gen.ArrayOf(Gen.Elements(Triggers))
        select new Walk(policy, target, remoteBad, triggers);

    /// <summary>
    /// The data-plane machine and a Stateless machine built from the same table walk any trigger
    /// sequence in step: Stateless never refuses a trigger (it throws for a trigger no row
    /// permits, and for two rows whose guards both hold), both are in the same mode after each,
    /// every change is a row of the table whose guard held, and the mode is what the rules give.
    /// </summary>
    [Fact]
    public void Machine_never_takes_a_transition_the_table_forbids_and_agrees_with_Stateless()
    {
        Prop.ForAll(Walks.ToArbitrary(), walk =>
        {
            var machine = new LoopModeMachine(walk.Policy, walk.Target, walk.RemoteBad);
            var conditions = machine.Conditions;
            var target = machine.Target;
            var stateless = LoopModeTable.ToStateMachine(machine.Mode, () => conditions);
            foreach (var trigger in walk.Triggers)
            {
                var before = machine.Mode;
                var changed = machine.Fire(trigger, out var change);
                if (machine.Conditions != conditions || machine.Target != target)
                {
                    (conditions, target) = (machine.Conditions, machine.Target);
                    stateless.Fire(trigger);
                }

                var allowed = !changed || LoopModeTable.Rows.Any(r => r.From == before && r.Trigger == trigger && r.To == change.To && r.Holds(conditions));
                if (!allowed || stateless.State != machine.Mode || machine.Mode != LoopModeTable.ModeFor(machine.Target, machine.Conditions)
                    || (changed && (change.From != before || change.Cause != trigger || machine.LastCause != trigger)))
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(BadInputPolicy.Hold, LoopMode.Hold)]
    [InlineData(BadInputPolicy.SafeState, LoopMode.SafeState)]
    public void Bad_input_goes_where_the_policy_says_and_recovery_goes_back_to_the_target(BadInputPolicy policy, LoopMode bad)
    {
        var machine = new LoopModeMachine(policy);
        Assert.Equal((LoopMode.Auto, PidMode.Auto, LoopModeTrigger.None), (machine.Mode, machine.Target, machine.LastCause));

        Assert.True(machine.Fire(LoopModeTrigger.InputBad, out var change));
        Assert.Equal(new LoopModeChange(LoopMode.Auto, bad, LoopModeTrigger.InputBad), change);
        Assert.False(machine.Fire(LoopModeTrigger.InputBad, out _));
        Assert.False(machine.Fire(LoopModeTrigger.OperatorCascade, out _));
        Assert.Equal((bad, PidMode.Cascade), (machine.Mode, machine.Target));

        Assert.False(machine.Fire(LoopModeTrigger.RemoteSetpointRecovered, out _));
        Assert.True(machine.Fire(LoopModeTrigger.InputRecovered, out change));
        Assert.Equal(new LoopModeChange(bad, LoopMode.Cascade, LoopModeTrigger.InputRecovered), change);
        Assert.Equal(2, machine.Changes);
    }

    [Fact]
    public void Manual_is_left_only_by_an_operator()
    {
        var machine = new LoopModeMachine(BadInputPolicy.SafeState, PidMode.Manual, remoteSetpointBad: false);
        foreach (var trigger in (LoopModeTrigger[])[LoopModeTrigger.InputBad, LoopModeTrigger.TrackingOn, LoopModeTrigger.RemoteSetpointBad, LoopModeTrigger.InputRecovered])
        {
            Assert.False(machine.Fire(trigger, out _));
            Assert.Equal(LoopMode.Manual, machine.Mode);
        }

        Assert.True(machine.Fire(LoopModeTrigger.OperatorAuto, out var change));
        Assert.Equal(new LoopModeChange(LoopMode.Manual, LoopMode.Tracking, LoopModeTrigger.OperatorAuto), change);
    }

    [Fact]
    public void Cascade_without_a_remote_setpoint_sheds_to_auto_and_returns_by_itself()
    {
        var machine = new LoopModeMachine(BadInputPolicy.Hold, PidMode.Auto, remoteSetpointBad: false);
        Assert.True(machine.Fire(LoopModeTrigger.OperatorCascade, out _));
        Assert.True(machine.Fire(LoopModeTrigger.RemoteSetpointBad, out var shed));
        Assert.Equal(new LoopModeChange(LoopMode.Cascade, LoopMode.Auto, LoopModeTrigger.RemoteSetpointBad), shed);
        Assert.Equal(PidMode.Cascade, machine.Target);
        Assert.True(machine.Fire(LoopModeTrigger.RemoteSetpointRecovered, out var back));
        Assert.Equal(new LoopModeChange(LoopMode.Auto, LoopMode.Cascade, LoopModeTrigger.RemoteSetpointRecovered), back);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_their_name()
    {
        Assert.Equal("badInputPolicy", Assert.Throws<ArgumentOutOfRangeException>(() => new LoopModeMachine((BadInputPolicy)7)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => new LoopModeMachine(BadInputPolicy.Hold, PidMode.Tracking)).ParamName);
        Assert.Equal("trigger", Assert.Throws<ArgumentOutOfRangeException>(() => new LoopModeMachine(BadInputPolicy.Hold).Fire(LoopModeTrigger.None, out _)).ParamName);
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => LoopModeMachine.OperatorTrigger(PidMode.Tracking)).ParamName);
    }

    [Fact]
    public void Fire_allocates_nothing()
    {
        var machine = new LoopModeMachine(BadInputPolicy.SafeState);
        AllocationAssert.NoAllocations(10_000, i => machine.Fire(Triggers[(i * 7) % Triggers.Length], out _));
    }

    [Fact]
    public void Trace_schema_names_the_modes_and_causes_with_their_numbers()
    {
        var schema = TraceSchema.Of(TraceEventKind.ModeChange);
        foreach (var mode in Enum.GetValues<LoopMode>())
        {
            Assert.Contains($"{mode} {(int)mode}", schema.Arg0!.Meaning, StringComparison.Ordinal);
        }

        foreach (var trigger in Triggers)
        {
            Assert.Contains($"{trigger} {(int)trigger}", schema.Object!.Meaning, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DocsLoopModesMd_is_the_generated_text()
    {
        var path = Path.Combine(Blocks.BlockDocsTests.RepositoryRoot(), "docs", "LOOP-MODES.md");
        if (Environment.GetEnvironmentVariable("NEOKERNEL_WRITE_LOOP_MODES_MD") == "1")
        {
            File.WriteAllText(path, LoopModeTable.Markdown());
        }

        Assert.True(File.Exists(path), $"{path} is missing; write LoopModeTable.Markdown() there (NEOKERNEL_WRITE_LOOP_MODES_MD=1 does)");
        Assert.Equal(LoopModeTable.Markdown(), File.ReadAllText(path).ReplaceLineEndings("\n"));
    }
}
