using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Neokernel.Kernel.Platform;
using Neokernel.Testing;

namespace Neokernel.Gateway.Tests.Sessions;

public sealed class UaServerSessionTests
{
    private const uint Channel = 5;
    private static readonly PasswordHash OperatorHash = PasswordHash.Create("s3cret", new byte[16], PasswordHash.IterationsMin);

    [Fact]
    public void GetEndpoints_ReportsTheNoneEndpoint_WithTheTokenPolicies()
    {
        var (server, responses) = NewServer();
        server.Serve(responses.Call(Channel), new GetEndpointsRequest());
        var endpoint = Assert.Single(Assert.IsType<GetEndpointsResponse>(responses.Last).Endpoints!);
        Assert.Equal("opc.tcp://127.0.0.1:4840", endpoint.EndpointUrl);
        Assert.Equal(MessageSecurityMode.None, endpoint.SecurityMode);
        Assert.Equal(UaServer.SecurityPolicyNone, endpoint.SecurityPolicyUri);
        Assert.Equal([UserTokenType.Anonymous, UserTokenType.UserName], endpoint.UserIdentityTokens!.Select(t => t.TokenType));
    }

    [Fact]
    public void CreateAndActivate_Anonymous_IsAViewer_AndThenServed()
    {
        var (server, responses) = NewServer();
        var token = CreateSession(server, responses);
        server.Serve(responses.Call(Channel), Activate(token, ExtensionObject.FromEncodeable(new AnonymousIdentityToken { PolicyId = "anonymous" })));
        Assert.IsType<ActivateSessionResponse>(responses.Last);
        var session = server.Sessions.Find(token)!;
        Assert.Equal(UserRole.Viewer, session.Role);
        server.Serve(responses.Call(Channel), new ReadRequest { RequestHeader = new RequestHeader { AuthenticationToken = token } });
        Assert.Equal(StatusCodes.BadServiceUnsupported, Fault(responses));
    }

