using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Faults;
using Neokernel.Testing;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The IPC and region faults on the tank demo. Its operator steps the setpoint from 1.0 m to 1.2 m
/// at 120 s with one request over <c>tank-controller.commands</c>; the level sensor publishes
/// <c>tank.inputs</c> (level) at 100 Hz, the controller <c>tank.outputs</c> (pump, setpoint, pv, mode).
/// </summary>
public sealed partial class FaultInjectionTests
{
    private const string Commands = "tank-controller.commands";

    private static (double Value, Quality Quality) Output(SimulationSession session, string point)
    {
        var outputs = session.Kernel.FindRegion("tank.outputs")!;
        var snapshot = new RegionSnapshot(outputs.PointCount);
        Assert.True(session.Kernel.TryInspect(outputs, snapshot));
        var index = outputs.IndexOf(point);
        return (snapshot.Value(index), snapshot.Quality(index));
    }

    /// <summary>The events of <paramref name="kind"/> on the command endpoint so far, in time order.</summary>
    private static List<TraceEvent> OnCommands(SimulationSession session, TraceEventKind kind)
    {
        var endpoint = session.Kernel.Trace.Intern(Commands);
        return [.. session.Kernel.Trace.Events(kind).Where(e => e.Object == endpoint)];
    }

    /// <summary>
    /// The operator's SetSetpoint requests (9 bytes) the controller was handed so far; the gateway
    /// asks the controller for its status (1 byte) twice a second beside them.
    /// </summary>
    private static List<TraceEvent> SetpointRequests(SimulationSession session) =>
        [.. OnCommands(session, TraceEventKind.IpcDeliver).Where(e => e.Arg0 == (long)MessageKind.Request && e.Arg1 == 9)];

    /// <summary>The replies the controller sent to the operator so far (one status byte; the gateway's status replies are longer).</summary>
    private static List<TraceEvent> SetpointReplies(SimulationSession session) =>
        [.. OnCommands(session, TraceEventKind.IpcReply).Where(e => e.Arg1 == 1)];

    /// <summary>The replies the operator was handed so far.</summary>
    private static List<TraceEvent> OperatorReplies(SimulationSession session)
    {
        var operatorId = session.Kernel.Service("operator").TraceId;
        return [.. OnCommands(session, TraceEventKind.IpcDeliver).Where(e => e.Arg0 == (long)MessageKind.Reply && e.Subject == operatorId)];
    }

    /// <summary>The one fault-inject event of the run: at its time, naming <paramref name="subject"/> and the kind.</summary>
    private static void AssertInjected(SimulationSession session, FaultKind kind, string subject, long atNs)
    {
        var injected = Assert.Single(session.Kernel.Trace.Events(TraceEventKind.FaultInject));
        Assert.Equal((atNs, (long)kind), (injected.TimeNs, injected.Arg1));
        Assert.Equal(session.Kernel.Service(subject).TraceId, injected.Subject);
        Assert.Equal(1, session.Faults!.InjectedOf(kind));
    }

    [Fact]
    public void IpcDrop_TheSetpointRequestIsLost_TheSetpointStaysOneMetre()
    {
        var plain = Boot("");
        var dropped = Boot($"ipc-drop:{Commands}@119s+5s");
        plain.Platform.RunUntil(130 * SecondNs);
        dropped.Platform.RunUntil(130 * SecondNs);
        AssertInjected(dropped, FaultKind.IpcDrop, "tank-controller", 119 * SecondNs);
        Assert.Equal(1.2, Output(plain, "setpoint").Value);
        Assert.Single(SetpointRequests(plain));

        // The operator was told its request was accepted; the controller never saw it.
        Assert.Equal(1.0, Output(dropped, "setpoint").Value);
        Assert.Empty(SetpointRequests(dropped));
        Assert.Single(OnCommands(dropped, TraceEventKind.IpcSend), e => e.Subject == dropped.Kernel.Service("operator").TraceId);
        Assert.All(dropped.Kernel.Services, s => Assert.Equal(0, s.Faults));
    }

