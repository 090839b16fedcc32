using System.Buffers.Binary;

// In the contracts assembly, under the controllers' namespace: senders (the operator script, a
// gateway) and the controller share this one definition of the wire format.
namespace Neokernel.Controllers;

/// <summary>Who decides the controller's output.</summary>
public enum PidMode
{
    /// <summary>The operator.</summary>
    Manual = 0,

    /// <summary>The algorithm, on the loop's own (local) setpoint.</summary>
    Auto = 1,

    /// <summary>The algorithm, on a remote setpoint: an outer loop's output or another source.</summary>
    Cascade = 2,

    /// <summary>The output follows a tracking input (an override, an outer loop's initialisation); set by the loop's wiring, not by an operator.</summary>
    Tracking = 3,
}

/// <summary>The commands a controller's command endpoint accepts.</summary>
public enum ControllerCommandKind : byte
{
    None = 0,
    SetSetpoint = 1,
    SetMode = 2,
    SetManualOutput = 3,

    /// <summary>Asks for the loop's status (<see cref="LoopStatus"/>); changes nothing.</summary>
    GetStatus = 4,

    /// <summary>Starts a relay experiment (<see cref="AutoTuneRequest"/>) around the present output and setpoint.</summary>
    StartAutoTune = 5,

    /// <summary>Aborts a running relay experiment: the output returns to its pre-test value.</summary>
    AbortAutoTune = 6,

    /// <summary>Applies the gains a finished experiment offers, by the rule named (bumplessly).</summary>
    AcceptAutoTune = 7,

    /// <summary>Drops the offered gains, or acknowledges a failed experiment; the tuning stays.</summary>
    RejectAutoTune = 8,

    /// <summary>Asks for the relay experiment's state and offer (<see cref="AutoTuneReport"/>); changes nothing.</summary>
    GetAutoTune = 9,

    /// <summary>Sets the gain and the integral and derivative times (<see cref="TuningChange"/>, ISA form) without a bump; NaN keeps one as it is.</summary>
    SetTuning = 10,
}

/// <summary>
/// New ISA gains for a loop: Kc (nonzero, of the loop's sign: the action stays the manifest's), Ti
/// and Td in seconds (0 turns the action off). A NaN leaves that one as it is, so a client may
/// change one gain alone.
/// </summary>
public readonly record struct TuningChange(double Kc, double TiSeconds, double TdSeconds);

/// <summary>
/// A relay experiment as an operator asks for it: the relay's amplitude d around the present
/// output (output units), its hysteresis ε (PV units), the safety band of the process value, the
/// timeout, the full periods to measure (1..20), the smallest amplitude taken as a limit cycle,
/// and whether to propose PID (true) or PI gains. The loop checks the values when it starts.
/// </summary>
public readonly record struct AutoTuneRequest(
    double RelayAmplitude,
    double HysteresisProcessValue,
    double ProcessValueMin,
    double ProcessValueMax,
    double TimeoutSeconds,
    double AmplitudeMinProcessValue,
    byte PeriodsToMeasure,
    bool WithDerivative);

/// <summary>
/// A relay experiment's state as the loop reports it: where it stands, why it failed, how long it
/// has run, what it measured (ultimate period and gain, the PV's amplitude; 0 before an offer) and
/// the gains each rule proposes (Kc, Ti, Td in ISA form; 0 before an offer).
/// </summary>
public readonly record struct AutoTuneReport(
    AutoTuneState State,
    AutoTuneFailure Failure,
    double ElapsedSeconds,
    double UltimatePeriodSeconds,
    double AmplitudeProcessValue,
    double UltimateGain,
    double ZieglerNicholsKc,
    double ZieglerNicholsTiSeconds,
    double ZieglerNicholsTdSeconds,
    double TyreusLuybenKc,
    double TyreusLuybenTiSeconds,
    double TyreusLuybenTdSeconds);

/// <summary>The one-byte status in a reply to a command request.</summary>
public enum CommandStatus : byte
{
    Ok = 0,

