using Neokernel.Hil.Plants;
using Neokernel.Kernel.Platform;

namespace Neokernel.Hil.Tests.Plants;

/// <summary>The shared mechanisms of the plant library: the exact discretisation, the fixed step and the delay line.</summary>
public sealed class DiscretisationTests
{
    [Theory]
    [InlineData(-0.001)]
    [InlineData(-1.0)]
    [InlineData(-37.5)]
    [InlineData(2.0)]
    public void The_exponential_of_a_scalar_matches_the_platforms_to_rounding(double x)
    {
        var e = ZeroOrderHold.Exponential([x], 1)[0];
        Assert.Equal(Math.Exp(x), e, Math.Exp(x) * 1e-13);
    }

    [Fact]
    public void The_exponential_of_a_rotation_generator_is_the_rotation()
    {
        const double angle = 2.5;
        var e = ZeroOrderHold.Exponential([0.0, -angle, angle, 0.0], 2);
        Assert.Equal(Math.Cos(angle), e[0], 1e-13);
        Assert.Equal(-Math.Sin(angle), e[1], 1e-13);
        Assert.Equal(Math.Sin(angle), e[2], 1e-13);
        Assert.Equal(Math.Cos(angle), e[3], 1e-13);
    }

    [Fact]
    public void The_zero_order_hold_of_an_integrator_is_exact()
    {
        // dx/dt = u: Φ = 1, Γ = h exactly.
        var (phi, gamma) = ZeroOrderHold.Discretise([0.0], [1.0], 1, 1, 0.25);
        Assert.Equal(1.0, phi[0]);
        Assert.Equal(0.25, gamma[0]);
    }

    [Fact]
    public void A_step_far_too_long_for_the_system_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ZeroOrderHold.Exponential([-1e30], 1));
        Assert.Throws<ArgumentException>(() => ZeroOrderHold.Exponential([double.NaN], 1));
    }

    [Fact]
    public void A_fixed_step_takes_whole_multiples_only()
    {
        var step = new FixedStep(0.001);
        Assert.Equal(10, step.StepsIn(0.01));
        Assert.Equal(0, step.StepsIn(0.0));
        Assert.Equal(100, step.StepsIn(100_000 / 1_000_000.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => step.StepsIn(0.0015));
        Assert.Throws<ArgumentOutOfRangeException>(() => step.StepsIn(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => step.StepsIn(1e6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedStep(0.0));
    }

    [Fact]
    public void A_delay_line_gives_each_value_back_after_its_length_and_length_zero_passes_through()
    {
        var line = new DelayLine(3, 9.0);
        double[] outputs = [.. Enumerable.Range(1, 7).Select(i => line.Shift(i))];
        Assert.Equal([9.0, 9.0, 9.0, 1.0, 2.0, 3.0, 4.0], outputs);
        Assert.Equal(5.0, new DelayLine(0, 0.0).Shift(5.0));
        Assert.Equal(50, DelayLine.LengthFor(5.0, 0.1, "deadTime"));
        Assert.Equal("deadTime", Assert.Throws<ArgumentException>(() => DelayLine.LengthFor(1e9, 0.1, "deadTime")).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DelayLine(-1, 0.0));
    }

    /// <summary>
    /// Pins each model's trajectory to the bit: a change of arithmetic (an FMA, a libm call, a
    /// reordered sum) changes the digest. The values were taken on x64; arm64 must give the same.
    /// </summary>
    [Fact]
    public void Every_models_trajectory_is_pinned_to_the_bit()
    {
        var heated = new HeatedTankModel(HeatedTankParameters.Default);
        var tanks = new TwoTankModel(TwoTankParameters.Default);
        var motor = new DcMotorModel(DcMotorParameters.Default) { LoadTorqueNewtonMeters = 0.01 };
        var valve = new StictionValveModel(StictionValveParameters.Default);
        var jacketed = new JacketedTankModel(JacketedTankParameters.Default);
        var digests = new ulong[5];
        for (var i = 0; i < 2000; i++)
        {
            heated.HeaterPercent = (i / 100) % 2 == 0 ? 80.0 : 15.0;
            heated.Step(0.1);
            tanks.PumpPercent = (i / 150) % 2 == 0 ? 70.0 : 30.0;
            tanks.Step(0.1);
            motor.ArmatureVoltageVolts = (i / 50) % 2 == 0 ? 20.0 : -5.0;
            motor.Step(0.001);
            valve.CommandPercent = 50.0 + (20.0 * Triangle(i / 400.0));
            valve.Step(0.1);
            jacketed.HeaterPercent = (i / 100) % 2 == 0 ? 90.0 : 5.0;
            jacketed.Step(0.1);
            digests[0] = Mix(digests[0], heated.TemperatureCelsius);
            digests[1] = Mix(Mix(digests[1], tanks.UpperLevelMeters), tanks.LowerLevelMeters);
            digests[2] = Mix(Mix(Mix(digests[2], motor.CurrentAmperes), motor.SpeedRadiansPerSecond), motor.PositionRadians);
            digests[3] = Mix(digests[3], valve.StemPercent);
            digests[4] = Mix(Mix(Mix(digests[4], jacketed.JacketTemperatureCelsius), jacketed.TemperatureCelsius), jacketed.MeasuredTemperatureCelsius);
        }

        Assert.Multiple(
            () => Assert.Equal("537e3465be3686c2", Hex(digests[0])),
            () => Assert.Equal("a232c95a10d0f803", Hex(digests[1])),
            () => Assert.Equal("bc8570718fc2caf4", Hex(digests[2])),
            () => Assert.Equal("7cabd7150675e73c", Hex(digests[3])),
            () => Assert.Equal("36c5a85b0d25b80f", Hex(digests[4])));
    }

    private static string Hex(ulong digest) => digest.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private static ulong Mix(ulong hash, double value) => StableHash.Mix(hash, (ulong)BitConverter.DoubleToInt64Bits(value));

    /// <summary>A triangle wave of period 1 between −1 and 1.</summary>
    private static double Triangle(double t)
    {
        var phase = t - Math.Floor(t);
        return phase < 0.5 ? (4.0 * phase) - 1.0 : 3.0 - (4.0 * phase);
    }
}