    [Fact]
    public void IpcDrop_OfReplies_TheSetpointChanges_ButTheOperatorHearsNothing()
    {
        var session = Boot($"ipc-drop:{Commands}/{FaultTarget.Replies}@119s+5s");
        session.Platform.RunUntil(130 * SecondNs);
        Assert.Equal(1.2, Output(session, "setpoint").Value);
        Assert.Single(SetpointRequests(session));
        Assert.Single(SetpointReplies(session));
        Assert.Empty(OperatorReplies(session));
    }

    [Fact]
    public void IpcDelay_TheStepLandsLaterByTheDelay()
    {
        var plain = Boot("");
        var delayed = Boot($"ipc-delay:{Commands}@119s+5s=2500");
        plain.Platform.RunUntil(130 * SecondNs);
        delayed.Platform.RunUntil(122 * SecondNs);
        AssertInjected(delayed, FaultKind.IpcDelay, "tank-controller", 119 * SecondNs);
        var sentNs = Assert.Single(SetpointRequests(plain)).TimeNs;
        Assert.InRange(sentNs, 120 * SecondNs, 120 * SecondNs + 100 * MillisecondNs);
        Assert.Empty(SetpointRequests(delayed));
        Assert.Equal(1.0, Output(delayed, "setpoint").Value);

        delayed.Platform.RunUntil(130 * SecondNs);
        Assert.Equal(sentNs + 2_500 * MillisecondNs, Assert.Single(SetpointRequests(delayed)).TimeNs);
        Assert.Equal(1.2, Output(delayed, "setpoint").Value);

        // The reply, sent inside the fault's window, is delayed as well: it reaches the operator 2.5 s after it left.
        var reply = Assert.Single(SetpointReplies(delayed));
        Assert.Equal(reply.TimeNs + 2_500 * MillisecondNs, Assert.Single(OperatorReplies(delayed)).TimeNs);
    }

    [Fact]
    public void IpcDuplicate_TheControllerSeesTheRequestTwice_AndAnswersBoth()
    {
        var session = Boot($"ipc-duplicate:{Commands}/{FaultTarget.Requests}@119s+5s");
        session.Platform.RunUntil(130 * SecondNs);
        AssertInjected(session, FaultKind.IpcDuplicate, "tank-controller", 119 * SecondNs);
        var requests = SetpointRequests(session);
        Assert.Equal(2, requests.Count);
        Assert.Equal(requests[0].TimeNs, requests[1].TimeNs);
        Assert.Equal(2, OperatorReplies(session).Count);
        Assert.Equal(1.2, Output(session, "setpoint").Value);
        Assert.All(session.Kernel.Services, s => Assert.Equal(0, s.Faults));
    }

    [Fact]
    public void IpcCorrupt_TheControllerRefusesOrTakesAWrongSetpoint_AndNothingCrashes()
    {
        // Three bytes of the 9-byte SetSetpoint change, which and how from the faults' stream: the
        // command byte (the controller answers unknown command or malformed, and the operator reports
        // the refusal, a fault its supervisor restarts it from) or the f64 (a wrong setpoint, or one
        // not finite that the loop refuses). The controller never faults; across seeds both happen.
        var refused = 0;
        var wrong = 0;
        for (var seed = 1UL; seed <= 6; seed++)
        {
            var session = Boot($"ipc-corrupt:{Commands}/{FaultTarget.Requests}@119s+5s=3", seed);
            session.Platform.RunUntil(130 * SecondNs);
            AssertInjected(session, FaultKind.IpcCorrupt, "tank-controller", 119 * SecondNs);
            Assert.Single(SetpointRequests(session));
            var controller = session.Kernel.Service("tank-controller");
            Assert.Equal((0, ServiceState.Running), (controller.Faults, controller.State));
            var setpoint = Output(session, "setpoint").Value;
            if (setpoint == 1.0)
            {
                Assert.Equal("reported: the controller refused the setpoint step", session.Kernel.Service("operator").LastFault);
                refused++;
            }
            else
            {
                Assert.NotEqual(1.2, setpoint);
                wrong++;
            }
        }

        Assert.True(refused > 0 && wrong > 0, $"refused {refused}, wrong setpoint {wrong} of 6 seeds");
    }

