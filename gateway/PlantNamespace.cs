using Neokernel.Gateway.Plant;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Neokernel.Kernel.Regions;

namespace Neokernel.Gateway;

/// <summary>
/// The Neokernel namespace (<see cref="Uri"/>), built from the running system under Objects:
/// <c>Regions/&lt;region&gt;/&lt;point&gt;</c> (Double, the point's quality as the StatusCode, its
/// source time as SourceTimestamp), <c>Services/&lt;id&gt;/{State, Incarnation, Restarts, Faults,
/// LastFault, Cycles, Overruns, LatencyP99Ns, ExecutionP99Ns, ExecutionMaxNs}</c> from
/// <c>kernel.status</c> (added as the status view first reports each service), the method
/// <c>Services.RestartService(id)</c> through <c>kernel.control</c>, and, for each loop the gateway
/// is routed to, <c>Loops/&lt;id&gt;/{Setpoint, ProcessValue, Output, Mode, Kc, TiSeconds, TdSeconds}</c>
/// with the method <c>Loops.SetLoopMode(id, mode)</c> through the loop's command endpoint
/// (PlantNamespace.Loops.cs), and for each block network value its manifest lists,
/// <c>Blocks/&lt;network&gt;/&lt;block.PIN&gt;</c> through the network's command endpoint
/// (PlantNamespace.Blocks.cs). Node ids are the browse path as a string
/// (<c>ns=2;s=Regions/tank.inputs/level</c>), so a client can name a point without browsing.
/// </summary>
public sealed partial class PlantNamespace
{
    public const string Uri = "urn:neokernel:plant";

    private static readonly string[] ServiceFields = ["State", "Incarnation", "Restarts", "Faults", "LastFault", "Cycles", "Overruns", "LatencyP99Ns", "ExecutionP99Ns", "ExecutionMaxNs"];

    private readonly AddressSpace space;
    private readonly UaServer server;
    private readonly SystemStatusView? status;
    private readonly UaObjectNode servicesFolder;
    private readonly HashSet<string> servicesShown = new(StringComparer.Ordinal);

    public PlantNamespace(AddressSpace space, UaServer server, RegionPointsView? regions, SystemStatusView? status, KernelControl? control, LoopsView? loops = null, BlockValuesView? blockValues = null)
    {
        this.space = space;
        this.server = server;
        this.status = status;
        Namespace = space.RegisterNamespace(Uri);
        var objects = space.ObjectsFolder;
        if (regions is not null)
        {
            AddRegions(objects, regions);
        }

        servicesFolder = space.AddFolder(objects, Id("Services"), "Services");
        if (control is not null)
        {
            space.AddMethod(servicesFolder, new UaMethodNode(Id("Services.RestartService"), new QualifiedName(Namespace, "RestartService"), LocalizedText.Invariant("RestartService"), new RestartMethod(control))
            {
                CallRole = UserRole.Operator,
                InputArguments = [new Argument { Name = "serviceId", DataType = new NodeId(DataTypeIds.String), ValueRank = -1, Description = LocalizedText.Invariant("the id of the service to restart") }],
            });
        }

        ShowNewServices();
        if (loops is { Count: > 0 })
        {
            AddLoops(objects, loops);
        }

        if (blockValues is { Count: > 0 })
        {
            AddBlockValues(objects, blockValues);
        }
    }

    public ushort Namespace { get; }

    /// <summary>Adds the nodes of services the status view reports that have none yet (called after each refresh).</summary>
    public void ShowNewServices()
    {
        if (status is null)
        {
            return;
        }

        for (int i = 0; i < status.ServiceCount; i++)
        {
            var snapshot = status.Service(i);
            if (string.IsNullOrEmpty(snapshot.Id) || !servicesShown.Add(snapshot.Id))
            {
                continue;
            }

            var folder = space.AddFolder(servicesFolder, Id("Services/" + snapshot.Id), snapshot.Id, ServiceFields.Length);
            for (int field = 0; field < ServiceFields.Length; field++)
            {
                uint dataType = field switch
                {
                    0 or 4 => DataTypeIds.String,
                    1 or 2 or 3 => DataTypeIds.Int32,
                    _ => DataTypeIds.Int64,
                };
                string name = ServiceFields[field];
                space.AddVariable(folder, new UaVariableNode(Id($"Services/{snapshot.Id}/{name}"), new QualifiedName(Namespace, name), LocalizedText.Invariant(name), new ServiceFieldSource(status, snapshot.Id, field, server))
                {
                    DataType = space.DataType(dataType),
                });
            }
        }
    }

    private void AddRegions(UaNode objects, RegionPointsView regions)
    {
        var regionsFolder = space.AddFolder(objects, Id("Regions"), "Regions", regions.RegionCount);
        for (int r = 0; r < regions.RegionCount; r++)
        {
            string name = regions.RegionName(r);
            var folder = space.AddFolder(regionsFolder, Id("Regions/" + name), name, regions.PointCount(r));
            for (int p = 0; p < regions.PointCount(r); p++)
            {
                string point = regions.PointName(r, p);
                space.AddVariable(folder, new UaVariableNode(Id($"Regions/{name}/{point}"), new QualifiedName(Namespace, point), LocalizedText.Invariant(point), new RegionPointSource(regions, r, p))
                {
                    DataType = space.DataType(DataTypeIds.Double),
                    MinimumSamplingInterval = 0,
                });
            }
        }
    }

