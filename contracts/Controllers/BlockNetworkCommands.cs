using System.Buffers.Binary;
using System.Text;

namespace Neokernel.Controllers;

/// <summary>The commands a block network's command endpoint accepts.</summary>
public enum BlockNetworkCommandKind : byte
{
    /// <summary>Sets one of the network's settable values (<c>block.PIN</c>); saves it when it is retained.</summary>
    SetValue = 0x40,

    /// <summary>Reads any pin of the network (<c>block.PIN</c>: an input or an output) and its retained state; changes nothing.</summary>
    GetValue = 0x41,
}

/// <summary>
/// The wire format of a block network's commands (<c>controllers.blocks</c> with a
/// <c>commandEndpoint</c>). A value is named <c>block.NAME</c>, as the manifest names it (pins and
/// state names without regard to case), in UTF-8 of at most <see cref="NameBytesMax"/> bytes. A
/// value travels as a region point's double: BOOL 0 or 1, DINT a whole number, TIME in seconds,
/// REAL as it is. All little-endian:
/// <code>
/// SetValue   [0x40][u8 n][n bytes name][f64 value]   reply [u8 CommandStatus]
/// GetValue   [0x41][u8 n][n bytes name]              reply [u8 CommandStatus][f64 value] (Ok), [u8 CommandStatus] (otherwise)
/// </code>
/// Refusals: UnknownCommand (a first byte no network knows, such as a loop's command), Malformed
/// (a length that does not match n), UnknownName (no such block or pin), NotSettable (a pin the
/// manifest does not list under <c>settable</c>), InvalidValue (a REAL not finite, a BOOL other than
/// 0 or 1, a DINT not whole or outside its range, a TIME negative or not finite). The command codes
/// start at 0x40 so that a loop's command sent to a network, or the other way round, is refused as
/// unknown rather than read as something else.
/// </summary>
public static class BlockNetworkCommands
{
    /// <summary>The longest name a command carries, in UTF-8 bytes.</summary>
    public const int NameBytesMax = 64;

    /// <summary>A GetValue reply: the status byte and the value.</summary>
    public const int ValueReplyBytes = 1 + 8;

    /// <summary>The longest SetValue message: the endpoint's <c>maxMessageBytes</c> should be at least this.</summary>
    public const int MessageBytesMax = 2 + NameBytesMax + 8;

    /// <summary>Encodes SetValue; the bytes written, or 0 when the name is empty or longer than <see cref="NameBytesMax"/> or the destination too small.</summary>
    public static int EncodeSetValue(string name, double value, Span<byte> destination)
    {
        var length = EncodeName(BlockNetworkCommandKind.SetValue, name, destination);
        if (length == 0 || destination.Length < length + 8)
        {
            return 0;
        }

        BinaryPrimitives.WriteDoubleLittleEndian(destination[length..], value);
        return length + 8;
    }

    /// <summary>Encodes GetValue; the bytes written, or 0 when the name is empty or too long or the destination too small.</summary>
    public static int EncodeGetValue(string name, Span<byte> destination) =>
        EncodeName(BlockNetworkCommandKind.GetValue, name, destination);

    /// <summary>Whether <paramref name="message"/> is a block network command at all (its first byte).</summary>
    public static bool IsCommand(ReadOnlySpan<byte> message) =>
        message.Length > 0 && message[0] is (byte)BlockNetworkCommandKind.SetValue or (byte)BlockNetworkCommandKind.GetValue;

    /// <summary>
    /// Decodes a command: its kind, its name's UTF-8 bytes (a slice of <paramref name="message"/>)
    /// and SetValue's value. Ok, UnknownCommand or Malformed; allocates nothing.
    /// </summary>
    public static CommandStatus Decode(ReadOnlySpan<byte> message, out BlockNetworkCommandKind kind, out ReadOnlySpan<byte> name, out double value)
    {
        kind = default;
        name = default;
        value = 0;
        if (!IsCommand(message))
        {
            return CommandStatus.UnknownCommand;
        }

        kind = (BlockNetworkCommandKind)message[0];
        if (message.Length < 2)
        {
            return CommandStatus.Malformed;
        }

        var nameLength = message[1];
        var expected = 2 + nameLength + (kind == BlockNetworkCommandKind.SetValue ? 8 : 0);
        if (nameLength == 0 || nameLength > NameBytesMax || message.Length != expected)
        {
            return CommandStatus.Malformed;
        }

        name = message.Slice(2, nameLength);
        if (kind == BlockNetworkCommandKind.SetValue)
        {
            value = BinaryPrimitives.ReadDoubleLittleEndian(message[(2 + nameLength)..]);
        }

        return CommandStatus.Ok;
    }

    /// <summary>Encodes a GetValue reply that found the value.</summary>
    public static int EncodeValueReply(double value, Span<byte> destination)
    {
        destination[0] = (byte)CommandStatus.Ok;
        BinaryPrimitives.WriteDoubleLittleEndian(destination[1..], value);
        return ValueReplyBytes;
    }

    /// <summary>Decodes a GetValue reply: its status, and the value when Ok (Malformed for a reply of the wrong length).</summary>
    public static CommandStatus DecodeValueReply(ReadOnlySpan<byte> reply, out double value)
    {
        value = 0;
        if (reply.Length == 0)
        {
            return CommandStatus.Malformed;
        }

        var status = (CommandStatus)reply[0];
        if (status != CommandStatus.Ok)
        {
            return reply.Length == 1 ? status : CommandStatus.Malformed;
        }

        if (reply.Length != ValueReplyBytes)
        {
            return CommandStatus.Malformed;
        }

        value = BinaryPrimitives.ReadDoubleLittleEndian(reply[1..]);
        return CommandStatus.Ok;
    }

    private static int EncodeName(BlockNetworkCommandKind kind, string name, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameLength = Encoding.UTF8.GetByteCount(name);
        if (nameLength == 0 || nameLength > NameBytesMax || destination.Length < 2 + nameLength)
        {
            return 0;
        }

        destination[0] = (byte)kind;
        destination[1] = (byte)nameLength;
        Encoding.UTF8.GetBytes(name, destination[2..]);
        return 2 + nameLength;
    }
}
