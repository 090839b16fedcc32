using System.Diagnostics;

namespace Neokernel.Hil.Plants;

/// <summary>The electrical and mechanical data of a <see cref="DcMotorModel"/> (SI units; then Ke = Kt numerically).</summary>
/// <param name="ResistanceOhms">R: armature resistance.</param>
/// <param name="InductanceHenries">L: armature inductance.</param>
/// <param name="BackEmfVoltSecondsPerRadian">Ke: back-EMF per unit speed.</param>
/// <param name="TorqueNewtonMetersPerAmpere">Kt: torque per unit armature current.</param>
/// <param name="InertiaKilogramSquareMeters">J: rotor and load inertia.</param>
/// <param name="FrictionNewtonMeterSecondsPerRadian">b: viscous friction.</param>
/// <param name="VoltageMaxVolts">The drive's limit: the armature voltage input is −max..max.</param>
public readonly record struct DcMotorParameters(
    double ResistanceOhms,
    double InductanceHenries,
    double BackEmfVoltSecondsPerRadian,
    double TorqueNewtonMetersPerAmpere,
    double InertiaKilogramSquareMeters,
    double FrictionNewtonMeterSecondsPerRadian,
    double VoltageMaxVolts)
{
    /// <summary>
    /// A small 24 V servo motor: about 476 rad/s (4500 rpm) at 24 V unloaded, an armature time
    /// constant L/R of 0.25 ms and a mechanical one of about 16 ms.
    /// </summary>
    public static DcMotorParameters Default => new(2.0, 0.5e-3, 0.05, 0.05, 2e-5, 1e-5, 24.0);

    /// <summary>R·b + Kt·Ke: the denominator of the steady-state speed.</summary>
    public double SpeedDamping => (ResistanceOhms * FrictionNewtonMeterSecondsPerRadian) + (TorqueNewtonMetersPerAmpere * BackEmfVoltSecondsPerRadian);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is wrong, its value and what is allowed.</summary>
    public void Validate()
    {
        ParameterRules.Positive(ResistanceOhms, nameof(ResistanceOhms));
        ParameterRules.Positive(InductanceHenries, nameof(InductanceHenries));
        ParameterRules.NonNegative(BackEmfVoltSecondsPerRadian, nameof(BackEmfVoltSecondsPerRadian));
        ParameterRules.Positive(TorqueNewtonMetersPerAmpere, nameof(TorqueNewtonMetersPerAmpere));
        ParameterRules.Positive(InertiaKilogramSquareMeters, nameof(InertiaKilogramSquareMeters));
        ParameterRules.NonNegative(FrictionNewtonMeterSecondsPerRadian, nameof(FrictionNewtonMeterSecondsPerRadian));
        ParameterRules.NonNegative(VoltageMaxVolts, nameof(VoltageMaxVolts));
        if (!(SpeedDamping > 0))
        {
            throw new ArgumentException(
                $"{nameof(FrictionNewtonMeterSecondsPerRadian)} and {nameof(BackEmfVoltSecondsPerRadian)} are both 0: the motor would have no steady-state speed; one of them must be positive",
                nameof(FrictionNewtonMeterSecondsPerRadian));
        }
    }
}

/// <summary>
/// A permanent-magnet DC motor: L · di/dt = V − R·i − Ke·ω, J · dω/dt = Kt·i − b·ω − TL, dθ/dt = ω,
/// with armature voltage V (V) and load torque TL (N·m) in, current i (A), speed ω (rad/s) and
/// position θ (rad) out. At rest under constant V and TL the speed settles at
/// ω = (Kt·V − R·TL) / (R·b + Kt·Ke). Exact zero-order-hold discretisation (<see cref="ZeroOrderHold"/>)
/// of the linear three-state system for the fixed step: the armature's time constant L/R is
/// usually shorter than a control period, where RK4 on the same step would diverge, and the exact
/// form stays exact at any step. Its coefficients are computed once with + − × ÷ only; a step is a
/// 3×3 and a 3×2 product, bit-identical on every CPU and allocation-free.
/// </summary>
public sealed class DcMotorModel
{
    public const double DefaultStepSeconds = 0.001;

