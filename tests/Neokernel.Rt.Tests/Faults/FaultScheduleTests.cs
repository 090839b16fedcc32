using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Trace;
using Neokernel.Rt.Faults;
using Neokernel.Rt.Simulation.Faults;

namespace Neokernel.Rt.Tests.Faults;

public sealed class FaultScheduleTests
{
    private static readonly string[] Targets =
        ["level-sensor", "tank-controller", "sim://tank/level", "sim://tank/pump", "tank-controller.commands", "tank-controller.commands/replies", "tank.inputs", "tank.inputs/level"];

    /// <summary>A value the kind takes, from any integer: a chance, a delay or a byte count where the kind needs one.</summary>
    private static double ValueOf(FaultKind kind, int raw) => kind switch
    {
        FaultKind.IpcDrop or FaultKind.IpcDuplicate => Math.Abs(raw) / 100_000.0,
        FaultKind.IpcDelay or FaultKind.ModbusDelay => (Math.Abs(raw) / 8.0) + 0.125,
        FaultKind.IpcCorrupt => (Math.Abs(raw) % 64) + 1,
        _ => raw / 8.0,
    };

    private static Gen<FaultInjection> Injections() =>
        from kind in Gen.Elements(Enum.GetValues<FaultKind>())
        from target in Gen.Elements(Targets)
        from atMs in Gen.Choose(0, 1_000_000)
        from atUnit in Gen.Elements(1L, 1_000L, 1_000_000L)
        from durationMs in Gen.Choose(1, 100_000)
        from value in Gen.Choose(-100_000, 100_000)
        from withValue in Gen.Elements(true, false)
        let descriptor = FaultCatalog.Of(kind)
        select new FaultInjection(
            kind,
            target,
            atMs * atUnit,
            descriptor.Lasts ? durationMs * 1_000_000L : 0,
            descriptor.ValueMeaning is not null && (withValue || descriptor.ValueRequired) ? ValueOf(kind, value) : double.NaN);

