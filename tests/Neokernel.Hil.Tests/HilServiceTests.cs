using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

public sealed class HilServiceTests
{
    private static readonly Dictionary<string, string> TankDevices = new()
    {
        ["pump"] = "sim://tank/pump",
        ["level"] = "sim://tank/level",
    };

    private static FakeServiceContext Context(IReadOnlyList<ParameterDeclaration> declarations, Dictionary<string, string> parameters, SimulatedDeviceBus bus) =>
        new FakeServiceContext(parameters, devices: bus, seed: 11, declarations: declarations).MapDevices(TankDevices);

    [Fact]
    public void The_tank_plant_steps_its_model_from_the_pump_device_to_the_level_device()
    {
        var bus = new SimulatedDeviceBus();
        var parameters = new Dictionary<string, string> { ["levelInitialMeters"] = "0.4", ["valveOpening"] = "0.5" };
        var context = Context(TankPlantService.Parameters, parameters, bus);
        var plant = new TankPlantService();
        plant.Start(context);
        using var pump = bus.Open("sim://tank/pump", DeviceAccess.Write);
        using var level = bus.Open("sim://tank/level", DeviceAccess.Read);
        Assert.Equal(0.4, SimulatedDeviceBus.ReadDouble(level));

        SimulatedDeviceBus.WriteDouble(pump, 80.0);
        var expected = new TankModel(TankParameters.Default with { LevelInitialMeters = 0.4 }) { PumpPercent = 80.0 };
        context.RunCycles(600);
        for (var i = 0; i < 600; i++)
        {
            expected.Step(0.1);
        }

        Assert.Equal(expected.LevelMeters, SimulatedDeviceBus.ReadDouble(level));
        Assert.True(expected.LevelMeters > 0.4);
        plant.Stop();
    }

    [Fact]
    public void A_pump_command_that_is_no_number_stops_the_pump()
    {
        var bus = new SimulatedDeviceBus();
        var context = Context(TankPlantService.Parameters, new Dictionary<string, string> { ["levelInitialMeters"] = "1" }, bus);
        var plant = new TankPlantService();
        plant.Start(context);
        using var pump = bus.Open("sim://tank/pump", DeviceAccess.Write);
        SimulatedDeviceBus.WriteDouble(pump, double.NaN);
        context.RunCycles(1);
        Assert.Equal(0.0, plant.Model!.PumpPercent);
        SimulatedDeviceBus.WriteDouble(pump, 250.0);
        context.RunCycles(1);
        Assert.Equal(100.0, plant.Model.PumpPercent);
    }

    [Fact]
    public void The_tank_plant_cycle_allocates_nothing()
    {
        var bus = new SimulatedDeviceBus();
        var context = Context(TankPlantService.Parameters, new Dictionary<string, string>(), bus);
        new TankPlantService().Start(context);
        AllocationAssert.NoAllocations(10_000, _ => context.RunCycles(1));
    }

    /// <summary>Against a real region from the shipped fake: what the sensor reads from its device is what a reader of its region sees.</summary>
    [Fact]
    public void The_level_sensor_publishes_the_device_level_into_its_region()
    {
        var bus = new SimulatedDeviceBus();
        var context = Context(LevelSensorService.Parameters, new Dictionary<string, string> { ["outputRegion"] = "tank.inputs" }, bus);
        context.AddRegion("tank.inputs", context.ServiceId, "level");
        using var level = bus.Open("sim://tank/level", DeviceAccess.Write);
        SimulatedDeviceBus.WriteDouble(level, 0.75);
        new LevelSensorService().Start(context);
        context.RunCycles(2);

        var reader = context.Objects.OpenRegionReader("tank.inputs", FakeServiceContext.PeerId);
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        Assert.Equal((0.75, Quality.Good), (snapshot.Value(0), snapshot.Quality(0)));
        Assert.Equal(2 * context.TaskSpec!.PeriodNs, snapshot.TimestampNs(0));
        Assert.Equal(["device level", "writer tank.inputs", "cyclic"], context.Opened);
    }

