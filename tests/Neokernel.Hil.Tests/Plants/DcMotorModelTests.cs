using Neokernel.Hil.Plants;

namespace Neokernel.Hil.Tests.Plants;

public sealed class DcMotorModelTests
{
    [Fact]
    public void The_steady_state_speed_is_V_Kt_over_Rb_plus_KtKe()
    {
        var p = DcMotorParameters.Default;
        var motor = new DcMotorModel(p) { ArmatureVoltageVolts = 12.0 };
        motor.Step(1.0);
        var expected = 12.0 * p.TorqueNewtonMetersPerAmpere / ((p.ResistanceOhms * p.FrictionNewtonMeterSecondsPerRadian) + (p.TorqueNewtonMetersPerAmpere * p.BackEmfVoltSecondsPerRadian));
        Assert.Equal(expected, motor.SpeedRadiansPerSecond, 9);
        Assert.Equal(expected, motor.SteadyStateSpeedRadiansPerSecond, 12);
        // At steady state the torque only overcomes friction: Kt·i = b·ω.
        Assert.Equal(p.FrictionNewtonMeterSecondsPerRadian * expected / p.TorqueNewtonMetersPerAmpere, motor.CurrentAmperes, 9);
    }

    [Fact]
    public void A_load_torque_lowers_the_speed_as_the_torque_speed_line()
    {
        var p = DcMotorParameters.Default;
        var motor = new DcMotorModel(p) { ArmatureVoltageVolts = 24.0, LoadTorqueNewtonMeters = 0.1 };
        motor.Step(1.0);
        Assert.Equal(((p.TorqueNewtonMetersPerAmpere * 24.0) - (p.ResistanceOhms * 0.1)) / p.SpeedDamping, motor.SpeedRadiansPerSecond, 9);
    }

    [Fact]
    public void Current_speed_and_position_follow_the_eigen_solution_at_every_sample()
    {
        var p = DcMotorParameters.Default;
        var motor = new DcMotorModel(p) { ArmatureVoltageVolts = 10.0 };
        var reference = new TwoPoleReference(p, 10.0);
        for (var k = 1; k <= 200; k++)
        {
            motor.Step(0.001);
            var (current, speed, position) = reference.At(k * 0.001);
            Assert.Equal(current, motor.CurrentAmperes, 9);
            Assert.Equal(speed, motor.SpeedRadiansPerSecond, 8);
            Assert.Equal(position, motor.PositionRadians, 9);
        }
    }

    [Fact]
    public void The_exact_discretisation_is_stable_at_a_step_far_beyond_the_armature_time_constant()
    {
        var fine = new DcMotorModel(DcMotorParameters.Default, stepSeconds: 0.0001) { ArmatureVoltageVolts = 24.0 };
        var coarse = new DcMotorModel(DcMotorParameters.Default, stepSeconds: 0.01) { ArmatureVoltageVolts = 24.0 };
        fine.Step(0.5);
        coarse.Step(0.5);
        Assert.Equal(fine.SpeedRadiansPerSecond, coarse.SpeedRadiansPerSecond, 8);
        Assert.Equal(fine.PositionRadians, coarse.PositionRadians, 8);
    }

    [Fact]
    public void At_steady_state_electrical_power_in_equals_copper_and_friction_losses()
    {
        var p = DcMotorParameters.Default;
        Assert.Equal(p.TorqueNewtonMetersPerAmpere, p.BackEmfVoltSecondsPerRadian);
        var motor = new DcMotorModel(p) { ArmatureVoltageVolts = 18.0 };
        motor.Step(1.0);
        var i = motor.CurrentAmperes;
        var w = motor.SpeedRadiansPerSecond;
        Assert.Equal(18.0 * i, (p.ResistanceOhms * i * i) + (p.FrictionNewtonMeterSecondsPerRadian * w * w), 9);
    }

    [Fact]
    public void Validate_names_the_parameter_and_a_motor_without_damping_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new DcMotorModel(DcMotorParameters.Default with { InductanceHenries = 0.0 }));
        Assert.Equal(nameof(DcMotorParameters.InductanceHenries), error.ParamName);
        Assert.Contains("positive and finite, is 0", error.Message, StringComparison.Ordinal);
        var undamped = DcMotorParameters.Default with { FrictionNewtonMeterSecondsPerRadian = 0.0, BackEmfVoltSecondsPerRadian = 0.0 };
        Assert.Equal(nameof(DcMotorParameters.FrictionNewtonMeterSecondsPerRadian), Assert.Throws<ArgumentException>(undamped.Validate).ParamName);
        var motor = new DcMotorModel(DcMotorParameters.Default);
        Assert.Throws<ArgumentOutOfRangeException>(() => motor.ArmatureVoltageVolts = 25.0);
        Assert.Throws<ArgumentOutOfRangeException>(() => motor.LoadTorqueNewtonMeters = double.NaN);
    }

    /// <summary>The closed-form step response of the two-pole armature-and-rotor system from rest, by its (real, distinct) eigenvalues.</summary>
    private sealed class TwoPoleReference
    {
        private readonly double l1;
        private readonly double l2;
        private readonly double c1;
        private readonly double c2;
        private readonly double v1;
        private readonly double v2;
        private readonly double speedSteady;
        private readonly double currentSteady;

        public TwoPoleReference(DcMotorParameters p, double volts)
        {
            var a11 = -p.ResistanceOhms / p.InductanceHenries;
            var a12 = -p.BackEmfVoltSecondsPerRadian / p.InductanceHenries;
            var a21 = p.TorqueNewtonMetersPerAmpere / p.InertiaKilogramSquareMeters;
            var a22 = -p.FrictionNewtonMeterSecondsPerRadian / p.InertiaKilogramSquareMeters;
            var trace = a11 + a22;
            var determinant = (a11 * a22) - (a12 * a21);
            var root = Math.Sqrt((trace * trace / 4.0) - determinant);
            Assert.True(root > 0, "the reference takes real distinct poles");
            l1 = (trace / 2.0) + root;
            l2 = (trace / 2.0) - root;
            speedSteady = volts * p.TorqueNewtonMetersPerAmpere / p.SpeedDamping;
            currentSteady = p.FrictionNewtonMeterSecondsPerRadian * speedSteady / p.TorqueNewtonMetersPerAmpere;

            // Eigenvectors (1, v) with v = (λ − a11)/a12 as the speed component; x(0) = 0.
            v1 = (l1 - a11) / a12;
            v2 = (l2 - a11) / a12;
            // c1 + c2 = −i∞, c1·v1 + c2·v2 = −ω∞.
            c2 = (-speedSteady + (currentSteady * v1)) / (v2 - v1);
            c1 = -currentSteady - c2;
        }

        public (double Current, double Speed, double Position) At(double t)
        {
            var e1 = Math.Exp(l1 * t);
            var e2 = Math.Exp(l2 * t);
            var current = currentSteady + (c1 * e1) + (c2 * e2);
            var speed = speedSteady + (c1 * v1 * e1) + (c2 * v2 * e2);
            var position = (speedSteady * t) + (c1 * v1 * (e1 - 1.0) / l1) + (c2 * v2 * (e2 - 1.0) / l2);
            return (current, speed, position);
        }
    }
}