    [Fact]
    public void RegionStale_TheControllerSeesTheLevelUncertain_AndFrozen_UntilTheFaultEnds()
    {
        var session = Boot("region-stale:tank.inputs@30s+2s");
        session.Platform.RunUntil(30 * SecondNs + 20 * MillisecondNs);
        AssertInjected(session, FaultKind.RegionStale, "level-sensor", 30 * SecondNs);
        var frozen = Level(session).Value;
        Assert.Equal(Quality.Good, Output(session, "pv").Quality);

        // Past the staleness (3 periods of 10 ms, at least 50 ms) the controller's reads are Uncertain:
        // it still uses the value (a doubtful one) and reports its process value Uncertain.
        for (var t = 30_100; t < 32_000; t += 100)
        {
            session.Platform.RunUntil(t * MillisecondNs);
            Assert.Equal((frozen, Quality.Uncertain), Output(session, "pv"));
            Assert.Equal(frozen, Level(session).Value);
        }

        Assert.Equal(1.0, Output(session, "mode").Value);
        session.Platform.RunUntil(32 * SecondNs + 20 * MillisecondNs);
        Assert.Equal(Quality.Good, Output(session, "pv").Quality);
        Assert.NotEqual(frozen, Level(session).Value);
    }

    [Fact]
    public void RegionCorrupt_WithAValue_TheReaderSeesIt_AndTheLoopDrivesThePumpDown()
    {
        var plain = Boot("");
        var corrupt = Boot("region-corrupt:tank.inputs/level@30s+2s=1.9");
        plain.Platform.RunUntil(31 * SecondNs);
        corrupt.Platform.RunUntil(31 * SecondNs);
        AssertInjected(corrupt, FaultKind.RegionCorrupt, "level-sensor", 30 * SecondNs);
        Assert.Equal((1.9, Quality.Good), Level(corrupt));
        Assert.Equal((1.9, Quality.Good), Output(corrupt, "pv"));
        Assert.True(Output(corrupt, "pump").Value < Output(plain, "pump").Value - 10, $"pump {Output(corrupt, "pump")} against {Output(plain, "pump")}");

        corrupt.Platform.RunUntil(32 * SecondNs + 20 * MillisecondNs);
        Assert.InRange(Level(corrupt).Value, 0.3, 1.5);
    }

    [Fact]
    public void RegionCorrupt_WithoutAValue_TheReaderSeesNaN_AndTheLoopHoldsItsOutput()
    {
        var session = Boot("region-corrupt:tank.inputs@30s+2s");
        session.Platform.RunUntil(30 * SecondNs + 20 * MillisecondNs);
        Assert.True(double.IsNaN(Level(session).Value));
        var held = Output(session, "pump").Value;
        session.Platform.RunUntil(31 * SecondNs);
        Assert.Equal(Quality.Bad, Output(session, "pv").Quality);
        Assert.Equal(held, Output(session, "pump").Value);
        Assert.Equal(0, session.Kernel.Service("tank-controller").Faults);
    }

    [Fact]
    public void IpcAndRegionFaults_SameSeedAndSchedule_SameDigest()
    {
        const string schedule = "ipc-drop:tank-controller.commands@100s+30s=0.5,ipc-delay:tank-controller.commands@110s+15s=300,"
            + "ipc-duplicate:tank-controller.commands@115s+10s=0.5,ipc-corrupt:tank-controller.commands/replies@118s+5s,"
            + "region-stale:tank.outputs/pump@121s+1s,region-corrupt:tank.inputs/level@123s+500ms=0.5";
        var first = Digest(schedule, 9, 130 * SecondNs);
        Assert.Equal(first, Digest(schedule, 9, 130 * SecondNs));
        Assert.NotEqual(first, Digest(schedule, 10, 130 * SecondNs));
    }

    [Fact]
    public void RegionAndIpcFaults_WhileActing_TheWholeSystemAllocatesNothing()
    {
        var session = Boot($"region-corrupt:tank.inputs/level@130s+60s=1.1,region-stale:tank.outputs/mode@130s+60s,ipc-delay:{Commands}@130s+60s=10");
        session.Platform.RunUntil(131 * SecondNs);
        const long periodNs = 10_000_000;
        AllocationAssert.NoAllocations(1_000, _ => session.Platform.RunUntil(session.Platform.NowNs + periodNs));
        Assert.Equal(1.1, Level(session).Value);
    }
}
