using System.Buffers.Binary;
using Neokernel.Fuzz;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;
using Neokernel.Gateway.Ua.Transport;
using Neokernel.Kernel.Platform;
using Xunit.Abstractions;
using Neokernel.Gateway.Tests.Transport;
using static Neokernel.Gateway.Tests.Transport.UaWire;

namespace Neokernel.Gateway.Tests.Server;

/// <summary>
/// The whole request path of a polling client, in process: MSG chunks of Read requests of 100
/// Values go into a connection, through the secure channel, the server's decoding, the session
/// check and the attribute service, and the response comes out as a chunk. What it allocates per
/// request is the figure the gateway's growth target depends on (gen0 collections get dearer as
/// the address space grows): none, once warm.
/// </summary>
public sealed class RequestPathAllocationTests(ITestOutputHelper output)
{
    private const int Points = 1000;
    private const int NodesPerRead = 100;
    private const int Requests = 500;

    /// <summary>Before the decoder knew the server's ids and the Read path reused its objects: 23,192 bytes a request of 100 string NodeIds, 15,992 of numeric ones.</summary>
    private const double BytesPerRequestMax = 1;

    [Theory]
    [InlineData(IdType.String)]
    [InlineData(IdType.Numeric)]
    public void Read_HundredValues_ThroughTheWholeServer_AllocatesNothing(IdType idType)
    {
        using var gateway = new InProcessGateway(idType);
        var bytesPerRequest = gateway.MeasureReads(Requests, [NodesPerRead]);
        output.WriteLine($"a Read of {NodesPerRead} {idType} NodeIds through the whole server allocates {bytesPerRequest:F1} bytes a request");
        Assert.InRange(bytesPerRequest, 0, BytesPerRequestMax);
    }

    /// <summary>A client walking round the points in requests of a few sizes (a walk's last request is shorter) reuses an array for each size.</summary>
    [Fact]
    public void Read_OfAFewSizes_ThroughTheWholeServer_AllocatesNothing()
    {
        using var gateway = new InProcessGateway(IdType.String);
        var bytesPerRequest = gateway.MeasureReads(Requests, [100, 37, 1, 100, 250]);
        output.WriteLine($"Reads of 100, 37, 1, 100 and 250 string NodeIds in turn allocate {bytesPerRequest:F1} bytes a request");
        Assert.InRange(bytesPerRequest, 0, BytesPerRequestMax);
    }

    /// <summary>Before Browse wrote its references straight from the nodes: 193,104 bytes a Browse of 1000 references (a ReferenceDescription of about 190 bytes each).</summary>
    private const double BytesPerBrowseMax = 1024;

    /// <summary>A Browse of the folder's 1000 Variables (one request, no continuation) allocates its decoded request and nothing per reference.</summary>
    [Fact]
    public void Browse_ThousandReferences_ThroughTheWholeServer_AllocatesOnlyTheRequest()
    {
        using var gateway = new InProcessGateway(IdType.String);
        var bytesPerRequest = gateway.MeasureBrowses(200);
        output.WriteLine($"a Browse of {Points} references through the whole server allocates {bytesPerRequest:F1} bytes a request");
        Assert.InRange(bytesPerRequest, 0, BytesPerBrowseMax);
    }

    /// <summary>A server (namespace 0, one folder of <see cref="Points"/> Doubles) behind a UA-TCP connection in memory, with an activated anonymous session.</summary>
    private sealed class InProcessGateway : IDisposable
    {
        private readonly UaTransportHarness harness;
        private readonly NodeId[] nodeIds = new NodeId[Points];
        private readonly NodeId folder;
        private uint channelId;
        private uint sequenceNumber = 1;
        private uint requestId = 1;
        private NodeId token;