    /// <summary>The first byte names no known command.</summary>
    UnknownCommand = 1,

    /// <summary>The message has the wrong length for its command.</summary>
    Malformed = 2,

    /// <summary>The value is not finite, or the mode is not one the receiver accepts (a loop takes manual, auto and cascade).</summary>
    InvalidValue = 3,

    /// <summary>The loop's mode does not allow it: a manual output outside manual, a command while a relay experiment runs.</summary>
    WrongMode = 4,

    /// <summary>The reply does not fit the endpoint's <c>maxMessageBytes</c>: raise it to at least <see cref="ControllerCommands.StatusReplyBasicBytes"/> (<see cref="ControllerCommands.StatusReplyBytes"/> for the mode machine's bytes too).</summary>
    ReplyTooLarge = 5,

    /// <summary>A block network command names no block, pin or state of the network (<see cref="BlockNetworkCommands"/>).</summary>
    UnknownName = 6,

    /// <summary>A block network's SetValue names a pin its manifest does not list under <c>settable</c>.</summary>
    NotSettable = 7,
}

/// <summary>The quality of the loop's process value, on the wire: the kernel's Quality numbers.</summary>
public enum InputQualityCode : byte
{
    Bad = 0,
    Uncertain = 1,
    Good = 2,
}

/// <summary>
/// What a loop reports of itself in reply to <see cref="ControllerCommandKind.GetStatus"/>: the
/// controller's mode, the process value's quality at the last cycle, setpoint, process value (the
/// last usable one), output, the tuning (gains, output limits), and its mode machine: the mode it
/// is actually in (<c>ActualMode</c>), the operator's Manual, Auto or Cascade (<c>TargetMode</c>)
/// and the trigger of the last change of the actual mode (<c>ModeCause</c>, None before the
/// first). <c>Mode</c> is the mode the PID algorithm runs in; under bad input (actual Hold or
/// SafeState) it stays what it was before. A plain value: decoding allocates nothing.
/// </summary>
public readonly record struct LoopStatus(
    PidMode Mode,
    InputQualityCode ProcessValueQuality,
    double Setpoint,
    double ProcessValue,
    double Output,
    double Kc,
    double TiSeconds,
    double TdSeconds,
    double OutputMin,
    double OutputMax,
    LoopMode ActualMode,
    PidMode TargetMode,
    LoopModeTrigger ModeCause);

/// <summary>A decoded command. A plain value: decoding allocates nothing.</summary>
public readonly record struct ControllerCommand(ControllerCommandKind Kind, double Value, PidMode Mode)
{
    public static ControllerCommand SetSetpoint(double setpoint) => new(ControllerCommandKind.SetSetpoint, setpoint, PidMode.Auto);

    public static ControllerCommand SetMode(PidMode mode) => new(ControllerCommandKind.SetMode, 0, mode);

    public static ControllerCommand SetManualOutput(double output) => new(ControllerCommandKind.SetManualOutput, output, PidMode.Manual);

    public static ControllerCommand StartAutoTune(in AutoTuneRequest request) => new(ControllerCommandKind.StartAutoTune, 0, PidMode.Auto) { AutoTune = request };

    public static ControllerCommand AcceptAutoTune(TuningRule rule) => new(ControllerCommandKind.AcceptAutoTune, 0, PidMode.Auto) { Rule = rule };

    public static ControllerCommand Simple(ControllerCommandKind kind) => new(kind, 0, PidMode.Auto);

    public static ControllerCommand SetTuning(in TuningChange tuning) => new(ControllerCommandKind.SetTuning, 0, PidMode.Auto) { Tuning = tuning };

    /// <summary>The experiment StartAutoTune asks for.</summary>
    public AutoTuneRequest AutoTune { get; init; }

    /// <summary>The rule AcceptAutoTune applies.</summary>
    public TuningRule Rule { get; init; }

    /// <summary>The gains SetTuning asks for.</summary>
    public TuningChange Tuning { get; init; }
}

