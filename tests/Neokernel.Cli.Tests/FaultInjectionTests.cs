using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Tests;

/// <summary>Each fault of the library, injected into the tank demo on virtual time, and what it does there.</summary>
public sealed partial class FaultInjectionTests
{
    private const long SecondNs = 1_000_000_000;
    private const long MillisecondNs = 1_000_000;

    private static SimulationSession Boot(string schedule, ulong seed = 5, string system = "")
    {
        var catalog = Composition.Catalog();
        var definition = Composition.LoadSystem(system.Length > 0 ? system : Repository.TankDemo, catalog, TextWriter.Null)!;
        var faults = FaultSchedule.Parse(schedule);
        Assert.Empty(faults.Check(definition));
        return SimulationSession.Boot(definition, catalog, seed, null, faults);
    }

    private static (double Value, Quality Quality) Level(SimulationSession session)
    {
        var inputs = session.Kernel.FindRegion("tank.inputs")!;
        var snapshot = new RegionSnapshot(inputs.PointCount);
        Assert.True(session.Kernel.TryInspect(inputs, snapshot));
        return (snapshot.Value(0), snapshot.Quality(0));
    }

    private static string Digest(string schedule, ulong seed, long durationNs)
    {
        var session = Boot(schedule, seed);
        session.Run(durationNs, failOnFault: false);
        return session.Kernel.Trace.DigestHex;
    }

    [Fact]
    public void Crash_FaultsTheService_TheSupervisorRestartsIt_AndTheTraceRecordsTheInjection()
    {
        var session = Boot("crash:level-sensor@5s");
        session.Platform.RunUntil(6 * SecondNs);
        var sensor = session.Kernel.Service("level-sensor");
        Assert.Equal(1, sensor.Faults);
        Assert.Equal(1, sensor.Restarts);
        Assert.Equal("crashed (injected fault)", sensor.LastFault);
        Assert.Equal(ServiceState.Running, sensor.State);
        var injected = Assert.Single(session.Kernel.Trace.Events(TraceEventKind.FaultInject));
        Assert.Equal(5 * SecondNs, injected.TimeNs);
        Assert.Equal(sensor.TraceId, injected.Subject);
        Assert.Equal((long)FaultKind.Crash, injected.Arg1);
        Assert.Equal("crash:level-sensor@5s", session.Kernel.Trace.NoteOf(injected.Sequence));
        Assert.Equal(1, session.Faults!.Injected);
        Assert.Equal(1, session.Faults.InjectedOf(FaultKind.Crash));
    }

    [Fact]
    public void SameSeedAndSchedule_SameDigest_AnotherScheduleAnother()
    {
        const string schedule = "crash:level-sensor@3s,sensor-noise:sim://tank/level@4s+2s=0.05,overrun:pump-actuator@6s+1s=15";
        var first = Digest(schedule, 9, 10 * SecondNs);
        Assert.Equal(first, Digest(schedule, 9, 10 * SecondNs));
        Assert.NotEqual(first, Digest("crash:level-sensor@4s", 9, 10 * SecondNs));
        Assert.NotEqual(first, Digest("", 9, 10 * SecondNs));
    }

    [Fact]
    public void AFault_LeavesTheServicesRandomStreamsWhereTheyWere()
    {
        // Noise draws from the faults' own stream: the level sensor's transmitter noise before the
        // fault (and the plant's) is the same with and without it, so the two runs' digests agree
        // up to the injection and the level reads alike just before it.
        var plain = Boot("");
        var noisy = Boot("sensor-noise:sim://tank/level@20s+1s=0.2");
        plain.Platform.RunUntil(20 * SecondNs - MillisecondNs);
        noisy.Platform.RunUntil(20 * SecondNs - MillisecondNs);
        Assert.Equal(plain.Kernel.Trace.DigestHex, noisy.Kernel.Trace.DigestHex);
        Assert.Equal(Level(plain), Level(noisy));
    }

    [Fact]
    public void MemoryExhaustion_KillsTheServiceAsItsLimitWould()
    {
        var session = Boot("memory-exhaustion:tank-controller@5s");
        session.Platform.RunUntil(6 * SecondNs);
        var controller = session.Kernel.Service("tank-controller");
        Assert.Equal(1, controller.Faults);
        Assert.StartsWith("out of memory", controller.LastFault, StringComparison.Ordinal);
        Assert.Equal(ServiceState.Running, controller.State);
    }