        public InProcessGateway(IdType idType)
        {
            var space = new AddressSpace("urn:neokernel:test-gateway", Points);
            var limits = UaServiceLimits.Default;
            ServerObject.Install(space, new UaServerDescription { ApplicationUri = "urn:neokernel:test-gateway" }, limits);
            var ns = space.RegisterNamespace("urn:neokernel:plant");
            var folderNode = space.AddFolder(space.ObjectsFolder, NodeId.FromString("Regions/bench.sine", ns), "bench.sine", Points);
            folder = folderNode.NodeId;
            for (var i = 0; i < Points; i++)
            {
                var name = $"p{i:D5}";
                nodeIds[i] = idType == IdType.String ? NodeId.FromString($"Regions/bench.sine/{name}", ns) : new NodeId((uint)(100_000 + i), ns);
                space.AddVariable(folderNode, nodeIds[i], name, DataTypeIds.Double, new Variant(i * 0.5));
            }

            var server = new UaServer(new UaServerOptions(), new HarnessClock(this), 0, new DeterministicRandom(1));
            server.AddServices(new AddressSpaceServices(server, space, limits));
            harness = new UaTransportHarness(new UaTcpLimits { MessageBytesMax = 1 << 20, SendQueueBytes = (1 << 20) + (64 << 10) }, new UaServerTransport(server, nodes: space));
            Open();
        }

        public UaTransportHarness Harness => harness;

        /// <summary>Sends Reads of the <paramref name="sizes"/> in turn, <paramref name="count"/> a round, and gives the bytes allocated per request.</summary>
        public double MeasureReads(int count, int[] sizes)
        {
            var reads = new List<(byte[] Message, int First, int Size)>();
            var first = 0;
            foreach (var size in sizes)
            {
                reads.Add((Message(ReadBody(first, size, (uint)(1000 + reads.Count))), first, size));
                first = (first + size) % (Points - 250);
            }

            var last = (count - 1) % reads.Count;
            return BytesPerRequest(count, i => reads[i % reads.Count].Message, () => CheckLastResponse((uint)(1000 + last), reads[last].First, reads[last].Size));
        }

        /// <summary>Sends Browse requests of the folder's Variables, <paramref name="count"/> a round, and gives the bytes allocated per request.</summary>
        public double MeasureBrowses(int count)
        {
            var request = new BrowseRequest
            {
                RequestHeader = new RequestHeader { AuthenticationToken = token, RequestHandle = 77, TimeoutHint = 10_000 },
                NodesToBrowse =
                [
                    new BrowseDescription
                    {
                        NodeId = folder,
                        BrowseDirection = BrowseDirection.Forward,
                        ReferenceTypeId = new NodeId(ReferenceTypeIds.HierarchicalReferences),
                        IncludeSubtypes = true,
                        NodeClassMask = (uint)NodeClass.Variable,
                        ResultMask = 0x3F,
                    },
                ],
            };
            var message = Message(Body(BrowseRequest.EncodingId, request));
            return BytesPerRequest(count, _ => message, CheckBrowseResponse);
        }

        public void Dispose() => harness.Dispose();

        /// <summary>
        /// The least bytes allocated per request over three rounds of <paramref name="count"/>
        /// requests (the first warms up: buffers grow, arrays are made), each round's last answer checked.
        /// </summary>
        private double BytesPerRequest(int count, Func<int, byte[]> message, Action checkLastAnswer)
        {
            var best = double.MaxValue;
            for (var round = 0; round < 3; round++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < count; i++)
                {
                    Send(message(i));
                }

                var after = GC.GetAllocatedBytesForCurrentThread();
                best = Math.Min(best, (after - before) / (double)count);
                checkLastAnswer();
            }

            return best;
        }

        private void CheckBrowseResponse()
        {
            var decoder = new UaDecoder(Assert.Single(Chunks(harness.Written)).MessageBody);
            Assert.Equal(new NodeId(BrowseResponse.EncodingId), decoder.ReadNodeId());
            var response = BrowseResponse.Decode(ref decoder);
            decoder.ExpectEnd("the BrowseResponse");
            Assert.Equal(77u, response.ResponseHeader.RequestHandle);
            var result = Assert.Single(response.Results!);
            Assert.True(result.StatusCode.IsGood);
            Assert.Null(result.ContinuationPoint);
            Assert.Equal(nodeIds, result.References!.Select(r => r.NodeId.NodeId));
            Assert.All(result.References!, r =>
            {
                Assert.Equal(new NodeId(ReferenceTypeIds.HasComponent), r.ReferenceTypeId);
                Assert.True(r.IsForward);
                Assert.Equal(NodeClass.Variable, r.NodeClass);
                Assert.Equal(new NodeId(VariableTypeIds.BaseDataVariableType), r.TypeDefinition.NodeId);
            });
            Assert.Equal("p00999", result.References![^1].BrowseName.Name);
            Assert.Equal("p00999", result.References![^1].DisplayName.Text);
        }

