using Neokernel.Hil.Plants;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;

namespace Neokernel.Hil.Tests.Plants;

public sealed class SignalChainTests
{
    [Fact]
    public void Bias_quantization_and_saturation_apply_in_order_and_a_clamped_reading_is_uncertain()
    {
        var chain = new SignalChain(0.0, new BiasStage(0.05), new QuantizationStage(0.1), new SaturationStage(0.0, 2.0));
        Assert.Equal(new SignalReading(1.3, Quality.Good), chain.Process(1.23, 0.1) with { Value = Math.Round(chain.Last.Value, 12) });
        Assert.Equal(new SignalReading(2.0, Quality.Uncertain), chain.Process(2.5, 0.1));
        Assert.Equal(new SignalReading(0.0, Quality.Uncertain), chain.Process(-1.0, 0.1));
    }

    [Fact]
    public void A_sample_that_is_no_number_holds_the_last_output_as_bad_and_the_chain_recovers()
    {
        var chain = new SignalChain(0.0, new SlewStage(1.0, 0.0), new SaturationStage(-5.0, 5.0));
        Assert.Equal(0.5, chain.Process(3.0, 0.5).Value, 12);
        Assert.Equal(new SignalReading(0.5, Quality.Bad), chain.Process(double.NaN, 0.5));
        Assert.Equal(new SignalReading(0.5, Quality.Bad), chain.Process(double.PositiveInfinity, 0.5));
        Assert.Equal(new SignalReading(1.0, Quality.Good), chain.Process(3.0, 0.5));
        var overflowing = new SignalChain(0.0, new BiasStage(double.MaxValue), new SlewStage(1.0, 0.0));
        Assert.Equal(Quality.Bad, overflowing.Process(double.MaxValue, 0.1).Quality);
    }

    [Fact]
    public void A_transport_delay_gives_each_sample_back_after_the_delay()
    {
        var chain = new SignalChain(0.0, new DelayStage(0.3, 0.1, initialValue: -1.0));
        double[] outputs = [.. Enumerable.Range(1, 6).Select(i => chain.Process(i, 0.1).Value)];
        Assert.Equal([-1.0, -1.0, -1.0, 1.0, 2.0, 3.0], outputs);
        Assert.Throws<ArgumentOutOfRangeException>(() => chain.Process(7.0, 0.2));
    }

    [Fact]
    public void An_actuator_chain_saturates_then_slews()
    {
        var chain = new SignalChain(0.0, new SaturationStage(0.0, 100.0), new SlewStage(20.0, 0.0));
        Assert.Equal(2.0, chain.Process(150.0, 0.1).Value, 12);
        for (var i = 0; i < 100; i++)
        {
            chain.Process(150.0, 0.1);
        }

        Assert.Equal(new SignalReading(100.0, Quality.Uncertain), chain.Last);
    }

    [Fact]
    public void The_noise_stage_draws_from_its_seeded_stream_alone()
    {
        var first = new SignalChain(0.0, new NoiseStage(0.1, new DeterministicRandom(5)));
        var second = new SignalChain(0.0, new NoiseStage(0.1, new DeterministicRandom(5)));
        var sum = 0.0;
        for (var i = 0; i < 10_000; i++)
        {
            var reading = first.Process(1.0, 0.1);
            Assert.Equal(reading, second.Process(1.0, 0.1));
            sum += reading.Value - 1.0;
        }

        Assert.InRange(sum / 10_000, -0.005, 0.005);
        Assert.Equal(1.0, new SignalChain(0.0, new NoiseStage(0.0, new DeterministicRandom(5))).Process(1.0, 0.1).Value);
    }

    [Fact]
    public void Quantize_is_the_level_transmitters_rounding()
    {
        var transmitter = new LevelTransmitter(0.0, 0.01, -10.0, 10.0);
        foreach (var level in new[] { 1.234, 1.235, -0.004, 0.7, 9.999 })
        {
            Assert.Equal(transmitter.Condition(level, 0.0).LevelMeters, QuantizationStage.Quantize(level, 0.01));
        }
    }

    [Fact]
    public void Construction_refuses_what_cannot_be()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SignalChain(3.0, new SaturationStage(0.0, 2.0)));
        Assert.Throws<ArgumentException>(() => new SaturationStage(2.0, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizationStage(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseStage(double.NaN, new DeterministicRandom(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BiasStage(double.NaN));
        Assert.Equal("delaySeconds", Assert.Throws<ArgumentException>(() => new DelayStage(-1.0, 0.1, 0.0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SignalChain(0.0, [.. Enumerable.Range(0, 17).Select(_ => new BiasStage(0.0))]));
    }
}
