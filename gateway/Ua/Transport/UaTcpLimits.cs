namespace Neokernel.Gateway.Ua.Transport;

/// <summary>
/// What one server's connections accept and hold, configured once and checked at construction so
/// that a bad number is a configuration error naming the field, not a connection that misbehaves.
/// Every buffer a connection uses is bounded by these: the chunk buffer by
/// <see cref="ReceiveBufferBytes"/>, the message buffer by <see cref="MessageBytesMax"/>, the send
/// queue by <see cref="SendQueueBytes"/>.
/// </summary>
public sealed record UaTcpLimits
{
    /// <summary>The smallest chunk buffer Part 6 §7.1.2.3 allows either side to announce.</summary>
    public const int BufferBytesMin = 8192;

    /// <summary>The longest EndpointUrl of a Hello (Part 6 §7.1.2.3).</summary>
    public const int EndpointUrlBytesMax = 4096;

    /// <summary>The longest Reason of an Error message (Part 6 §7.1.2.5).</summary>
    public const int ReasonBytesMax = 4096;

    public static UaTcpLimits Default { get; } = new();

    /// <summary>The largest chunk this server receives (offered in the Acknowledge, lowered to the client's SendBufferSize).</summary>
    public int ReceiveBufferBytes { get; init; } = 65_535;

    /// <summary>The largest chunk this server sends (lowered to the client's ReceiveBufferSize).</summary>
    public int SendBufferBytes { get; init; } = 65_535;

    /// <summary>The largest request body this server assembles (the Acknowledge's MaxMessageSize); larger requests get Bad_RequestTooLarge.</summary>
    public int MessageBytesMax { get; init; } = 2 << 20;

    /// <summary>The most chunks of one request (the Acknowledge's MaxChunkCount).</summary>
    public int ChunkCountMax { get; init; } = 64;

    /// <summary>Bytes of chunks waiting to be sent on one connection; a peer that lets more pile up is disconnected.</summary>
    public int SendQueueBytes { get; init; } = 4 << 20;

    /// <summary>A connection that has not sent its Hello within this time is closed.</summary>
    public long HelloTimeoutNs { get; init; } = 10_000_000_000;

    /// <summary>The shortest token lifetime granted: a shorter request is raised to it.</summary>
    public uint TokenLifetimeMsMin { get; init; } = 10_000;

    /// <summary>The longest token lifetime granted: a longer request (or 0) is lowered to it.</summary>
    public uint TokenLifetimeMsMax { get; init; } = 3_600_000;

    /// <summary>Checks every field; throws an ArgumentException naming the one that is wrong and what is allowed.</summary>
    public void Validate()
    {
        RequireAtLeast(ReceiveBufferBytes, BufferBytesMin, nameof(ReceiveBufferBytes));
        RequireAtLeast(SendBufferBytes, BufferBytesMin, nameof(SendBufferBytes));
        RequireAtLeast(MessageBytesMax, ReceiveBufferBytes, nameof(MessageBytesMax) + " (at least ReceiveBufferBytes)");
        RequireAtLeast(ChunkCountMax, 1, nameof(ChunkCountMax));
        RequireAtLeast(SendQueueBytes, 2 * SendBufferBytes, nameof(SendQueueBytes) + " (at least two send buffers)");
        if (HelloTimeoutNs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(HelloTimeoutNs), HelloTimeoutNs, "the Hello timeout must be positive");
        }

        if (TokenLifetimeMsMin == 0 || TokenLifetimeMsMax < TokenLifetimeMsMin)
        {
            throw new ArgumentOutOfRangeException(nameof(TokenLifetimeMsMin), TokenLifetimeMsMin, $"token lifetimes need 0 < min <= max, not {TokenLifetimeMsMin}..{TokenLifetimeMsMax} ms");
        }
    }

    /// <summary>The lifetime granted for a requested one: clamped to the configured range (0, "any", gets the maximum).</summary>
    public uint ReviseLifetimeMs(uint requestedMs) => requestedMs == 0 ? TokenLifetimeMsMax : Math.Clamp(requestedMs, TokenLifetimeMsMin, TokenLifetimeMsMax);

    private static void RequireAtLeast(long value, long minimum, string name)
    {
        if (value < minimum)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least {minimum}");
        }
    }
}
