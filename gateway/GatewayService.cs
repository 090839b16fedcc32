using Neokernel.Contracts;
using Neokernel.Controllers;
using Neokernel.Gateway.Plant;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Neokernel.Gateway.Ua.Server.Subscriptions;
using Neokernel.Gateway.Ua.Transport;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Gateway;

/// <summary>
/// The gateway service (<c>gateway.opcua</c>): an OPC UA server on the listening socket its
/// manifest grants, serving namespace 0 and the plant (<see cref="PlantNamespace"/>) from the
/// regions it reads and, when routed, <c>kernel.status</c>, <c>kernel.control</c>, the block
/// networks' command endpoints its <c>blockValues</c> table names, and the loops' command
/// endpoints (every other endpoint it uses). Everything
/// runs on the service's event loop: the transport's connections, the server's sessions, the
/// subscriptions' one timer, the views' refreshes. It holds read-only views and the calls the
/// system routes to it, nothing more, so a crash here cannot touch the loop.
/// </summary>
public sealed class GatewayService : IService, ITimerCallback, IDisposable
{
    /// <summary>
    /// The most connections its listener may allow (<c>connectionsMax</c> of the device): each
    /// takes one of the service's 64 timers, and the gateway keeps the rest for its own (the
    /// housekeeping, the subscriptions, the status and loop views and their calls).
    /// </summary>
    public const int ConnectionsMax = 50;

    public static IReadOnlyList<ParameterDeclaration> Parameters { get; } =
    [
        ParameterDeclaration.Text("device", "the listening device it serves OPC UA on (opc.tcp://host:port?listen=true)", "opc"),
        ParameterDeclaration.Text("endpointUrl", "the endpoint URL GetEndpoints reports (empty: opc.tcp:// with the device's host and port)"),
        ParameterDeclaration.Text("anonymousRole", "the role of anonymous sessions: viewer, operator, engineer, or none to refuse them", "viewer"),
        ParameterDeclaration.Integer("sessionsMax", "sessions at once; one more is refused BadTooManySessions", 50, min: 1, max: 1000),
        ParameterDeclaration.Integer("refreshMs", "how old a region's copy may get before a client's read copies it again, and how often new services are shown", 50, "ms", min: 10, max: 10_000),
        ParameterDeclaration.Integer("statusPeriodMs", "how often kernel.status is paged, the routed loops are asked their status and the block values are read", 500, "ms", min: 250, max: 1000),
    ];

    public static TableDeclaration UsersTable { get; } = new(
        "users",
        "users who may activate a session with a password (hash made by `neokernel gateway hash-password`)",
        [
            ParameterDeclaration.RequiredText("name", "the user name"),
            ParameterDeclaration.Text("role", "viewer, operator or engineer", "viewer"),
            ParameterDeclaration.RequiredText("passwordHash", "pbkdf2-sha256$iterations$salt$hash"),
        ])
    {
        RowsMax = 64,
    };

    private UaTcpServer? transport;
    private SubscriptionServer? subscriptions;
    private SystemStatusView? status;
    private LoopsView? loops;
    private BlockValuesView? blockValues;
    private RegionPointsView? regions;
    private PlantNamespace? plant;
    private UaServer? server;
    private IServiceTimer? housekeeping;
    private long nextExpiryNs;

    public UaServer? Server => server;

    public UaTcpServer? Transport => transport;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var parameters = context.Parameters;
        var streams = ServiceStreams.For(context, parameters.Text("device"));
        long wallClockAtZero = context.Clock.WallClockAtZeroUnixNs;
        long uaTicksAtZero = UaDateTime.FromUnixNanoseconds(wallClockAtZero);
        var options = new UaServerOptions
        {
            EndpointUrl = string.IsNullOrEmpty(parameters.Text("endpointUrl")) ? $"opc.tcp://{streams.Address.Host}:{streams.Address.Port}" : parameters.Text("endpointUrl"),
            SessionsMax = (int)parameters.Integer("sessionsMax"),
            AnonymousRole = RoleOrNone(context.ServiceId, parameters.Text("anonymousRole")),
            Users = Users(context),
        };
        server = new UaServer(options, context.Clock, wallClockAtZero, context.Random.Fork("gateway.sessions"));
        var limits = UaServiceLimits.Default;
        var space = new AddressSpace(options.ApplicationUri);
        ServerObject.Install(space, new UaServerDescription { ApplicationUri = options.ApplicationUri, StartTimeTicks = server.StartTimeUaTicks }, limits);

