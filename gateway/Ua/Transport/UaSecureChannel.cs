using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Transport;

/// <summary>
/// The state of the one secure channel a UA-TCP connection carries: its id, its tokens and its
/// sequence numbers, and the rules of Part 6 §6.7 that decide whether a chunk belongs to it. Pure
/// logic on given times, so each rule is tested without a network.
/// <para>
/// Tokens. Issue opens the channel with token 1; Renew grants the next token while the previous
/// one stays accepted until the client first uses the new one (Part 6 §6.7.4). Each token is valid
/// for its revised lifetime (the request clamped to the configured range) and a grace of a
/// quarter of it; a channel whose newest token has run out is closed by its connection.
/// </para>
/// </summary>
public sealed class UaSecureChannel
{
    /// <summary>A token stays accepted for its lifetime times this (Part 6 §6.7.4: 25 % grace).</summary>
    public const double LifetimeGrace = 1.25;

    private readonly UaTcpLimits limits;
    private UaToken previous;
    private long previousExpiresNs;
    private long currentExpiresNs;
    private bool currentUsed;
    private uint lastReceived;
    private uint lastSent;

    public UaSecureChannel(UaTcpLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        this.limits = limits;
        Security = UaSecurityNone.Instance;
    }

    public bool IsOpen { get; private set; }

    public uint ChannelId => Current.ChannelId;

    /// <summary>The newest token granted.</summary>
    public UaToken Current { get; private set; }

    /// <summary>
    /// The token this server secures its chunks with: the previous one until the client first
    /// uses the renewed one (Part 6 §6.7.4), then the newest.
    /// </summary>
    public uint SendTokenId => currentUsed || previous.TokenId == 0 ? Current.TokenId : previous.TokenId;

    /// <summary>When the channel closes unless renewed: the newest token's lifetime with its grace.</summary>
    public long ExpiresAtNs => currentExpiresNs;

    public IUaChannelSecurity Security { get; private set; }

    /// <summary>Back to closed, for the connection's next peer.</summary>
    public void Reset()
    {
        IsOpen = false;
        Current = previous = default;
        previousExpiresNs = currentExpiresNs = 0;
        currentUsed = false;
        lastReceived = lastSent = 0;
        Security = UaSecurityNone.Instance;
    }

    /// <summary>
    /// Acts on an OpenSecureChannelRequest that arrived with <paramref name="headerChannelId"/> and
    /// the policy of its asymmetric header: Issue opens (as <paramref name="newChannelId"/>), Renew
    /// adds a token. Null on success with <see cref="Current"/> the token to answer; otherwise the
    /// reason, and the status for the Error.
    /// </summary>
    public string? Open(OpenSecureChannelRequest request, uint headerChannelId, string? policyUri, uint newChannelId, long nowNs, long nowUaTicks, out uint status)
    {
        ArgumentNullException.ThrowIfNull(request);
        Debug.Assert(newChannelId != 0, "channel ids start at 1");
        if (policyUri != UaSecurityNone.Uri)
        {
            status = StatusCodes.BadSecurityPolicyRejected;
            return $"security policy '{policyUri}' is not offered; this server offers {UaSecurityNone.Uri}";
        }

        if (request.SecurityMode != MessageSecurityMode.None)
        {
            status = StatusCodes.BadSecurityModeRejected;
            return $"security mode {request.SecurityMode} does not go with policy None, which needs mode 1 (None)";
        }

        return request.RequestType switch
        {
            SecurityTokenRequestType.Issue => Issue(request, headerChannelId, newChannelId, nowNs, nowUaTicks, out status),
            SecurityTokenRequestType.Renew => Renew(request, headerChannelId, nowNs, nowUaTicks, out status),
            _ => Refuse(StatusCodes.BadRequestTypeInvalid, $"OpenSecureChannel request type {(uint)request.RequestType} is neither Issue (0) nor Renew (1)", out status),
        };
    }

    /// <summary>
    /// Checks the symmetric header of a MSG or CLO chunk: this channel, and a token still accepted.
    /// The first use of a renewed token retires the previous one.
    /// </summary>
    public string? CheckToken(uint channelId, uint tokenId, long nowNs, out uint status)
    {
        if (!IsOpen || channelId != ChannelId)
        {
            return Refuse(StatusCodes.BadSecureChannelIdInvalid, IsOpen ? $"secure channel {channelId} is not this connection's channel {ChannelId}" : $"a chunk for secure channel {channelId} before OpenSecureChannel", out status);
        }

        if (tokenId == Current.TokenId && nowNs <= currentExpiresNs)
        {
            currentUsed = true;
            status = 0;
            return null;
        }

        if (!currentUsed && previous.TokenId != 0 && tokenId == previous.TokenId && nowNs <= previousExpiresNs)
        {
            status = 0;
            return null;
        }

        return Refuse(StatusCodes.BadSecureChannelTokenUnknown, $"token {tokenId} of secure channel {channelId} is unknown or expired (the current token is {Current.TokenId})", out status);
    }

    /// <summary>Checks an incoming chunk's sequence number against the last one (the OPN that issued the channel sets the first).</summary>
    public string? CheckSequence(uint sequenceNumber, bool first, out uint status)
    {
        if (!first && !UaSequenceNumbers.IsNext(lastReceived, sequenceNumber))
        {
            return Refuse(StatusCodes.BadSequenceNumberInvalid, $"sequence number {sequenceNumber} does not follow {lastReceived}", out status);
        }

        lastReceived = sequenceNumber;
        status = 0;
        return null;
    }

    /// <summary>The sequence number of the next chunk this server sends: 1 first, then one more each chunk.</summary>
    public uint NextSendSequence()
    {
        lastSent = UaSequenceNumbers.After(lastSent);
        return lastSent;
    }

    private string? Issue(OpenSecureChannelRequest request, uint headerChannelId, uint newChannelId, long nowNs, long nowUaTicks, out uint status)
    {
        if (IsOpen)
        {
            return Refuse(StatusCodes.BadRequestTypeInvalid, $"an Issue on a connection whose secure channel {ChannelId} is open; renew it instead", out status);
        }

        if (headerChannelId != 0)
        {
            return Refuse(StatusCodes.BadSecureChannelIdInvalid, $"an Issue names secure channel {headerChannelId}; a new channel is asked for with 0", out status);
        }

        IsOpen = true;
        Grant(new UaToken(newChannelId, 1, nowUaTicks, limits.ReviseLifetimeMs(request.RequestedLifetime)), nowNs);
        status = 0;
        return null;
    }

    private string? Renew(OpenSecureChannelRequest request, uint headerChannelId, long nowNs, long nowUaTicks, out uint status)
    {
        if (!IsOpen || headerChannelId != ChannelId)
        {
            return Refuse(StatusCodes.BadSecureChannelIdInvalid, IsOpen ? $"a Renew for secure channel {headerChannelId}, not this connection's {ChannelId}" : "a Renew before the channel was issued", out status);
        }

        previous = Current;
        previousExpiresNs = currentExpiresNs;
        Grant(new UaToken(ChannelId, Current.TokenId == uint.MaxValue ? 1 : Current.TokenId + 1, nowUaTicks, limits.ReviseLifetimeMs(request.RequestedLifetime)), nowNs);
        status = 0;
        return null;
    }

    private void Grant(UaToken token, long nowNs)
    {
        Current = token;
        currentUsed = false;
        currentExpiresNs = nowNs + (long)(token.RevisedLifetimeMs * LifetimeGrace * 1_000_000);
    }

    private static string Refuse(uint code, string reason, out uint status)
    {
        status = code;
        return reason;
    }
}
