namespace Neokernel.Fieldbus.Modbus;

/// <summary>
/// The checks encoders make on their callers' arguments. Encoders serve our own code, so a bad
/// argument is a bug and throws; decoders serve the line and never throw. The throws live here,
/// out of line, so the encoders stay short.
/// </summary>
internal static class PduChecks
{
    public static void RequireEncodable(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length is 0 or > ModbusLimits.PduBytesMax)
        {
            throw new ArgumentException($"a PDU is 1..{ModbusLimits.PduBytesMax} bytes, not {pdu.Length}", nameof(pdu));
        }
    }

    public static void RequireRoom(Span<byte> destination, int length)
    {
        if (destination.Length < length)
        {
            throw new ArgumentException($"the destination holds {destination.Length} bytes; this frame needs {length}", nameof(destination));
        }
    }

    public static void RequireCount(int count, int countMax, string what)
    {
        if (count < 1 || count > countMax)
        {
            throw new ArgumentOutOfRangeException(what, count, $"{what} must be 1..{countMax}");
        }
    }

    /// <summary>Takes the function, not its name: formatting the name up front would allocate on every call.</summary>
    public static void RequireDataLength(ReadOnlySpan<byte> data, int expected, FunctionCode function)
    {
        if (data.Length != expected)
        {
            throw new ArgumentException($"{function} needs {expected} data bytes, not {data.Length}", nameof(data));
        }
    }

    public static void RequireAddressRange(int address, int count)
    {
        if (address + count > 0x10000)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"address {address} plus {count} runs past 65535");
        }
    }

    /// <summary>Bytes that carry <paramref name="bits"/> packed bits, eight to a byte, the first in bit 0.</summary>
    public static int BitBytes(int bits) => (bits + 7) / 8;
}
