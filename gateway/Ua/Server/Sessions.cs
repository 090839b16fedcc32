using Neokernel.Kernel.Platform;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// A session (Part 4 §5.6): created on a secure channel, activated with a user identity, bound to
/// the channel it was last activated on, closed by the client or when no request came within its
/// revised timeout. The parts of the server keep their per-session state in
/// <see cref="ViewState"/> and <see cref="SubscriptionState"/>.
/// </summary>
public sealed class Session
{
    internal Session(NodeId sessionId, NodeId authenticationToken, string? name, uint channelId, double timeoutMs, byte[] serverNonce, long nowNs)
    {
        SessionId = sessionId;
        AuthenticationToken = authenticationToken;
        Name = name ?? "";
        ChannelId = channelId;
        TimeoutMs = timeoutMs;
        ServerNonce = serverNonce;
        LastActivityNs = nowNs;
    }

    public NodeId SessionId { get; }

    /// <summary>The secret the client names the session by in every request header.</summary>
    public NodeId AuthenticationToken { get; }

    public string Name { get; }

    /// <summary>The secure channel the session is bound to (the one it was last activated on).</summary>
    public uint ChannelId { get; internal set; }

    public bool IsActivated { get; internal set; }

    public UserRole Role { get; internal set; }

    /// <summary>The user name it was activated with, or null for anonymous.</summary>
    public string? UserName { get; internal set; }

    public double TimeoutMs { get; }

    public byte[] ServerNonce { get; internal set; }

    public long LastActivityNs { get; internal set; }

    public bool IsClosed { get; internal set; }

    /// <summary>What the view services keep per session (continuation points, registered nodes).</summary>
    public object? ViewState { get; set; }

    /// <summary>What the subscription services keep per session.</summary>
    public object? SubscriptionState { get; set; }
}

/// <summary>
/// The sessions of a server, by authentication token; bounded by <see cref="UaServerOptions.SessionsMax"/>.
/// Tokens and nonces come from the service's random stream (the platform seam), so a simulated run
/// replays; a security policy other than None needs a cryptographic source there (its own issue).
/// </summary>
public sealed class SessionManager
{
    private readonly Dictionary<NodeId, Session> byToken = [];
    private readonly UaServerOptions options;
    private readonly DeterministicRandom random;
    private readonly List<Session> expired = [];
    private uint nextSessionNumber = 1;

    public SessionManager(UaServerOptions options, DeterministicRandom random)
    {
        this.options = options;
        this.random = random;
    }

    public int Count => byToken.Count;

    public IEnumerable<Session> All => byToken.Values;

    /// <summary>A new, not yet activated session; null when the server already holds <see cref="UaServerOptions.SessionsMax"/>.</summary>
    public Session? Create(string? name, uint channelId, double requestedTimeoutMs, long nowNs)
    {
        if (byToken.Count >= options.SessionsMax)
        {
            return null;
        }

        double timeout = double.IsNaN(requestedTimeoutMs) ? options.SessionTimeoutMinMs : Math.Clamp(requestedTimeoutMs, options.SessionTimeoutMinMs, options.SessionTimeoutMaxMs);
        var sessionId = new NodeId(nextSessionNumber++, 1);
        var session = new Session(sessionId, NewToken(), name, channelId, timeout, NewNonce(), nowNs);
        byToken.Add(session.AuthenticationToken, session);
        return session;
    }

    public Session? Find(NodeId authenticationToken) => byToken.GetValueOrDefault(authenticationToken);

    /// <summary>
    /// The authentication token (an opaque NodeId) of a session, found from its bytes as a request
    /// header carries them, so decoding the header makes no array. A walk over the sessions, at
    /// most <see cref="UaServerOptions.SessionsMax"/> comparisons of 32 bytes.
    /// </summary>
    public bool TryFindToken(ushort namespaceIndex, ReadOnlySpan<byte> token, out NodeId authenticationToken)
    {
        foreach (var key in byToken.Keys)
        {
            if (key.IsOpaque(namespaceIndex, token))
            {
                authenticationToken = key;
                return true;
            }
        }

        authenticationToken = default;
        return false;
    }

    public byte[] NewNonce()
    {
        byte[] nonce = new byte[options.NonceBytes];
        Fill(nonce);
        return nonce;
    }

    public void Remove(Session session)
    {
        session.IsClosed = true;
        byToken.Remove(session.AuthenticationToken);
    }

    /// <summary>
    /// The sessions no request has touched within their timeout, as of <paramref name="nowNs"/>:
    /// a list this manager reuses (the housekeeping timer asks every second, allocating nothing).
    /// </summary>
    public IReadOnlyList<Session> Expired(long nowNs)
    {
        expired.Clear();
        foreach (var session in byToken.Values)
        {
            if (nowNs - session.LastActivityNs > (long)(session.TimeoutMs * 1_000_000))
            {
                expired.Add(session);
            }
        }

        return expired;
    }

    private NodeId NewToken()
    {
        byte[] token = new byte[32];
        Fill(token);
        return NodeId.FromOpaque(token, 0);
    }

    private void Fill(Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i += 8)
        {
            ulong value = random.NextUInt64();
            for (int j = 0; j < 8 && i + j < bytes.Length; j++)
            {
                bytes[i + j] = (byte)(value >> (8 * j));
            }
        }
    }
}
