using Neokernel.Hil.Plants;
using Neokernel.Kernel.Services;

namespace Neokernel.Hil;

/// <summary>
/// The plant library's parameters records as program parameters, for the services that run the
/// models (the models themselves never see the kernel). Each section declares one parameter per
/// member of its record, named as the member with a lower-case first letter and defaulting to the
/// record's <c>Default</c>, so <c>validate</c> checks types and simple ranges, and a model's own
/// Validate, run through <see cref="ServiceSettings.Checked{T}"/>, names the manifest's parameter
/// when a relation between them is wrong.
/// </summary>
public static class PlantParameterSections
{
    public static readonly IReadOnlyList<ParameterDeclaration> HeatedTank =
        Vessel(HeatedTankParameters.Default, "heater power at 100 % command", "dead time from the heater to the sensor, rounded to whole periods");

    /// <summary>The heated tank's vessel, then the jacket: <see cref="JacketedTankParameters"/>.</summary>
    public static readonly IReadOnlyList<ParameterDeclaration> JacketedTank =
    [
        .. Vessel(JacketedTankParameters.Default.Vessel, "heater power into the jacket at 100 % command", "dead time from the contents to their temperature sensor, rounded to whole periods; the jacket's sensor has none"),
        ParameterDeclaration.Number("jacketHeatCapacityJoulesPerKelvin", "heat capacity Cj of the jacket with its heating element (positive)", JacketedTankParameters.Default.JacketHeatCapacityJoulesPerKelvin, "J/K", min: 0),
        ParameterDeclaration.Number("jacketTransferWattsPerKelvin", "transfer Uj from the jacket into the contents per kelvin of difference (positive)", JacketedTankParameters.Default.JacketTransferWattsPerKelvin, "W/K", min: 0),
        ParameterDeclaration.Number("jacketTemperatureInitialCelsius", "temperature of the jacket at start", JacketedTankParameters.Default.JacketTemperatureInitialCelsius, "°C", min: HeatedTankParameters.TemperatureMinCelsius, max: HeatedTankParameters.TemperatureMaxCelsius),
    ];

    public static readonly IReadOnlyList<ParameterDeclaration> TwoTank =
    [
        ParameterDeclaration.Number("upperAreaSquareMeters", "cross-section of the upper tank (positive)", TwoTankParameters.Default.UpperAreaSquareMeters, "m²", min: 0),
        ParameterDeclaration.Number("upperHeightMeters", "height of the upper tank (positive)", TwoTankParameters.Default.UpperHeightMeters, "m", min: 0),
        ParameterDeclaration.Number("upperOutletCoefficient", "k1 in q1 = k1·√h1, the upper tank's outlet into the lower", TwoTankParameters.Default.UpperOutletCoefficient, "m^2.5/s", min: 0),
        ParameterDeclaration.Number("lowerAreaSquareMeters", "cross-section of the lower tank (positive)", TwoTankParameters.Default.LowerAreaSquareMeters, "m²", min: 0),
        ParameterDeclaration.Number("lowerHeightMeters", "height of the lower tank (positive)", TwoTankParameters.Default.LowerHeightMeters, "m", min: 0),
        ParameterDeclaration.Number("lowerOutletCoefficient", "k2 in q2 = k2·√h2, the lower tank's outlet to the drain", TwoTankParameters.Default.LowerOutletCoefficient, "m^2.5/s", min: 0),
        ParameterDeclaration.Number("pumpFlowMaxCubicMetersPerSecond", "inflow into the upper tank at 100 % pump command", TwoTankParameters.Default.PumpFlowMaxCubicMetersPerSecond, "m³/s", min: 0),
        ParameterDeclaration.Number("upperLevelInitialMeters", "upper level at start, within its height", TwoTankParameters.Default.UpperLevelInitialMeters, "m", min: 0),
        ParameterDeclaration.Number("lowerLevelInitialMeters", "lower level at start, within its height", TwoTankParameters.Default.LowerLevelInitialMeters, "m", min: 0),
    ];