    private const int States = 3;
    private const int Inputs = 2;

    private readonly FixedStep fixedStep;
    private readonly double[] phi;
    private readonly double[] gamma;
    private double voltage;
    private double loadTorque;
    private long steps;

    public DcMotorModel(DcMotorParameters parameters, double stepSeconds = DefaultStepSeconds)
    {
        parameters.Validate();
        fixedStep = new FixedStep(stepSeconds);
        Parameters = parameters;
        var p = parameters;
        double[] a =
        [
            -p.ResistanceOhms / p.InductanceHenries, -p.BackEmfVoltSecondsPerRadian / p.InductanceHenries, 0.0,
            p.TorqueNewtonMetersPerAmpere / p.InertiaKilogramSquareMeters, -p.FrictionNewtonMeterSecondsPerRadian / p.InertiaKilogramSquareMeters, 0.0,
            0.0, 1.0, 0.0,
        ];
        double[] b =
        [
            1.0 / p.InductanceHenries, 0.0,
            0.0, -1.0 / p.InertiaKilogramSquareMeters,
            0.0, 0.0,
        ];
        (phi, gamma) = ZeroOrderHold.Discretise(a, b, States, Inputs, stepSeconds);
    }

    public DcMotorParameters Parameters { get; }

    public double StepSeconds => fixedStep.Seconds;

    public double CurrentAmperes { get; private set; }

    public double SpeedRadiansPerSecond { get; private set; }

    public double PositionRadians { get; private set; }

    public double ElapsedSeconds => steps * fixedStep.Seconds;

    /// <summary>Armature voltage, −VoltageMaxVolts..VoltageMaxVolts.</summary>
    public double ArmatureVoltageVolts
    {
        get => voltage;
        set => voltage = PlantInput.InRange(value, -Parameters.VoltageMaxVolts, Parameters.VoltageMaxVolts, "the armature voltage is within ±VoltageMaxVolts");
    }

    /// <summary>Load torque against the motor (positive brakes forward motion); any finite value.</summary>
    public double LoadTorqueNewtonMeters
    {
        get => loadTorque;
        set => loadTorque = PlantInput.InRange(value, double.MinValue, double.MaxValue, "the load torque must be finite");
    }

    /// <summary>The speed the current voltage and load lead to: (Kt·V − R·TL) / (R·b + Kt·Ke).</summary>
    public double SteadyStateSpeedRadiansPerSecond =>
        ((Parameters.TorqueNewtonMetersPerAmpere * voltage) - (Parameters.ResistanceOhms * loadTorque)) / Parameters.SpeedDamping;

    /// <summary>Advances by <paramref name="dtSeconds"/>, a whole multiple of the fixed step, with the inputs as set.</summary>
    public void Step(double dtSeconds)
    {
        var count = fixedStep.StepsIn(dtSeconds);
        var i = CurrentAmperes;
        var w = SpeedRadiansPerSecond;
        var theta = PositionRadians;
        for (var k = 0L; k < count; k++)
        {
            var iNext = (phi[0] * i) + (phi[1] * w) + (phi[2] * theta) + (gamma[0] * voltage) + (gamma[1] * loadTorque);
            var wNext = (phi[3] * i) + (phi[4] * w) + (phi[5] * theta) + (gamma[2] * voltage) + (gamma[3] * loadTorque);
            theta = (phi[6] * i) + (phi[7] * w) + (phi[8] * theta) + (gamma[4] * voltage) + (gamma[5] * loadTorque);
            i = iNext;
            w = wNext;
        }

        Debug.Assert(double.IsFinite(i) && double.IsFinite(w) && double.IsFinite(theta), "a damped linear system with bounded inputs stays finite");
        CurrentAmperes = i;
        SpeedRadiansPerSecond = w;
        PositionRadians = theta;
        steps += count;
    }
}
