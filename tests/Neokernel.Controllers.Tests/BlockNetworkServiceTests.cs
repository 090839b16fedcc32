using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>Program controllers.blocks between regions: points in, the network, points out, and what a Bad input does.</summary>
public sealed class BlockNetworkServiceTests
{
    private const string Inputs = "plant.inputs";
    private const string Outputs = "plant.outputs";
    private const string Setpoints = "operator.setpoints";

    [Fact]
    public void It_reads_the_points_evaluates_the_network_and_writes_the_outputs()
    {
        var (context, pv, service, setpoint) = Started();
        Write(pv, 40, Quality.Good);
        context.RunCycles(1);
        var first = Output(context);
        Assert.Equal((20.0, Quality.Good), (first.Value, first.Quality));

        // The first cycle has dt 0 (the PID holds its INITIAL); the second a period: P = 1·(50 − 40) on the initial 20.
        context.RunCycles(1);
        Assert.Equal(30.0, Output(context).Value, 9);

        context.RunCycles(10);
        var later = Output(context);
        Assert.True(later.Value > first.Value, "the integrator moves the output toward the setpoint");
        Assert.Equal(Quality.Good, later.Quality);
        Assert.Equal(1.0, Output(context, "high").Value);

        Write(pv, 40, Quality.Uncertain);
        context.RunCycles(1);
        Assert.Equal(Quality.Uncertain, Output(context).Quality);
        Assert.False(service.InBadInputState);

        // The worst input's quality, whichever input it is.
        Write(pv, 40, Quality.Good);
        Write(setpoint, 50, Quality.Uncertain);
        context.RunCycles(1);
        Assert.Equal(Quality.Uncertain, Output(context).Quality);
    }

    [Fact]
    public void A_bad_input_holds_the_outputs_and_control_resumes_where_it_held()
    {
        var (context, pv, service, _) = Started();
        Write(pv, 40, Quality.Good);
        context.RunCycles(20);
        var held = Output(context).Value;

        Write(pv, 40, Quality.Bad);
        context.RunCycles(30);
        Assert.Equal((held, Quality.Uncertain), (Output(context).Value, Output(context).Quality));
        Assert.True(service.InBadInputState);

        Write(pv, 40, Quality.Good);
        context.RunCycles(1);
        var resumed = Output(context);
        Assert.Equal(Quality.Good, resumed.Quality);
        Assert.InRange(resumed.Value - held, 0.0, 0.2);
        Assert.Equal(1, service.BadInputEpisodes);
        Assert.False(service.InBadInputState);
    }

    /// <summary>A measurement that moved while it was Bad gives no derivative kick when it recovers: the PID's derivative starts afresh from the recovered value.</summary>
    [Fact]
    public void A_measurement_that_moved_while_bad_gives_no_derivative_kick_on_recovery()
    {
        var (context, pv, _, _) = Started(td: "T#5s");
        Write(pv, 40, Quality.Good);
        context.RunCycles(20);
        var held = Output(context).Value;

        Write(pv, 40, Quality.Bad);
        context.RunCycles(10);
        Write(pv, 45, Quality.Good);
        context.RunCycles(1);

        // Without the fresh start, D = −KC·TD·ΔPV/Δt = −1·5·5/0.1 would pull the output down by about 250 (to its limit 0).
        Assert.InRange(Output(context).Value, held - 6, held + 1);
    }

    [Fact]
    public void Under_safe_state_a_bad_input_drives_the_listed_point_to_its_safe_value_and_control_resumes_from_it()
    {
        var safeState = new SafeStateManifest { OnBadInput = "safe-state", Outputs = [new SafeValueManifest { Region = Outputs, Point = "heater", Value = 5 }] };
        var (context, pv, _, _) = Started(safeState);
        Write(pv, 40, Quality.Good);
        context.RunCycles(20);
        var highBefore = Output(context, "high");

        Write(pv, double.NaN, Quality.Good);
        context.RunCycles(5);
        Assert.Equal((5.0, Quality.Good), (Output(context).Value, Output(context).Quality));
        Assert.Equal((highBefore.Value, Quality.Uncertain), (Output(context, "high").Value, Output(context, "high").Quality));

        Write(pv, 40, Quality.Good);
        context.RunCycles(1);
        Assert.InRange(Output(context).Value, 5.0, 5.2);
    }

    private static (FakeServiceContext Context, RegionWriter Pv, BlockNetworkService Service, RegionWriter Setpoint) Started(SafeStateManifest? safeState = null, string td = "T#0s")
    {
        var program = new Kernel.Services.ProgramCatalog().AddControllers().Find(ControllerPrograms.BlocksType)!;
        var tables = new Dictionary<string, List<Dictionary<string, string>>>
        {
            ["blocks"] =
            [
                new() { ["name"] = "tic", ["type"] = "PID", ["PV"] = $"{Inputs}/temperature", ["SP"] = $"{Setpoints}/sp", ["KC"] = "1", ["TI"] = "T#10s", ["TD"] = td, ["INITIAL"] = "20" },
                new() { ["name"] = "hot", ["type"] = "HYSTERESIS", ["IN"] = $"{Inputs}/temperature", ["HIGH"] = "30", ["LOW"] = "25" },
            ],
            ["outputs"] =
            [
                new() { ["point"] = $"{Outputs}/heater", ["from"] = "tic.OUT" },
                new() { ["point"] = $"{Outputs}/high", ["from"] = "hot.Q" },
            ],
        };
        var context = new FakeServiceContext(periodUs: 100_000, safeState: safeState, kind: "controller", program: program, tables: tables);
        context.AddRegion(Outputs, context.ServiceId, "heater", "high");
        context.AddRegion(Inputs, FakeServiceContext.PeerId, "temperature");
        context.AddRegion(Setpoints, FakeServiceContext.PeerId, "sp");
        var setpoint = context.Objects.OpenRegionWriter(Setpoints, FakeServiceContext.PeerId);
        Write(setpoint, 50, Quality.Good);
        var service = new BlockNetworkService();
        service.Start(context);
        return (context, context.Objects.OpenRegionWriter(Inputs, FakeServiceContext.PeerId), service, setpoint);
    }

    private static void Write(RegionWriter writer, double value, Quality quality)
    {
        writer.Set(0, value, quality, 0);
        writer.Publish();
    }

    private static (double Value, Quality Quality) Output(FakeServiceContext context, string point = "heater")
    {
        var reader = context.Objects.OpenRegionReader(Outputs, FakeServiceContext.PeerId);
        var snapshot = reader.CreateSnapshot();
        Assert.True(reader.TryRead(snapshot));
        var index = reader.Region.IndexOf(point);
        return (snapshot.Value(index), snapshot.Quality(index));
    }
}