        var shown = RegionPoints.ReadIn(context.Spec);
        regions = shown.Count > 0 ? new RegionPointsView(context, shown) : null;
        if (context.Spec.Uses.Contains(KernelEndpoints.Status))
        {
            status = new SystemStatusView(context, new SystemStatusViewOptions { PeriodMs = (int)parameters.Integer("statusPeriodMs") });
            status.Start();
        }

        var control = context.Spec.Uses.Contains(KernelEndpoints.Control) ? new KernelControl(context) : null;
        var routedLoops = LoopEndpoint.RoutedIn(context.Spec);
        if (routedLoops.Count > 0)
        {
            loops = new LoopsView(context, routedLoops, new LoopsViewOptions(PeriodMs: (int)parameters.Integer("statusPeriodMs")));
            loops.Start();
        }

        var shownValues = BlockValueEndpoint.ReadIn(parameters);
        if (shownValues.Count > 0)
        {
            blockValues = new BlockValuesView(context, shownValues, (int)parameters.Integer("statusPeriodMs"));
            blockValues.Start();
        }

        plant = new PlantNamespace(space, server, regions, status, control, loops, blockValues);
        server.AddServices(new AddressSpaceServices(server, space, limits));
        subscriptions = new SubscriptionServer(new ServiceSubscriptionLoop(context, uaTicksAtZero), new AddressSpaceSampler(space, server), new SubscriptionLimits().Validate());
        server.AddServices(new SubscriptionServices(subscriptions));

