using Neokernel.Hil.Plants;
using Neokernel.Kernel.Services;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

public sealed class PlantParameterSectionsTests
{
    public static TheoryData<string, IReadOnlyList<ParameterDeclaration>, string[]> Sections => new()
    {
        { "heated tank", PlantParameterSections.HeatedTank, Members(typeof(HeatedTankParameters).GetConstructors()) },
        { "jacketed tank", PlantParameterSections.JacketedTank, Members(typeof(JacketedTankParameters).GetConstructors()) },
        { "two tanks", PlantParameterSections.TwoTank, Members(typeof(TwoTankParameters).GetConstructors()) },
        { "dc motor", PlantParameterSections.DcMotor, Members(typeof(DcMotorParameters).GetConstructors()) },
        { "stiction valve", PlantParameterSections.StictionValve, Members(typeof(StictionValveParameters).GetConstructors()) },
    };

    /// <summary>ServiceSettings.Checked maps a model's ArgumentException to a parameter by lower-casing the member's first letter: the names must agree.</summary>
    [Theory]
    [MemberData(nameof(Sections))]
    public void A_section_declares_each_member_of_its_record_by_the_members_name(string plant, IReadOnlyList<ParameterDeclaration> section, string[] members)
    {
        Assert.True(members.SequenceEqual(section.Select(d => d.Name)), plant);
    }

    [Fact]
    public void Without_parameters_each_section_reads_its_records_default()
    {
        Assert.Equal(HeatedTankParameters.Default, PlantParameterSections.ReadHeatedTank(Read(PlantParameterSections.HeatedTank, [])));
        Assert.Equal(JacketedTankParameters.Default, PlantParameterSections.ReadJacketedTank(Read(PlantParameterSections.JacketedTank, [])));
        Assert.Equal(TwoTankParameters.Default, PlantParameterSections.ReadTwoTank(Read(PlantParameterSections.TwoTank, [])));
        Assert.Equal(DcMotorParameters.Default, PlantParameterSections.ReadDcMotor(Read(PlantParameterSections.DcMotor, [])));
        Assert.Equal(StictionValveParameters.Default, PlantParameterSections.ReadStictionValve(Read(PlantParameterSections.StictionValve, [])));
    }

    [Fact]
    public void A_manifests_values_reach_the_record()
    {
        var tanks = PlantParameterSections.ReadTwoTank(Read(PlantParameterSections.TwoTank, new() { ["lowerOutletCoefficient"] = "0.004", ["upperLevelInitialMeters"] = "0.5" }));
        Assert.Equal(TwoTankParameters.Default with { LowerOutletCoefficient = 0.004, UpperLevelInitialMeters = 0.5 }, tanks);
        var jacketed = PlantParameterSections.ReadJacketedTank(Read(PlantParameterSections.JacketedTank, new() { ["jacketTransferWattsPerKelvin"] = "250", ["deadTimeSeconds"] = "8" }));
        Assert.Equal(JacketedTankParameters.Default with { JacketTransferWattsPerKelvin = 250.0, DeadTimeSeconds = 8.0 }, jacketed);
        var motor = PlantParameterSections.ReadDcMotor(Read(PlantParameterSections.DcMotor, new() { ["voltageMaxVolts"] = "48" }));
        Assert.Equal(48.0, motor.VoltageMaxVolts);
    }

    [Fact]
    public void A_relation_the_model_refuses_names_the_manifests_parameter()
    {
        var valve = new FakeServiceContext(new Dictionary<string, string> { ["slipJumpPercent"] = "5" }, declarations: PlantParameterSections.StictionValve);
        var parameters = PlantParameterSections.ReadStictionValve(valve.Parameters);
        Assert.Equal("slipJumpPercent", Assert.Throws<ServiceConfigurationException>(() => ServiceSettings.Checked(valve, () => new StictionValveModel(parameters))).Parameter);

        var motor = new FakeServiceContext(new Dictionary<string, string> { ["frictionNewtonMeterSecondsPerRadian"] = "0", ["backEmfVoltSecondsPerRadian"] = "0" }, declarations: PlantParameterSections.DcMotor);
        var motorParameters = PlantParameterSections.ReadDcMotor(motor.Parameters);
        Assert.Equal("frictionNewtonMeterSecondsPerRadian", Assert.Throws<ServiceConfigurationException>(() => ServiceSettings.Checked(motor, () => new DcMotorModel(motorParameters))).Parameter);
    }

    /// <summary>The record's primary constructor's parameters, first letter lower-cased.</summary>
    private static string[] Members(System.Reflection.ConstructorInfo[] constructors) =>
        [.. constructors.Single(c => c.GetParameters().Length > 0).GetParameters().Select(p => string.Concat(p.Name![..1].ToLowerInvariant(), p.Name[1..]))];

    private static ProgramParameters Read(IReadOnlyList<ParameterDeclaration> section, Dictionary<string, string> values) =>
        new FakeServiceContext(values, declarations: section).Parameters;
}
