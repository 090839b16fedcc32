using Neokernel.Hil.Plants;

namespace Neokernel.Hil.Tests.Plants;

public sealed class TwoTankModelTests
{
    [Fact]
    public void Both_levels_settle_where_outflow_equals_inflow()
    {
        var tanks = new TwoTankModel(TwoTankParameters.Default with { LowerOutletCoefficient = 0.004 }) { PumpPercent = 50.0 };
        Assert.Equal(1.0, tanks.UpperSteadyStateLevelMeters, 12);
        Assert.Equal(1.5625, tanks.LowerSteadyStateLevelMeters, 12);
        tanks.Step(20_000.0);
        Assert.Equal(1.0, tanks.UpperLevelMeters, 6);
        Assert.Equal(1.5625, tanks.LowerLevelMeters, 6);
        Assert.Equal(tanks.InflowCubicMetersPerSecond, tanks.OutflowCubicMetersPerSecond, 8);
    }

    [Fact]
    public void The_upper_tank_drains_as_torricelli_in_closed_form()
    {
        // sqrt(h1) = sqrt(h0) − k1·t/(2·A1): from 4 m with k1 = 0.01, A1 = 1 after 200 s: 1 m.
        var parameters = TwoTankParameters.Default with { UpperOutletCoefficient = 0.01, UpperHeightMeters = 5.0, UpperLevelInitialMeters = 4.0, LowerHeightMeters = 10.0 };
        var tanks = new TwoTankModel(parameters, stepSeconds: 0.01);
        tanks.Step(200.0);
        Assert.Equal(1.0, tanks.UpperLevelMeters, 9);
    }

    [Fact]
    public void Volume_is_conserved_inflow_minus_outflow_minus_spill()
    {
        var tanks = new TwoTankModel(TwoTankParameters.Default with { UpperLevelInitialMeters = 0.5, LowerLevelInitialMeters = 0.2 });
        var start = tanks.VolumeCubicMeters;
        for (var k = 0; k < 40_000; k++)
        {
            tanks.PumpPercent = (k / 5000) % 2 == 0 ? 60.0 : 20.0;
            tanks.Step(0.05);
        }

        Assert.Equal(0.0, tanks.SpilledCubicMeters);
        var balance = start + tanks.InflowTotalCubicMeters - tanks.OutflowTotalCubicMeters;
        Assert.Equal(balance, tanks.VolumeCubicMeters, 10);
    }

    [Fact]
    public void A_full_upper_tank_spills_and_the_spill_is_counted()
    {
        var tanks = new TwoTankModel(TwoTankParameters.Default with { UpperOutletCoefficient = 0.001, LowerHeightMeters = 10.0 }) { PumpPercent = 100.0 };
        tanks.Step(2000.0);
        Assert.Equal(2.0, tanks.UpperLevelMeters);
        Assert.True(tanks.SpilledCubicMeters > 0);
        Assert.Equal(tanks.InflowTotalCubicMeters - tanks.OutflowTotalCubicMeters - tanks.SpilledCubicMeters, tanks.VolumeCubicMeters, 9);
    }

    [Fact]
    public void Empty_tanks_without_inflow_stay_empty()
    {
        var tanks = new TwoTankModel(TwoTankParameters.Default);
        tanks.Step(100.0);
        Assert.Equal(0.0, tanks.UpperLevelMeters);
        Assert.Equal(0.0, tanks.LowerLevelMeters);
    }

    [Fact]
    public void Validate_names_the_parameter_and_inputs_are_checked()
    {
        var error = Assert.Throws<ArgumentException>(() => new TwoTankModel(TwoTankParameters.Default with { LowerLevelInitialMeters = 3.0 }));
        Assert.Equal(nameof(TwoTankParameters.LowerLevelInitialMeters), error.ParamName);
        Assert.Contains("within 0..2, is 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(TwoTankParameters.UpperAreaSquareMeters), Assert.Throws<ArgumentException>(() => (TwoTankParameters.Default with { UpperAreaSquareMeters = 0.0 }).Validate()).ParamName);
        var tanks = new TwoTankModel(TwoTankParameters.Default);
        Assert.Throws<ArgumentOutOfRangeException>(() => tanks.PumpPercent = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => tanks.Step(0.07));
    }
}
