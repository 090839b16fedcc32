namespace Neokernel.Fieldbus.Modbus;

public enum SerialParity : byte
{
    None,
    Even,
    Odd,
}

/// <summary>
/// The character format of a serial line. RTU sends 8 data bits; the spec's default is even parity
/// with one stop bit, and no parity with two stop bits keeps the 11-bit character, but field devices
/// also run no parity with one stop bit, so every combination is accepted and timed by its own bits.
/// </summary>
public readonly record struct SerialLineSettings(int BaudRate, SerialParity Parity = SerialParity.Even, int DataBits = 8, int StopBits = 1)
{
    public const int BaudRateMax = 4_000_000;

    /// <summary>Start bit, data bits, the parity bit if any, stop bits.</summary>
    public int CharacterBits => 1 + DataBits + (Parity == SerialParity.None ? 0 : 1) + StopBits;

    /// <summary>Throws when a setting is one no UART runs; called by every timing function.</summary>
    public void Validate()
    {
        if (BaudRate is <= 0 or > BaudRateMax)
        {
            throw new ArgumentOutOfRangeException(nameof(BaudRate), BaudRate, $"baud rate must be 1..{BaudRateMax}");
        }
        if (DataBits is not (7 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(DataBits), DataBits, "data bits must be 7 or 8 (RTU sends 8)");
        }
        if (StopBits is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(StopBits), StopBits, "stop bits must be 1 or 2");
        }
        if (!Enum.IsDefined(Parity))
        {
            throw new ArgumentOutOfRangeException(nameof(Parity), Parity, "parity must be None, Even or Odd");
        }
    }
}

/// <summary>
/// RTU frame timing (Modbus over Serial Line V1.02, 2.5.1.1) as pure functions of the line settings:
/// the driver's timers use them, and nothing here reads a clock. A frame ends after a silence of 3.5
/// character times; a gap of more than 1.5 character times inside a frame makes it incomplete. Above
/// 19,200 baud the spec fixes both (1.75 ms and 0.75 ms), since the per-character figures become
/// shorter than a UART and its interrupt latency can resolve. Every time is rounded up to whole
/// nanoseconds so that a silence is never judged shorter than the spec requires.
/// </summary>
public static class RtuTiming
{
    /// <summary>At and below this baud rate the timing scales with the character time.</summary>
    public const int ScaledTimingBaudRateMax = 19_200;

    public const long InterFrameSilenceNsFixed = 1_750_000;
    public const long InterCharacterTimeoutNsFixed = 750_000;

    private const long NsPerSecond = 1_000_000_000;

    /// <summary>The time one character takes on the line.</summary>
    public static long CharacterTimeNs(SerialLineSettings line)
    {
        line.Validate();
        return CeilingDivide(line.CharacterBits * NsPerSecond, line.BaudRate);
    }

    /// <summary>t3.5: the silence that ends a frame; a sender keeps at least this between two frames.</summary>
    public static long InterFrameSilenceNs(SerialLineSettings line)
    {
        line.Validate();
        return line.BaudRate > ScaledTimingBaudRateMax
            ? InterFrameSilenceNsFixed
            : CeilingDivide(line.CharacterBits * 7 * NsPerSecond, 2L * line.BaudRate);
    }

    /// <summary>t1.5: the longest gap allowed between two characters of one frame.</summary>
    public static long InterCharacterTimeoutNs(SerialLineSettings line)
    {
        line.Validate();
        return line.BaudRate > ScaledTimingBaudRateMax
            ? InterCharacterTimeoutNsFixed
            : CeilingDivide(line.CharacterBits * 3 * NsPerSecond, 2L * line.BaudRate);
    }

    private static long CeilingDivide(long numerator, long denominator) => (numerator + denominator - 1) / denominator;
}