    [Fact]
    public void Hang_LongerThanTheHeartbeatTimeout_TheWatchdogFaultsIt_AndTheRestartedInstanceRuns()
    {
        var session = Boot("hang:tank-controller@5s+3s");
        session.Platform.RunUntil(5 * SecondNs);
        var controller = session.Kernel.Service("tank-controller");
        var cycles = controller.CyclesEver;
        session.Platform.RunUntil(6 * SecondNs);
        Assert.Equal(1, controller.Faults);
        Assert.StartsWith("missed heartbeat", controller.LastFault, StringComparison.Ordinal);
        Assert.True(controller.CyclesEver > cycles + 50, $"the restarted instance ran {controller.CyclesEver - cycles} cycles in the hang's window");
    }

    [Fact]
    public void Hang_ShorterThanTheHeartbeatTimeout_CostsCyclesButNoFault()
    {
        var plain = Boot("");
        var hung = Boot("hang:tank-controller@5s+30ms");
        plain.Platform.RunUntil(6 * SecondNs);
        hung.Platform.RunUntil(6 * SecondNs);
        var controller = hung.Kernel.Service("tank-controller");
        Assert.Equal(0, controller.Faults);
        Assert.Equal(plain.Kernel.Service("tank-controller").CyclesEver - 3, controller.CyclesEver);
    }

    [Fact]
    public void Overrun_PastTheDeadline_TheWatchdogFaultsTheLoop()
    {
        // The controller's deadline is 2 ms of its 10 ms period, with the fault policy after 3 in a row.
        var session = Boot("overrun:tank-controller@5s+1s=5");
        session.Platform.RunUntil(6 * SecondNs);
        var controller = session.Kernel.Service("tank-controller");
        Assert.True(controller.Faults >= 1);
        Assert.StartsWith("watchdog:", controller.LastFault, StringComparison.Ordinal);
        Assert.True(controller.OverrunsEver >= 3);
    }

    [Fact]
    public void Overrun_WithinTheDeadline_IsNone()
    {
        var session = Boot("overrun:tank-controller@5s+1s=0.5");
        session.Platform.RunUntil(7 * SecondNs);
        var controller = session.Kernel.Service("tank-controller");
        Assert.Equal(0, controller.OverrunsEver);
        Assert.Equal(0, controller.Faults);
    }

    [Fact]
    public void SensorStuck_ReadsItsValueForTheDuration_ThenTheTrueLevelAgain()
    {
        var session = Boot("sensor-stuck:sim://tank/level@20s+10s=0.2");
        // The device is stuck; the transmitter still adds its 1 mm noise and quantisation.
        for (var t = 21; t < 30; t++)
        {
            session.Platform.RunUntil(t * SecondNs);
            Assert.Equal(Quality.Good, Level(session).Quality);
            Assert.InRange(Level(session).Value, 0.195, 0.205);
        }

        session.Platform.RunUntil(31 * SecondNs);
        Assert.InRange(Level(session).Value, 0.3, 2.0);
    }

    [Fact]
    public void SensorStuck_WithoutAValue_HoldsTheReadingAtItsStart()
    {
        var session = Boot("sensor-stuck:sim://tank/level@20s+5s");
        session.Platform.RunUntil(20 * SecondNs + 50 * MillisecondNs);
        var stuck = Level(session).Value;
        for (var t = 21; t < 25; t++)
        {
            // The loop moves the true level meanwhile; the reading stays within the transmitter's noise.
            session.Platform.RunUntil(t * SecondNs);
            Assert.InRange(Level(session).Value, stuck - 0.005, stuck + 0.005);
        }
    }

    [Fact]
    public void SensorDrift_MovesTheReadingAwayAtItsRate()
    {
        var plain = Boot("");
        var drifting = Boot("sensor-drift:sim://tank/level@20s+10s=0.3");
        plain.Platform.RunUntil(21 * SecondNs);
        drifting.Platform.RunUntil(21 * SecondNs);

        // One second at 0.3 m/s, less what the loop has moved the true level meanwhile.
        Assert.InRange(Level(drifting).Value - Level(plain).Value, 0.25, 0.32);
    }

    [Fact]
    public void SensorNoise_StaysWithinItsAmplitude_AndEndsWithTheBurst()
    {
        var plain = Boot("");
        var noisy = Boot("sensor-noise:sim://tank/level@20s+2s=0.05");
        var largest = 0.0;
        for (var t = 20_010; t < 22_000; t += 10)
        {
            plain.Platform.RunUntil(t * MillisecondNs);
            noisy.Platform.RunUntil(t * MillisecondNs);
            largest = Math.Max(largest, Math.Abs(Level(noisy).Value - Level(plain).Value));
        }

        Assert.InRange(largest, 0.05, 6 * 0.05);
    }

    [Fact]
    public void SensorOutOfRange_TheTransmitterClampsAndSaysUncertain()
    {
        var session = Boot("sensor-out-of-range:sim://tank/level@20s+5s");
        session.Platform.RunUntil(22 * SecondNs);
        Assert.Equal((2.0, Quality.Uncertain), Level(session));
    }