    private NodeId Id(string path) => NodeId.FromString(path, Namespace);

    /// <summary>A region point's quality as a StatusCode: Good, Uncertain, Bad (Part 8 §6.3.2's top bits).</summary>
    internal static StatusCode StatusOf(Quality quality) => quality switch
    {
        Quality.Good => StatusCodes.Good,
        Quality.Uncertain => StatusCodes.Uncertain,
        _ => StatusCodes.Bad,
    };

    private sealed class RegionPointSource(RegionPointsView regions, int region, int point) : IUaValueSource
    {
        public DataValue Read(UaVariableNode variable, UserRole role, long nowTicks)
        {
            var sample = regions.Point(region, point);
            return new DataValue(new Variant(sample.Value), StatusOf(sample.Quality), UaDateTime.FromUnixNanoseconds(sample.SourceTimeUnixNs), ServerTimestamp: nowTicks);
        }

        public StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role) => StatusCodes.BadNotWritable;
    }

    private sealed class ServiceFieldSource(SystemStatusView status, string serviceId, int field, UaServer server) : IUaValueSource
    {
        /// <summary>The state names made once: a read (and every monitored item's sample) returns the same string, allocating nothing.</summary>
        private static readonly string[] StateNames = Enum.GetNames<Contracts.ServiceStateCode>();

        private int index = -1;

        public DataValue Read(UaVariableNode variable, UserRole role, long nowTicks)
        {
            if (index < 0 || index >= status.ServiceCount || status.Service(index).Id != serviceId)
            {
                index = status.IndexOf(serviceId);
            }

            if (index < 0)
            {
                return DataValue.FromStatus(StatusCodes.BadNoData);
            }

            var s = status.Service(index);
            Variant value = field switch
            {
                0 => new Variant((int)s.State < StateNames.Length ? StateNames[(int)s.State] : s.State.ToString()),
                1 => new Variant(s.Incarnation),
                2 => new Variant(s.Restarts),
                3 => new Variant(s.Faults),
                4 => new Variant(s.LastFault),
                5 => new Variant(s.Statistics.Cycles),
                6 => new Variant(s.Statistics.Overruns),
                7 => new Variant(s.Statistics.LatencyNsP99),
                8 => new Variant(s.Statistics.ExecutionNsP99),
                _ => new Variant(s.Statistics.ExecutionNsMax),
            };
            StatusCode quality = status.Freshness == ViewFreshness.Fresh ? StatusCodes.Good : StatusCodes.UncertainLastUsableValue;
            long updated = UaDateTime.FromUnixNanoseconds(server.WallClockAtZeroUnixNs + s.UpdatedNs);
            return new DataValue(value, quality, updated, ServerTimestamp: nowTicks);
        }

        public StatusCode Write(UaVariableNode variable, in DataValue value, UserRole role) => StatusCodes.BadNotWritable;
    }

    /// <summary>RestartService(id): the kernel's answer completes the call (Denied → BadUserAccessDenied, unknown → BadInvalidArgument …).</summary>
    private sealed class RestartMethod(KernelControl control) : IUaMethodHandler
    {
        private readonly PendingMethodCalls pending = new();

        public void Invoke(MethodCall call)
        {
            string? id = call.Inputs[0].AsString();
            if (string.IsNullOrEmpty(id))
            {
                call.Complete(StatusCodes.BadInvalidArgument);
                return;
            }

            long token = pending.NextToken();
            pending.Track(call, token, control.RestartService(id, pending, token));
        }
    }

    /// <summary>
    /// The method calls waiting for the running system's answer (a restart, a loop's mode), by
    /// token. Bounded by the views' own calls in flight: a call is kept only while its request is
    /// Pending there, and every such request ends (its answer or its timeout) in one completion.
    /// </summary>
    private sealed class PendingMethodCalls : ICallCompletion
    {
        private readonly Dictionary<long, MethodCall> calls = [];
        private long nextToken;

        public long NextToken() => ++nextToken;

        /// <summary>Keeps <paramref name="call"/> until its completion when it was sent; otherwise completes it with why not.</summary>
        public void Track(MethodCall call, long token, CallOutcome outcome)
        {
            if (outcome == CallOutcome.Pending)
            {
                calls[token] = call;
                return;
            }

            call.Complete(StatusOf(outcome));
        }

        public void OnCompleted(long token, CallOutcome outcome)
        {
            if (calls.Remove(token, out var call))
            {
                call.Complete(StatusOf(outcome));
            }
        }
    }

    /// <summary>How a call on the running system ended, as the StatusCode of the method or write that made it.</summary>
    internal static StatusCode StatusOf(CallOutcome outcome) => outcome switch
    {
        CallOutcome.Ok => StatusCodes.Good,
        CallOutcome.Denied => StatusCodes.BadUserAccessDenied,
        CallOutcome.NotFound or CallOutcome.InvalidValue => StatusCodes.BadInvalidArgument,
        CallOutcome.InvalidState => StatusCodes.BadInvalidState,
        CallOutcome.Timeout => StatusCodes.BadTimeout,
        CallOutcome.Busy => StatusCodes.BadTooManyOperations,
        CallOutcome.NotWritable => StatusCodes.BadNotWritable,
        _ => StatusCodes.BadInternalError,
    };
}
