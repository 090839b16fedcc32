using Neokernel.Hil.Plants;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;

namespace Neokernel.Controllers.Tests;

/// <summary>Relay auto-tuning as an operator runs it: loop commands on the wire, an offer read back, accepted or rejected.</summary>
public sealed class AutoTuneCommandTests
{
    private static readonly AutoTuneRequest Request = new(20.0, 0.05, 30.0, 70.0, 3600.0, 0.1, 3, WithDerivative: false);

    [Fact]
    public void The_auto_tune_commands_round_trip()
    {
        Span<byte> buffer = stackalloc byte[ControllerCommands.MaxCommandBytes];
        var length = ControllerCommands.Encode(ControllerCommand.StartAutoTune(Request), buffer);
        Assert.Equal(51, length);
        Assert.Equal(CommandStatus.Ok, ControllerCommands.Decode(buffer[..length], out var start));
        Assert.Equal((ControllerCommandKind.StartAutoTune, Request), (start.Kind, start.AutoTune));

        length = ControllerCommands.Encode(ControllerCommand.AcceptAutoTune(TuningRule.TyreusLuyben), buffer);
        Assert.Equal([0x07, 0x01], buffer[..length].ToArray());
        Assert.Equal(CommandStatus.Ok, ControllerCommands.Decode(buffer[..length], out var accept));
        Assert.Equal(TuningRule.TyreusLuyben, accept.Rule);

        foreach (var kind in (ReadOnlySpan<ControllerCommandKind>)[ControllerCommandKind.AbortAutoTune, ControllerCommandKind.RejectAutoTune, ControllerCommandKind.GetAutoTune])
        {
            length = ControllerCommands.Encode(ControllerCommand.Simple(kind), buffer);
            Assert.Equal(1, length);
            Assert.Equal(CommandStatus.Ok, ControllerCommands.Decode(buffer[..length], out var simple));
            Assert.Equal(kind, simple.Kind);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x05, 1, 2 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0x06, 0 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0x07 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0x07, 2 }, CommandStatus.InvalidValue)]
    [InlineData(new byte[] { 0x09, 9 }, CommandStatus.Malformed)]
    public void Bad_auto_tune_messages_decode_to_the_reply_status(byte[] message, CommandStatus expected) =>
        Assert.Equal(expected, ControllerCommands.Decode(message, out _));

    [Fact]
    public void The_auto_tune_reply_round_trips_and_refuses_bad_shapes()
    {
        var report = new AutoTuneReport(AutoTuneState.Offered, AutoTuneFailure.None, 300, 40, 0.5, 12.3, 7.4, 20, 5, 5.6, 88, 6.3);
        Span<byte> reply = stackalloc byte[ControllerCommands.AutoTuneReplyBytes];
        Assert.Equal(83, ControllerCommands.EncodeAutoTuneReply(report, reply));
        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeAutoTuneReply(reply, out var decoded));
        Assert.Equal(report, decoded);
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeAutoTuneReply(reply[..82], out _));
        Assert.Equal(CommandStatus.WrongMode, ControllerCommands.DecodeAutoTuneReply([(byte)CommandStatus.WrongMode], out _));
        reply[1] = 9;
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeAutoTuneReply(reply, out _));
    }

    /// <summary>
    /// On the heated tank (τ 200 s, 5 s dead time), all over the command protocol: the operator
    /// starts a relay experiment, reads the offer (Ziegler–Nichols and Tyreus–Luyben), accepts
    /// Tyreus–Luyben, and a 10 K setpoint step then settles within ±2 % of the step in 10 ultimate periods (Pu about 24 s: it settles in about 190 s, a τ of 200 s).
    /// </summary>
    [Fact]
    public void On_the_heated_tank_an_accepted_offer_settles_a_step_within_ten_ultimate_periods()
    {
        const double dt = 0.1;
        var tank = new HeatedTankModel(HeatedTankParameters.Default with { TemperatureInitialCelsius = 45.0 }, dt);
        var loop = new PidLoop(new PidTuning(Kc: 2.0, TiSeconds: 300.0, TdSeconds: 0.0, DerivativeFilter: 10.0, OutputMin: 0.0, OutputMax: 100.0), 45.0, BadInputPolicy.Hold, 0.0);
        loop.Controller.Reset(50.0);
        double Cycle()
        {
            tank.HeaterPercent = loop.Step(tank.TemperatureCelsius, Quality.Good, dt).Output;
            tank.Step(dt);
            return tank.TemperatureCelsius;
        }

        for (var i = 0; i < 600; i++)
        {
            Cycle();
        }

        Assert.Equal(CommandStatus.Ok, Send(loop, ControllerCommand.StartAutoTune(Request)));
        Assert.Equal(CommandStatus.WrongMode, Send(loop, ControllerCommand.SetSetpoint(50)));
        Assert.Equal(AutoTuneState.Running, Report(loop).State);
        for (var i = 0; i < 36_000 && loop.AutoTune.State == AutoTuneState.Running; i++)
        {
            Cycle();
        }

        var offer = Report(loop);
        Assert.Equal((AutoTuneState.Offered, AutoTuneFailure.None), (offer.State, offer.Failure));
        Assert.InRange(offer.UltimatePeriodSeconds, 15.0, 60.0);
        Assert.True(offer.TyreusLuybenKc > 0 && offer.TyreusLuybenKc < offer.ZieglerNicholsKc, $"Tyreus–Luyben {offer.TyreusLuybenKc} is the gentler of the two ({offer.ZieglerNicholsKc})");
        Assert.Equal(2.0, loop.Controller.Tuning.Kc);

        Assert.Equal(CommandStatus.Ok, Send(loop, ControllerCommand.AcceptAutoTune(TuningRule.TyreusLuyben)));
        Assert.Equal(offer.TyreusLuybenKc, loop.Controller.Tuning.Kc);
        Assert.Equal(AutoTuneState.Idle, Report(loop).State);
        for (var i = 0; i < 3_000; i++)
        {
            Cycle();
        }

        Assert.Equal(CommandStatus.Ok, Send(loop, ControllerCommand.SetSetpoint(55.0)));
        var settleWithin = 10 * offer.UltimatePeriodSeconds;
        var lastOutside = 0.0;
        for (var t = 0.0; t < 3 * settleWithin; t += dt)
        {
            if (Math.Abs(Cycle() - 55.0) > 0.02 * 10.0)
            {
                lastOutside = t;
            }
        }

        Assert.True(lastOutside <= settleWithin, $"settled after {lastOutside:F0} s, Pu = {offer.UltimatePeriodSeconds:F1} s");
    }

    [Fact]
    public void Abort_and_reject_answer_wrong_mode_when_there_is_nothing_to_end()
    {
        var loop = new PidLoop(new PidTuning(1, 10, 0, 10, 0, 100), 0, BadInputPolicy.Hold, 0);
        loop.Step(0, Quality.Good, 0.1);
        Assert.Equal(CommandStatus.WrongMode, Send(loop, ControllerCommand.Simple(ControllerCommandKind.AbortAutoTune)));
        Assert.Equal(CommandStatus.WrongMode, Send(loop, ControllerCommand.Simple(ControllerCommandKind.RejectAutoTune)));
        Assert.Equal(CommandStatus.WrongMode, Send(loop, ControllerCommand.AcceptAutoTune(TuningRule.ZieglerNichols)));
        Assert.Equal(CommandStatus.InvalidValue, Send(loop, ControllerCommand.StartAutoTune(Request with { RelayAmplitude = -1 })));
    }

    private static CommandStatus Send(PidLoop loop, in ControllerCommand command)
    {
        Span<byte> message = stackalloc byte[ControllerCommands.MaxCommandBytes];
        return loop.Handle(message[..ControllerCommands.Encode(command, message)]);
    }

    private static AutoTuneReport Report(PidLoop loop)
    {
        Span<byte> reply = stackalloc byte[ControllerCommands.AutoTuneReplyBytes];
        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeAutoTuneReply(reply[..ControllerCommands.EncodeAutoTuneReply(loop.AutoTuneReport(), reply)], out var report));
        return report;
    }
}
