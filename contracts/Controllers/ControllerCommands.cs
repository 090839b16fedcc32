using System.Buffers.Binary;

// In the contracts assembly, under the controllers' namespace: senders (the operator script, a
// gateway) and the controller share this one definition of the wire format.
namespace Neokernel.Controllers;

/// <summary>Who decides the controller's output: the algorithm (auto) or the operator (manual).</summary>
public enum PidMode
{
    Manual = 0,
    Auto = 1,
}

/// <summary>The commands a controller's command endpoint accepts.</summary>
public enum ControllerCommandKind : byte
{
    None = 0,
    SetSetpoint = 1,
    SetMode = 2,
    SetManualOutput = 3,
}

/// <summary>The one-byte status in a reply to a command request.</summary>
public enum CommandStatus : byte
{
    Ok = 0,

    /// <summary>The first byte names no known command.</summary>
    UnknownCommand = 1,

    /// <summary>The message has the wrong length for its command.</summary>
    Malformed = 2,

    /// <summary>The value is not finite, or the mode byte is neither 0 nor 1.</summary>
    InvalidValue = 3,

    /// <summary>A manual output was sent while the controller is in auto.</summary>
    WrongMode = 4,
}

/// <summary>A decoded command. A plain value: decoding allocates nothing.</summary>
public readonly record struct ControllerCommand(ControllerCommandKind Kind, double Value, PidMode Mode)
{
    public static ControllerCommand SetSetpoint(double setpoint) => new(ControllerCommandKind.SetSetpoint, setpoint, PidMode.Auto);

    public static ControllerCommand SetMode(PidMode mode) => new(ControllerCommandKind.SetMode, 0, mode);

    public static ControllerCommand SetManualOutput(double output) => new(ControllerCommandKind.SetManualOutput, output, PidMode.Manual);
}

/// <summary>
/// The wire format of controller commands, defined once here and used by senders (the operator
/// script, later the OPC UA gateway) and by the controller. All little-endian:
/// <code>
/// SetSetpoint      9 bytes  [0x01][f64 setpoint]
/// SetMode          2 bytes  [0x02][u8 mode: 0 = manual, 1 = auto]
/// SetManualOutput  9 bytes  [0x03][f64 output]
/// reply            1 byte   [u8 CommandStatus: 0 ok, 1 unknown command, 2 malformed, 3 invalid value, 4 wrong mode]
/// </code>
/// A request gets exactly one status byte back; a one-way message gets nothing. A command that
/// decodes but is refused changes nothing.
/// </summary>
public static class ControllerCommands
{
    public const int SetSetpointBytes = 9;
    public const int SetModeBytes = 2;
    public const int SetManualOutputBytes = 9;
    public const int ReplyBytes = 1;

    /// <summary>The longest command; a buffer this long holds any of them.</summary>
    public const int MaxCommandBytes = 9;

    /// <summary>Writes <paramref name="command"/> into <paramref name="destination"/>; returns the byte count.</summary>
    public static int Encode(in ControllerCommand command, Span<byte> destination)
    {
        switch (command.Kind)
        {
            case ControllerCommandKind.SetSetpoint:
                return EncodeValue(ControllerCommandKind.SetSetpoint, command.Value, destination);
            case ControllerCommandKind.SetManualOutput:
                return EncodeValue(ControllerCommandKind.SetManualOutput, command.Value, destination);
            case ControllerCommandKind.SetMode:
                RequireLength(destination, SetModeBytes);
                destination[0] = (byte)ControllerCommandKind.SetMode;
                destination[1] = (byte)command.Mode;
                return SetModeBytes;
            default:
                throw new ArgumentException($"command kind {command.Kind} cannot be encoded", nameof(command));
        }
    }

    public static int EncodeSetSetpoint(double setpoint, Span<byte> destination) =>
        EncodeValue(ControllerCommandKind.SetSetpoint, setpoint, destination);

    public static int EncodeSetMode(PidMode mode, Span<byte> destination) =>
        Encode(ControllerCommand.SetMode(mode), destination);

    public static int EncodeSetManualOutput(double output, Span<byte> destination) =>
        EncodeValue(ControllerCommandKind.SetManualOutput, output, destination);

    /// <summary>
    /// Decodes a command. Returns <see cref="CommandStatus.Ok"/> and the command, or the status a
    /// reply should carry. Checks the shape only; whether the value is acceptable is the
    /// receiver's call. Allocation-free, never throws.
    /// </summary>
    public static CommandStatus Decode(ReadOnlySpan<byte> message, out ControllerCommand command)
    {
        command = default;
        if (message.IsEmpty)
        {
            return CommandStatus.Malformed;
        }

        switch ((ControllerCommandKind)message[0])
        {
            case ControllerCommandKind.SetSetpoint when message.Length == SetSetpointBytes:
                command = ControllerCommand.SetSetpoint(BinaryPrimitives.ReadDoubleLittleEndian(message[1..]));
                return CommandStatus.Ok;
            case ControllerCommandKind.SetManualOutput when message.Length == SetManualOutputBytes:
                command = ControllerCommand.SetManualOutput(BinaryPrimitives.ReadDoubleLittleEndian(message[1..]));
                return CommandStatus.Ok;
            case ControllerCommandKind.SetMode when message.Length == SetModeBytes:
                if (message[1] > (byte)PidMode.Auto)
                {
                    return CommandStatus.InvalidValue;
                }

                command = ControllerCommand.SetMode((PidMode)message[1]);
                return CommandStatus.Ok;
            case ControllerCommandKind.SetSetpoint or ControllerCommandKind.SetManualOutput or ControllerCommandKind.SetMode:
                return CommandStatus.Malformed;
            default:
                return CommandStatus.UnknownCommand;
        }
    }

    /// <summary>Reads a reply's status; a reply of the wrong length reads as <see cref="CommandStatus.Malformed"/>.</summary>
    public static CommandStatus DecodeReply(ReadOnlySpan<byte> reply) =>
        reply.Length == ReplyBytes ? (CommandStatus)reply[0] : CommandStatus.Malformed;

    private static int EncodeValue(ControllerCommandKind kind, double value, Span<byte> destination)
    {
        RequireLength(destination, SetSetpointBytes);
        destination[0] = (byte)kind;
        BinaryPrimitives.WriteDoubleLittleEndian(destination[1..], value);
        return SetSetpointBytes;
    }

    private static void RequireLength(Span<byte> destination, int bytes)
    {
        if (destination.Length < bytes)
        {
            throw new ArgumentException($"the destination holds {destination.Length} bytes, the command needs {bytes}", nameof(destination));
        }
    }
}
