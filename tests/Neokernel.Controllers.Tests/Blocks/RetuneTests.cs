using FsCheck;
using FsCheck.Fluent;
using Neokernel.Controllers.Blocks;
using Neokernel.Testing;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>
/// Online tuning (<see cref="Block.Retune(int, BlockValue)"/>): a tunable parameter changes while
/// the block runs, takes effect at the next cycle without a bump, and is refused, with nothing
/// changed, when it is structure, out of its range or at odds with the others.
/// </summary>
public sealed class RetuneTests
{
    private const long Dt = 100 * Millisecond;

    public static TheoryData<string> TunedTypes => [.. BlockCatalog.Descriptors.Where(d => d.Parameters.Any(p => p.Tunable)).Select(d => d.TypeName)];

    /// <summary>Every tunable parameter of every type takes its own default back, reads it, and leaves the block evaluating.</summary>
    [Theory]
    [MemberData(nameof(TunedTypes))]
    public void Every_tunable_parameter_takes_a_value_in_its_range_and_reads_it_back(string typeName)
    {
        var harness = Of(typeName);
        var block = harness.Network.Block("block");
        harness.Step(0).Step(Dt);
        for (var i = 0; i < block.Descriptor.Parameters.Length; i++)
        {
            var parameter = block.Descriptor.Parameters[i];
            if (!parameter.Tunable)
            {
                Assert.Contains($"parameter {parameter.Name} shapes the block, so only the manifest sets it", block.Retune(i, parameter.Default), StringComparison.Ordinal);
                continue;
            }

            Assert.Null(block.Retune(i, parameter.Default));
            Assert.Equal(parameter.Default, block.Parameter(i));
            harness.Step(Dt);
        }
    }

    [Fact]
    public void A_pid_retuned_mid_run_keeps_its_output_and_then_acts_with_the_new_gain()
    {
        var pid = Of("PID", Real("KC", 1), Time("TI", 10 * Second), Real("INITIAL", 20));
        var block = (PidBlock)pid.Network.Block("block");
        pid.Set("PV", 40.0).Set("SP", 50.0).Step(0);
        for (var i = 0; i < 30; i++)
        {
            pid.Step(Dt);
        }

        var before = pid.Real("OUT");
        Assert.Null(block.Retune(PidBlock.Kc, BlockValue.Real(4)));
        Assert.Equal(4.0, block.Parameter(PidBlock.Kc).AsReal);

        // Same error, four times the gain: the output does not jump (the integrator absorbed the
        // proportional change), and from there the integral moves four times as fast (0.1 per cycle before).
        pid.Step(Dt);
        Assert.Equal(before, pid.Real("OUT"), 9);
        pid.Step(Dt);
        Assert.Equal(before + (4.0 * 0.1 / 10 * 10), pid.Real("OUT"), 9);
        pid.Step(Dt);
        Assert.Equal(before + (2 * 4.0 * 0.1 / 10 * 10), pid.Real("OUT"), 9);
        Assert.Equal(4.0, block.Controller.Tuning.Kc);
    }

    [Fact]
    public void Limits_that_move_together_are_retuned_together_and_refused_alone_when_they_would_cross()
    {
        var ramp = Of("RAMP", Real("OUT_MIN", 0), Real("OUT_MAX", 10), Real("INITIAL", 5));
        var block = ramp.Network.Block("block");

        var alone = block.Retune(Ramp.OutMin, BlockValue.Real(20));
        Assert.Equal("block 'block' (RAMP): parameter OUT_MIN = 20 (REAL) is not allowed: it must be below OUT_MAX (10)", alone);
        Assert.Equal(0.0, block.Parameter(Ramp.OutMin).AsReal);

        Assert.Null(block.Retune([new ParameterChange(Ramp.OutMin, BlockValue.Real(20)), new ParameterChange(Ramp.OutMax, BlockValue.Real(30))]));
        ramp.Set("TARGET", 0.0).Step(Dt);
        Assert.Equal(20.0, ramp.Real("OUT"));
    }

