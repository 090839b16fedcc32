namespace Neokernel.Gateway.Ua.Transport;

/// <summary>
/// Sequence numbers of a secure channel (Part 6 §6.7.2.4): each chunk's is one more than the
/// last; a sender may wrap only after 4 294 966 271 (UInt32.MaxValue − 1024), and the number after
/// the wrap is below 1024.
/// </summary>
public static class UaSequenceNumbers
{
    /// <summary>The highest number after which a wrap-around is allowed.</summary>
    public const uint WrapAfter = uint.MaxValue - 1024;

    /// <summary>The numbers a wrap may restart at are below this.</summary>
    public const uint WrapBelow = 1024;

    /// <summary>True if <paramref name="next"/> may follow <paramref name="last"/>.</summary>
    public static bool IsNext(uint last, uint next) => next == unchecked(last + 1) || (last > WrapAfter && next < WrapBelow);

    /// <summary>The number this server sends after <paramref name="last"/>: one more, wrapping to 0 after UInt32.MaxValue.</summary>
    public static uint After(uint last) => unchecked(last + 1);
}
