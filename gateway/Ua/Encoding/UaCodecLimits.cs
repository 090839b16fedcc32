namespace Neokernel.Gateway.Ua;

/// <summary>
/// What the decoder accepts from a peer and the encoder writes: lengths are checked before
/// anything is allocated, so a length field of two billion costs a status code, not memory.
/// The server's ServerCapabilities report the same numbers (MaxStringLength, MaxArrayLength,
/// MaxByteStringLength).
/// </summary>
public sealed record UaCodecLimits
{
    public static UaCodecLimits Default { get; } = new();

    /// <summary>Bytes of one String or XmlElement.</summary>
    public int StringBytesMax { get; init; } = 65_535;

    /// <summary>Bytes of one ByteString.</summary>
    public int ByteStringBytesMax { get; init; } = 1 << 20;

    /// <summary>Elements of one array, and of a matrix in total.</summary>
    public int ArrayLengthMax { get; init; } = 100_000;

    /// <summary>How deep Variants, DataValues, DiagnosticInfos and ExtensionObjects may nest.</summary>
    public int NestingDepthMax { get; init; } = 32;

    /// <summary>Bytes one encoded message may take (the encoder's bound; the transport checks the decoder's).</summary>
    public int MessageBytesMax { get; init; } = 16 << 20;
}

/// <summary>
/// A message the codec cannot read or write: its status is BadDecodingError or
/// BadEncodingLimitsExceeded, its message says what and at which byte. Thrown inside the codec
/// only; <see cref="UaDecoder"/>'s callers at the transport's boundary turn it into the status the
/// peer is answered with, so it never reaches the event loop.
/// </summary>
public sealed class UaCodecException : Exception
{
    /// <summary>Bad_DecodingError (Part 6 Table 41): the bytes are not a valid encoding.</summary>
    public const uint BadDecodingError = 0x8007_0000;

    /// <summary>Bad_EncodingLimitsExceeded: valid, but beyond a limit of this server.</summary>
    public const uint BadEncodingLimitsExceeded = 0x8008_0000;

    public UaCodecException(StatusCode status, string message)
        : base(message)
    {
        Status = status;
    }

    public UaCodecException()
        : this(BadDecodingError, "the message cannot be decoded")
    {
    }

    public UaCodecException(string message)
        : this(BadDecodingError, message)
    {
    }

    public UaCodecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = BadDecodingError;
    }

    public StatusCode Status { get; }
}
