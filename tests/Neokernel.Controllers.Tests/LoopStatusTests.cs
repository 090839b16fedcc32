using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Regions;
using Neokernel.Testing;

namespace Neokernel.Controllers.Tests;

/// <summary>
/// GetStatus on a loop's command endpoint: the wire format, and <see cref="PidService"/> answering
/// it with its mode, setpoint, process value, output and tuning, allocation-free.
/// </summary>
public sealed class LoopStatusTests
{
    private static readonly LoopStatus Sample = new(PidMode.Manual, InputQualityCode.Uncertain, 1.25, 0.98, 42.5, 250, 60, 0.5, 0, 100, LoopMode.Manual, PidMode.Manual, LoopModeTrigger.OperatorManual);

    /// <summary>Keeps the last reply's bytes.</summary>
    private sealed class LastReply : IReplyHandler
    {
        public byte[] Bytes { get; private set; } = [];

        public int Count { get; private set; }

        public bool Keep { get; set; } = true;

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply)
        {
            Count++;
            if (Keep)
            {
                Bytes = reply.ToArray();
            }
        }
    }

    private static (FakeServiceContext Context, RegionWriter Level, EndpointClient Peer, LastReply Replies) StartPid(int maxMessageBytes = 96)
    {
        var parameters = new Dictionary<string, string>
        {
            ["kc"] = "4", ["tiSeconds"] = "30", ["tdSeconds"] = "0.5", ["outputMin"] = "0", ["outputMax"] = "100", ["setpoint"] = "1.0",
            ["inputRegion"] = "level", ["inputPoint"] = "level", ["outputRegion"] = "pump-cmd", ["outputPoint"] = "pump",
            ["commandEndpoint"] = "commands",
        };
        var context = new FakeServiceContext(parameters, periodUs: 10_000, declarations: PidServiceSettings.Parameters, kind: "controller");
        context.AddRegion("level", FakeServiceContext.PeerId, "level");
        context.AddRegion("pump-cmd", context.ServiceId, "pump", "setpoint", "pv", "mode");
        context.AddEndpoint("commands", context.ServiceId, [FakeServiceContext.PeerId], maxMessageBytes: maxMessageBytes);
        var level = context.Objects.OpenRegionWriter("level", FakeServiceContext.PeerId);
        level.Set(0, 0.8, Quality.Good, 0);
        level.Publish();
        new PidService().Start(context);
        var replies = new LastReply();
        var peer = context.Objects.OpenEndpointClient("commands", FakeServiceContext.PeerId, replies);
        return (context, level, peer, replies);
    }

    private static byte[] Ask(FakeServiceContext context, EndpointClient peer, LastReply replies, ReadOnlySpan<byte> request)
    {
        var before = replies.Count;
        Assert.Equal(SendResult.Accepted, peer.Call(request, out _));
        context.RunFor(1_000_000);
        Assert.Equal(before + 1, replies.Count);
        return replies.Bytes;
    }

    [Fact]
    public void StatusReply_RoundTripsBitForBit()
    {
        Span<byte> buffer = stackalloc byte[ControllerCommands.StatusReplyBytes];
        Assert.Equal(ControllerCommands.StatusReplyBytes, ControllerCommands.EncodeStatusReply(Sample, buffer));

        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeStatusReply(buffer, out var decoded));
        Assert.Equal(Sample, decoded);
        Assert.Equal(70, ControllerCommands.StatusReplyBytes);
        Assert.Equal([0, 0, 1], buffer[..3].ToArray());
        Assert.Equal([0, 0, 1], buffer[67..].ToArray());
    }

    [Fact]
    public void StatusReply_BasicLength_IsTheFormerReply_AndDecodesWithTheModeAsActualAndTarget()
    {
        var status = Sample with { Mode = PidMode.Tracking, ActualMode = LoopMode.Hold, TargetMode = PidMode.Cascade };
        Span<byte> buffer = stackalloc byte[ControllerCommands.StatusReplyBytes];
        Assert.Equal(ControllerCommands.StatusReplyBasicBytes, ControllerCommands.EncodeStatusReply(status, buffer[..69]));
        Assert.Equal(67, ControllerCommands.StatusReplyBasicBytes);

        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeStatusReply(buffer[..67], out var decoded));
        Assert.Equal(status with { ActualMode = LoopMode.Tracking, TargetMode = PidMode.Auto, ModeCause = LoopModeTrigger.None }, decoded);
        Assert.Throws<ArgumentException>(() => ControllerCommands.EncodeStatusReply(status, new byte[66]));
    }

    [Theory]
    [InlineData(67, 6)]
    [InlineData(68, 3)]
    [InlineData(69, 10)]
    public void DecodeStatusReply_UnknownActualModeTargetOrCause_IsMalformed(int index, byte value)
    {
        var buffer = new byte[ControllerCommands.StatusReplyBytes];
        ControllerCommands.EncodeStatusReply(Sample, buffer);
        buffer[index] = value;
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeStatusReply(buffer, out _));
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeStatusReply(buffer.AsSpan(0, 68), out _));
    }

    [Fact]
    public void GetStatus_IsOneByteAndDecodesAsItsKind()
    {
        Span<byte> buffer = stackalloc byte[ControllerCommands.MaxCommandBytes];
        var length = ControllerCommands.EncodeGetStatus(buffer);

        Assert.Equal([0x04], buffer[..length].ToArray());
        Assert.True(ControllerCommands.IsGetStatus(buffer[..length]));
        Assert.Equal(CommandStatus.Ok, ControllerCommands.Decode(buffer[..length], out var command));
        Assert.Equal(ControllerCommandKind.GetStatus, command.Kind);
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.Decode([0x04, 0], out _));
        Assert.False(ControllerCommands.IsGetStatus([0x04, 0]));
    }

    [Theory]
    [InlineData(new byte[] { 5 }, CommandStatus.ReplyTooLarge)]
    [InlineData(new byte[] { 2 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0, 1, 2, 3 }, CommandStatus.Malformed)]
    public void DecodeStatusReply_ARefusalOrAWrongShape_IsItsStatus(byte[] reply, CommandStatus expected)
    {
        Assert.Equal(expected, ControllerCommands.DecodeStatusReply(reply, out var status));
        Assert.Equal(default, status);
    }

    [Fact]
    public void DecodeStatusReply_UnknownModeOrQuality_IsMalformed()
    {
        var buffer = new byte[ControllerCommands.StatusReplyBytes];
        ControllerCommands.EncodeStatusReply(Sample, buffer);
        buffer[1] = (byte)PidMode.Tracking + 1;
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeStatusReply(buffer, out _));
        buffer[1] = 1;
        buffer[2] = 3;
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeStatusReply(buffer, out _));
    }

    [Fact]
    public void PidLoop_Status_FollowsStepsAndCommands()
    {
        var loop = new PidLoop(new PidTuning(4, 30, 0, 10, 0, 100), 1.0, Kernel.Manifests.BadInputPolicy.Hold, 0.0);
        Assert.Equal(InputQualityCode.Bad, loop.Status().ProcessValueQuality);

        var output = loop.Step(0.7, Quality.Uncertain, 0.1);
        loop.Apply(ControllerCommand.SetSetpoint(1.5));
        var status = loop.Status();

        Assert.Equal((PidMode.Auto, InputQualityCode.Uncertain, 1.5, 0.7, output.Output), (status.Mode, status.ProcessValueQuality, status.Setpoint, status.ProcessValue, status.Output));
        Assert.Equal((4.0, 30.0, 0.0, 0.0, 100.0), (status.Kc, status.TiSeconds, status.TdSeconds, status.OutputMin, status.OutputMax));
        loop.Step(double.NaN, Quality.Good, 0.1);
        Assert.Equal((InputQualityCode.Bad, 0.7), (loop.Status().ProcessValueQuality, loop.Status().ProcessValue));
        Assert.Equal(CommandStatus.Ok, loop.Apply(new ControllerCommand(ControllerCommandKind.GetStatus, 0, PidMode.Auto)));
    }

    [Fact]
    public void PidService_GetStatus_AnswersWithWhatTheLoopDoes()
    {
        var (context, _, peer, replies) = StartPid();
        context.RunCycles(5);
        Span<byte> request = stackalloc byte[ControllerCommands.MaxCommandBytes];
        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeReply(Ask(context, peer, replies, request[..ControllerCommands.EncodeSetSetpoint(1.4, request)])));
        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeReply(Ask(context, peer, replies, request[..ControllerCommands.EncodeSetMode(PidMode.Manual, request)])));

        var reply = Ask(context, peer, replies, request[..ControllerCommands.EncodeGetStatus(request)]);

        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeStatusReply(reply, out var status));
        Assert.Equal((PidMode.Manual, InputQualityCode.Good, 1.4, 0.8), (status.Mode, status.ProcessValueQuality, status.Setpoint, status.ProcessValue));
        Assert.Equal((4.0, 30.0, 0.5, 0.0, 100.0), (status.Kc, status.TiSeconds, status.TdSeconds, status.OutputMin, status.OutputMax));
        Assert.Equal((LoopMode.Manual, PidMode.Manual, LoopModeTrigger.OperatorManual), (status.ActualMode, status.TargetMode, status.ModeCause));
        Assert.InRange(status.Output, 0.0, 100.0);
    }

    [Fact]
    public void PidService_EndpointForTheBasicReplyOnly_AnswersItWithoutTheModeBytes()
    {
        var (context, _, peer, replies) = StartPid(maxMessageBytes: 68);
        context.RunCycles(2);
        Span<byte> request = stackalloc byte[ControllerCommands.MaxCommandBytes];

        var reply = Ask(context, peer, replies, request[..ControllerCommands.EncodeGetStatus(request)]);

        Assert.Equal(ControllerCommands.StatusReplyBasicBytes, reply.Length);
        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeStatusReply(reply, out var status));
        Assert.Equal((PidMode.Auto, LoopMode.Auto), (status.Mode, status.ActualMode));
    }

    [Fact]
    public void PidService_EndpointTooSmallForTheStatus_AnswersReplyTooLarge()
    {
        var (context, _, peer, replies) = StartPid(maxMessageBytes: 16);
        Span<byte> request = stackalloc byte[ControllerCommands.MaxCommandBytes];

        var reply = Ask(context, peer, replies, request[..ControllerCommands.EncodeGetStatus(request)]);

        Assert.Equal(CommandStatus.ReplyTooLarge, ControllerCommands.DecodeStatusReply(reply, out _));
        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeReply(Ask(context, peer, replies, request[..ControllerCommands.EncodeSetSetpoint(1.1, request)])));
    }

    [Fact]
    public void PidService_ServingStatus_AllocatesNothing()
    {
        var (context, _, peer, replies) = StartPid();
        replies.Keep = false;
        var request = new byte[ControllerCommands.GetStatusBytes];
        ControllerCommands.EncodeGetStatus(request);
        context.RunCycles(3);

        AllocationAssert.NoAllocations(500, iteration =>
        {
            peer.Call(request, out _);
            context.RunFor(1_000_000);
        });

        Assert.True(replies.Count >= 500);
    }
}
