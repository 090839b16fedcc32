namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// Who the server is and what it allows: its application description, its endpoint, its users and
/// the session limits. The gateway service builds this from its manifest; tests build their own.
/// </summary>
public sealed record UaServerOptions
{
    /// <summary>The server's ApplicationUri, also NamespaceArray[1].</summary>
    public string ApplicationUri { get; init; } = "urn:neokernel:gateway";

    public string ProductUri { get; init; } = "urn:neokernel";

    public string ApplicationName { get; init; } = "Neokernel gateway";

    /// <summary>The endpoint clients connect to, as GetEndpoints reports it (opc.tcp://host:port).</summary>
    public string EndpointUrl { get; init; } = "opc.tcp://127.0.0.1:4840";

    /// <summary>Sessions at once; one more CreateSession is answered Bad_TooManySessions.</summary>
    public int SessionsMax { get; init; } = 100;

    /// <summary>Bounds the RequestedSessionTimeout is revised to.</summary>
    public double SessionTimeoutMinMs { get; init; } = 10_000;

    public double SessionTimeoutMaxMs { get; init; } = 3_600_000;

    /// <summary>Bytes of the server nonce sent with CreateSession and ActivateSession (Part 4 asks for at least 32).</summary>
    public int NonceBytes { get; init; } = 32;

    /// <summary>The role of an anonymous session; null refuses anonymous activation.</summary>
    public UserRole? AnonymousRole { get; init; } = UserRole.Viewer;

    /// <summary>The users who may activate with a user name and password.</summary>
    public UserDirectory Users { get; init; } = UserDirectory.Empty;

    /// <summary>The largest request the server accepts, reported as MaxRequestMessageSize in CreateSession.</summary>
    public uint MaxRequestMessageBytes { get; init; } = 1 << 22;
}
