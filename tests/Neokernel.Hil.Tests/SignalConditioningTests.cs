using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

public sealed class SignalConditioningTests
{
    [Fact]
    public void Quantization_rounds_to_the_nearest_step()
    {
        var transmitter = new LevelTransmitter(0.0, 0.01, 0.0, 2.0);
        Assert.Equal(1.23, transmitter.Condition(1.234, 0.0).LevelMeters, 12);
        Assert.Equal(1.24, transmitter.Condition(1.236, 0.0).LevelMeters, 12);
        Assert.Equal(Quality.Good, transmitter.Condition(1.236, 0.0).Quality);
        Assert.Equal(0.7, transmitter.Condition(0.7, 0.004).LevelMeters, 12);
    }

    [Fact]
    public void Readings_outside_the_range_are_clamped_and_uncertain_and_nonsense_is_bad()
    {
        var transmitter = new LevelTransmitter(0.0, 0.0, 0.1, 1.9);
        Assert.Equal(new LevelReading(1.9, Quality.Uncertain), transmitter.Condition(2.0, 0.0));
        Assert.Equal(new LevelReading(0.1, Quality.Uncertain), transmitter.Condition(0.05, 0.0));
        Assert.Equal(new LevelReading(1.9, Quality.Good), transmitter.Condition(1.9, 0.0));
        Assert.Equal(Quality.Bad, transmitter.Condition(double.NaN, 0.0).Quality);
    }

    [Fact]
    public void Noise_has_the_configured_mean_and_spread()
    {
        var transmitter = new LevelTransmitter(0.05, 0.0, -10.0, 10.0);
        var random = new DeterministicRandom(42);
        const int samples = 20_000;
        var sum = 0.0;
        var sumSquares = 0.0;
        for (var i = 0; i < samples; i++)
        {
            var deviation = transmitter.Measure(1.0, random).LevelMeters - 1.0;
            sum += deviation;
            sumSquares += deviation * deviation;
        }

        var mean = sum / samples;
        var stdDev = Math.Sqrt((sumSquares / samples) - (mean * mean));
        Assert.InRange(mean, -0.0015, 0.0015);
        Assert.InRange(stdDev, 0.0485, 0.0515);
    }

    [Fact]
    public void Noise_dithers_quantization_so_the_mean_stays_true()
    {
        var transmitter = new LevelTransmitter(0.02, 0.01, 0.0, 2.0);
        var random = new DeterministicRandom(3);
        var sum = 0.0;
        for (var i = 0; i < 20_000; i++)
        {
            var reading = transmitter.Measure(1.0037, random).LevelMeters;
            Assert.Equal(Math.Round(reading / 0.01), reading / 0.01, 9);
            sum += reading;
        }

        Assert.InRange(sum / 20_000, 1.0037 - 0.001, 1.0037 + 0.001);
    }

    [Fact]
    public void The_same_seed_gives_the_same_readings()
    {
        var transmitter = new LevelTransmitter(0.01, 0.001, 0.0, 2.0);
        var first = new DeterministicRandom(9);
        var second = new DeterministicRandom(9);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(transmitter.Measure(1.0, first), transmitter.Measure(1.0, second));
        }
    }

    [Fact]
    public void The_slew_limit_bounds_every_change_and_reaches_the_target()
    {
        var cases =
            from rate in Gen.Choose(1, 1000).Select(i => i / 10.0)
            from targets in Gen.ListOf(Gen.Choose(0, 1000).Select(i => i / 10.0))
            from dtMs in Gen.Choose(1, 1000)
            select (Rate: rate, Targets: targets.ToArray(), Dt: dtMs / 1000.0);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var limiter = new SlewRateLimiter(c.Rate, 0.0);
            foreach (var target in c.Targets)
            {
                var before = limiter.Value;
                var after = limiter.Step(target, c.Dt);
                var bounded = Math.Abs(after - before) <= (c.Rate * c.Dt) + 1e-12;
                var towardTarget = Math.Abs(target - after) <= Math.Abs(target - before);
                if (!bounded || !towardTarget)
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_slew_limiter_ramps_then_holds_the_target()
    {
        var limiter = new SlewRateLimiter(10.0, 0.0);
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i * 1.0, limiter.Step(50.0, 0.1), 12);
        }

        Assert.Equal(7.0, limiter.Step(7.0, 1.0));
        Assert.Equal(33.0, new SlewRateLimiter(0.0, 0.0).Step(33.0, 0.1));
    }

    [Fact]
    public void The_pump_starts_safe_follows_good_commands_and_returns_to_safe_on_bad_ones()
    {
        var pump = new PumpActuator(slewPercentPerSecond: 20.0, safeOutputPercent: 10.0);
        Assert.Equal(10.0, pump.OutputPercent);
        Assert.True(pump.InSafeState);
        Assert.Equal(12.0, pump.Step(80.0, Quality.Good, 0.1), 12);
        Assert.False(pump.InSafeState);
        for (var i = 0; i < 100; i++)
        {
            pump.Step(150.0, Quality.Uncertain, 0.1);
        }

        Assert.Equal(100.0, pump.OutputPercent);
        Assert.Equal(98.0, pump.Step(50.0, Quality.Bad, 0.1), 12);
        Assert.True(pump.InSafeState);
        for (var i = 0; i < 100; i++)
        {
            pump.Step(double.NaN, Quality.Good, 0.1);
        }

        Assert.Equal(10.0, pump.OutputPercent);
        Assert.Equal(0.0, new PumpActuator(0.0, 0.0).Step(-20.0, Quality.Good, 0.1));
    }

    [Fact]
    public void Signal_conditioning_allocates_nothing()
    {
        var transmitter = new LevelTransmitter(0.01, 0.001, 0.0, 2.0);
        var pump = new PumpActuator(50.0, 0.0);
        var random = new DeterministicRandom(1);
        AllocationAssert.NoAllocations(10_000, i =>
        {
            transmitter.Measure(i * 0.0002, random);
            pump.Step(i % 100, i % 7 == 0 ? Quality.Bad : Quality.Good, 0.1);
        });
    }
}
