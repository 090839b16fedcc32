using Neokernel.Hil.Plants;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

public sealed class HeatedTankPlantServiceTests
{
    private const string Commands = "heated-tank.outputs";
    private const string Measurements = "heated-tank.inputs";

    [Fact]
    public void The_plant_steps_its_model_from_the_heater_point_to_the_temperature_point()
    {
        var (context, heater, _) = Started(new Dictionary<string, string> { ["deadTimeSeconds"] = "2" });
        heater.Set(0, 70.0, Quality.Good, 0);
        heater.Publish();
        context.RunCycles(600);

        var expected = new HeatedTankModel(HeatedTankParameters.Default with { DeadTimeSeconds = 2.0 }, 0.1) { HeaterPercent = 70.0 };
        expected.Step(60.0);
        var (value, quality, timestamp) = Temperature(context);
        Assert.Equal(expected.TemperatureCelsius, value);
        Assert.Equal(Quality.Good, quality);
        Assert.Equal(600 * context.TaskSpec!.PeriodNs, timestamp);
        Assert.True(value > HeatedTankParameters.Default.AmbientTemperatureCelsius);
    }

    [Fact]
    public void A_bad_or_nonsense_heater_command_turns_the_heater_off_and_one_beyond_the_range_is_clamped()
    {
        var (context, heater, plant) = Started([]);
        heater.Set(0, 80.0, Quality.Bad, 0);
        heater.Publish();
        context.RunCycles(1);
        Assert.Equal(0.0, plant.Model!.HeaterPercent);
        heater.Set(0, double.NaN, Quality.Good, 0);
        heater.Publish();
        context.RunCycles(1);
        Assert.Equal(0.0, plant.Model.HeaterPercent);
        heater.Set(0, 130.0, Quality.Uncertain, 0);
        heater.Publish();
        context.RunCycles(1);
        Assert.Equal(100.0, plant.Model.HeaterPercent);
    }

    [Fact]
    public void The_sensor_quantizes_the_published_temperature()
    {
        var (context, heater, _) = Started(new Dictionary<string, string> { ["quantizationCelsius"] = "0.5", ["noiseStdDevCelsius"] = "0.2" });
        heater.Set(0, 100.0, Quality.Good, 0);
        heater.Publish();
        for (var i = 0; i < 100; i++)
        {
            context.RunCycles(10);
            var value = Temperature(context).Value;
            Assert.Equal(Math.Round(value * 2.0), value * 2.0);
        }
    }

    [Theory]
    [InlineData("heatLossWattsPerKelvin", "0", "heatLossWattsPerKelvin")]
    [InlineData("deadTimeSeconds", "1e9", "deadTimeSeconds")]
    [InlineData("heaterPoint", "power", "heaterPoint")]
    [InlineData("inputRegion", "", "inputRegion")]
    public void Configuration_errors_name_the_parameter(string parameter, string value, string named)
    {
        var (context, _) = Prepared(new Dictionary<string, string> { [parameter] = value });
        Assert.Equal(named, Assert.Throws<ServiceConfigurationException>(() => new HeatedTankPlantService().Start(context)).Parameter);
    }

    [Fact]
    public void The_plant_cycle_allocates_nothing_and_the_catalog_lists_it()
    {
        var (context, _, _) = Started(new Dictionary<string, string> { ["noiseStdDevCelsius"] = "0.1", ["quantizationCelsius"] = "0.01" });
        AllocationAssert.NoAllocations(10_000, _ => context.RunCycles(1));
        var descriptor = new ProgramCatalog().AddHil().Find(HilPrograms.HeatedTankPlantType)!;
        Assert.IsType<HeatedTankPlantService>(descriptor.Create());
        Assert.NotNull(descriptor.FindParameter("deadTimeSeconds"));
    }

    private static (FakeServiceContext Context, RegionWriter Heater) Prepared(Dictionary<string, string> parameters) =>
        ThermalPlantContext.Prepared(parameters, HeatedTankPlantService.Parameters, (Commands, Measurements), "temperature");

    private static (FakeServiceContext Context, RegionWriter Heater, HeatedTankPlantService Plant) Started(Dictionary<string, string> parameters)
    {
        var (context, heater) = Prepared(parameters);
        var plant = new HeatedTankPlantService();
        plant.Start(context);
        return (context, heater, plant);
    }

    private static ThermalPlantContext.Point Temperature(FakeServiceContext context) => ThermalPlantContext.Read(context, Measurements, "temperature");
}
