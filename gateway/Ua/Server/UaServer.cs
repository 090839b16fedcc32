using Neokernel.Kernel.Platform;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// The server above the secure channel: discovery (FindServers, GetEndpoints), the session
/// services (CreateSession, ActivateSession, CloseSession, Cancel) and, for an activated session,
/// the parts that serve the rest (<see cref="ISessionServices"/>: view, attribute and method
/// services over the address space; subscriptions). One dispatch, in the shape of open62541's
/// service table: a request is decoded by its encoding id (<see cref="ServiceRequests"/>), its
/// session resolved and checked, then served; anything else is a ServiceFault with the status
/// Part 4 names. Runs on the gateway's event loop: no locks, no threads.
/// </summary>
public sealed class UaServer
{
    /// <summary>The transport profile of UA-TCP with UA Binary (Part 7).</summary>
    public const string TcpBinaryTransportProfile = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";

    public const string SecurityPolicyNone = "http://opcfoundation.org/UA/SecurityPolicy#None";

    public const string AnonymousPolicyId = "anonymous";

    public const string UserNamePolicyId = "username";

    private readonly UaServerOptions options;
    private readonly IClock clock;
    private readonly long wallClockAtZeroUnixNs;
    private readonly List<ISessionServices> parts = [];
    private readonly EndpointDescription[] endpoints;
    private readonly ApplicationDescription application;

    public UaServer(UaServerOptions options, IClock clock, long wallClockAtZeroUnixNs, DeterministicRandom random)
    {
        this.options = options;
        this.clock = clock;
        this.wallClockAtZeroUnixNs = wallClockAtZeroUnixNs;
        Sessions = new SessionManager(options, random);
        application = new ApplicationDescription
        {
            ApplicationUri = options.ApplicationUri,
            ProductUri = options.ProductUri,
            ApplicationName = LocalizedText.Invariant(options.ApplicationName),
            ApplicationType = ApplicationType.Server,
            DiscoveryUrls = [options.EndpointUrl],
        };
        endpoints = [Endpoint()];
        StartTimeUaTicks = NowUaTicks;
    }

    public SessionManager Sessions { get; }

    public UaServerOptions Options => options;

    /// <summary>Now as a UA DateTime: the platform's monotonic clock on the wall-clock origin it was started with.</summary>
    public long NowUaTicks => UaDateTime.FromUnixNanoseconds(wallClockAtZeroUnixNs + clock.NowNs);

    public long StartTimeUaTicks { get; }

    /// <summary>The wall clock (Unix ns) when the platform's monotonic clock read zero.</summary>
    public long WallClockAtZeroUnixNs => wallClockAtZeroUnixNs;

    /// <summary>Requests answered with a ServiceFault, by the server itself (not the parts).</summary>
    public long Faults { get; private set; }

    public void AddServices(ISessionServices services) => parts.Add(services);

    /// <summary>Serves one decoded request; it is answered through <paramref name="call"/>, now or later.</summary>
    public void Serve(in ServiceCall call, IServiceRequest request)
    {
        switch (request)
        {
            case GetEndpointsRequest r:
                call.Respond(new GetEndpointsResponse { ResponseHeader = Header(r.RequestHeader), Endpoints = endpoints });
                return;
            case FindServersRequest r:
                call.Respond(new FindServersResponse { ResponseHeader = Header(r.RequestHeader), Servers = [application] });
                return;
            case CreateSessionRequest r:
                CreateSession(call, r);
                return;
        }

        var session = Sessions.Find(request.RequestHeader.AuthenticationToken);
        if (session is null)
        {
            Fault(call, request, StatusCodes.BadSessionIdInvalid);
            return;
        }

        if (request is ActivateSessionRequest activate)
        {
            ActivateSession(call, session, activate);
            return;
        }

        if (session.ChannelId != call.ChannelId)
        {
            // A session is used only on the channel it was activated on (Part 4 §5.6.3).
            Fault(call, request, StatusCodes.BadSecureChannelIdInvalid);
            return;
        }

        if (!session.IsActivated)
        {
            Fault(call, request, StatusCodes.BadSessionNotActivated);
            return;
        }

        session.LastActivityNs = clock.NowNs;
        switch (request)
        {
            case CloseSessionRequest close:
                Close(session, close.DeleteSubscriptions);
                call.Respond(new CloseSessionResponse { ResponseHeader = Header(close.RequestHeader) });
                return;
            case CancelRequest cancel:
                call.Respond(new CancelResponse { ResponseHeader = Header(cancel.RequestHeader), CancelCount = 0 });
                return;
        }

        foreach (var part in parts)
        {
            if (part.TryServe(session, call, request))
            {
                return;
            }
        }

        Fault(call, request, StatusCodes.BadServiceUnsupported);
    }

    /// <summary>A request body the decoder could not read, or of a type no service has: answered with <paramref name="status"/>.</summary>
    public void Refuse(in ServiceCall call, StatusCode status)
    {
        Faults++;
        call.Respond(new ServiceFault { ResponseHeader = new ResponseHeader { Timestamp = NowUaTicks, RequestHandle = call.RequestHandle, ServiceResult = status } });
    }

