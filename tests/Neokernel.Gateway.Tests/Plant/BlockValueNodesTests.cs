using System.Text;
using Neokernel.Controllers;
using Neokernel.Gateway.Plant;
using Neokernel.Gateway.Tests.Server;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Neokernel.Kernel.Ipc;
using Neokernel.Testing;

namespace Neokernel.Gateway.Tests.Plant;

/// <summary>
/// The plant namespace's Blocks nodes over a <see cref="BlockValuesView"/> of a fake block network
/// on a fake context: browse and read of each listed value, writes of the read-write ones reaching
/// the network as SetValue and completing on its answer (refusals mapped to their StatusCodes), a
/// value the network does not have read as BadConfigurationError, a silent network as
/// UncertainLastUsableValue, and reads that allocate nothing.
/// </summary>
public sealed class BlockValueNodesTests
{
    private const long Ms = 1_000_000;
    private const string Endpoint = "cascade.commands";
    private const string NetworkPath = "Blocks/cascade";

    /// <summary>A network's command endpoint with a few values, some settable; or silent.</summary>
    private sealed class FakeNetwork : IMessageHandler
    {
        public Dictionary<string, (double Value, bool Settable)> Values { get; } = new(StringComparer.OrdinalIgnoreCase)
        {
            ["outer.SP"] = (60.0, true),
            ["outer.OUT"] = (42.5, false),
            ["count.CV"] = (3.0, false),
            ["outer.KC"] = (8.0, true),
        };

        public bool Silent { get; set; }

        public List<(string Name, double Value)> Sets { get; } = [];

        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            if (Silent)
            {
                return;
            }

            Span<byte> reply = stackalloc byte[BlockNetworkCommands.ValueReplyBytes];
            var status = BlockNetworkCommands.Decode(message.Payload, out var kind, out var nameBytes, out var value);
            var name = Encoding.UTF8.GetString(nameBytes);
            if (status == CommandStatus.Ok && !Values.TryGetValue(name, out _))
            {
                status = CommandStatus.UnknownName;
            }

            if (status == CommandStatus.Ok && kind == BlockNetworkCommandKind.GetValue)
            {
                server.Reply(message, reply[..BlockNetworkCommands.EncodeValueReply(Values[name].Value, reply)]);
                return;
            }

            if (status == CommandStatus.Ok)
            {
                status = !Values[name].Settable ? CommandStatus.NotSettable : !double.IsFinite(value) || value > 1000 ? CommandStatus.InvalidValue : CommandStatus.Ok;
                if (status == CommandStatus.Ok)
                {
                    Values[name] = (value, true);
                    Sets.Add((name, value));
                }
            }