        housekeeping = context.CreateTimer(this);
        long refreshNs = parameters.Integer("refreshMs") * 1_000_000;
        housekeeping.ArmPeriodic(refreshNs, context.Clock.NowNs + refreshNs);
        // A connection's send queue must be able to hold one whole response (1 MB): it grows to that
        // only for a client whose responses need it, from two send buffers at its first connect.
        var transportLimits = new UaTcpLimits { MessageBytesMax = 1 << 20, SendQueueBytes = (1 << 20) + (64 << 10) };
        transport = new UaTcpServer(streams, streams.Address, new ServiceUaTransportLoop(context, uaTicksAtZero), new UaServerTransport(server, nodes: space), transportLimits);
        transport.Start();
    }

    /// <summary>The refresh: region points due again (copied at their next read), new services shown; once a second, expired sessions closed.</summary>
    public void OnTimer(long nowNs)
    {
        regions?.MarkDue();
        plant?.ShowNewServices();
        if (nowNs >= nextExpiryNs)
        {
            nextExpiryNs = nowNs + 1_000_000_000;
            server?.ExpireSessions();
        }
    }

    public void Stop()
    {
        housekeeping?.Cancel();
        status?.Stop();
        loops?.Stop();
        blockValues?.Stop();
        subscriptions?.Stop();
        transport?.Dispose();
        transport = null;
    }

    public void Dispose() => Stop();

    /// <summary>
    /// What <c>validate</c> checks beyond the parameters' types: <c>device</c> names one of the
    /// service's devices, a listening one, whose connectionsMax fits <see cref="ConnectionsMax"/>.
    /// </summary>
    public static IEnumerable<ProgramProblem> Check(ProgramParameters parameters, Kernel.Manifests.ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var problems = new List<ProgramProblem>();
        if (ProgramChecks.Device(service, parameters.Text("device"), problems) is not ({ } device, { } address))
        {
            return problems;
        }

        if (address.Transport != Kernel.Devices.DeviceTransport.TcpListen)
        {
            problems.Add(new("parameters.device", $"device '{device.Name}' is {device.Uri}: the gateway listens", "an opc.tcp://host:port?listen=true device"));
        }
        else if (address.ConnectionsMax > ConnectionsMax)
        {
            problems.Add(new("parameters.device", $"device '{device.Name}' allows {address.ConnectionsMax} connections ({device.Uri}); the gateway serves at most {ConnectionsMax}", $"connectionsMax=1..{ConnectionsMax} in the device's URI"));
        }

        BlockValueEndpoint.Check(parameters, service, problems);
        return problems;
    }

    /// <summary>
    /// What the gateway expects of the endpoints it uses, for <c>validate</c> to hold the services
    /// behind them to: each <c>blockValues</c> row reads (or, read-write, sets) its value through
    /// <see cref="BlockNetworkCommands"/>, and every other endpoint that is not the kernel's is a
    /// loop it speaks <see cref="ControllerCommands"/> to (<see cref="LoopEndpoint.RoutedIn"/>).
    /// </summary>
    public static IEnumerable<ContractUse> Uses(ProgramParameters parameters, Kernel.Manifests.ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(service);
        var values = BlockValueEndpoint.ReadIn(parameters);
        var networks = values.Select(v => v.Endpoint).ToHashSet(StringComparer.Ordinal);
        var uses = new List<ContractUse>();
        for (var i = 0; i < values.Count; i++)
        {
            var row = $"program.tables.{BlockValueEndpoint.TableName}[{i}]";
            uses.Add(new(values[i].Endpoint, nameof(BlockNetworkCommands), row + ".endpoint")
            {
                Name = values[i].Value,
                NamePath = row + ".value",
                Sets = values[i].Writable,
                MismatchHint = "a loop's command endpoint (controllers.pid) needs no row here: every endpoint the gateway uses that no row names is shown as a loop",
            });
        }

        for (var i = 0; i < service.Endpoints.Uses.Count; i++)
        {
            var endpoint = service.Endpoints.Uses[i];
            if (LoopEndpoint.IsLoop(endpoint, networks))
            {
                uses.Add(new(endpoint, nameof(ControllerCommands), $"endpoints.uses[{i}]")
                {
                    MismatchHint = $"a block network's values are shown through rows of the {BlockValueEndpoint.TableName} table naming its endpoint",
                });
            }
        }

        return uses;
    }

    private static UserDirectory Users(IServiceContext context)
    {
        var accounts = new List<UserAccount>();
        foreach (var row in context.Parameters.Table(UsersTable.Name))
        {
            string name = row.Text("name");
            if (!PasswordHash.TryParse(row.Text("passwordHash"), out var hash, out string problem))
            {
                throw new ServiceConfigurationException(context.ServiceId, $"tables.users.{name}.passwordHash", problem);
            }

            var role = RoleOrNone(context.ServiceId, row.Text("role")) ?? throw new ServiceConfigurationException(context.ServiceId, $"tables.users.{name}.role", "a user's role is viewer, operator or engineer");
            accounts.Add(new UserAccount(name, role, hash!));
        }

        return new UserDirectory(accounts);
    }

    private static UserRole? RoleOrNone(string serviceId, string text) => text switch
    {
        "viewer" => UserRole.Viewer,
        "operator" => UserRole.Operator,
        "engineer" => UserRole.Engineer,
        "none" => null,
        _ => throw new ServiceConfigurationException(serviceId, "anonymousRole", $"'{text}' is not viewer, operator, engineer or none"),
    };
}

/// <summary>The gateway's programs, for the catalog.</summary>
public static class GatewayPrograms
{
    public const string OpcUaType = "gateway.opcua";

    public static ProgramCatalog AddGateway(this ProgramCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(new ProgramDescriptor(
            OpcUaType,
            "OPC UA server (SecurityPolicy None) for SCADA and HMI clients: namespace 0, and the plant's regions, services and kernel methods from what its manifest grants",
            GatewayService.Parameters,
            static () => new GatewayService())
        {
            Tables = [GatewayService.UsersTable, BlockValueEndpoint.Table],
            Check = GatewayService.Check,
            Uses = GatewayService.Uses,
        });
    }
}
