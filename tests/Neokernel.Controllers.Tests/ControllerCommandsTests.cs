using FsCheck;
using FsCheck.Fluent;

namespace Neokernel.Controllers.Tests;

public sealed class ControllerCommandsTests
{
    private static Gen<double> AnyDouble => Gen.Choose(int.MinValue, int.MaxValue)
        .SelectMany(high => Gen.Choose(int.MinValue, int.MaxValue).Select(low => BitConverter.Int64BitsToDouble(((long)high << 32) | (uint)low)));

    [Fact]
    public void Setpoint_and_manual_output_round_trip_bit_for_bit()
    {
        var cases = from value in AnyDouble from manual in Gen.Elements(false, true) select (Value: value, Manual: manual);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            Span<byte> buffer = stackalloc byte[ControllerCommands.MaxCommandBytes];
            var command = c.Manual ? ControllerCommand.SetManualOutput(c.Value) : ControllerCommand.SetSetpoint(c.Value);
            var length = ControllerCommands.Encode(command, buffer);
            var status = ControllerCommands.Decode(buffer[..length], out var decoded);
            return status == CommandStatus.Ok
                && decoded.Kind == command.Kind
                && BitConverter.DoubleToInt64Bits(decoded.Value) == BitConverter.DoubleToInt64Bits(c.Value);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [MemberData(nameof(PidPropertyTests.AllModes), MemberType = typeof(PidPropertyTests))]
    public void Mode_round_trips(PidMode mode)
    {
        Span<byte> buffer = stackalloc byte[ControllerCommands.MaxCommandBytes];
        var length = ControllerCommands.EncodeSetMode(mode, buffer);
        Assert.Equal(ControllerCommands.SetModeBytes, length);
        Assert.Equal(CommandStatus.Ok, ControllerCommands.Decode(buffer[..length], out var decoded));
        Assert.Equal(ControllerCommand.SetMode(mode), decoded);
    }

    [Fact]
    public void The_wire_format_is_the_documented_one()
    {
        Span<byte> buffer = stackalloc byte[ControllerCommands.MaxCommandBytes];
        Assert.Equal(9, ControllerCommands.EncodeSetSetpoint(1.0, buffer));
        Assert.Equal(new byte[] { 0x01, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F }, buffer[..9].ToArray());
        Assert.Equal(9, ControllerCommands.EncodeSetManualOutput(-2.0, buffer));
        Assert.Equal(new byte[] { 0x03, 0, 0, 0, 0, 0, 0, 0, 0xC0 }, buffer[..9].ToArray());
        Assert.Equal(2, ControllerCommands.EncodeSetMode(PidMode.Auto, buffer));
        Assert.Equal(new byte[] { 0x02, 0x01 }, buffer[..2].ToArray());
    }

    [Theory]
    [InlineData(new byte[] { }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0x01, 0, 0 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0x02 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0x02, 1, 0 }, CommandStatus.Malformed)]
    [InlineData(new byte[] { 0x02, 7 }, CommandStatus.InvalidValue)]
    [InlineData(new byte[] { 0x00 }, CommandStatus.UnknownCommand)]
    [InlineData(new byte[] { 0x0B, 1, 2 }, CommandStatus.UnknownCommand)]
    [InlineData(new byte[] { 0x0A, 1, 2 }, CommandStatus.Malformed)]
    public void Bad_messages_decode_to_the_reply_status(byte[] message, CommandStatus expected)
    {
        Assert.Equal(expected, ControllerCommands.Decode(message, out _));
    }

    /// <summary>
    /// Any bytes a client sends: the decoder never throws, and what it takes (Ok) encodes back to
    /// exactly the bytes it came from, so no two messages mean the same command. Lengths and first
    /// bytes lean toward the commands' own, so most cases reach a command's fields.
    /// </summary>
    [Fact]
    public void Any_message_decodes_without_throwing_and_what_it_takes_encodes_back_to_its_bytes()
    {
        var lengths = Gen.Elements(0, 1, 2, 8, 9, 10, 24, 25, 26, 50, 51, 52);
        var messages =
            from length in lengths
            from kind in Gen.Frequency((4, Gen.Choose(0, 11)), (1, Gen.Choose(0, 255)))
            from body in Gen.ArrayOf(Gen.Frequency((3, Gen.Choose(0, 3)), (1, Gen.Choose(0, 255))).Select(b => (byte)b), Math.Max(0, length - 1))
            select length == 0 ? Array.Empty<byte>() : [(byte)kind, .. body];
        Prop.ForAll(messages.ToArbitrary(), message =>
        {
            if (ControllerCommands.Decode(message, out var command) != CommandStatus.Ok)
            {
                return true;
            }

            Span<byte> again = stackalloc byte[ControllerCommands.MaxCommandBytes];
            return again[..ControllerCommands.Encode(command, again)].SequenceEqual(message);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Encoding_into_a_short_buffer_is_refused()
    {
        var buffer = new byte[4];
        Assert.Throws<ArgumentException>(() => ControllerCommands.EncodeSetSetpoint(1.0, buffer));
    }

    [Fact]
    public void Replies_decode_by_length()
    {
        Assert.Equal(CommandStatus.Ok, ControllerCommands.DecodeReply([0]));
        Assert.Equal(CommandStatus.WrongMode, ControllerCommands.DecodeReply([4]));
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeReply([]));
        Assert.Equal(CommandStatus.Malformed, ControllerCommands.DecodeReply([0, 0]));
    }
}