            reply[0] = (byte)status;
            server.Reply(message, reply[..1]);
        }
    }

    private sealed class Gateway
    {
        public Gateway()
        {
            Context = new FakeServiceContext(periodUs: 0, serviceId: "gateway", kind: "gateway");
            Context.AddEndpoint(Endpoint, FakeServiceContext.PeerId, [Context.ServiceId], queueDepth: 16, maxMessageBytes: BlockNetworkCommands.MessageBytesMax);
            Context.Objects.ServeEndpoint(Endpoint, FakeServiceContext.PeerId, Network);
            Values = new BlockValuesView(
                Context,
                [
                    new BlockValueEndpoint("cascade", Endpoint, "outer.SP", Writable: true),
                    new BlockValueEndpoint("cascade", Endpoint, "outer.OUT", Writable: false),
                    new BlockValueEndpoint("cascade", Endpoint, "count.CV", Writable: true),
                    new BlockValueEndpoint("cascade", Endpoint, "nobody.X", Writable: false),
                    new BlockValueEndpoint("cascade", Endpoint, "outer.KC", Writable: true) { EngineersOnly = true },
                ],
                periodMs: 250,
                requestTimeoutMs: 50);
            Server = new UaServer(new UaServerOptions(), Context.Clock, Context.Clock.WallClockAtZeroUnixNs, Context.Random.Fork("test.sessions"));
            Space = new AddressSpace("urn:neokernel:test-gateway");
            Plant = new PlantNamespace(Space, Server, regions: null, status: null, control: null, loops: null, Values);
            Values.Start();
        }

        public FakeServiceContext Context { get; }

        public FakeNetwork Network { get; } = new();

        public BlockValuesView Values { get; }

        public UaServer Server { get; }

        public AddressSpace Space { get; }

        public PlantNamespace Plant { get; }

        public SessionViewState Session { get; } = new(UaServiceLimits.Default);

        public AttributeServices Attributes => new(Space, UaServiceLimits.Default);

        public NodeId Id(string path) => NodeId.FromString(path, Plant.Namespace);

        public DataValue Read(string path, UserRole role = UserRole.Viewer, AttributeId attribute = AttributeId.Value) =>
            Attributes.ReadOne(new ReadValueId { NodeId = Id(path), AttributeId = (uint)attribute }, TimestampsToReturn.Both, new UaRequestContext(role, Session, Server.NowUaTicks));

        public StatusCode Write(string path, Variant value, UserRole role)
        {
            var recorder = new WriteRecorder();
            var request = new WriteRequest { NodesToWrite = [new WriteValue { NodeId = Id(path), AttributeId = (uint)AttributeId.Value, Value = new DataValue(value) }] };
            Attributes.Write(request, new UaRequestContext(role, Session, Server.NowUaTicks), recorder, null);
            Context.RunFor(5 * Ms);
            return Assert.Single(Assert.Single(recorder.Responses).Response.Results!);
        }

        public string[] BrowseNames(NodeId nodeId)
        {
            var description = new BrowseDescription
            {
                NodeId = nodeId,
                BrowseDirection = BrowseDirection.Forward,
                ReferenceTypeId = new NodeId(ReferenceTypeIds.HierarchicalReferences),
                IncludeSubtypes = true,
                ResultMask = 0x3F,
            };
            var result = Assert.Single(new ViewServices(Space, UaServiceLimits.Default).Browse(new BrowseRequest { NodesToBrowse = [description] }, new UaRequestContext(UserRole.Viewer, Session, Server.NowUaTicks)).Results!);
            return [.. result.References!.Select(r => r.BrowseName.Name!)];
        }
    }

    private static Gateway Started()
    {
        var gateway = new Gateway();
        Assert.Equal(StatusCodes.BadWaitingForInitialData, gateway.Read($"{NetworkPath}/outer.SP").Status.Code);
        gateway.Context.RunFor(10 * Ms);
        return gateway;
    }

    [Fact]
    public void Browse_and_read_show_each_listed_value_under_its_network_with_the_networks_last_answer()
    {
        var gateway = Started();
        Assert.Contains("Blocks", gateway.BrowseNames(gateway.Space.ObjectsFolder.NodeId));
        Assert.Equal(["outer.SP", "outer.OUT", "count.CV", "nobody.X", "outer.KC"], gateway.BrowseNames(gateway.Id(NetworkPath)));

        Assert.Equal((60.0, StatusCodes.Good), (gateway.Read($"{NetworkPath}/outer.SP").Value.AsDouble(), gateway.Read($"{NetworkPath}/outer.SP").Status.Code));
        Assert.Equal(42.5, gateway.Read($"{NetworkPath}/outer.OUT").Value.AsDouble());
        Assert.Equal(StatusCodes.BadConfigurationError, gateway.Read($"{NetworkPath}/nobody.X").Status.Code);
        Assert.Equal(AccessLevels.ReadWrite, gateway.Read($"{NetworkPath}/outer.SP", UserRole.Operator, AttributeId.UserAccessLevel).Value.AsByte());
        Assert.Equal(AccessLevels.CurrentRead, gateway.Read($"{NetworkPath}/outer.SP", UserRole.Viewer, AttributeId.UserAccessLevel).Value.AsByte());
        Assert.Equal(AccessLevels.CurrentRead, gateway.Read($"{NetworkPath}/outer.OUT", UserRole.Operator, AttributeId.UserAccessLevel).Value.AsByte());
        Assert.Equal(AccessLevels.CurrentRead, gateway.Read($"{NetworkPath}/outer.KC", UserRole.Operator, AttributeId.UserAccessLevel).Value.AsByte());
        Assert.Equal(AccessLevels.ReadWrite, gateway.Read($"{NetworkPath}/outer.KC", UserRole.Engineer, AttributeId.UserAccessLevel).Value.AsByte());
    }

    /// <summary>A value listed with writeRole engineer (tuning, such as a gain) is written by engineers only.</summary>
    [Fact]
    public void A_tuning_value_is_written_by_an_engineer_and_refused_to_an_operator()
    {
        var gateway = Started();
        Assert.Equal(StatusCodes.BadUserAccessDenied, gateway.Write($"{NetworkPath}/outer.KC", new Variant(6.0), UserRole.Operator).Code);
        Assert.Empty(gateway.Network.Sets);
        Assert.Equal(StatusCodes.Good, gateway.Write($"{NetworkPath}/outer.KC", new Variant(6.0), UserRole.Engineer).Code);
        Assert.Equal([("outer.KC", 6.0)], gateway.Network.Sets);
        Assert.Equal(6.0, gateway.Read($"{NetworkPath}/outer.KC").Value.AsDouble());
    }

    [Fact]
    public void An_operators_write_reaches_the_network_completes_on_its_answer_and_reads_back()
    {
        var gateway = Started();
        Assert.Equal(StatusCodes.Good, gateway.Write($"{NetworkPath}/outer.SP", new Variant(65.0), UserRole.Operator).Code);
        Assert.Equal([("outer.SP", 65.0)], gateway.Network.Sets);
        Assert.Equal(65.0, gateway.Read($"{NetworkPath}/outer.SP").Value.AsDouble());
    }

    [Fact]
    public void Writes_the_gateway_or_the_network_refuses_say_why_and_change_nothing()
    {
        var gateway = Started();
        Assert.Equal(StatusCodes.BadUserAccessDenied, gateway.Write($"{NetworkPath}/outer.SP", new Variant(65.0), UserRole.Viewer).Code);
        Assert.Equal(StatusCodes.BadNotWritable, gateway.Write($"{NetworkPath}/outer.OUT", new Variant(1.0), UserRole.Engineer).Code);
        Assert.Equal(StatusCodes.BadNotWritable, gateway.Write($"{NetworkPath}/count.CV", new Variant(1.0), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadOutOfRange, gateway.Write($"{NetworkPath}/outer.SP", new Variant(double.NaN), UserRole.Operator).Code);
        Assert.Equal(StatusCodes.BadOutOfRange, gateway.Write($"{NetworkPath}/outer.SP", new Variant(5000.0), UserRole.Operator).Code);
        Assert.Empty(gateway.Network.Sets);
        Assert.Equal(60.0, gateway.Read($"{NetworkPath}/outer.SP").Value.AsDouble());

        gateway.Network.Silent = true;
        Assert.Equal(StatusCodes.BadTimeout, WriteAfterTimeout(gateway).Code);
    }

    [Fact]
    public void A_silent_network_reads_as_the_last_usable_value_and_recovers()
    {
        var gateway = Started();
        gateway.Network.Silent = true;
        gateway.Context.RunFor(300 * Ms);
        Assert.Equal((60.0, StatusCodes.UncertainLastUsableValue), (gateway.Read($"{NetworkPath}/outer.SP").Value.AsDouble(), gateway.Read($"{NetworkPath}/outer.SP").Status.Code));
        gateway.Network.Silent = false;
        gateway.Context.RunFor(250 * Ms);
        Assert.Equal(StatusCodes.Good, gateway.Read($"{NetworkPath}/outer.SP").Status.Code);
    }

    [Fact]
    public void Reads_allocate_nothing()
    {
        var gateway = Started();
        var read = new ReadValueId { NodeId = gateway.Id($"{NetworkPath}/outer.SP"), AttributeId = (uint)AttributeId.Value };
        var attributes = gateway.Attributes;
        var context = new UaRequestContext(UserRole.Viewer, gateway.Session, gateway.Server.NowUaTicks);
        _ = attributes.ReadOne(read, TimestampsToReturn.Both, context);
        AllocationAssert.NoAllocations(1000, _ => attributes.ReadOne(read, TimestampsToReturn.Both, context));
    }

    /// <summary>A write the network never answers: BadTimeout once the call's timeout passed.</summary>
    private static StatusCode WriteAfterTimeout(Gateway gateway)
    {
        var recorder = new WriteRecorder();
        var request = new WriteRequest { NodesToWrite = [new WriteValue { NodeId = gateway.Id($"{NetworkPath}/outer.SP"), AttributeId = (uint)AttributeId.Value, Value = new DataValue(new Variant(62.0)) }] };
        gateway.Attributes.Write(request, new UaRequestContext(UserRole.Operator, new SessionViewState(UaServiceLimits.Default), gateway.Server.NowUaTicks), recorder, null);
        gateway.Context.RunFor(60 * Ms);
        return Assert.Single(Assert.Single(recorder.Responses).Response.Results!);
    }
}
