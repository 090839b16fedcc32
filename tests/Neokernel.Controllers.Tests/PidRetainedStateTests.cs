using FsCheck;
using FsCheck.Fluent;
using Neokernel.Kernel.Manifests;

namespace Neokernel.Controllers.Tests;

/// <summary>What a PID retains: the layout round-trips any valid state bit for bit, refuses what a loop must not take, and restores a fresh loop.</summary>
public sealed class PidRetainedStateTests
{
    private static readonly PidTuning Tuning = new(250, 60, 0.5, 10, 0, 100) { OutputRateUpPerSecond = 5, SetpointWeightProportional = 0.5 };

    private static Gen<PidRetainedState> States() =>
        from setpoint in Gen.Choose(-100_000, 100_000).Select(i => i / 16.0)
        from manual in Gen.Choose(0, 1000).Select(i => i / 10.0)
        from mode in Gen.Elements(PidMode.Manual, PidMode.Auto, PidMode.Cascade)
        from kc in Gen.Choose(1, 10_000).Select(i => i / 8.0)
        from sign in Gen.Elements(1.0, -1.0)
        from ti in Gen.Choose(0, 1000).Select(i => i / 4.0)
        from td in Gen.Choose(0, 100).Select(i => i / 8.0)
        from b in Gen.Choose(0, 8).Select(i => i / 8.0)
        select new PidRetainedState(setpoint, mode, manual, new PidTuning(kc * sign, ti, td, 10, 0, 100) { SetpointWeightProportional = b });

    [Fact]
    public void RoundTrip_AnyValidState_DecodesToTheSame()
    {
        Prop.ForAll(States().ToArbitrary(), state =>
        {
            var bytes = new byte[PidRetainedState.Bytes];
            state.Encode(bytes);
            return PidRetainedState.TryDecode(bytes, out var decoded, out var problem) && decoded == state && problem.Length == 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void TryDecode_WhatALoopMustNotTake_IsRefusedSayingWhy()
    {
        var bytes = new byte[PidRetainedState.Bytes];
        new PidRetainedState(1.5, PidMode.Auto, 0, Tuning).Encode(bytes);
        var tracking = bytes.ToArray();
        tracking[1] = (byte)PidMode.Tracking;
        var zeroGain = new byte[PidRetainedState.Bytes];
        new PidRetainedState(1.5, PidMode.Auto, 0, Tuning with { Kc = 0 }).Encode(zeroGain);
        var notFinite = new byte[PidRetainedState.Bytes];
        new PidRetainedState(double.NaN, PidMode.Auto, 0, Tuning).Encode(notFinite);

        Assert.False(PidRetainedState.TryDecode(bytes.AsSpan(0, 40), out _, out var shortProblem));
        Assert.False(PidRetainedState.TryDecode(tracking, out _, out var trackingProblem));
        Assert.False(PidRetainedState.TryDecode(zeroGain, out _, out var gainProblem));
        Assert.False(PidRetainedState.TryDecode(notFinite, out _, out var nanProblem));

        Assert.Equal("a payload of 40 bytes, layout 1; this PID retains layout 1 of 132 bytes", shortProblem);
        Assert.Equal("mode 3 is not one an operator sets (manual 0, auto 1, cascade 2)", trackingProblem);
        Assert.StartsWith("its tuning is refused: ", gainProblem, StringComparison.Ordinal);
        Assert.StartsWith("setpoint NaN", nanProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyTo_AFreshLoop_RestoresSetpointModeManualOutputAndTuning()
    {
        var loop = new PidLoop(new PidTuning(1, 0, 0, 10, 0, 100), 0.5, BadInputPolicy.Hold, 0);

        new PidRetainedState(1.25, PidMode.Manual, 42, Tuning).ApplyTo(loop);

        Assert.Equal(new PidRetainedState(1.25, PidMode.Manual, 42, Tuning), PidRetainedState.Of(loop));
        // The restored rate limit (5 %/s) holds the output's way from 0 to the restored manual output.
        Assert.Equal(0.05, loop.Step(1.0, Kernel.Regions.Quality.Good, 0.01).Output, 12);
    }
}