    [Theory]
    [InlineData("PID", PidBlock.Kc, 0.0, "parameter KC = 0 (REAL) is not allowed: it must be nonzero (negative for reverse action)")]
    [InlineData("PID", PidBlock.DerivativeFilter, 0.0, "parameter N = 0 (REAL) is not allowed: it must be a finite REAL above 0")]
    [InlineData("PID", PidBlock.OutMax, -1.0, "parameter OUT_MIN = 0 (REAL) is not allowed: it must be below OUT_MAX (-1)")]
    [InlineData("HYSTERESIS", Hysteresis.High, -1.0, "parameter LOW = 0 (REAL) is not allowed: it must be below HIGH (-1)")]
    [InlineData("SCALE", Scale.RawMax, 0.0, "parameter RAW_MAX = 0 (REAL) is not allowed: it must be different from RAW_MIN (0) by a finite amount")]
    [InlineData("SPLIT", SplitRange.AEnd, 0.0, "parameter A_END = 0 (REAL) is not allowed: it must be other than A_START (0)")]
    [InlineData("SPLIT", SplitRange.BEnd, 50.0, "parameter B_END = 50 (REAL) is not allowed: it must be other than B_START (50)")]
    [InlineData("SPLIT", SplitRange.OutMax, 0.0, "parameter OUT_MIN = 0 (REAL) is not allowed: it must be below OUT_MAX (0)")]
    [InlineData("PID", PidBlock.OutMax, 0.0, "parameter OUT_MIN = 0 (REAL) is not allowed: it must be below OUT_MAX (0)")]
    [InlineData("HYSTERESIS", Hysteresis.High, 0.0, "parameter LOW = 0 (REAL) is not allowed: it must be below HIGH (0)")]
    [InlineData("ALARM", Alarm.LowLimit, 95.0, "parameter L_LIMIT = 95 (REAL) is not allowed: it must be at most H_LIMIT (90)")]
    [InlineData("ALARM", Alarm.LowLowLimit, 20.0, "parameter LL_LIMIT = 20 (REAL) is not allowed: it must be at most L_LIMIT (10)")]
    [InlineData("RATIO", RatioStation.OutMax, -1e10, "parameter OUT_MIN = -1000000000 (REAL) is not allowed: it must be below OUT_MAX (-10000000000)")]
    [InlineData("ALARM", Alarm.HighLimit, 200.0, "parameter H_LIMIT = 200 (REAL) is not allowed: it must be at most HH_LIMIT (100)")]
    [InlineData("ALARM", Alarm.Deadband, -1.0, "parameter DEADBAND = -1 (REAL) is not allowed: it must be a finite REAL of at least 0")]
    public void A_retune_that_does_not_fit_is_refused_naming_why_and_changes_nothing(string typeName, int index, double value, string expected)
    {
        var harness = Of(typeName);
        var block = harness.Network.Block("block");
        var before = Enumerable.Range(0, block.Descriptor.Parameters.Length).Select(block.Parameter).ToArray();

        Assert.Equal($"block 'block' ({typeName}): {expected}", block.Retune(index, BlockValue.Real(value)));

        Assert.Equal(before, Enumerable.Range(0, block.Descriptor.Parameters.Length).Select(block.Parameter));
        harness.Step(0).Step(Dt);
    }

    [Fact]
    public void Limits_may_meet_where_the_block_allows_it()
    {
        var alarm = Of("ALARM").Network.Block("block");
        Assert.Null(alarm.Retune(Alarm.HighLimit, BlockValue.Real(100)));
        Assert.Null(alarm.Retune(Alarm.LowLimit, BlockValue.Real(0)));
    }

