using Neokernel.Contracts;
using Neokernel.Controllers;
using Neokernel.Gateway.Plant;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Testing;
using static Neokernel.Gateway.Tests.Plant.PlantSystem;

namespace Neokernel.Gateway.Tests.Plant;

/// <summary>
/// The gateway's views of the running tank demo under the simulation, with the real system
/// kernel serving kernel.status and kernel.control and the real PID serving its command
/// endpoint: what the OPC UA namespace will show, and what its writes and methods will do.
/// </summary>
public sealed class PlantViewsTests
{
    private static readonly string[] TankServices = ["tank-plant", "level-sensor", "tank-controller", "pump-actuator", "operator", "gateway"];

    [Fact]
    public void SystemStatusView_TankDemo_SeesEveryServiceWithItsStateAndStatistics()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(2_000 * Ms);
        var view = gateway.Status;

        Assert.Equal(ViewFreshness.Fresh, view.Freshness);
        Assert.Equal(TankServices.Order(), Enumerable.Range(0, view.ServiceCount).Select(i => view.Service(i).Id).Order());
        Assert.False(view.Truncated);
        Assert.All(Enumerable.Range(0, view.ServiceCount), i => Assert.Equal(ServiceStateCode.Running, view.Service(i).State));
        var controller = view.Service(view.IndexOf("tank-controller"));
        Assert.Equal((ServiceKindCode.Controller, 1, 0, 0, ""), (controller.Kind, controller.Incarnation, controller.Restarts, controller.Faults, controller.LastFault));
        Assert.True(controller.HasStatistics);
        Assert.InRange(controller.Statistics.Cycles, 150, kernel.Service("tank-controller").Statistics!.Value.Cycles);
        var self = view.Service(view.IndexOf("gateway"));
        Assert.Equal((ServiceKindCode.Gateway, false), (self.Kind, self.HasStatistics));
        Assert.Equal(-1, view.IndexOf("nobody"));
        Assert.InRange(view.RefreshedNs, 1_750 * Ms, 2_000 * Ms);
        Assert.InRange(view.Refreshes, 7, 9);
        Assert.Equal(0, view.Failures);
        kernel.Shutdown();
    }

    [Fact]
    public void RestartService_ThroughKernelControl_ShowsUpAsTheNextIncarnation()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(1_000 * Ms);
        var completions = new Completions();
        var before = gateway.Status.Service(gateway.Status.IndexOf("level-sensor"));

        Assert.Equal(CallOutcome.Pending, gateway.Control.RestartService("level-sensor", completions, 42));
        Assert.Equal(1, gateway.Control.Pending);
        platform.RunUntil(platform.NowNs + (600 * Ms));

        Assert.Equal([(42L, CallOutcome.Ok)], completions.All);
        var after = gateway.Status.Service(gateway.Status.IndexOf("level-sensor"));
        Assert.Equal((ServiceStateCode.Running, before.Incarnation + 1), (after.State, after.Incarnation));
        Assert.Equal(kernel.Service("level-sensor").Incarnation, after.Incarnation);

        // An operator's restart is not the supervisor's: the kernel's Restarts counts only the latter.
        Assert.Equal((before.Restarts, 0), (after.Restarts, after.Faults));
        Assert.True(after.ChangeCount > before.ChangeCount);
        Assert.Equal(0, gateway.Control.Pending);
        kernel.Shutdown();
    }

    [Fact]
    public void RestartService_UnknownOrImpossibleId_IsNotFound()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(500 * Ms);
        var completions = new Completions();

        Assert.Equal(CallOutcome.Pending, gateway.Control.RestartService("nobody", completions, 1));
        Assert.Equal(CallOutcome.NotFound, gateway.Control.RestartService("", completions, 2));
        Assert.Equal(CallOutcome.NotFound, gateway.Control.RestartService(new string('x', KernelEndpoints.ServiceIdBytesMax + 1), completions, 3));
        platform.RunUntil(platform.NowNs + (50 * Ms));

        Assert.Equal([(1L, CallOutcome.NotFound)], completions.All);
        kernel.Shutdown();
    }

    [Fact]
    public void RestartService_RouteWithoutTheRestartRight_IsDenied()
    {
        var (kernel, platform, gateway) = Boot("tank-gateway-no-restart.yaml");
        platform.RunUntil(500 * Ms);
        var completions = new Completions();

        Assert.Equal(CallOutcome.Pending, gateway.Control.RestartService("level-sensor", completions, 7));
        platform.RunUntil(platform.NowNs + (600 * Ms));

        Assert.Equal([(7L, CallOutcome.Denied)], completions.All);
        Assert.Equal(1, kernel.Service("level-sensor").Incarnation);
        Assert.Equal(1, gateway.Status.Service(gateway.Status.IndexOf("level-sensor")).Incarnation);
        kernel.Shutdown();
    }

    [Fact]
    public void LoopsView_TankController_ReportsSetpointProcessValueOutputModeAndGains()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(1_000 * Ms);

        Assert.Equal(1, gateway.Loops.Count);
        var loop = gateway.Loops.Loop(gateway.Loops.IndexOf("tank-controller"));

        Assert.Equal(("tank-controller", "tank-controller.commands", ViewFreshness.Fresh), (loop.LoopId, loop.Endpoint, loop.Freshness));
        Assert.Equal((PidMode.Auto, InputQualityCode.Good, 1.0), (loop.Status.Mode, loop.Status.ProcessValueQuality, loop.Status.Setpoint));
        Assert.Equal((250.0, 60.0, 0.0, 0.0, 100.0), (loop.Status.Kc, loop.Status.TiSeconds, loop.Status.TdSeconds, loop.Status.OutputMin, loop.Status.OutputMax));
        Assert.InRange(loop.Status.ProcessValue, 0.0, 2.0);
        Assert.InRange(loop.Status.Output, 0.0, 100.0);
        kernel.Shutdown();
    }

    [Fact]
    public void SetSetpoint_ReachesThePidLoop_AndIsReadBack()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(1_000 * Ms);
        var completions = new Completions();

        Assert.Equal(CallOutcome.Pending, gateway.Loops.SetSetpoint(0, 1.35, completions, 5));
        platform.RunUntil(platform.NowNs + (20 * Ms));

        Assert.Equal([(5L, CallOutcome.Ok)], completions.All);
        Assert.Equal(1.35, gateway.Loops.Loop(0).Status.Setpoint);
        var outputs = gateway.Points.IndexOfRegion("tank.outputs");
        gateway.Points.Refresh(outputs);
        Assert.Equal(1.35, gateway.Points.Point(outputs, gateway.Points.IndexOfPoint(outputs, "setpoint")).Value);
        kernel.Shutdown();
    }

    [Fact]
    public void SetLoopMode_ManualThenAuto_IsReadBackAndGuardsTheManualOutput()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(1_000 * Ms);
        var completions = new Completions();

        gateway.Loops.SetManualOutput(0, 30.0, completions, 1);
        gateway.Loops.SetSetpoint(0, double.NaN, completions, 2);
        gateway.Loops.SetLoopMode("tank-controller", PidMode.Manual, completions, 3);
        gateway.Loops.SetManualOutput(0, 30.0, completions, 4);

        // The mode reads back at once (the status request after an accepted command); the output
        // is the last cycle's, so it shows from the next poll on.
        platform.RunUntil(platform.NowNs + (20 * Ms));
        Assert.Equal(PidMode.Manual, gateway.Loops.Loop(0).Status.Mode);
        platform.RunUntil(platform.NowNs + (300 * Ms));
        var manual = gateway.Loops.Loop(0).Status;
        gateway.Loops.SetLoopMode(0, PidMode.Auto, completions, 5);
        platform.RunUntil(platform.NowNs + (20 * Ms));

        Assert.Equal(
            [(1L, CallOutcome.InvalidState), (2L, CallOutcome.InvalidValue), (3L, CallOutcome.Ok), (4L, CallOutcome.Ok), (5L, CallOutcome.Ok)],
            completions.All);
        Assert.Equal((PidMode.Manual, 30.0), (manual.Mode, manual.Output));
        Assert.Equal(PidMode.Auto, gateway.Loops.Loop(0).Status.Mode);
        Assert.Equal(CallOutcome.NotFound, gateway.Loops.SetLoopMode("nobody", PidMode.Auto, completions, 6));
        Assert.Equal(CallOutcome.NotFound, gateway.Loops.SetSetpoint(1, 1.0, completions, 7));
        kernel.Shutdown();
    }

    [Fact]
    public void RegionPointsView_TankRegions_ReadWithQualityAndWallClockTimestamps()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(1_000 * Ms);
        var points = gateway.Points;
        var inputs = points.IndexOfRegion("tank.inputs");
        var outputs = points.IndexOfRegion("tank.outputs");

        points.RefreshAll();

        Assert.Equal((2, 1, 4), (points.RegionCount, points.PointCount(inputs), points.PointCount(outputs)));
        Assert.Equal(["pump", "setpoint", "pv", "mode"], Enumerable.Range(0, 4).Select(p => points.PointName(outputs, p)));
        var level = points.Point(inputs, points.IndexOfPoint(inputs, "level"));
        Assert.Equal(Quality.Good, level.Quality);
        Assert.InRange(level.Value, 0.0, 2.0);
        Assert.InRange(level.SourceTimestampNs, platform.NowNs - (10 * Ms), platform.NowNs);
        Assert.Equal(WallClock.SimulationEpochUnixNs + level.SourceTimestampNs, level.SourceTimeUnixNs);
        var mode = points.Point(outputs, points.IndexOfPoint(outputs, "mode"));
        Assert.Equal((1.0, Quality.Good), (mode.Value, mode.Quality));
        Assert.Equal(platform.NowNs, points.RefreshedNs(outputs));
        Assert.Equal(-1, points.IndexOfPoint(outputs, "nothing"));
        kernel.Shutdown();
    }

    [Fact]
    public void RegionPointsView_CopiesARegionWhenItIsReadAndDue_NotBefore()
    {
        var (kernel, platform, gateway) = Boot();
        platform.RunUntil(1_000 * Ms);
        var points = gateway.Points;
        var inputs = points.IndexOfRegion("tank.inputs");
        var outputs = points.IndexOfRegion("tank.outputs");
        var level = points.IndexOfPoint(inputs, "level");
        Assert.Equal((0L, 0L), (points.RefreshedNs(inputs), points.RefreshedNs(outputs)));

        // The first read copies its region, and only its region.
        var first = points.Point(inputs, level);
        Assert.Equal((platform.NowNs, 0L), (points.RefreshedNs(inputs), points.RefreshedNs(outputs)));
        Assert.Equal(Quality.Good, first.Quality);

        // Not due: reads see the same copy while the plant moves on.
        var copiedNs = platform.NowNs;
        platform.RunUntil(platform.NowNs + (200 * Ms));
        Assert.Equal(first, points.Point(inputs, level));
        Assert.Equal(copiedNs, points.RefreshedNs(inputs));

        // Due: the next read copies again and sees the newer sample.
        points.MarkDue();
        var second = points.Point(inputs, level);
        Assert.Equal(platform.NowNs, points.RefreshedNs(inputs));
        Assert.True(second.SourceTimestampNs > first.SourceTimestampNs);
        Assert.Equal(0L, points.RefreshedNs(outputs));
        kernel.Shutdown();
    }

    [Fact]
    public void PlantViews_SteadyState_AllocateNothing()
    {
        var (kernel, platform, gateway) = Boot(seed: 3);
        var completions = new Completions();
        platform.RunUntil(3_000 * Ms);
        var changes = 0L;

        // Each pass: a quarter second of the whole demo (one status refresh of six services, one
        // loop poll) and a read of every shown point.
        AllocationAssert.NoAllocations(200, iteration =>
        {
            platform.RunUntil(platform.NowNs + (250 * Ms));
            gateway.Points.MarkDue();
            changes += gateway.Status.Service(iteration % gateway.Status.ServiceCount).ChangeCount + gateway.Loops.Loop(0).ChangeCount;
            _ = gateway.Points.Point(0, 0);
        });

        Assert.Equal(ViewFreshness.Fresh, gateway.Status.Freshness);
        Assert.True(changes > 0);
        Assert.Empty(completions.All);
        kernel.Shutdown();
    }

    [Fact]
    public void PlantViews_TwoRunsWithTheSameSeed_HaveTheSameDigest()
    {
        static string Run()
        {
            var (kernel, platform, gateway) = Boot(seed: 9);
            platform.RunUntil(1_000 * Ms);
            gateway.Control.RestartService("pump-actuator", new Completions(), 0);
            gateway.Loops.SetSetpoint(0, 1.1, new Completions(), 0);
            platform.RunUntil(3_000 * Ms);
            kernel.Shutdown();
            return kernel.Trace.DigestHex;
        }

        Assert.Equal(Run(), Run());
    }
}