    [Fact]
    public void Request_BeforeActivation_OrWithAnUnknownToken_OrOnAnotherChannel_IsRefused()
    {
        var (server, responses) = NewServer();
        var token = CreateSession(server, responses);
        server.Serve(responses.Call(Channel), new ReadRequest { RequestHeader = new RequestHeader { AuthenticationToken = token } });
        Assert.Equal(StatusCodes.BadSessionNotActivated, Fault(responses));
        server.Serve(responses.Call(Channel), new ReadRequest { RequestHeader = new RequestHeader { AuthenticationToken = new NodeId(99) } });
        Assert.Equal(StatusCodes.BadSessionIdInvalid, Fault(responses));
        server.Serve(responses.Call(Channel), Activate(token, ExtensionObject.Null));
        server.Serve(responses.Call(Channel + 1), new ReadRequest { RequestHeader = new RequestHeader { AuthenticationToken = token } });
        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, Fault(responses));
    }

    [Fact]
    public void ActivateWithUserName_RightPassword_GivesTheRole_WrongOne_IsDenied()
    {
        var (server, responses) = NewServer();
        var token = CreateSession(server, responses);
        server.Serve(responses.Call(Channel), Activate(token, UserName("op", "wrong")));
        Assert.Equal(StatusCodes.BadUserAccessDenied, Fault(responses));
        server.Serve(responses.Call(Channel), Activate(token, UserName("nobody", "s3cret")));
        Assert.Equal(StatusCodes.BadUserAccessDenied, Fault(responses));
        server.Serve(responses.Call(Channel), Activate(token, UserName("op", "s3cret")));
        Assert.IsType<ActivateSessionResponse>(responses.Last);
        Assert.Equal((UserRole.Operator, "op"), (server.Sessions.Find(token)!.Role, server.Sessions.Find(token)!.UserName));
    }

    [Fact]
    public void Activate_MovesTheSessionToANewChannel_ForTheSameUser_Only()
    {
        var (server, responses) = NewServer();
        var token = CreateSession(server, responses);
        server.Serve(responses.Call(Channel), Activate(token, UserName("op", "s3cret")));
        server.Serve(responses.Call(Channel + 1), Activate(token, ExtensionObject.Null));
        Assert.Equal(StatusCodes.BadIdentityChangeNotSupported, Fault(responses));
        server.Serve(responses.Call(Channel + 1), Activate(token, UserName("op", "s3cret")));
        Assert.IsType<ActivateSessionResponse>(responses.Last);
        Assert.Equal(Channel + 1, server.Sessions.Find(token)!.ChannelId);
    }

    [Fact]
    public void CreateSession_BeyondTheLimit_IsTooManySessions_AndTimeoutsAreRevised()
    {
        var (server, responses) = NewServer(new UaServerOptions { SessionsMax = 2, SessionTimeoutMinMs = 1000, SessionTimeoutMaxMs = 5000 });
        server.Serve(responses.Call(Channel), new CreateSessionRequest { RequestedSessionTimeout = 10 });
        Assert.Equal(1000, Assert.IsType<CreateSessionResponse>(responses.Last).RevisedSessionTimeout);
        server.Serve(responses.Call(Channel), new CreateSessionRequest { RequestedSessionTimeout = 1e9 });
        Assert.Equal(5000, Assert.IsType<CreateSessionResponse>(responses.Last).RevisedSessionTimeout);
        server.Serve(responses.Call(Channel), new CreateSessionRequest());
        Assert.Equal(StatusCodes.BadTooManySessions, Fault(responses));
    }

    [Fact]
    public void Session_WithNoRequestWithinItsTimeout_Expires()
    {
        var clock = new FakeClock();
        var (server, responses) = NewServer(new UaServerOptions { SessionTimeoutMinMs = 1000 }, clock);
        var token = CreateSession(server, responses, timeoutMs: 1000);
        clock.Advance(900_000_000);
        Assert.Equal(0, server.ExpireSessions());
        clock.Advance(200_000_000);
        Assert.Equal(1, server.ExpireSessions());
        Assert.Null(server.Sessions.Find(token));
    }

    [Fact]
    public void CloseSession_RemovesIt()
    {
        var (server, responses) = NewServer();
        var token = CreateSession(server, responses);
        server.Serve(responses.Call(Channel), Activate(token, ExtensionObject.Null));
        server.Serve(responses.Call(Channel), new CloseSessionRequest { RequestHeader = new RequestHeader { AuthenticationToken = token }, DeleteSubscriptions = true });
        Assert.IsType<CloseSessionResponse>(responses.Last);
        Assert.Equal(0, server.Sessions.Count);
    }

    [Fact]
    public void PasswordHash_RoundTripsItsStoredForm_AndRefusesMalformedOnes()
    {
        Assert.True(PasswordHash.TryParse(OperatorHash.ToString(), out var parsed, out _));
        Assert.True(parsed!.Verify("s3cret"u8));
        Assert.False(parsed.Verify("s3cret!"u8));
        Assert.False(PasswordHash.TryParse("md5$1$x$y", out _, out string problem));
        Assert.Contains("pbkdf2-sha256$iterations$salt$hash", problem, StringComparison.Ordinal);
        Assert.False(PasswordHash.TryParse("pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", out _, out problem));
        Assert.Contains("at least 10000", problem, StringComparison.Ordinal);
    }

    private static (UaServer Server, Responses Responses) NewServer(UaServerOptions? options = null, FakeClock? clock = null)
    {
        options ??= new UaServerOptions();
        options = options with { Users = new UserDirectory([new UserAccount("op", UserRole.Operator, OperatorHash)]) };
        return (new UaServer(options, clock ?? new FakeClock(), 0, new DeterministicRandom(1)), new Responses());
    }

    private static NodeId CreateSession(UaServer server, Responses responses, double timeoutMs = 60_000)
    {
        server.Serve(responses.Call(Channel), new CreateSessionRequest { SessionName = "test", RequestedSessionTimeout = timeoutMs });
        return Assert.IsType<CreateSessionResponse>(responses.Last).AuthenticationToken;
    }

    private static ActivateSessionRequest Activate(NodeId token, ExtensionObject identity) =>
        new() { RequestHeader = new RequestHeader { AuthenticationToken = token }, UserIdentityToken = Encoded(identity) };

    private static ExtensionObject UserName(string name, string password) =>
        ExtensionObject.FromEncodeable(new UserNameIdentityToken { PolicyId = "username", UserName = name, Password = System.Text.Encoding.UTF8.GetBytes(password) });

    /// <summary>What the server decodes from the wire: a typed body becomes bytes.</summary>
    private static ExtensionObject Encoded(ExtensionObject value)
    {
        var encoder = new UaEncoder();
        encoder.WriteExtensionObject(value);
        var decoder = new UaDecoder(encoder.Written);
        return decoder.ReadExtensionObject();
    }

    private static uint Fault(Responses responses) => Assert.IsType<ServiceFault>(responses.Last).ResponseHeader.ServiceResult.Code;

    private sealed class Responses : IServiceResponder
    {
        private uint requestId;

        public List<IServiceResponse> All { get; } = [];

        public IServiceResponse Last => All[^1];

        public ServiceCall Call(uint channel) => new(this, channel, ++requestId, requestId);

        public bool IsLive(in ServiceCall call) => true;

        public void Respond(in ServiceCall call, IServiceResponse response) => All.Add(response);
    }
}