    [Fact]
    public void A_parameter_index_past_the_descriptor_is_a_programming_error()
    {
        var pid = Of("PID").Network.Block("block");
        Assert.Throws<ArgumentOutOfRangeException>(() => pid.Retune(pid.Descriptor.Parameters.Length, BlockValue.Real(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => pid.Retune(-1, BlockValue.Real(1)));
    }

    /// <summary>More changes than fit on the stack at once (the same parameters again): refused whole and every parameter restored, or taken, the last change of a parameter winning.</summary>
    [Fact]
    public void Many_changes_at_once_are_refused_or_taken_whole()
    {
        var pid = Of("PID").Network.Block("block");
        var changes = Enumerable.Range(0, 17).Select(i => new ParameterChange(PidBlock.Kc, BlockValue.Real(i + 1))).Append(new ParameterChange(PidBlock.OutMax, BlockValue.Real(-1))).ToArray();
        Assert.NotNull(pid.Retune(changes));
        Assert.Equal((1.0, 100.0), (pid.Parameter(PidBlock.Kc).AsReal, pid.Parameter(PidBlock.OutMax).AsReal));

        Assert.Null(pid.Retune(changes.AsSpan(0, 17)));
        Assert.Equal(17.0, pid.Parameter(PidBlock.Kc).AsReal);
    }

    [Fact]
    public void A_scale_retuned_to_a_falling_range_maps_and_clamps_that_way()
    {
        var scale = Of("SCALE");
        Assert.Null(scale.Network.Block("block").Retune([new ParameterChange(Scale.RawMin, BlockValue.Real(100)), new ParameterChange(Scale.RawMax, BlockValue.Real(0))]));
        scale.Set("IN", 25.0).Step(Dt);
        Assert.Equal((75.0, false), (scale.Real("OUT"), scale.Bool("OUT_OF_RANGE")));
        scale.Set("IN", 0.0).Step(Dt);
        Assert.Equal((100.0, false), (scale.Real("OUT"), scale.Bool("OUT_OF_RANGE")));
        scale.Set("IN", 100.0).Step(Dt);
        Assert.Equal((0.0, false), (scale.Real("OUT"), scale.Bool("OUT_OF_RANGE")));
        scale.Set("IN", -10.0).Step(Dt);
        Assert.Equal((100.0, true), (scale.Real("OUT"), scale.Bool("OUT_OF_RANGE")));
        scale.Set("IN", 110.0).Step(Dt);
        Assert.Equal((0.0, true), (scale.Real("OUT"), scale.Bool("OUT_OF_RANGE")));
    }

    [Fact]
    public void A_value_of_another_type_is_refused()
    {
        var pid = Of("PID").Network.Block("block");
        Assert.Equal("block 'block' (PID): parameter TI = 5 (REAL) is not allowed: it must be a TIME from T#0s to T#31536000s", pid.Retune(PidBlock.Ti, BlockValue.Real(5)));
    }

    [Fact]
    public void Retuned_switching_points_limits_and_ranges_act_from_the_next_cycle()
    {
        var hysteresis = Of("HYSTERESIS", Real("LOW", 0), Real("HIGH", 10));
        hysteresis.Set("IN", 5.0).Step(Dt);
        Assert.False(hysteresis.Bool("Q"));
        Assert.Null(hysteresis.Network.Block("block").Retune(Hysteresis.High, BlockValue.Real(4)));
        hysteresis.Step(Dt);
        Assert.True(hysteresis.Bool("Q"));

        var alarm = Of("ALARM");
        alarm.Set("IN", 50.0).Step(Dt);
        Assert.False(alarm.Bool("H"));
        Assert.Null(alarm.Network.Block("block").Retune(Alarm.HighLimit, BlockValue.Real(40)));
        alarm.Step(Dt);
        Assert.True(alarm.Bool("H"));
        Assert.True(alarm.Bool("UNACKED"));

        var scale = Of("SCALE");
        scale.Set("IN", 50.0).Step(Dt);
        Assert.Equal(50.0, scale.Real("OUT"));
        Assert.Null(scale.Network.Block("block").Retune(Scale.EngMax, BlockValue.Real(200)));
        scale.Step(Dt);
        Assert.Equal(100.0, scale.Real("OUT"));

        var lag = Of("LAG");
        lag.Set("IN", 0.0).Step(Dt).Set("IN", 10.0);
        Assert.Null(lag.Network.Block("block").Retune(Lag.TimeConstant, BlockValue.Time(0)));
        lag.Step(Dt);
        Assert.Equal(10.0, lag.Real("OUT"));
    }

    private static Gen<double> Uniform(double min, double max) =>
        Gen.Choose(0, 1_000_000).Select(i => min + ((max - min) * i / 1_000_000.0));

    /// <summary>
    /// Any value for any parameter of any block type, at any point of a run: a retune never throws,
    /// takes exactly what it says it took (a refusal leaves every parameter as it was), and the
    /// block evaluates on afterwards.
    /// </summary>
    [Fact]
    public void Any_retune_of_any_block_either_takes_or_changes_nothing_and_never_throws()
    {
        var anyValue = Gen.Frequency(
            (4, Uniform(-200.0, 200.0).Select(BlockValue.Real)),
            (1, Gen.Elements(0.0, -0.0, double.NaN, double.PositiveInfinity, double.MaxValue, -double.MaxValue).Select(BlockValue.Real)),
            (2, Gen.Choose(0, 100_000).Select(ms => BlockValue.Time(ms * Millisecond))),
            (1, Gen.Choose(-100, 100).Select(BlockValue.Dint)),
            (1, Gen.Elements(false, true).Select(BlockValue.Bool)));
        var cases =
            from type in Gen.Elements([.. BlockCatalog.Descriptors.Where(d => !d.Parameters.IsEmpty).Select(d => d.TypeName)])
            from retunes in Gen.ListOf(Gen.Choose(0, 63).SelectMany(index => Gen.Choose(0, 3).SelectMany(count => Gen.ArrayOf(anyValue, count + 1).Select(values => (Index: index, Values: values)))))
            from inputs in Gen.ListOf(Uniform(-200.0, 200.0))
            select (Type: type, Retunes: retunes.ToArray(), Inputs: inputs.ToArray());
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var harness = Of(c.Type);
            var block = harness.Network.Block("block");
            var count = block.Descriptor.Parameters.Length;
            harness.Step(0);
            for (var i = 0; i < c.Retunes.Length; i++)
            {
                var (first, values) = c.Retunes[i];
                var changes = values.Select((v, k) => new ParameterChange((first + k) % count, v)).DistinctBy(change => change.Index).ToArray();
                var before = Enumerable.Range(0, count).Select(block.Parameter).ToArray();
                var problem = block.Retune(changes);
                var after = Enumerable.Range(0, count).Select(block.Parameter).ToArray();
                var expected = before.ToArray();
                foreach (var change in problem is null ? changes : [])
                {
                    expected[change.Index] = change.Value;
                }

                if (!after.SequenceEqual(expected))
                {
                    return false;
                }

                foreach (var pin in block.Descriptor.Inputs.Where(p => p.Type == BlockValueType.Real))
                {
                    harness.Set(pin.Name, c.Inputs.Length == 0 ? 0.0 : c.Inputs[i % c.Inputs.Length]);
                }

                harness.Step(Dt);
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// A PID in auto with steady inputs, retuned to any gain, integral and derivative time: the
    /// next output is the one before (the integrator absorbs the change), and it stays within the
    /// limits through any retunes of those too.
    /// </summary>
    [Fact]
    public void A_pid_retuned_to_any_gains_does_not_bump_and_stays_within_its_limits()
    {
        var tunings =
            from kc in Uniform(0.05, 50.0)
            from reverse in Gen.Elements(false, true)
            from ti in Gen.Choose(0, 600)
            from td in Gen.Choose(0, 60)
            select (Kc: reverse ? -kc : kc, Ti: ti * Second, Td: td * Second);
        var cases =
            from pv in Uniform(0.0, 100.0)
            from sp in Uniform(0.0, 100.0)
            from warmup in Gen.Choose(1, 50)
            from retunes in Gen.NonEmptyListOf(tunings)
            from low in Uniform(-50.0, 50.0)
            from span in Uniform(1.0, 100.0)
            select (Pv: pv, Sp: sp, Warmup: warmup, Retunes: retunes.ToArray(), Low: low, High: low + span);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pid = Of("PID", Real("KC", 1), Time("TI", 30 * Second), Real("OUT_MIN", -1000), Real("OUT_MAX", 1000), Real("INITIAL", 0));
            var block = pid.Network.Block("block");
            pid.Set("PV", c.Pv).Set("SP", c.Sp).Step(0);
            for (var i = 0; i < c.Warmup; i++)
            {
                pid.Step(Dt);
            }

            foreach (var (kc, ti, td) in c.Retunes)
            {
                var before = pid.Real("OUT");
                ParameterChange[] changes = [new(PidBlock.Kc, BlockValue.Real(kc)), new(PidBlock.Ti, BlockValue.Time(ti)), new(PidBlock.Td, BlockValue.Time(td))];
                if (block.Retune(changes) is not null || Math.Abs(pid.Step(Dt).Real("OUT") - before) > 1e-9 * (1 + Math.Abs(before)))
                {
                    return false;
                }

                pid.Step(Dt);
            }

            if (block.Retune([new(PidBlock.OutMin, BlockValue.Real(c.Low)), new(PidBlock.OutMax, BlockValue.Real(c.High))]) is not null)
            {
                return false;
            }

            for (var i = 0; i < 20; i++)
            {
                var output = pid.Step(Dt).Real("OUT");
                if (output < c.Low || output > c.High)
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_retune_allocates_nothing()
    {
        var pid = (PidBlock)Of("PID", Real("KC", 1), Time("TI", 10 * Second)).Network.Block("block");
        var alarm = Of("ALARM").Network.Block("block");
        AllocationAssert.NoAllocations(1_000, i =>
        {
            _ = pid.Retune(PidBlock.Kc, BlockValue.Real(1 + (i % 5)));
            _ = alarm.Retune(Alarm.HighLimit, BlockValue.Real(80 + (i % 10)));
        });
    }
}