        private void Open()
        {
            harness.Connect();
            harness.Feed(Hello());
            harness.Feed(UaWire.Open(0, 1, 1, SecurityTokenRequestType.Issue));
            channelId = Chunks(harness.Written)[1].ChannelId;
            var created = Call<CreateSessionResponse>(new CreateSessionRequest { SessionName = "bench", RequestedSessionTimeout = 60_000 }, CreateSessionRequest.EncodingId, CreateSessionResponse.EncodingId, CreateSessionResponse.Decode);
            token = created.AuthenticationToken;
            var anonymous = new UaEncoder();
            new AnonymousIdentityToken { PolicyId = UaServer.AnonymousPolicyId }.Encode(anonymous);
            var activate = new ActivateSessionRequest
            {
                RequestHeader = new RequestHeader { AuthenticationToken = token },
                UserIdentityToken = ExtensionObject.FromBytes(new NodeId(AnonymousIdentityToken.EncodingId), anonymous.Written.ToArray()),
            };
            Call<ActivateSessionResponse>(activate, ActivateSessionRequest.EncodingId, ActivateSessionResponse.EncodingId, ActivateSessionResponse.Decode);
        }

        private T Call<T>(IEncodeable request, uint requestType, uint responseType, UaDecodeFunc<T> decode)
            where T : IServiceResponse
        {
            Send(Message(Body(requestType, request)));
            var decoder = new UaDecoder(Assert.Single(Chunks(harness.Written)).MessageBody);
            Assert.Equal(new NodeId(responseType), decoder.ReadNodeId());
            var response = decode(ref decoder);
            Assert.True(response.ResponseHeader.ServiceResult.IsGood, $"{typeof(T).Name}: 0x{response.ResponseHeader.ServiceResult.Code:X8}");
            return response;
        }

        private byte[] ReadBody(int first, int size, uint requestHandle)
        {
            var items = new ReadValueId[size];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = new ReadValueId { NodeId = nodeIds[first + i], AttributeId = (uint)AttributeId.Value };
            }

            var request = new ReadRequest
            {
                RequestHeader = new RequestHeader { AuthenticationToken = token, RequestHandle = requestHandle, TimeoutHint = 10_000 },
                TimestampsToReturn = TimestampsToReturn.Both,
                NodesToRead = items,
            };
            return Body(ReadRequest.EncodingId, request);
        }

        private byte[] Message(byte[] body) => Symmetric("MSG", 'F', channelId, 1, 0, 0, body);

        /// <summary>Sends one MSG chunk with the next sequence number and request id, in place: the message is reused.</summary>
        private void Send(byte[] message)
        {
            sequenceNumber++;
            requestId++;
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), sequenceNumber);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(20), requestId);
            harness.ClearWritten();
            harness.Feed(message);
        }

        private void CheckLastResponse(uint requestHandle, int first, int size)
        {
            var chunk = Assert.Single(Chunks(harness.Written));
            Assert.Equal(requestId, chunk.RequestId);
            var decoder = new UaDecoder(chunk.MessageBody);
            Assert.Equal(new NodeId(ReadResponse.EncodingId), decoder.ReadNodeId());
            var response = ReadResponse.Decode(ref decoder);
            Assert.Equal(requestHandle, response.ResponseHeader.RequestHandle);
            Assert.True(response.ResponseHeader.ServiceResult.IsGood);
            Assert.Equal(size, response.Results!.Length);
            for (var i = 0; i < size; i++)
            {
                var value = response.Results[i];
                Assert.True(value.Status.IsGood);
                Assert.Equal((first + i) * 0.5, value.Value.AsDouble());
                Assert.NotEqual(0, value.ServerTimestamp);
            }
        }
    }

    private delegate T UaDecodeFunc<T>(ref UaDecoder decoder);

    /// <summary>The server's clock is the harness's manual one.</summary>
    private sealed class HarnessClock(InProcessGateway gateway) : IClock
    {
        public long NowNs => gateway.Harness?.NowNs ?? 0;
    }
}