    /// <summary>Closes the sessions whose timeout passed with no request (the housekeeping timer calls this).</summary>
    public int ExpireSessions()
    {
        var expired = Sessions.Expired(clock.NowNs);
        int count = expired.Count;
        for (int i = 0; i < count; i++)
        {
            Close(expired[i], deleteSubscriptions: true);
        }

        return count;
    }

    /// <summary>The response header for a request: its handle, the server's time, Good.</summary>
    public ResponseHeader Header(RequestHeader request, StatusCode status = default) =>
        new() { Timestamp = NowUaTicks, RequestHandle = request.RequestHandle, ServiceResult = status };

    private void CreateSession(in ServiceCall call, CreateSessionRequest request)
    {
        var session = Sessions.Create(request.SessionName, call.ChannelId, request.RequestedSessionTimeout, clock.NowNs);
        if (session is null)
        {
            Fault(call, request, StatusCodes.BadTooManySessions);
            return;
        }

        call.Respond(new CreateSessionResponse
        {
            ResponseHeader = Header(request.RequestHeader),
            SessionId = session.SessionId,
            AuthenticationToken = session.AuthenticationToken,
            RevisedSessionTimeout = session.TimeoutMs,
            ServerNonce = session.ServerNonce,
            ServerEndpoints = endpoints,
            MaxRequestMessageSize = options.MaxRequestMessageBytes,
        });
    }

    private void ActivateSession(in ServiceCall call, Session session, ActivateSessionRequest request)
    {
        StatusCode status = Authenticate(request.UserIdentityToken, out UserRole role, out string? userName);
        if (status.IsBad)
        {
            Fault(call, request, status);
            return;
        }

        if (session.IsActivated && session.ChannelId != call.ChannelId && session.UserName != userName)
        {
            // Moving a session to another channel keeps its user (Part 4 §5.6.3): another user is a new session.
            Fault(call, request, StatusCodes.BadIdentityChangeNotSupported);
            return;
        }

        session.ChannelId = call.ChannelId;
        session.IsActivated = true;
        session.Role = role;
        session.UserName = userName;
        session.LastActivityNs = clock.NowNs;
        session.ServerNonce = Sessions.NewNonce();
        call.Respond(new ActivateSessionResponse { ResponseHeader = Header(request.RequestHeader), ServerNonce = session.ServerNonce });
    }

    /// <summary>The identity token's user and role: anonymous (a null token counts as anonymous, Part 4 §5.6.3), or a name and password checked against the users.</summary>
    private StatusCode Authenticate(ExtensionObject token, out UserRole role, out string? userName)
    {
        role = UserRole.Viewer;
        userName = null;
        uint typeId = token.TypeId.IdType == IdType.Numeric && token.TypeId.NamespaceIndex == 0 ? token.TypeId.Numeric : 0;
        if (token.IsNull || typeId == AnonymousIdentityToken.EncodingId)
        {
            if (options.AnonymousRole is not { } anonymous)
            {
                return StatusCodes.BadIdentityTokenRejected;
            }

            role = anonymous;
            return StatusCodes.Good;
        }

        if (typeId != UserNameIdentityToken.EncodingId || token.Bytes is not { } body)
        {
            return StatusCodes.BadIdentityTokenInvalid;
        }

        UserNameIdentityToken user;
        try
        {
            var decoder = new UaDecoder(body);
            user = UserNameIdentityToken.Decode(ref decoder);
        }
        catch (UaCodecException)
        {
            return StatusCodes.BadIdentityTokenInvalid;
        }

        if (!string.IsNullOrEmpty(user.EncryptionAlgorithm))
        {
            // The None endpoint has no certificate to encrypt with; a client that encrypted anyway used another endpoint's policy.
            return StatusCodes.BadIdentityTokenInvalid;
        }

        var account = options.Users.Authenticate(user.UserName, user.Password ?? []);
        if (account is null)
        {
            return StatusCodes.BadUserAccessDenied;
        }

        role = account.Role;
        userName = account.Name;
        return StatusCodes.Good;
    }

    private void Close(Session session, bool deleteSubscriptions)
    {
        Sessions.Remove(session);
        foreach (var part in parts)
        {
            part.OnSessionClosed(session, deleteSubscriptions);
        }
    }

    private void Fault(in ServiceCall call, IServiceRequest request, StatusCode status)
    {
        Faults++;
        call.Respond(new ServiceFault { ResponseHeader = Header(request.RequestHeader, status) });
    }

    private EndpointDescription Endpoint()
    {
        var tokens = new List<UserTokenPolicy>();
        if (options.AnonymousRole is not null)
        {
            tokens.Add(new UserTokenPolicy { PolicyId = AnonymousPolicyId, TokenType = UserTokenType.Anonymous });
        }

        if (options.Users.Count > 0)
        {
            tokens.Add(new UserTokenPolicy { PolicyId = UserNamePolicyId, TokenType = UserTokenType.UserName, SecurityPolicyUri = SecurityPolicyNone });
        }

        return new EndpointDescription
        {
            EndpointUrl = options.EndpointUrl,
            Server = application,
            SecurityMode = MessageSecurityMode.None,
            SecurityPolicyUri = SecurityPolicyNone,
            UserIdentityTokens = [.. tokens],
            TransportProfileUri = TcpBinaryTransportProfile,
            SecurityLevel = 0,
        };
    }
}