/// <summary>
/// The wire format of controller commands, defined once here and used by senders (the operator
/// script, later the OPC UA gateway) and by the controller. All little-endian:
/// <code>
/// SetSetpoint      9 bytes  [0x01][f64 setpoint]
/// SetMode          2 bytes  [0x02][u8 mode: 0 = manual, 1 = auto, 2 = cascade, 3 = tracking]
/// SetManualOutput  9 bytes  [0x03][f64 output]
/// GetStatus        1 byte   [0x04]
/// StartAutoTune   51 bytes  [0x05][f64 relay amplitude][f64 hysteresis][f64 pv min][f64 pv max][f64 timeout s][f64 amplitude min][u8 periods][u8 1 = PID, 0 = PI]
/// AbortAutoTune    1 byte   [0x06]
/// AcceptAutoTune   2 bytes  [0x07][u8 rule: 0 = Ziegler–Nichols, 1 = Tyreus–Luyben]
/// RejectAutoTune   1 byte   [0x08]
/// GetAutoTune      1 byte   [0x09]
/// SetTuning       25 bytes  [0x0A][f64 kc][f64 ti s][f64 td s] (NaN: keep that one)
/// auto-tune reply 83 bytes  [u8 0 = ok][u8 state][u8 failure][f64 elapsed s][f64 Pu s][f64 amplitude][f64 Ku][f64 ZN kc][f64 ZN ti s][f64 ZN td s][f64 TL kc][f64 TL ti s][f64 TL td s]
/// reply            1 byte   [u8 CommandStatus: 0 ok, 1 unknown command, 2 malformed, 3 invalid value, 4 wrong mode, 5 reply too large]
/// status reply    70 bytes  [u8 0 = ok][u8 mode][u8 pv quality][f64 setpoint][f64 pv][f64 output][f64 kc][f64 ti s][f64 td s][f64 output min][f64 output max]
///                           [u8 actual mode: LoopMode][u8 target mode: PidMode][u8 cause of the last mode change: LoopModeTrigger]
/// </code>
/// A request gets exactly one status byte back (GetStatus: the status reply when Ok); a one-way
/// message gets nothing. A command that decodes but is refused changes nothing. A status reply
/// needs an endpoint whose <c>maxMessageBytes</c> is at least <see cref="StatusReplyBytes"/>; on
/// one of at least <see cref="StatusReplyBasicBytes"/> (what loops answered before they had a mode
/// machine) the loop answers the first 67 bytes only, and on a smaller one
/// <see cref="CommandStatus.ReplyTooLarge"/>. <see cref="DecodeStatusReply"/> reads both lengths.
/// </summary>
public static class ControllerCommands
{
    public const int SetSetpointBytes = 9;
    public const int SetModeBytes = 2;
    public const int SetManualOutputBytes = 9;
    public const int ReplyBytes = 1;
    public const int GetStatusBytes = 1;
    public const int StatusReplyBytes = StatusReplyBasicBytes + StatusModeBytes;

    /// <summary>The status reply without its mode machine's three bytes: 67, what every loop answers on an endpoint that fits no more.</summary>
    public const int StatusReplyBasicBytes = 3 + (StatusValues * 8);
    private const int StatusValues = 8;
    private const int StatusModeBytes = 3;

    public const int StartAutoTuneBytes = 1 + (6 * 8) + 2;
    public const int AcceptAutoTuneBytes = 2;
    public const int SetTuningBytes = 1 + (3 * 8);
    public const int AutoTuneReplyBytes = 3 + (AutoTuneReplyValues * 8);
    private const int AutoTuneReplyValues = 10;