    public static readonly IReadOnlyList<ParameterDeclaration> DcMotor =
    [
        ParameterDeclaration.Number("resistanceOhms", "armature resistance R (positive)", DcMotorParameters.Default.ResistanceOhms, "Ω", min: 0),
        ParameterDeclaration.Number("inductanceHenries", "armature inductance L (positive)", DcMotorParameters.Default.InductanceHenries, "H", min: 0),
        ParameterDeclaration.Number("backEmfVoltSecondsPerRadian", "back-EMF constant Ke", DcMotorParameters.Default.BackEmfVoltSecondsPerRadian, "V·s/rad", min: 0),
        ParameterDeclaration.Number("torqueNewtonMetersPerAmpere", "torque constant Kt (positive)", DcMotorParameters.Default.TorqueNewtonMetersPerAmpere, "N·m/A", min: 0),
        ParameterDeclaration.Number("inertiaKilogramSquareMeters", "rotor and load inertia J (positive)", DcMotorParameters.Default.InertiaKilogramSquareMeters, "kg·m²", min: 0),
        ParameterDeclaration.Number("frictionNewtonMeterSecondsPerRadian", "viscous friction b; with Ke not both 0", DcMotorParameters.Default.FrictionNewtonMeterSecondsPerRadian, "N·m·s/rad", min: 0),
        ParameterDeclaration.Number("voltageMaxVolts", "the drive's voltage limit, ± this", DcMotorParameters.Default.VoltageMaxVolts, "V", min: 0),
    ];

    public static readonly IReadOnlyList<ParameterDeclaration> StictionValve =
    [
        ParameterDeclaration.Number("deadbandPlusStickbandPercent", "S: command travel after a reversal before the stem moves", StictionValveParameters.Default.DeadbandPlusStickbandPercent, "%", min: 0, max: StictionValveParameters.SpanPercent),
        ParameterDeclaration.Number("slipJumpPercent", "J: the stem's jump when it breaks free, 0..S", StictionValveParameters.Default.SlipJumpPercent, "%", min: 0, max: StictionValveParameters.SpanPercent),
        ParameterDeclaration.Number("stemInitialPercent", "stem position at start, at rest", StictionValveParameters.Default.StemInitialPercent, "%", min: 0, max: StictionValveParameters.SpanPercent),
    ];

    public static HeatedTankParameters ReadHeatedTank(ProgramParameters parameters)
    {
        var v = Numbers(parameters, HeatedTank);
        return new HeatedTankParameters(v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    public static JacketedTankParameters ReadJacketedTank(ProgramParameters parameters)
    {
        var v = Numbers(parameters, JacketedTank);
        return new JacketedTankParameters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
    }

    public static TwoTankParameters ReadTwoTank(ProgramParameters parameters)
    {
        var v = Numbers(parameters, TwoTank);
        return new TwoTankParameters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
    }

    public static DcMotorParameters ReadDcMotor(ProgramParameters parameters)
    {
        var v = Numbers(parameters, DcMotor);
        return new DcMotorParameters(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }

    public static StictionValveParameters ReadStictionValve(ProgramParameters parameters)
    {
        var v = Numbers(parameters, StictionValve);
        return new StictionValveParameters(v[0], v[1], v[2]);
    }

    /// <summary>The members of a heated vessel, the heated tank's and the jacketed tank's first six, with their defaults.</summary>
    private static ParameterDeclaration[] Vessel(HeatedTankParameters defaults, string heaterMeaning, string deadTimeMeaning) =>
    [
        ParameterDeclaration.Number("heatCapacityJoulesPerKelvin", "heat capacity C of the contents (positive)", defaults.HeatCapacityJoulesPerKelvin, "J/K", min: 0),
        ParameterDeclaration.Number("heatLossWattsPerKelvin", "loss UA to ambient per kelvin above it (positive)", defaults.HeatLossWattsPerKelvin, "W/K", min: 0),
        ParameterDeclaration.Number("heaterPowerMaxWatts", heaterMeaning, defaults.HeaterPowerMaxWatts, "W", min: 0),
        ParameterDeclaration.Number("ambientTemperatureCelsius", "ambient temperature", defaults.AmbientTemperatureCelsius, "°C", min: HeatedTankParameters.TemperatureMinCelsius, max: HeatedTankParameters.TemperatureMaxCelsius),
        ParameterDeclaration.Number("deadTimeSeconds", deadTimeMeaning, defaults.DeadTimeSeconds, "s", min: 0),
        ParameterDeclaration.Number("temperatureInitialCelsius", "temperature of the contents at start", defaults.TemperatureInitialCelsius, "°C", min: HeatedTankParameters.TemperatureMinCelsius, max: HeatedTankParameters.TemperatureMaxCelsius),
    ];

    /// <summary>
    /// The section's values in its order, which is the record's constructor order (a test holds
    /// the two equal): each name is written once, in the declaration, not again in a reader.
    /// </summary>
    private static double[] Numbers(ProgramParameters parameters, IReadOnlyList<ParameterDeclaration> section)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var values = new double[section.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = parameters.Number(section[i].Name);
        }

        return values;
    }
}
