namespace Neokernel.Gateway.Ua;

/// <summary>
/// A value with its status and timestamps (Part 4 §7.11): what Read returns and a data-change
/// notification carries. On the wire each field is optional; here an absent field is its default:
/// no value is <see cref="HasValue"/> false, status Good, a timestamp 0 (the UA DateTime minimum,
/// which means "none"), picoseconds 0.
/// </summary>
public readonly record struct DataValue(
    Variant Value,
    StatusCode Status = default,
    long SourceTimestamp = 0,
    ushort SourcePicoseconds = 0,
    long ServerTimestamp = 0,
    ushort ServerPicoseconds = 0,
    bool HasValue = true)
{
    /// <summary>A DataValue with nothing in it but a status: what a failed read of one attribute returns.</summary>
    public static DataValue FromStatus(StatusCode status) => new(Variant.Null, status, HasValue: false);
}

/// <summary>
/// UA DateTime (Part 6 §5.2.2.5): 100 ns ticks since 1601-01-01 00:00 UTC, carried as <c>long</c>.
/// 0 means "no time", and so does anything before 1601; <see cref="long.MaxValue"/> is the maximum.
/// </summary>
public static class UaDateTime
{
    /// <summary>Ticks between 1601-01-01 and the Unix epoch 1970-01-01.</summary>
    public const long UnixEpochTicks = 116_444_736_000_000_000;

    public static long FromUnixNanoseconds(long unixNs) => UnixEpochTicks + (unixNs / 100);

    public static long ToUnixNanoseconds(long uaTicks) => (uaTicks - UnixEpochTicks) * 100;

    public static long FromDateTime(DateTime utc) => utc.ToUniversalTime().ToFileTimeUtc();

    /// <summary>The .NET UTC time of <paramref name="uaTicks"/>; 0 and anything out of range give <see cref="DateTime.MinValue"/>.</summary>
    public static DateTime ToDateTime(long uaTicks) =>
        uaTicks <= 0 || uaTicks > DateTime.MaxValue.ToFileTimeUtc() ? DateTime.MinValue : DateTime.FromFileTimeUtc(uaTicks);
}