    [Fact]
    public void ActuatorStuck_ThePumpHoldsWhileTheLoopAsksForMore()
    {
        // Stuck at the start of the operator's setpoint step (120 s, to 1.2 m): the loop drives its
        // output up, the pump does not follow, and the level stays short of the step.
        var plain = Boot("");
        var stuck = Boot("actuator-stuck:sim://tank/pump@119s+60s");
        plain.Platform.RunUntil(170 * SecondNs);
        stuck.Platform.RunUntil(170 * SecondNs);
        Assert.True(Level(stuck).Value < Level(plain).Value - 0.05, $"stuck {Level(stuck)}, plain {Level(plain)}");
    }

    [Fact]
    public void ClockJump_MovesOnlyThatServicesView()
    {
        var session = Boot("clock-jump:operator@5s=2500");
        session.Platform.RunUntil(6 * SecondNs);
        var platformClock = session.Platform.Clock.NowNs;
        Assert.Equal(platformClock + 2500 * MillisecondNs, session.Platform.ClockFor("operator").NowNs);
        Assert.Equal(platformClock, session.Platform.ClockFor("level-sensor").NowNs);
        Assert.Equal(1, session.Faults!.InjectedOf(FaultKind.ClockJump));
    }

    [Fact]
    public void CrashOfAFailedService_IsCountedAsFoundNothing()
    {
        var session = Boot("crash:operator@5s");
        session.Kernel.Shutdown();
        session.Platform.RunUntil(6 * SecondNs);
        Assert.Equal(0, session.Faults!.Injected);
        Assert.Equal(1, session.Faults.Missed);
    }

    [Theory]
    [InlineData("crash:nobody@5s", "no service 'nobody'")]
    [InlineData("explode:level-sensor@5s", "no fault 'explode'; the faults are crash, hang")]
    [InlineData("crash:level-sensor", "no time")]
    [InlineData("crash:level-sensor@5", "needs a unit")]
    [InlineData("crash:level-sensor@5s+1s", "takes no duration")]
    [InlineData("overrun:tank-controller@5s", "needs a value")]
    [InlineData("sensor-stuck:sim://tank/valve@5s", "no service reads device 'sim://tank/valve'; the system's devices are sim://tank/level, sim://tank/pump")]
    [InlineData("actuator-stuck:sim://tank/valve@5s", "no service writes device 'sim://tank/valve'")]
    [InlineData("sensor-stuck:modbus-tcp://127.0.0.1:502@5s", "acts on simulated devices")]
    [InlineData("hang:gateway@5s", "'gateway' has no timing section")]
    [InlineData("ipc-drop:tank-controller.cmds@5s", "no endpoint 'tank-controller.cmds' in system 'tank-demo'; its endpoints are kernel.control, kernel.status, tank-controller.commands")]
    [InlineData("ipc-delay:tank-controller.commands/sideways@5s=10", "acts on an endpoint's requests or replies, not 'sideways'")]
    [InlineData("region-stale:tank.input@5s", "no region 'tank.input' in system 'tank-demo'; its regions are tank.inputs, tank.outputs")]
    [InlineData("region-corrupt:tank.inputs/flow@5s", "region 'tank.inputs' has no point 'flow'; its points are level")]
    public void Sim_BadFaults_AreAUsageErrorThatSaysWhatIsWrong(string faults, string expected)
    {
        var result = CliResult.Run("sim", Repository.TankDemo, "--duration", "1s", "--faults", faults);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--faults: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Sim_WithFaults_SaysWhatItInjected_AndAFailingRunPrintsTheCommandThatReplaysIt()
    {
        const string faults = "crash:level-sensor@2s,sensor-stuck:sim://tank/level@3s+1s=0.5";
        var result = CliResult.Run("sim", Repository.TankDemo, "--duration", "5s", "--seed", "4", "--faults", faults, "--fail-on-fault");
        Assert.Equal(1, result.ExitCode);
        // --fail-on-fault stops the run at the crash's fault, before the sensor fault is due.
        Assert.Contains("faults injected: 1 of 2 (crash 1)", result.Output, StringComparison.Ordinal);
        var reproduce = result.Error.Split('\n').Single(l => l.StartsWith("reproduce: ", StringComparison.Ordinal));
        Assert.Equal($"reproduce: neokernel sim {Repository.TankDemo} --seed 4 --duration 5s --faults '{faults}' --fail-on-fault", reproduce.TrimEnd());
        var digest = result.Output.Split('\n').Single(l => l.StartsWith("trace digest: ", StringComparison.Ordinal));

        var replay = CliResult.Run("sim", Repository.TankDemo, "--seed", "4", "--duration", "5s", "--faults", faults, "--fail-on-fault");
        Assert.Contains(digest, replay.Output, StringComparison.Ordinal);
    }
}
