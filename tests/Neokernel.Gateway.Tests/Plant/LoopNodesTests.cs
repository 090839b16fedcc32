using Neokernel.Contracts;
using Neokernel.Controllers;
using Neokernel.Gateway.Plant;
using Neokernel.Gateway.Tests.Server;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Neokernel.Kernel.Ipc;
using Neokernel.Testing;

namespace Neokernel.Gateway.Tests.Plant;

/// <summary>
/// The plant namespace's Loops nodes over a <see cref="LoopsView"/> of a fake loop on a fake
/// context: browse and read of each field with its quality and source time, the setpoint write
/// and SetLoopMode checked against the session's role and reaching the loop's command endpoint,
/// a silent loop read as UncertainLastUsableValue, and reads that allocate nothing.
/// </summary>
public sealed class LoopNodesTests
{
    private const long Ms = 1_000_000;
    private const string Endpoint = "tank-controller.commands";
    private const string LoopPath = "Loops/tank-controller";
    private const uint ResultMaskAll = 0x3F;

    private static readonly string[] LoopFields = ["Setpoint", "ProcessValue", "Output", "Mode", "Kc", "TiSeconds", "TdSeconds"];
    private static readonly string[] LoopsFolderChildren = ["SetLoopMode", "tank-controller"];
    private static readonly LoopStatus Reported = new(PidMode.Auto, InputQualityCode.Good, 1.0, 0.98, 42.5, 250.0, 60.0, 0.5, 0.0, 100.0, LoopMode.Auto, PidMode.Auto, LoopModeTrigger.None);

    /// <summary>A loop's command endpoint: answers GetStatus with its status and applies SetSetpoint, SetMode and SetTuning (refusing a gain of 0), or answers nothing.</summary>
    private sealed class FakeLoop : IMessageHandler
    {
        public LoopStatus Status { get; set; } = Reported;

        public bool Silent { get; set; }

        public List<ControllerCommand> Commands { get; } = [];

        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            if (Silent)
            {
                return;
            }

            Span<byte> reply = stackalloc byte[ControllerCommands.StatusReplyBytes];
            if (ControllerCommands.IsGetStatus(message.Payload))
            {
                server.Reply(message, reply[..ControllerCommands.EncodeStatusReply(Status, reply)]);
                return;
            }

            var decoded = ControllerCommands.Decode(message.Payload, out var command);
            if (decoded == CommandStatus.Ok && command.Kind == ControllerCommandKind.SetTuning && command.Tuning.Kc == 0)
            {
                decoded = CommandStatus.InvalidValue;
            }

            if (decoded == CommandStatus.Ok)
            {
                Commands.Add(command);
                Status = command.Kind switch
                {
                    ControllerCommandKind.SetMode => Status with { Mode = command.Mode },
                    ControllerCommandKind.SetTuning => Status with
                    {
                        Kc = double.IsNaN(command.Tuning.Kc) ? Status.Kc : command.Tuning.Kc,
                        TiSeconds = double.IsNaN(command.Tuning.TiSeconds) ? Status.TiSeconds : command.Tuning.TiSeconds,
                        TdSeconds = double.IsNaN(command.Tuning.TdSeconds) ? Status.TdSeconds : command.Tuning.TdSeconds,
                    },
                    _ => Status with { Setpoint = command.Value },
                };
            }