    /// <summary>The longest command; a buffer this long holds any of them.</summary>
    public const int MaxCommandBytes = StartAutoTuneBytes;

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
            case ControllerCommandKind.GetStatus:
                return EncodeGetStatus(destination);
            case ControllerCommandKind.StartAutoTune:
                return EncodeStartAutoTune(command.AutoTune, destination);
            case ControllerCommandKind.AcceptAutoTune:
                RequireLength(destination, AcceptAutoTuneBytes);
                destination[0] = (byte)ControllerCommandKind.AcceptAutoTune;
                destination[1] = (byte)command.Rule;
                return AcceptAutoTuneBytes;
            case ControllerCommandKind.AbortAutoTune or ControllerCommandKind.RejectAutoTune or ControllerCommandKind.GetAutoTune:
                RequireLength(destination, 1);
                destination[0] = (byte)command.Kind;
                return 1;
            case ControllerCommandKind.SetTuning:
                RequireLength(destination, SetTuningBytes);
                destination[0] = (byte)ControllerCommandKind.SetTuning;
                BinaryPrimitives.WriteDoubleLittleEndian(destination[1..], command.Tuning.Kc);
                BinaryPrimitives.WriteDoubleLittleEndian(destination[9..], command.Tuning.TiSeconds);
                BinaryPrimitives.WriteDoubleLittleEndian(destination[17..], command.Tuning.TdSeconds);
                return SetTuningBytes;
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

    /// <summary>A reply that is only its status byte.</summary>
    public static int EncodeStatus(CommandStatus status, Span<byte> destination)
    {
        RequireLength(destination, ReplyBytes);
        destination[0] = (byte)status;
        return ReplyBytes;
    }

    public static int EncodeGetStatus(Span<byte> destination)
    {
        RequireLength(destination, GetStatusBytes);
        destination[0] = (byte)ControllerCommandKind.GetStatus;
        return GetStatusBytes;
    }

