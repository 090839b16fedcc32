using Neokernel.Fieldbus;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Driver;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Faults;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The Modbus faults on the virtual network, injected into tank-modbus (plc-io, a Modbus TCP
/// master, polls the simulated plant's slave at 127.0.0.1:1502 every 10 ms with a 50 ms timeout),
/// and what the master makes of each: its counters, its link, the level's quality, its recovery.
/// </summary>
public sealed class ModbusFaultTests
{
    private const long SecondNs = 1_000_000_000;
    private const long MillisecondNs = 1_000_000;
    private const string Slave = "modbus-tcp://127.0.0.1:1502";

    private static string TankModbus => Path.Combine(Repository.Root, "manifests", "systems", "tank-modbus.yaml");

    /// <summary>A run of tank-modbus with a fault schedule, and a handle on plc-io's master (the current instance's).</summary>
    private sealed class Run
    {
        private readonly MasterHandle handle;

        public Run(string schedule, ulong seed = 5)
        {
            handle = new MasterHandle();
            var catalog = CatalogCapturing(handle);
            var definition = Composition.LoadSystem(TankModbus, catalog, TextWriter.Null)!;
            var faults = FaultSchedule.Parse(schedule);
            Assert.Empty(faults.Check(definition));
            Session = SimulationSession.Boot(definition, catalog, seed, null, faults);
        }

        public SimulationSession Session { get; }

        public ModbusMaster Master => handle.Driver?.Master ?? throw new InvalidOperationException("plc-io's driver has not started");

        public ModbusMasterDriver Driver => handle.Driver!;

        public ServiceRuntime PlcIo => Session.Kernel.Service("plc-io");

        public void RunUntil(long nowNs) => Session.Platform.RunUntil(nowNs);

        public (double Value, Quality Quality, long TimestampNs) Level()
        {
            var inputs = Session.Kernel.FindRegion("tank.inputs")!;
            var snapshot = new RegionSnapshot(inputs.PointCount);
            Assert.True(Session.Kernel.TryInspect(inputs, snapshot));
            return (snapshot.Value(0), snapshot.Quality(0), snapshot.TimestampNs(0));
        }

        /// <summary>The replies the master took in [<paramref name="fromNs"/>, <paramref name="toNs"/>), running the session to each end.</summary>
        public long ResponsesBetween(long fromNs, long toNs)
        {
            RunUntil(fromNs);
            var before = Master.Counters.Responses;
            RunUntil(toNs);
            return Master.Counters.Responses - before;
        }

        /// <summary>The level's quality at every millisecond of [<paramref name="fromNs"/>, <paramref name="toNs"/>).</summary>
        public List<Quality> QualitiesBetween(long fromNs, long toNs)
        {
            var qualities = new List<Quality>();
            for (var t = fromNs; t < toNs; t += MillisecondNs)
            {
                RunUntil(t);
                qualities.Add(Level().Quality);
            }

            return qualities;
        }

        public TraceEvent Injection()
        {
            var injected = Assert.Single(Session.Kernel.Trace.Events(TraceEventKind.FaultInject));
            Assert.Equal(PlcIo.TraceId, injected.Subject);
            return injected;
        }

        /// <summary>The master never crashed or restarted: the faults are the network's, handled in the engine.</summary>
        public void AssertPlcIoRodeItOut()
        {
            Assert.Equal(0, PlcIo.Faults);
            Assert.Equal(0, PlcIo.Restarts);
            Assert.Equal(ServiceState.Running, PlcIo.State);
        }
    }

    private sealed class MasterHandle
    {
        public ModbusMasterDriver? Driver { get; set; }
    }

    /// <summary>The CLI's catalog, with plc-io's program made so the test keeps the instance it starts.</summary>
    private static ProgramCatalog CatalogCapturing(MasterHandle handle)
    {
        var catalog = new ProgramCatalog();
        foreach (var descriptor in Composition.Catalog().All)
        {
            catalog.Add(descriptor.Type != FieldbusPrograms.ModbusMasterType ? descriptor : descriptor with
            {
                Create = () => handle.Driver = new ModbusMasterDriver(),
            });
        }

        return catalog;
    }

    private static string Digest(string schedule, ulong seed, long durationNs)
    {
        var run = new Run(schedule, seed);
        run.Session.Run(durationNs, failOnFault: false);
        return run.Session.Kernel.Trace.DigestHex;
    }

    [Fact]
    public void ModbusTimeout_EveryRequestTimesOut_TheLevelGoesBad_AndGoodOnceRepliesComeBack()
    {
        var run = new Run($"modbus-timeout:{Slave}@10s+2s");
        run.RunUntil(10 * SecondNs - MillisecondNs);
        Assert.Equal(Quality.Good, run.Level().Quality);
        Assert.Equal(0, run.Master.Counters.Timeouts);

        run.RunUntil(10 * SecondNs + 100 * MillisecondNs);
        var injected = run.Injection();
        Assert.Equal(10 * SecondNs, injected.TimeNs);
        Assert.Equal((long)FaultKind.ModbusTimeout, injected.Arg1);
        Assert.Equal(Quality.Bad, run.Level().Quality);

        run.RunUntil(12 * SecondNs);
        // One request in flight at a time (plc-io does not pipeline), each timing out after 50 ms: 40 in 2 s.
        Assert.InRange(run.Master.Counters.Timeouts, 39, 40);
        Assert.Equal(Quality.Bad, run.Level().Quality);
        // Polls and pump writes take turns in the master's queue: about half are writes that failed.
        Assert.InRange(run.Driver.OutputFailures, 15, 25);
        Assert.True(run.Session.Faults!.ModbusCounters.RepliesLost >= run.Master.Counters.Timeouts - 2);

        run.RunUntil(12 * SecondNs + 100 * MillisecondNs);
        var timeouts = run.Master.Counters.Timeouts;
        Assert.Equal(Quality.Good, run.Level().Quality);
        run.RunUntil(14 * SecondNs);
        Assert.Equal(timeouts, run.Master.Counters.Timeouts);
        Assert.Equal(MasterLinkState.Up, run.Master.Link);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ModbusException_EveryReplyIsTheException_TheLevelGoesBad_WithoutATimeout()
    {
        var run = new Run($"modbus-exception:{Slave}@10s+1s=2");
        run.RunUntil(10 * SecondNs + 50 * MillisecondNs);
        Assert.Equal((long)FaultKind.ModbusException, run.Injection().Arg1);
        Assert.Equal(Quality.Bad, run.Level().Quality);

        run.RunUntil(11 * SecondNs);
        // Answered at once, so every poll period and every pump write gets its exception: 100 of each in 1 s.
        Assert.InRange(run.Master.Counters.Exceptions, 190, 202);
        Assert.Equal(0, run.Master.Counters.Timeouts);
        Assert.Equal(0, run.Master.Counters.InvalidReplies);
        Assert.InRange(run.Driver.OutputFailures, 95, 101);

        run.RunUntil(11 * SecondNs + 20 * MillisecondNs);
        Assert.Equal(Quality.Good, run.Level().Quality);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ModbusException_WithoutAValue_AnswersServerDeviceFailure_ToTheSameFunction()
    {
        var run = new Run($"modbus-exception:{Slave}@10s+1s");
        run.RunUntil(10 * SecondNs + 50 * MillisecondNs);
        var completion = new Completion();
        Assert.Equal(SubmitResult.Queued, run.Master.Submit(1, ModbusRequest.ReadHoldingRegisters(0, 1), default, completion));
        run.RunUntil(10 * SecondNs + 60 * MillisecondNs);
        Assert.Equal(ModbusStatus.Exception, completion.Result!.Value.Status);
        Assert.Equal(ExceptionCode.ServerDeviceFailure, completion.Result.Value.Exception);
        Assert.Equal(FunctionCode.ReadHoldingRegisters, completion.Result.Value.Request.Function);
    }

    private sealed class Completion : IModbusCompletion
    {
        public ModbusResult? Result { get; private set; }

        public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data) => Result = result;
    }

    [Fact]
    public void ModbusGarbled_TheMasterCountsEveryBrokenReply_NeverCrashes_AndRecovers()
    {
        var run = new Run($"modbus-garbled:{Slave}@10s+2s");
        run.RunUntil(10 * SecondNs - MillisecondNs);
        var before = Errors(run.Master.Counters);
        var qualities = run.QualitiesBetween(10 * SecondNs, 12 * SecondNs);
        Assert.Equal((long)FaultKind.ModbusGarbled, run.Injection().Arg1);
        var garbled = run.Session.Faults!.ModbusCounters.RepliesGarbled;
        // Every reply while the fault lasts is garbled, each costing a timeout or a reconnect.
        Assert.InRange(garbled, 20, 60);

        // Every garbled reply is seen: as a broken frame (the link reset, the request Invalid), a
        // wrong function (Invalid), an unknown id or unit (dropped, then its request's timeout).
        var errors = Errors(run.Master.Counters) - before;
        Assert.True(errors >= garbled, $"{errors} errors for {garbled} garbled replies");
        Assert.True(run.Master.Counters.Reconnects > 0, "a broken MBAP header resets the link");
        Assert.DoesNotContain(Quality.Good, qualities.Skip(100));

        run.RunUntil(14 * SecondNs);
        Assert.Equal(Quality.Good, run.Level().Quality);
        Assert.Equal(MasterLinkState.Up, run.Master.Link);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ModbusGarbled_WithAChance_GarblesThatShareOfReplies()
    {
        var run = new Run($"modbus-garbled:{Slave}@10s+5s=0.1");
        var replies = run.ResponsesBetween(10 * SecondNs, 15 * SecondNs);
        var garbled = run.Session.Faults!.ModbusCounters.RepliesGarbled;
        // Each garbled reply costs the master a timeout or a reconnect, so fewer replies arrive than
        // without the fault; of those that do, about one in ten is garbled.
        Assert.True(replies > 100, $"{replies} replies");
        Assert.InRange(garbled / (double)(garbled + replies), 0.05, 0.2);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ModbusDisconnect_TheLinkGoesDown_AttemptsFailWhileCut_AndTheMasterReconnectsPerItsBackoff()
    {
        var run = new Run($"modbus-disconnect:{Slave}@10s+2s");
        run.RunUntil(10 * SecondNs + MillisecondNs);
        Assert.Equal((long)FaultKind.ModbusDisconnect, run.Injection().Arg1);
        Assert.Equal(MasterLinkState.Down, run.Master.Link);
        Assert.Equal(Kernel.Devices.DeviceError.ConnectionReset, run.Master.LinkError);
        var faults = run.Session.Faults!.ModbusCounters;
        Assert.Equal(1, faults.ConnectionsCut);

        run.RunUntil(10 * SecondNs + 20 * MillisecondNs);
        Assert.Equal(Quality.Bad, run.Level().Quality);

        run.RunUntil(12 * SecondNs);
        // The backoff doubles from 50 ms: attempts at 50, 150, 350, 750 and 1550 ms into the cut fail.
        Assert.Equal(5, faults.ConnectionsRefused);
        Assert.Equal(Kernel.Devices.DeviceError.Unreachable, run.Master.LinkError);
        Assert.Equal(0, run.Master.Counters.Reconnects);

        // The next attempt, 1.6 s after the last failure capped at 1 s, comes at 12.55 s and connects.
        run.RunUntil(12 * SecondNs + 540 * MillisecondNs);
        Assert.Equal(MasterLinkState.Down, run.Master.Link);
        run.RunUntil(12 * SecondNs + 600 * MillisecondNs);
        Assert.Equal(MasterLinkState.Up, run.Master.Link);
        Assert.Equal(1, run.Master.Counters.Reconnects);
        Assert.Equal(Quality.Good, run.Level().Quality);
        Assert.Equal(1 + 5 + 1, faults.ConnectionsOpened);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ModbusDisconnect_Brief_TheMasterIsBackAfterItsFirstBackoff()
    {
        var run = new Run($"modbus-disconnect:{Slave}@10s+1ms");
        run.RunUntil(10 * SecondNs + 40 * MillisecondNs);
        Assert.Equal(MasterLinkState.Down, run.Master.Link);
        run.RunUntil(10 * SecondNs + 70 * MillisecondNs);
        Assert.Equal(MasterLinkState.Up, run.Master.Link);
        Assert.Equal(1, run.Master.Counters.Reconnects);
        Assert.Equal(0, run.Session.Faults!.ModbusCounters.ConnectionsRefused);
        Assert.Equal(Quality.Good, run.Level().Quality);
    }

    [Fact]
    public void ModbusDelay_ShorterThanTheTimeout_EveryReplyComesThatLate_NoneTimesOut_AndTheLevelKeepsBeingRead()
    {
        var run = new Run($"modbus-delay:{Slave}@10s+2s=20");
        var fullRate = run.ResponsesBetween(9 * SecondNs, 10 * SecondNs);
        var atStart = run.Master.Counters.Responses;
        var qualities = run.QualitiesBetween(10 * SecondNs, 12 * SecondNs);
        var injected = run.Injection();
        Assert.Equal((long)FaultKind.ModbusDelay, injected.Arg1);
        Assert.Equal(10 * SecondNs, injected.TimeNs);
        var delayed = run.Master.Counters.Responses - atStart;

        // One request in flight at a time, each answered 20 ms late: about 50 replies a second
        // instead of the 200 (a poll and a pump write every 10 ms) that came the second before.
        Assert.InRange(fullRate, 190, 202);
        Assert.InRange(delayed, 90, 101);
        Assert.InRange(run.Session.Faults!.ModbusCounters.RepliesDelayed, delayed - 1, delayed + 1);
        Assert.Equal(0, run.Master.Counters.Timeouts);
        Assert.Equal(0, run.Master.Counters.LateReplies);
        Assert.Equal(0, run.Master.Counters.InvalidReplies);
        Assert.DoesNotContain(Quality.Bad, qualities);

        Assert.InRange(run.ResponsesBetween(13 * SecondNs, 14 * SecondNs), 190, 202);
        Assert.Equal(Quality.Good, run.Level().Quality);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ModbusDelay_PastTheTimeout_EveryRequestTimesOut_AndEachLateReplyIsCountedNotTakenForTheNextRequest()
    {
        var run = new Run($"modbus-delay:{Slave}@10s+2s=80");
        run.RunUntil(10 * SecondNs - MillisecondNs);
        var responses = run.Master.Counters.Responses;
        run.RunUntil(10 * SecondNs + 100 * MillisecondNs);
        Assert.Equal(Quality.Bad, run.Level().Quality);

        run.RunUntil(12 * SecondNs);
        // Each request times out after 50 ms, and its reply comes 30 ms after that, while the next
        // request waits for its own: the master counts it late and the next still times out.
        Assert.InRange(run.Master.Counters.Timeouts, 38, 41);
        Assert.InRange(run.Master.Counters.LateReplies, run.Master.Counters.Timeouts - 2, run.Master.Counters.Timeouts);
        Assert.Equal(0, run.Master.Counters.InvalidReplies);
        Assert.InRange(run.Master.Counters.Responses - responses, 0, 1);
        Assert.Equal(Quality.Bad, run.Level().Quality);

        // Replies delayed to past the fault's end still come late; then the link is as before.
        run.RunUntil(12 * SecondNs + 200 * MillisecondNs);
        Assert.Equal(Quality.Good, run.Level().Quality);
        var timeouts = run.Master.Counters.Timeouts;
        run.RunUntil(14 * SecondNs);
        Assert.Equal(timeouts, run.Master.Counters.Timeouts);
        Assert.Equal(MasterLinkState.Up, run.Master.Link);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ModbusFaults_SameSeedAndSchedule_SameDigest_AnotherScheduleAnother()
    {
        var schedule = $"modbus-timeout:{Slave}@3s+500ms,modbus-exception:{Slave}@4s+500ms,modbus-garbled:{Slave}@5s+1s=0.5,modbus-disconnect:{Slave}@7s+1s,modbus-delay:{Slave}@8500ms+500ms=30";
        var first = Digest(schedule, 9, 10 * SecondNs);
        Assert.Equal(first, Digest(schedule, 9, 10 * SecondNs));
        Assert.NotEqual(first, Digest(schedule, 10, 10 * SecondNs));
        Assert.NotEqual(first, Digest($"modbus-timeout:{Slave}@3s+500ms", 9, 10 * SecondNs));
    }

    [Fact]
    public void ModbusFault_NotYetDue_LeavesTheRunAsWithout()
    {
        // The connection carries the faults from the start, yet hands the master the same bytes
        // until one is in effect: the trace is the fault-free run's, event for event.
        Assert.Equal(Digest("", 9, 20 * SecondNs), Digest($"modbus-garbled:{Slave}@30s", 9, 20 * SecondNs));
    }

    [Fact]
    public void ModbusFault_OnTheSlavesAddressWithAQuery_ActsOnTheSameSlave()
    {
        var run = new Run($"modbus-timeout:{Slave}?unit=1@10s+1s");
        run.RunUntil(11 * SecondNs);
        Assert.True(run.Master.Counters.Timeouts > 10);
    }

    [Fact]
    public void ClockJump_Back_OnTheMaster_ArmsEveryTimeoutInThePast_SoEveryRequestTimesOut()
    {
        // The master arms a request's timeout at its clock's now + 50 ms; its clock is plc-io's
        // jumped view, its timers the platform's. Half a second back puts every timeout 450 ms in
        // the past: it fires before the reply (50 us away) arrives, which then comes late.
        var run = new Run("clock-jump:plc-io@10s=-500");
        run.RunUntil(10 * SecondNs - MillisecondNs);
        Assert.Equal(Quality.Good, run.Level().Quality);
        Assert.Equal(0, run.Master.Counters.Timeouts);

        run.RunUntil(11 * SecondNs);
        Assert.Equal((long)FaultKind.ClockJump, run.Injection().Arg1);
        Assert.Equal(Quality.Bad, run.Level().Quality);
        Assert.True(run.Master.Counters.Timeouts > 150, $"{run.Master.Counters.Timeouts} timeouts");
        Assert.True(run.Master.Counters.LateReplies > 150, $"{run.Master.Counters.LateReplies} late replies");

        // The jump stays, and so does the fault in the master's view of time: it never recovers.
        var timeouts = run.Master.Counters.Timeouts;
        run.RunUntil(20 * SecondNs);
        Assert.Equal(Quality.Bad, run.Level().Quality);
        Assert.True(run.Master.Counters.Timeouts > timeouts + 1_000);
        run.AssertPlcIoRodeItOut();
    }

    [Fact]
    public void ClockJump_Ahead_OnTheMaster_StampsTheLevelAhead_AndNoticesASilentSlaveThatMuchLater()
    {
        var plain = new Run($"modbus-timeout:{Slave}@12s+2s");
        var jumped = new Run($"clock-jump:plc-io@10s=500,modbus-timeout:{Slave}@12s+2s");
        plain.RunUntil(11 * SecondNs);
        jumped.RunUntil(11 * SecondNs);
        // The level's source timestamp is the reply's time on the master's clock.
        Assert.InRange(jumped.Level().TimestampNs - plain.Level().TimestampNs, 499 * MillisecondNs, 501 * MillisecondNs);
        Assert.InRange(11 * SecondNs - plain.Level().TimestampNs, 0, 10 * MillisecondNs);

        // The slave goes silent at 12 s. A poll and a pump write take turns in the one request in
        // flight, and the level goes Bad when the poll's own request times out: the plain master's
        // 100 ms on (the write's 50 ms timeout, then the poll's), the jumped master's 1.1 s on, each
        // timeout armed half a second further. Its freshness check cannot catch it sooner either:
        // it judges the last good reply's time, stamped ahead on the jumped clock, against its
        // timer's platform time, and that reply never looks old.
        var plainBadAfterMs = plain.QualitiesBetween(12 * SecondNs, 14 * SecondNs).IndexOf(Quality.Bad);
        var jumpedBadAfterMs = jumped.QualitiesBetween(12 * SecondNs, 14 * SecondNs).IndexOf(Quality.Bad);
        Assert.InRange(plainBadAfterMs, 95, 105);
        Assert.InRange(jumpedBadAfterMs, 1_095, 1_105);
        Assert.Equal(0, jumped.Master.Counters.LateReplies);
    }

    [Theory]
    [InlineData("modbus-timeout:modbus-tcp://127.0.0.1:502@5s", "no service of system 'tank-modbus' is a Modbus master of 'modbus-tcp://127.0.0.1:502'; its Modbus slaves are modbus-tcp://127.0.0.1:1502")]
    [InlineData("modbus-timeout:plc-io@5s", "acts on a Modbus slave as a master's device URI names it (modbus-tcp://HOST:PORT, or modbus-rtu:///dev/NAME for the line to RTU slaves); 'plc-io' is not one")]
    [InlineData("modbus-garbled:modbus-rtu:///dev/ttyS0@5s", "no service of system 'tank-modbus' is a Modbus master of 'modbus-rtu:///dev/ttyS0'")]
    [InlineData("modbus-exception:modbus-tcp://127.0.0.1:1502@5s=300", "the exception code must be a whole number from 1 to 255")]
    [InlineData("modbus-garbled:modbus-tcp://127.0.0.1:1502@5s=1.5", "above 0 and at most 1")]
    [InlineData("modbus-timeout:modbus-tcp://127.0.0.1:1502@5s=3", "modbus-timeout takes no value")]
    public void Sim_BadModbusFaults_AreAUsageErrorThatSaysWhatIsWrong(string faults, string expected)
    {
        var result = CliResult.Run("sim", TankModbus, "--duration", "1s", "--faults", faults);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--faults: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Sim_ModbusFaultOnTheTankDemo_NamesTheSystemWithoutAModbusMaster()
    {
        var result = CliResult.Run("sim", Repository.TankDemo, "--duration", "1s", "--faults", $"modbus-timeout:{Slave}@5s");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("it has no Modbus master", result.Error, StringComparison.Ordinal);
    }

    private static long Errors(ModbusMasterCounters counters) =>
        counters.InvalidReplies + counters.UnknownReplies + counters.LateReplies + counters.Timeouts + counters.Exceptions;
}
