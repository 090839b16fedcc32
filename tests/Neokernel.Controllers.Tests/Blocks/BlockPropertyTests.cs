using FsCheck;
using FsCheck.Fluent;
using Neokernel.Controllers.Blocks;
using static Neokernel.Controllers.Tests.Blocks.BlockHarness;

namespace Neokernel.Controllers.Tests.Blocks;

/// <summary>Properties of the process blocks and of the networks the builder accepts, over random inputs.</summary>
public sealed class BlockPropertyTests
{
    private static Gen<double> Uniform(double min, double max) =>
        Gen.Choose(0, 1_000_000).Select(i => min + ((max - min) * i / 1_000_000.0));

    /// <summary>Any double at all: ordinary values, the special ones, and raw bit patterns.</summary>
    private static Gen<double> AnyDouble => Gen.Frequency(
        (6, Uniform(-1000.0, 1000.0)),
        (1, Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, -double.MaxValue, 0.0, -0.0)),
        (1, Gen.Choose(int.MinValue, int.MaxValue).SelectMany(high => Gen.Choose(int.MinValue, int.MaxValue).Select(low => BitConverter.Int64BitsToDouble(((long)high << 32) | (uint)low)))));

    private static Gen<long> Dts => Gen.Elements(0L, Millisecond, 10 * Millisecond, 250 * Millisecond, Second, 3600 * Second);

    private static Gen<(double Input, long Dt)[]> Sequences =>
        Gen.ListOf(AnyDouble.SelectMany(input => Dts.Select(dt => (input, dt)))).Select(list => list.ToArray());

    [Fact]
    public void Ramp_output_stays_within_its_limits_and_rates_for_any_input_sequence()
    {
        var cases =
            from rateUp in Uniform(0.001, 1000.0)
            from rateDown in Uniform(0.001, 1000.0)
            from low in Uniform(-500.0, 500.0)
            from span in Uniform(0.001, 1000.0)
            from steps in Sequences
            select (RateUp: rateUp, RateDown: rateDown, Low: low, High: low + span, Steps: steps);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var ramp = Of("RAMP", Real("RATE_UP", c.RateUp), Real("RATE_DOWN", c.RateDown), Real("OUT_MIN", c.Low), Real("OUT_MAX", c.High), Real("INITIAL", c.Low));
            var previous = c.Low;
            foreach (var (input, dt) in c.Steps)
            {
                var output = ramp.Set("TARGET", input).Step(dt).Real("OUT");
                var seconds = dt * 1e-9;
                var slack = 1e-9 * (1.0 + Math.Abs(previous));
                if (!(output >= c.Low && output <= c.High) || output - previous > (c.RateUp * seconds) + slack || previous - output > (c.RateDown * seconds) + slack)
                {
                    return false;
                }

                previous = output;
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Clamped_scale_output_stays_within_the_engineering_range_for_any_input()
    {
        var cases =
            from rawMin in Uniform(-1000.0, 1000.0)
            from rawSpan in Uniform(0.001, 1000.0)
            from rawDown in Gen.Elements(false, true)
            from engMin in Uniform(-1000.0, 1000.0)
            from engSpan in Uniform(-1000.0, 1000.0)
            from inputs in Gen.ListOf(AnyDouble)
            select (RawMin: rawMin, RawMax: rawDown ? rawMin - rawSpan : rawMin + rawSpan, EngMin: engMin, EngMax: engMin + engSpan, Inputs: inputs.ToArray());
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var scale = Of("SCALE", Real("RAW_MIN", c.RawMin), Real("RAW_MAX", c.RawMax), Real("ENG_MIN", c.EngMin), Real("ENG_MAX", c.EngMax));
            var low = Math.Min(c.EngMin, c.EngMax);
            var high = Math.Max(c.EngMin, c.EngMax);
            return c.Inputs.All(input =>
            {
                var output = scale.Set("IN", input).Step(0).Real("OUT");
                return output >= low && output <= high;
            });
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Lag_output_stays_within_the_range_of_its_finite_inputs()
    {
        var cases =
            from timeConstant in Gen.Elements(0L, Millisecond, Second, 1000 * Second)
            from steps in Sequences
            select (TimeConstant: timeConstant, Steps: steps);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var lag = Of("LAG", Time("TIME_CONSTANT", c.TimeConstant));
            var low = double.PositiveInfinity;
            var high = double.NegativeInfinity;
            foreach (var (input, dt) in c.Steps)
            {
                var output = lag.Set("IN", input).Step(dt).Real("OUT");
                if (double.IsFinite(input))
                {
                    low = Math.Min(low, input);
                    high = Math.Max(high, input);
                }

                if (low <= high && !(output >= low && output <= high))
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Any_network_the_builder_accepts_evaluates_without_exceptions()
    {
        var cases =
            from seed in Gen.Choose(0, int.MaxValue)
            from blockCount in Gen.Choose(1, 40)
            from mistakes in Gen.Elements(false, true)
            select (Seed: seed, Blocks: blockCount, Mistakes: mistakes);
        var accepted = 0;
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var result = BlockNetworkBuilder.Build(RandomNetworks.Create(c.Seed, c.Blocks, c.Mistakes));
            if (!result.Succeeded)
            {
                Assert.NotEmpty(result.Errors);
                return true;
            }

            accepted++;
            var random = new Random(c.Seed);
            for (var cycle = 0; cycle < 200; cycle++)
            {
                RandomNetworks.FillInputs(result.Network!, random);
                result.Network!.Evaluate(random.Next(10) == 0 ? random.NextInt64(0, long.MaxValue) : random.NextInt64(0, 100_000_000));
            }

            return true;
        }).QuickCheckThrowOnFailure();
        Assert.True(accepted > 20, $"only {accepted} of the random networks were accepted");
    }

    [Fact]
    public void Random_networks_without_mistakes_are_all_accepted_and_delays_close_loops()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var result = BlockNetworkBuilder.Build(RandomNetworks.Create(seed, 30, allowMistakes: false));
            Assert.True(result.Succeeded, $"seed {seed}: {string.Join("; ", result.Errors)}");
        }
    }
}