    private static int EncodeStartAutoTune(in AutoTuneRequest request, Span<byte> destination)
    {
        RequireLength(destination, StartAutoTuneBytes);
        destination[0] = (byte)ControllerCommandKind.StartAutoTune;
        ReadOnlySpan<double> values =
        [
            request.RelayAmplitude, request.HysteresisProcessValue, request.ProcessValueMin, request.ProcessValueMax, request.TimeoutSeconds, request.AmplitudeMinProcessValue,
        ];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(1 + (i * 8))..], values[i]);
        }

        destination[StartAutoTuneBytes - 2] = request.PeriodsToMeasure;
        destination[StartAutoTuneBytes - 1] = request.WithDerivative ? (byte)1 : (byte)0;
        return StartAutoTuneBytes;
    }

    /// <summary>True for a well-formed <see cref="ControllerCommandKind.GetAutoTune"/> request.</summary>
    public static bool IsGetAutoTune(ReadOnlySpan<byte> message) =>
        message.Length == 1 && message[0] == (byte)ControllerCommandKind.GetAutoTune;

    /// <summary>Writes an Ok auto-tune reply (<see cref="AutoTuneReplyBytes"/>); returns the byte count.</summary>
    public static int EncodeAutoTuneReply(in AutoTuneReport report, Span<byte> destination)
    {
        RequireLength(destination, AutoTuneReplyBytes);
        destination[0] = (byte)CommandStatus.Ok;
        destination[1] = (byte)report.State;
        destination[2] = (byte)report.Failure;
        ReadOnlySpan<double> values =
        [
            report.ElapsedSeconds, report.UltimatePeriodSeconds, report.AmplitudeProcessValue, report.UltimateGain,
            report.ZieglerNicholsKc, report.ZieglerNicholsTiSeconds, report.ZieglerNicholsTdSeconds,
            report.TyreusLuybenKc, report.TyreusLuybenTiSeconds, report.TyreusLuybenTdSeconds,
        ];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(3 + (i * 8))..], values[i]);
        }

        return AutoTuneReplyBytes;
    }

    /// <summary>
    /// Reads a reply to GetAutoTune: Ok and the report, the one-byte status the loop answered
    /// instead, or Malformed for a reply of the wrong shape (an unknown state or failure too).
    /// Allocation-free, never throws.
    /// </summary>
    public static CommandStatus DecodeAutoTuneReply(ReadOnlySpan<byte> reply, out AutoTuneReport report)
    {
        report = default;
        if (reply.Length == ReplyBytes)
        {
            return reply[0] == (byte)CommandStatus.Ok ? CommandStatus.Malformed : (CommandStatus)reply[0];
        }

        if (reply.Length != AutoTuneReplyBytes || reply[0] != (byte)CommandStatus.Ok
            || reply[1] > (byte)AutoTuneState.Failed || reply[2] > (byte)AutoTuneFailure.BadInput)
        {
            return CommandStatus.Malformed;
        }

        report = new AutoTuneReport(
            (AutoTuneState)reply[1],
            (AutoTuneFailure)reply[2],
            StatusValue(reply, 0),
            StatusValue(reply, 1),
            StatusValue(reply, 2),
            StatusValue(reply, 3),
            StatusValue(reply, 4),
            StatusValue(reply, 5),
            StatusValue(reply, 6),
            StatusValue(reply, 7),
            StatusValue(reply, 8),
            StatusValue(reply, 9));
        return CommandStatus.Ok;
    }

    /// <summary>True for a well-formed <see cref="ControllerCommandKind.GetStatus"/> request.</summary>
    public static bool IsGetStatus(ReadOnlySpan<byte> message) =>
        message.Length == GetStatusBytes && message[0] == (byte)ControllerCommandKind.GetStatus;

    /// <summary>
    /// Writes an Ok status reply: all <see cref="StatusReplyBytes"/> when the destination holds
    /// them, else the <see cref="StatusReplyBasicBytes"/> without the mode machine's bytes (the
    /// destination must hold at least those). Returns the byte count.
    /// </summary>
    public static int EncodeStatusReply(in LoopStatus status, Span<byte> destination)
    {
        RequireLength(destination, StatusReplyBasicBytes);
        destination[0] = (byte)CommandStatus.Ok;
        destination[1] = (byte)status.Mode;
        destination[2] = (byte)status.ProcessValueQuality;
        ReadOnlySpan<double> values =
        [
            status.Setpoint, status.ProcessValue, status.Output, status.Kc, status.TiSeconds, status.TdSeconds, status.OutputMin, status.OutputMax,
        ];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(3 + (i * 8))..], values[i]);
        }

        if (destination.Length < StatusReplyBytes)
        {
            return StatusReplyBasicBytes;
        }

        destination[StatusReplyBasicBytes] = (byte)status.ActualMode;
        destination[StatusReplyBasicBytes + 1] = (byte)status.TargetMode;
        destination[StatusReplyBasicBytes + 2] = (byte)status.ModeCause;
        return StatusReplyBytes;
    }

    /// <summary>
    /// Reads a reply to GetStatus: <see cref="CommandStatus.Ok"/> and the status, the one-byte
    /// status the loop answered instead, or <see cref="CommandStatus.Malformed"/> for a reply of
    /// the wrong shape (an unknown mode, quality or cause too). A basic reply (67 bytes, without
    /// the mode machine's bytes) reads as actual mode = <see cref="LoopStatus.Mode"/>, target the
    /// same where an operator may choose it (else Auto), cause None. Allocation-free, never throws.
    /// </summary>
    public static CommandStatus DecodeStatusReply(ReadOnlySpan<byte> reply, out LoopStatus status)
    {
        status = default;
        if (reply.Length == ReplyBytes)
        {
            return reply[0] == (byte)CommandStatus.Ok ? CommandStatus.Malformed : (CommandStatus)reply[0];
        }

        if ((reply.Length != StatusReplyBytes && reply.Length != StatusReplyBasicBytes) || reply[0] != (byte)CommandStatus.Ok
            || reply[1] > (byte)PidMode.Tracking || reply[2] > (byte)InputQualityCode.Good)
        {
            return CommandStatus.Malformed;
        }

        var mode = (PidMode)reply[1];
        var (actual, target, cause) = reply.Length == StatusReplyBasicBytes
            ? ((LoopMode)mode, mode == PidMode.Tracking ? PidMode.Auto : mode, LoopModeTrigger.None)
            : ((LoopMode)reply[StatusReplyBasicBytes], (PidMode)reply[StatusReplyBasicBytes + 1], (LoopModeTrigger)reply[StatusReplyBasicBytes + 2]);
        if (actual > LoopMode.SafeState || target > PidMode.Cascade || cause > LoopModeTrigger.RemoteSetpointRecovered)
        {
            return CommandStatus.Malformed;
        }

        status = new LoopStatus(
            mode,
            (InputQualityCode)reply[2],
            StatusValue(reply, 0),
            StatusValue(reply, 1),
            StatusValue(reply, 2),
            StatusValue(reply, 3),
            StatusValue(reply, 4),
            StatusValue(reply, 5),
            StatusValue(reply, 6),
            StatusValue(reply, 7),
            actual,
            target,
            cause);
        return CommandStatus.Ok;
    }

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
                if (message[1] > (byte)PidMode.Tracking)
                {
                    return CommandStatus.InvalidValue;
                }

                command = ControllerCommand.SetMode((PidMode)message[1]);
                return CommandStatus.Ok;
            case ControllerCommandKind.GetStatus when message.Length == GetStatusBytes:
                command = new ControllerCommand(ControllerCommandKind.GetStatus, 0, PidMode.Auto);
                return CommandStatus.Ok;
            case ControllerCommandKind.StartAutoTune when message.Length == StartAutoTuneBytes:
                command = ControllerCommand.StartAutoTune(new AutoTuneRequest(
                    CommandValue(message, 0),
                    CommandValue(message, 1),
                    CommandValue(message, 2),
                    CommandValue(message, 3),
                    CommandValue(message, 4),
                    CommandValue(message, 5),
                    message[StartAutoTuneBytes - 2],
                    message[StartAutoTuneBytes - 1] != 0));
                return message[StartAutoTuneBytes - 1] > 1 ? CommandStatus.InvalidValue : CommandStatus.Ok;
            case ControllerCommandKind.AcceptAutoTune when message.Length == AcceptAutoTuneBytes:
                if (message[1] > (byte)TuningRule.TyreusLuyben)
                {
                    return CommandStatus.InvalidValue;
                }

                command = ControllerCommand.AcceptAutoTune((TuningRule)message[1]);
                return CommandStatus.Ok;
            case ControllerCommandKind.AbortAutoTune or ControllerCommandKind.RejectAutoTune or ControllerCommandKind.GetAutoTune when message.Length == 1:
                command = ControllerCommand.Simple((ControllerCommandKind)message[0]);
                return CommandStatus.Ok;
            case ControllerCommandKind.SetTuning when message.Length == SetTuningBytes:
                command = ControllerCommand.SetTuning(new TuningChange(CommandValue(message, 0), CommandValue(message, 1), CommandValue(message, 2)));
                return CommandStatus.Ok;
            case ControllerCommandKind.SetSetpoint or ControllerCommandKind.SetManualOutput or ControllerCommandKind.SetMode or ControllerCommandKind.GetStatus
                or ControllerCommandKind.StartAutoTune or ControllerCommandKind.AbortAutoTune or ControllerCommandKind.AcceptAutoTune
                or ControllerCommandKind.RejectAutoTune or ControllerCommandKind.GetAutoTune or ControllerCommandKind.SetTuning:
                return CommandStatus.Malformed;
            default:
                return CommandStatus.UnknownCommand;
        }
    }

    /// <summary>Reads a reply's status; a reply of the wrong length reads as <see cref="CommandStatus.Malformed"/>.</summary>
    public static CommandStatus DecodeReply(ReadOnlySpan<byte> reply) =>
        reply.Length == ReplyBytes ? (CommandStatus)reply[0] : CommandStatus.Malformed;

    /// <summary>The <paramref name="i"/>-th f64 after a command's kind byte (StartAutoTune's values, SetTuning's gains).</summary>
    private static double CommandValue(ReadOnlySpan<byte> message, int i) => BinaryPrimitives.ReadDoubleLittleEndian(message[(1 + (i * 8))..]);

    private static double StatusValue(ReadOnlySpan<byte> reply, int i) => BinaryPrimitives.ReadDoubleLittleEndian(reply[(3 + (i * 8))..]);

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