    [Fact]
    public void Text_RoundTrips_EveryInjection()
    {
        Prop.ForAll(Injections().ToArbitrary(), injection =>
        {
            var text = injection.ToString();
            var back = FaultInjection.Parse(text);
            return back.Equals(injection) || (double.IsNaN(back.Value) && double.IsNaN(injection.Value) && back with { Value = 0 } == injection with { Value = 0 });
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Schedule_OrdersByTime_KeepingTheGivenOrderAtTheSameTime_AndItsTextReadsBack()
    {
        var schedule = FaultSchedule.Parse("crash:b@5s, crash:a@1s,hang:c@5s+1s,crash:d@1000ms");
        Assert.Equal(["crash:a@1s", "crash:d@1s", "crash:b@5s", "hang:c@5s+1s"], schedule.Injections.Select(i => i.ToString()));
        Assert.Equal(schedule.ToString(), FaultSchedule.Parse(schedule.ToString()).ToString());
        Assert.Same(FaultSchedule.Empty, FaultSchedule.Parse(" "));
    }

    [Fact]
    public void Defaults_ComeFromTheLibrary()
    {
        var hang = FaultInjection.Parse("hang:tank-controller@2.5s");
        Assert.Equal(2_500_000_000, hang.AtNs);
        Assert.Equal(5_000_000_000, hang.DurationNs);
        Assert.False(hang.HasValue);
        var stuck = FaultInjection.Parse("sensor-stuck:sim://tank/level@1m+250ms=0.2");
        Assert.Equal("sim://tank/level", stuck.Target);
        Assert.Equal(60_000_000_000, stuck.AtNs);
        Assert.Equal(250_000_000, stuck.DurationNs);
        Assert.Equal(0.2, stuck.Value);
        Assert.Equal(0, FaultInjection.Parse("crash:x@0s").DurationNs);
    }

    [Fact]
    public void IpcAndRegionFaults_TakeTheirDefaults_AndTheirTargetsParts()
    {
        var drop = FaultInjection.Parse("ipc-drop:tank-controller.commands/replies@120s");
        Assert.Equal((FaultKind.IpcDrop, 10_000_000_000L, false), (drop.Kind, drop.DurationNs, drop.HasValue));
        Assert.Equal(new FaultTarget("tank-controller.commands", FaultTarget.Replies), FaultTarget.Of(drop.Target));
        Assert.True(FaultTarget.Of(drop.Target).Covers(replies: true));
        Assert.False(FaultTarget.Of(drop.Target).Covers(replies: false));
        Assert.True(FaultTarget.Of("tank-controller.commands").Covers(replies: false));
        Assert.Equal(250, FaultInjection.Parse("ipc-delay:e@1s+2s=250").Value);
        Assert.Equal(0.5, FaultInjection.Parse("ipc-duplicate:e@1s=0.5").Value);
        Assert.Equal(3, FaultInjection.Parse("ipc-corrupt:e@1s=3").Value);
        var stale = FaultInjection.Parse("region-stale:tank.inputs/level@20s");
        Assert.Equal((5_000_000_000L, "tank.inputs", "level"), (stale.DurationNs, FaultTarget.Of(stale.Target).Name, FaultTarget.Of(stale.Target).Part));
        Assert.False(FaultInjection.Parse("region-corrupt:tank.inputs@20s").HasValue);
        Assert.Equal(-4, FaultInjection.Parse("region-corrupt:tank.inputs@20s=-4").Value);
    }

    [Theory]
    [InlineData("", "no fault kind")]
    [InlineData("level-sensor@5s", "no fault kind")]
    [InlineData("boom:x@5s", "no fault 'boom'")]
    [InlineData("crash:@5s", "no target: name the service")]
    [InlineData("sensor-stuck:@5s", "no target: name the device URI")]
    [InlineData("crash:x", "no time")]
    [InlineData("crash:x@5", "needs a unit")]
    [InlineData("crash:x@-5s", "not a number")]
    [InlineData("crash:x@5parsecs", "needs a unit")]
    [InlineData("crash:x@0.5ns", "not a whole number of ns")]
    [InlineData("crash:x@5s=1", "crash takes no value")]
    [InlineData("crash:x@5s+1s", "takes no duration")]
    [InlineData("hang:x@5s+0s", "longer than zero")]
    [InlineData("overrun:x@5s+1s", "needs a value after '='")]
    [InlineData("overrun:x@5s+1s=lots", "not a finite number")]
    [InlineData("overrun:x@5s+1s=NaN", "not a finite number")]
    [InlineData("ipc-drop:@5s", "no target: name the endpoint")]
    [InlineData("region-stale:@5s", "no target: name the region")]
    [InlineData("ipc-delay:e@5s", "needs a value after '=': the delay, ms")]
    [InlineData("ipc-delay:e@5s=0", "must be a delay longer than 0 ms")]
    [InlineData("ipc-drop:e@5s=1.5", "must be a chance from 0 to 1")]
    [InlineData("ipc-duplicate:e@5s=-0.1", "must be a chance from 0 to 1")]
    [InlineData("ipc-corrupt:e@5s=0.5", "must be a whole number of bytes")]
    [InlineData("region-stale:r@5s=1", "region-stale takes no value")]
    public void Mistakes_SayWhatIsWrong(string text, string expected)
    {
        var exception = Assert.Throws<FaultSyntaxException>(() => FaultInjection.Parse(text));
        Assert.Contains(expected, exception.Problem, StringComparison.Ordinal);
        Assert.Equal(text, exception.Text);
    }

    [Fact]
    public void TooManyInjections_AreRefused()
    {
        var text = string.Join(",", Enumerable.Repeat("crash:x@1s", FaultSchedule.InjectionsMax + 1));
        var exception = Assert.Throws<FaultSyntaxException>(() => FaultSchedule.Parse(text));
        Assert.Contains($"more than the {FaultSchedule.InjectionsMax}", exception.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TraceSchema_NamesTheFaultKindsAsTheEnumNumbersThem()
    {
        var expected = string.Join(", ", Enum.GetValues<FaultKind>().Select(k => $"{k} {(int)k}"));
        Assert.Contains(expected, TraceSchema.Of(TraceEventKind.FaultInject).Arg1!.Meaning, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_HasEveryKind_InOrder_WithDistinctWords()
    {
        Assert.Equal(Enum.GetValues<FaultKind>(), FaultCatalog.All.Select(d => d.Kind));
        Assert.Equal(FaultCatalog.All.Count, FaultCatalog.All.Select(d => d.Word).Distinct().Count());
        Assert.All(FaultCatalog.All, d => Assert.Same(d, FaultCatalog.Find(d.Word)));
    }

    [Fact]
    public void LiveMeaning_NamesTheHostDeviceAndModbusFaults_AndNoSeamOnlyTheSimulationHas()
    {
        FaultKind[] live = [FaultKind.Crash, FaultKind.Hang, FaultKind.MemoryExhaustion, FaultKind.SensorStuck, FaultKind.SensorDrift,
            FaultKind.SensorNoise, FaultKind.SensorOutOfRange, FaultKind.ActuatorStuck, FaultKind.ModbusTimeout, FaultKind.ModbusException,
            FaultKind.ModbusGarbled, FaultKind.ModbusDisconnect, FaultKind.ModbusDelay];
        Assert.Equal(live, Enum.GetValues<FaultKind>().Where(k => FaultCatalog.LiveMeaning(k) is not null));
        Assert.All(live.Where(k => FaultCatalog.Of(k).Target != FaultTargetKind.Service), k => Assert.True(SimulationFaults.StrikesLive(k), $"{k}"));
    }

    [Fact]
    public void FaultsMd_IsTheLibrary()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "FAULTS.md");
        if (Environment.GetEnvironmentVariable("NEOKERNEL_WRITE_FAULTS_MD") == "1")
        {
            File.WriteAllText(path, FaultCatalog.Markdown());
        }

        Assert.True(File.Exists(path), $"{path} is missing; write FaultCatalog.Markdown() there (NEOKERNEL_WRITE_FAULTS_MD=1 does)");
        Assert.Equal(FaultCatalog.Markdown(), File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Neokernel.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("no Neokernel.slnx above the test's directory");
    }
}