            server.Reply(message, reply[..ControllerCommands.EncodeStatus(decoded, reply)]);
        }
    }

    /// <summary>The gateway's side: the loops view, the real plant namespace over it, and the attribute and method services.</summary>
    private sealed class Gateway
    {
        public Gateway()
        {
            Context = new FakeServiceContext(periodUs: 0, serviceId: "gateway", kind: "gateway");
            Context.AddEndpoint(Endpoint, FakeServiceContext.PeerId, [Context.ServiceId], queueDepth: 8);
            Context.Objects.ServeEndpoint(Endpoint, FakeServiceContext.PeerId, Loop);
            Loops = new LoopsView(Context, [new LoopEndpoint("tank-controller", Endpoint)], new LoopsViewOptions(PeriodMs: 250, RequestTimeoutMs: 50));
            Server = new UaServer(new UaServerOptions(), Context.Clock, Context.Clock.WallClockAtZeroUnixNs, Context.Random.Fork("test.sessions"));
            Space = new AddressSpace("urn:neokernel:test-gateway");
            Plant = new PlantNamespace(Space, Server, regions: null, status: null, control: null, Loops);
            Loops.Start();
        }

        public FakeServiceContext Context { get; }

        public FakeLoop Loop { get; } = new();

        public LoopsView Loops { get; }

        public UaServer Server { get; }

        public AddressSpace Space { get; }

        public PlantNamespace Plant { get; }

        public SessionViewState Session { get; } = new(UaServiceLimits.Default);

        public AttributeServices Attributes => new(Space, UaServiceLimits.Default);

        public NodeId Id(string path) => NodeId.FromString(path, Plant.Namespace);

        public UaRequestContext As(UserRole role) => new(role, Session, Server.NowUaTicks);

        public DataValue Read(string path, UserRole role = UserRole.Viewer, AttributeId attribute = AttributeId.Value) =>
            Attributes.ReadOne(new ReadValueId { NodeId = Id(path), AttributeId = (uint)attribute }, TimestampsToReturn.Both, As(role));

        /// <summary>Starts a Write of one value (in <paramref name="session"/>, the gateway's one unless given); the recorder holds the response once it completed.</summary>
        public WriteRecorder BeginWrite(string path, Variant value, UserRole role, SessionViewState? session = null)
        {
            var recorder = new WriteRecorder();
            var request = new WriteRequest { NodesToWrite = [new WriteValue { NodeId = Id(path), AttributeId = (uint)AttributeId.Value, Value = new DataValue(value) }] };
            Attributes.Write(request, new UaRequestContext(role, session ?? Session, Server.NowUaTicks), recorder, null);
            return recorder;
        }

        /// <summary>A Write of one value, given the loop a few ms to answer: its status.</summary>
        public StatusCode Write(string path, Variant value, UserRole role)
        {
            var recorder = BeginWrite(path, value, role);
            Context.RunFor(5 * Ms);
            return WriteStatus(recorder);
        }

        /// <summary>Calls SetLoopMode; the recorder holds the response once the method has completed.</summary>
        public CallRecorder SetLoopMode(string loopId, string mode, UserRole role)
        {
            var recorder = new CallRecorder();
            var method = new CallMethodRequest { ObjectId = Id("Loops"), MethodId = Id("Loops.SetLoopMode"), InputArguments = [new Variant(loopId), new Variant(mode)] };
            new MethodServices(Space, UaServiceLimits.Default).Call(new CallRequest { MethodsToCall = [method] }, As(role), recorder, null);
            return recorder;
        }

        public string[] BrowseNames(string path) => BrowseNames(Id(path));

        public string[] BrowseNames(NodeId nodeId)
        {
            var description = new BrowseDescription
            {
                NodeId = nodeId,
                BrowseDirection = BrowseDirection.Forward,
                ReferenceTypeId = new NodeId(ReferenceTypeIds.HierarchicalReferences),
                IncludeSubtypes = true,
                ResultMask = ResultMaskAll,
            };
            var result = Assert.Single(new ViewServices(Space, UaServiceLimits.Default).Browse(new BrowseRequest { NodesToBrowse = [description] }, As(UserRole.Viewer)).Results!);
            Assert.True(result.StatusCode.IsGood);
            return [.. result.References!.Select(r => r.BrowseName.Name!)];
        }
    }

    private static StatusCode CallStatus(CallRecorder recorder) => Assert.Single(Assert.Single(recorder.Responses).Response.Results!).StatusCode;

    private static Gateway Started()
    {
        var gateway = new Gateway();
        gateway.Context.RunFor(10 * Ms);
        return gateway;
    }

    [Fact]
    public void Browse_LoopsFolder_ShowsEachRoutedLoopWithItsFieldsAndSetLoopMode()
    {
        var gateway = Started();

        Assert.Contains("Loops", gateway.BrowseNames(gateway.Space.ObjectsFolder.NodeId));
        Assert.Equal(LoopsFolderChildren, gateway.BrowseNames("Loops").Order());
        Assert.Equal(LoopFields, gateway.BrowseNames(LoopPath));
    }

    [Fact]
    public void Read_LoopFields_AreTheLoopsLastStatusWithWallClockSourceTime()
    {
        var gateway = Started();
        var values = LoopFields.Select(field => gateway.Read($"{LoopPath}/{field}")).ToList();

        Assert.All(values, value => Assert.Equal(StatusCodes.Good, value.Status.Code));
        Assert.Equal([1.0, 0.98, 42.5], values.Take(3).Select(v => v.Value.AsDouble()));
        Assert.Equal("Auto", values[3].Value.AsString());
        Assert.Equal([250.0, 60.0, 0.5], values.Skip(4).Select(v => v.Value.AsDouble()));
        long updatedTicks = UaDateTime.FromUnixNanoseconds(gateway.Server.WallClockAtZeroUnixNs + gateway.Loops.Loop(0).UpdatedNs);
        Assert.All(values, value => Assert.Equal(updatedTicks, value.SourceTimestamp));
        Assert.Equal(new NodeId(DataTypeIds.String), gateway.Read($"{LoopPath}/Mode", attribute: AttributeId.DataType).Value.AsNodeId());
        Assert.Equal(new NodeId(DataTypeIds.Double), gateway.Read($"{LoopPath}/Kc", attribute: AttributeId.DataType).Value.AsNodeId());
    }

    [Fact]
    public void Read_AccessLevels_SetpointIsWrittenByOperatorsAndEngineers_TheGainsByEngineersOnly()
    {
        var gateway = Started();

        foreach (var field in LoopFields)
        {
            var gain = field is "Kc" or "TiSeconds" or "TdSeconds";
            byte expected = field == "Setpoint" || gain ? AccessLevels.ReadWrite : AccessLevels.CurrentRead;
            Assert.Equal(expected, gateway.Read($"{LoopPath}/{field}", attribute: AttributeId.AccessLevel).Value.AsByte());
            Assert.Equal(AccessLevels.CurrentRead, gateway.Read($"{LoopPath}/{field}", UserRole.Viewer, AttributeId.UserAccessLevel).Value.AsByte());
            Assert.Equal(gain ? AccessLevels.CurrentRead : expected, gateway.Read($"{LoopPath}/{field}", UserRole.Operator, AttributeId.UserAccessLevel).Value.AsByte());
            Assert.Equal(expected, gateway.Read($"{LoopPath}/{field}", UserRole.Engineer, AttributeId.UserAccessLevel).Value.AsByte());
        }
    }

    [Fact]
    public void WriteGain_AsEngineer_SendsThatGainAloneAndReadsBack_AsOperatorIsDenied_ZeroIsOutOfRange()
    {
        var gateway = Started();

        Assert.Equal(StatusCodes.BadUserAccessDenied, gateway.Write($"{LoopPath}/Kc", new Variant(3.0), UserRole.Operator).Code);
        Assert.Empty(gateway.Loop.Commands);

        Assert.Equal(StatusCodes.Good, gateway.Write($"{LoopPath}/TiSeconds", new Variant(45.0), UserRole.Engineer).Code);
        gateway.Context.RunFor(5 * Ms);
        var sent = Assert.Single(gateway.Loop.Commands);
        Assert.Equal(ControllerCommandKind.SetTuning, sent.Kind);
        Assert.True(double.IsNaN(sent.Tuning.Kc) && double.IsNaN(sent.Tuning.TdSeconds));
        Assert.Equal(45.0, sent.Tuning.TiSeconds);
        Assert.Equal(45.0, gateway.Read($"{LoopPath}/TiSeconds").Value.AsDouble());

        Assert.Equal(StatusCodes.BadOutOfRange, gateway.Write($"{LoopPath}/Kc", new Variant(0.0), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadOutOfRange, gateway.Write($"{LoopPath}/TdSeconds", new Variant(double.NaN), UserRole.Engineer).Code);
        Assert.Single(gateway.Loop.Commands);
    }

    [Fact]
    public void Read_BeforeTheLoopFirstAnswers_IsBadWaitingForInitialData()
    {
        var gateway = new Gateway();

        Assert.Equal(StatusCodes.BadWaitingForInitialData, gateway.Read($"{LoopPath}/Setpoint").Status.Code);
        gateway.Context.RunFor(10 * Ms);
        Assert.Equal(StatusCodes.Good, gateway.Read($"{LoopPath}/Setpoint").Status.Code);
    }

    [Fact]
    public void Read_LoopSilent_IsUncertainLastUsableValueWithTheLastValues()
    {
        var gateway = Started();
        gateway.Loop.Silent = true;

        gateway.Context.RunFor(300 * Ms);

        Assert.Equal(ViewFreshness.Stale, gateway.Loops.Loop(0).Freshness);
        Assert.All(LoopFields, field => Assert.Equal(StatusCodes.UncertainLastUsableValue, gateway.Read($"{LoopPath}/{field}").Status.Code));
        Assert.Equal(1.0, gateway.Read($"{LoopPath}/Setpoint").Value.AsDouble());
        gateway.Loop.Silent = false;
        gateway.Context.RunFor(250 * Ms);
        Assert.Equal(StatusCodes.Good, gateway.Read($"{LoopPath}/Setpoint").Status.Code);
    }

    [Theory]
    [InlineData(InputQualityCode.Uncertain, StatusCodes.Uncertain)]
    [InlineData(InputQualityCode.Bad, StatusCodes.Bad)]
    public void Read_ProcessValueOfPoorQuality_CarriesTheInputsQuality(InputQualityCode quality, uint expected)
    {
        var gateway = new Gateway();
        gateway.Loop.Status = Reported with { ProcessValueQuality = quality };
        gateway.Context.RunFor(10 * Ms);

        Assert.Equal(expected, gateway.Read($"{LoopPath}/ProcessValue").Status.Code);
        Assert.Equal(StatusCodes.Good, gateway.Read($"{LoopPath}/Output").Status.Code);
    }

    [Fact]
    public void WriteSetpoint_AsViewer_IsDeniedAndNothingIsSent()
    {
        var gateway = Started();

        Assert.Equal(StatusCodes.BadUserAccessDenied, gateway.Write($"{LoopPath}/Setpoint", new Variant(1.4), UserRole.Viewer).Code);
        gateway.Context.RunFor(10 * Ms);

        Assert.Empty(gateway.Loop.Commands);
        Assert.Equal(1.0, gateway.Read($"{LoopPath}/Setpoint").Value.AsDouble());
    }

    [Theory]
    [InlineData(UserRole.Operator)]
    [InlineData(UserRole.Engineer)]
    public void WriteSetpoint_AsOperatorOrEngineer_ReachesTheLoopThroughItsCommandEndpointAndReadsBack(UserRole role)
    {
        var gateway = Started();

        Assert.Equal(StatusCodes.Good, gateway.Write($"{LoopPath}/Setpoint", new Variant(1.4), role).Code);
        gateway.Context.RunFor(5 * Ms);

        Assert.Equal([ControllerCommand.SetSetpoint(1.4)], gateway.Loop.Commands);
        Assert.Equal(1.4, gateway.Read($"{LoopPath}/Setpoint").Value.AsDouble());
    }

    [Fact]
    public void WriteSetpoint_NotFiniteWrongTypeOrReadOnlyField_IsRefusedAndNothingIsSent()
    {
        var gateway = Started();

        Assert.Equal(StatusCodes.BadOutOfRange, gateway.Write($"{LoopPath}/Setpoint", new Variant(double.NaN), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadOutOfRange, gateway.Write($"{LoopPath}/Setpoint", new Variant(double.PositiveInfinity), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadTypeMismatch, gateway.Write($"{LoopPath}/Setpoint", new Variant("1.4"), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadNotWritable, gateway.Write($"{LoopPath}/Output", new Variant(1.0), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadNotWritable, gateway.Write($"{LoopPath}/Mode", new Variant("Manual"), UserRole.Engineer).Code);
        gateway.Context.RunFor(10 * Ms);

        Assert.Empty(gateway.Loop.Commands);
    }

    [Fact]
    public void WriteSetpoint_CompletesWhenTheLoopAnswered_NotWhenSent()
    {
        var gateway = Started();

        var write = gateway.BeginWrite($"{LoopPath}/Setpoint", new Variant(1.3), UserRole.Operator);
        Assert.Empty(write.Responses);
        Assert.Equal(1, gateway.Session.WritesOutstanding);
        gateway.Context.RunFor(5 * Ms);

        Assert.Equal(StatusCodes.Good, WriteStatus(write).Code);
        Assert.Equal(0, gateway.Session.WritesOutstanding);
        Assert.Equal(1.3, gateway.Read($"{LoopPath}/Setpoint").Value.AsDouble());
    }

    [Fact]
    public void WriteSetpoint_TheLoopDoesNotAnswer_IsBadTimeoutAfterTheCommandTimeout()
    {
        var gateway = Started();
        gateway.Loop.Silent = true;

        var write = gateway.BeginWrite($"{LoopPath}/Setpoint", new Variant(1.3), UserRole.Operator);
        gateway.Context.RunFor(40 * Ms);
        Assert.Empty(write.Responses);
        gateway.Context.RunFor(20 * Ms);

        Assert.Equal(StatusCodes.BadTimeout, WriteStatus(write).Code);
        Assert.Equal(1.0, gateway.Read($"{LoopPath}/Setpoint").Value.AsDouble());
    }

    [Fact]
    public void WriteSetpoint_MoreThanTheLoopCanHaveInFlight_IsBadTooManyOperations()
    {
        // One Write a session, so the loop's limit is met before any session's own. The loop's
        // calls share their slots with its status request (in flight or not), hence one more.
        var gateway = Started();
        gateway.Loop.Silent = true;
        var writes = Enumerable.Range(0, LoopsView.CommandsPerLoopMax + 2)
            .Select(i => gateway.BeginWrite($"{LoopPath}/Setpoint", new Variant(1.0 + (i / 10.0)), UserRole.Operator, new SessionViewState(UaServiceLimits.Default)))
            .ToList();

        Assert.All(writes.Take(LoopsView.CommandsPerLoopMax), w => Assert.Empty(w.Responses));
        Assert.Equal(StatusCodes.BadTooManyOperations, WriteStatus(writes[^1]).Code);
    }

    [Fact]
    public void Write_MoreThanASessionMayHaveWaiting_IsRefusedWholeWithBadTooManyOperations()
    {
        var gateway = Started();
        gateway.Loop.Silent = true;
        var writes = Enumerable.Range(0, UaServiceLimits.Default.WritesOutstandingPerSessionMax + 1)
            .Select(i => gateway.BeginWrite($"{LoopPath}/Setpoint", new Variant(1.0 + (i / 10.0)), UserRole.Operator))
            .ToList();

        var refused = Assert.Single(writes[^1].Responses).Response;
        Assert.Equal(StatusCodes.BadTooManyOperations, refused.ResponseHeader.ServiceResult.Code);
        Assert.Null(refused.Results);
        gateway.Context.RunFor(100 * Ms);
        Assert.All(writes.Take(UaServiceLimits.Default.WritesOutstandingPerSessionMax), w => Assert.Equal(StatusCodes.BadTimeout, WriteStatus(w).Code));
        Assert.Equal(0, gateway.Session.WritesOutstanding);
    }

    private static StatusCode WriteStatus(WriteRecorder recorder) => Assert.Single(Assert.Single(recorder.Responses).Response.Results!);

    [Fact]
    public void SetLoopMode_AsViewer_IsDeniedAndNothingIsSent()
    {
        var gateway = Started();

        var call = gateway.SetLoopMode("tank-controller", "Manual", UserRole.Viewer);
        gateway.Context.RunFor(10 * Ms);

        Assert.Equal(StatusCodes.BadUserAccessDenied, CallStatus(call).Code);
        Assert.Empty(gateway.Loop.Commands);
    }

    [Fact]
    public void SetLoopMode_AsOperator_ManualThenAuto_AnsweredByTheLoopAndReadBack()
    {
        var gateway = Started();

        var manual = gateway.SetLoopMode("tank-controller", "manual", UserRole.Operator);
        Assert.Empty(manual.Responses);
        gateway.Context.RunFor(5 * Ms);
        Assert.Equal(StatusCodes.Good, CallStatus(manual).Code);
        Assert.Equal("Manual", gateway.Read($"{LoopPath}/Mode").Value.AsString());

        var auto = gateway.SetLoopMode("tank-controller", "Auto", UserRole.Engineer);
        gateway.Context.RunFor(5 * Ms);

        Assert.Equal(StatusCodes.Good, CallStatus(auto).Code);
        Assert.Equal("Auto", gateway.Read($"{LoopPath}/Mode").Value.AsString());
        Assert.Equal([ControllerCommand.SetMode(PidMode.Manual), ControllerCommand.SetMode(PidMode.Auto)], gateway.Loop.Commands);
    }

    [Theory]
    [InlineData("nobody", "Auto")]
    [InlineData("", "Auto")]
    [InlineData("tank-controller", "1")]
    [InlineData("tank-controller", "Cascade")]
    [InlineData("tank-controller", "")]
    public void SetLoopMode_UnknownLoopOrMode_IsBadInvalidArgument(string loopId, string mode)
    {
        var gateway = Started();

        var call = gateway.SetLoopMode(loopId, mode, UserRole.Operator);
        gateway.Context.RunFor(10 * Ms);

        Assert.Equal(StatusCodes.BadInvalidArgument, CallStatus(call).Code);
        Assert.Empty(gateway.Loop.Commands);
    }

    [Fact]
    public void SetLoopMode_LoopSilent_IsBadTimeout()
    {
        var gateway = Started();
        gateway.Loop.Silent = true;

        var call = gateway.SetLoopMode("tank-controller", "Manual", UserRole.Operator);
        gateway.Context.RunFor(10 * Ms);
        Assert.Empty(call.Responses);
        gateway.Context.RunFor(60 * Ms);

        Assert.Equal(StatusCodes.BadTimeout, CallStatus(call).Code);
    }

    [Fact]
    public void Read_LoopFields_AllocateNothing()
    {
        var gateway = Started();
        var attributes = gateway.Attributes;
        var items = LoopFields.Select(field => new ReadValueId { NodeId = gateway.Id($"{LoopPath}/{field}"), AttributeId = (uint)AttributeId.Value }).ToArray();
        var context = gateway.As(UserRole.Operator);
        double sum = 0;

        AllocationAssert.NoAllocations(1000, i =>
        {
            var value = attributes.ReadOne(items[i % items.Length], TimestampsToReturn.Both, context);
            sum += value.Value.Type == BuiltInType.Double ? value.Value.AsDouble() : value.Value.AsString()!.Length;
        });

        Assert.True(sum > 0);
    }
}
