using Neokernel.Hil.Plants;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

public sealed class JacketedTankPlantServiceTests
{
    /// <summary>The regions of manifests/services/jacketed-tank-plant.yaml, named from the cascade controller's side.</summary>
    private const string Commands = "jacketed-tank.outputs";
    private const string Measurements = "jacketed-tank.inputs";

    [Fact]
    public void The_plant_publishes_the_measured_contents_and_the_jacket_temperature()
    {
        var (context, heater, plant) = Started([]);
        heater.Set(0, 60.0, Quality.Good, 0);
        heater.Publish();
        context.RunCycles(600);

        var expected = new JacketedTankModel(JacketedTankParameters.Default, 0.1) { HeaterPercent = 60.0 };
        expected.Step(60.0);
        var measurements = Measured(context);
        Assert.Equal(expected.MeasuredTemperatureCelsius, measurements.Temperature.Value);
        Assert.Equal(expected.JacketTemperatureCelsius, measurements.Jacket.Value);
        Assert.Equal(Quality.Good, measurements.Temperature.Quality);
        Assert.Equal(Quality.Good, measurements.Jacket.Quality);
        Assert.Equal(600 * context.TaskSpec!.PeriodNs, measurements.Temperature.TimestampNs);
        Assert.Equal(600 * context.TaskSpec!.PeriodNs, measurements.Jacket.TimestampNs);

        // The contents' point is the measured temperature, the dead time behind the true one.
        Assert.True(plant.Model!.TemperatureCelsius > measurements.Temperature.Value);
        Assert.True(measurements.Jacket.Value > measurements.Temperature.Value + 5.0, "the jacket runs ahead of the contents while heating");
    }

    [Fact]
    public void A_bad_or_nonsense_heater_command_turns_the_heater_off_and_one_beyond_the_range_is_clamped()
    {
        var (context, heater, plant) = Started([]);
        heater.Set(0, 80.0, Quality.Bad, 0);
        heater.Publish();
        context.RunCycles(100);
        Assert.Equal(0.0, plant.Model!.HeaterPercent);
        Assert.Equal(JacketedTankParameters.Default.JacketTemperatureInitialCelsius, Measured(context).Jacket.Value);
        heater.Set(0, double.PositiveInfinity, Quality.Good, 0);
        heater.Publish();
        context.RunCycles(1);
        Assert.Equal(0.0, plant.Model.HeaterPercent);
        heater.Set(0, -20.0, Quality.Uncertain, 0);
        heater.Publish();
        context.RunCycles(1);
        Assert.Equal(0.0, plant.Model.HeaterPercent);
        heater.Set(0, 130.0, Quality.Good, 0);
        heater.Publish();
        context.RunCycles(1);
        Assert.Equal(100.0, plant.Model.HeaterPercent);
    }

    [Fact]
    public void Both_sensors_quantize_and_share_the_services_random_stream_deterministically()
    {
        var noisy = new Dictionary<string, string> { ["quantizationCelsius"] = "0.5", ["noiseStdDevCelsius"] = "0.2" };
        var runs = new[] { Started(new(noisy)), Started(new(noisy)), Started(new() { ["quantizationCelsius"] = "0.5" }) };
        foreach (var (_, heater, _) in runs)
        {
            heater.Set(0, 100.0, Quality.Good, 0);
            heater.Publish();
        }

        var (temperatureNoisy, jacketNoisy) = (false, false);
        for (var i = 0; i < 100; i++)
        {
            var measured = runs.Select(run =>
            {
                run.Context.RunCycles(10);
                return Measured(run.Context);
            }).ToArray();
            Assert.Equal(measured[0], measured[1]);
            Assert.Equal(Math.Round(measured[0].Temperature.Value * 2.0), measured[0].Temperature.Value * 2.0);
            Assert.Equal(Math.Round(measured[0].Jacket.Value * 2.0), measured[0].Jacket.Value * 2.0);
            temperatureNoisy |= measured[0].Temperature.Value != measured[2].Temperature.Value;
            jacketNoisy |= measured[0].Jacket.Value != measured[2].Jacket.Value;
        }

        Assert.True(temperatureNoisy && jacketNoisy, "each sensor adds noise of its own draws");
    }

    [Theory]
    [InlineData("jacketTransferWattsPerKelvin", "0", "jacketTransferWattsPerKelvin")]
    [InlineData("deadTimeSeconds", "1e9", "deadTimeSeconds")]
    [InlineData("jacketPoint", "element", "jacketPoint")]
    [InlineData("temperaturePoint", "level", "temperaturePoint")]
    [InlineData("heaterPoint", "power", "heaterPoint")]
    [InlineData("outputRegion", "", "outputRegion")]
    public void Configuration_errors_name_the_parameter(string parameter, string value, string named)
    {
        var (context, _) = Prepared(new Dictionary<string, string> { [parameter] = value });
        Assert.Equal(named, Assert.Throws<ServiceConfigurationException>(() => new JacketedTankPlantService().Start(context)).Parameter);
    }

    [Fact]
    public void The_plant_cycle_allocates_nothing_and_the_catalog_lists_it()
    {
        var (context, _, _) = Started(new Dictionary<string, string> { ["noiseStdDevCelsius"] = "0.1", ["quantizationCelsius"] = "0.01" });
        AllocationAssert.NoAllocations(10_000, _ => context.RunCycles(1));
        var descriptor = new ProgramCatalog().AddHil().Find(HilPrograms.JacketedTankPlantType)!;
        Assert.IsType<JacketedTankPlantService>(descriptor.Create());
        Assert.NotNull(descriptor.FindParameter("jacketTransferWattsPerKelvin"));
        Assert.NotNull(descriptor.FindParameter("jacketPoint"));
    }

    private static (FakeServiceContext Context, RegionWriter Heater) Prepared(Dictionary<string, string> parameters) =>
        ThermalPlantContext.Prepared(parameters, JacketedTankPlantService.Parameters, (Commands, Measurements), "temperature", "jacket");

    private static (FakeServiceContext Context, RegionWriter Heater, JacketedTankPlantService Plant) Started(Dictionary<string, string> parameters)
    {
        var (context, heater) = Prepared(parameters);
        var plant = new JacketedTankPlantService();
        plant.Start(context);
        return (context, heater, plant);
    }

    private static (ThermalPlantContext.Point Temperature, ThermalPlantContext.Point Jacket) Measured(FakeServiceContext context) =>
        (ThermalPlantContext.Read(context, Measurements, "temperature"), ThermalPlantContext.Read(context, Measurements, "jacket"));
}