    [Theory]
    [InlineData("valveOpening", "2", "valveOpening")]
    [InlineData("levelInitialMeters", "5", "levelInitialMeters")]
    [InlineData("areaSquareMeters", "wide", "areaSquareMeters")]
    public void Tank_configuration_errors_name_the_parameter_before_opening_devices(string parameter, string value, string named)
    {
        var context = Context(TankPlantService.Parameters, new Dictionary<string, string> { [parameter] = value }, new SimulatedDeviceBus());
        Assert.Equal(named, Assert.Throws<ServiceConfigurationException>(() => new TankPlantService().Start(context)).Parameter);
        Assert.Empty(context.Opened);
    }

    [Fact]
    public void The_level_sensor_needs_an_output_region_and_a_sane_range()
    {
        var bus = new SimulatedDeviceBus();
        var missing = Context(LevelSensorService.Parameters, new Dictionary<string, string>(), bus);
        Assert.Equal("outputRegion", Assert.Throws<ServiceConfigurationException>(() => new LevelSensorService().Start(missing)).Parameter);
        var inverted = Context(LevelSensorService.Parameters, new Dictionary<string, string> { ["outputRegion"] = "level", ["rangeMinMeters"] = "3" }, bus);
        Assert.Equal("rangeMaxMeters", Assert.Throws<ServiceConfigurationException>(() => new LevelSensorService().Start(inverted)).Parameter);
        var negativeNoise = Context(LevelSensorService.Parameters, new Dictionary<string, string> { ["outputRegion"] = "level", ["noiseStdDevMeters"] = "-1" }, bus);
        Assert.Equal("noiseStdDevMeters", Assert.Throws<ServiceConfigurationException>(() => new LevelSensorService().Start(negativeNoise)).Parameter);
    }

    [Fact]
    public void The_pump_actuator_checks_its_parameters()
    {
        var bus = new SimulatedDeviceBus();
        var missing = Context(PumpActuatorService.Parameters, new Dictionary<string, string>(), bus);
        Assert.Equal("inputRegion", Assert.Throws<ServiceConfigurationException>(() => new PumpActuatorService().Start(missing)).Parameter);
        var halfFeedback = Context(PumpActuatorService.Parameters, new Dictionary<string, string> { ["inputRegion"] = "cmd", ["feedbackRegion"] = "fb" }, bus);
        Assert.Equal("feedbackPoint", Assert.Throws<ServiceConfigurationException>(() => new PumpActuatorService().Start(halfFeedback)).Parameter);
        var unsafeValue = Context(PumpActuatorService.Parameters, new Dictionary<string, string> { ["inputRegion"] = "cmd", ["safeOutputPercent"] = "120" }, bus);
        Assert.Equal("safeOutputPercent", Assert.Throws<ServiceConfigurationException>(() => new PumpActuatorService().Start(unsafeValue)).Parameter);
    }

    [Fact]
    public void The_catalog_lists_the_hil_programs_with_their_parameters()
    {
        var catalog = new ProgramCatalog().AddHil();
        Assert.IsType<TankPlantService>(catalog.Find("hil.tank-plant")!.Create());
        Assert.IsType<LevelSensorService>(catalog.Find("hil.level-sensor")!.Create());
        Assert.IsType<PumpActuatorService>(catalog.Find("hil.pump-actuator")!.Create());
        Assert.NotNull(catalog.Find("hil.tank-plant")!.FindParameter("pumpFlowMaxCubicMetersPerSecond"));
        Assert.NotNull(catalog.Find("hil.level-sensor")!.FindParameter("quantizationMeters"));
        Assert.NotNull(catalog.Find("hil.pump-actuator")!.FindParameter("slewPercentPerSecond"));
    }
}
