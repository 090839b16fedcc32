using Neokernel.Gateway.Tests.Encoding;
using Neokernel.Gateway.Ua;

namespace Neokernel.Gateway.Tests.Generated;

/// <summary>
/// The generated service types: their encoding ids are NodeIds.csv's, their layout is Part 4's
/// field order in Part 6's encodings, and their decoders take back what the encoders wrote and
/// fail on anything cut short with the codec's own exception.
/// </summary>
public sealed class ServiceTypesTests
{
    [Fact]
    public void BinaryEncodingIds_AreTheDefaultBinaryObjectsOfNodeIdsCsv()
    {
        Assert.Equal(631u, ReadRequest.BinaryEncodingNumericId);
        Assert.Equal(634u, ReadResponse.BinaryEncodingNumericId);
        Assert.Equal(397u, ServiceFault.BinaryEncodingNumericId);
        Assert.Equal(391u, RequestHeader.BinaryEncodingNumericId);
        Assert.Equal(394u, ResponseHeader.BinaryEncodingNumericId);
        Assert.Equal(446u, OpenSecureChannelRequest.BinaryEncodingNumericId);
        Assert.Equal(461u, CreateSessionRequest.BinaryEncodingNumericId);
        Assert.Equal(473u, CloseSessionRequest.BinaryEncodingNumericId);
        Assert.Equal(321u, AnonymousIdentityToken.BinaryEncodingNumericId);
        Assert.Equal(324u, UserNameIdentityToken.BinaryEncodingNumericId);
        Assert.Equal(811u, DataChangeNotification.BinaryEncodingNumericId);
        Assert.Equal(new NodeId(631), new ReadRequest().BinaryEncodingId);
    }

    [Fact]
    public void Encode_CloseSessionRequest_IsTheHeaderThenTheFlag()
    {
        var request = new CloseSessionRequest
        {
            RequestHeader = new RequestHeader
            {
                AuthenticationToken = new NodeId(1001, 1),
                Timestamp = 0x0102030405060708,
                RequestHandle = 7,
                ReturnDiagnostics = 0,
                AuditEntryId = null,
                TimeoutHint = 5000,
            },
            DeleteSubscriptions = true,
        };

        // RequestHeader (Part 4 §7.28): four-byte NodeId, DateTime, handle, diagnostics, null String,
        // timeout hint, null ExtensionObject (two-byte NodeId 0, encoding 0); then the Boolean.
        var expected = KnownEncodingTests.Hex(
            "01 01 E903  0807060504030201  07000000  00000000  FFFFFFFF  88130000  00 00 00  01");
        Assert.Equal(expected, KnownEncodingTests.Encode(request.Encode));
    }

    [Fact]
    public void Decode_ReadRequest_GivesBackWhatWasEncoded()
    {
        var request = new ReadRequest
        {
            RequestHeader = new RequestHeader { RequestHandle = 42, AuditEntryId = "audit", TimeoutHint = 1000 },
            MaxAge = 250.5,
            TimestampsToReturn = TimestampsToReturn.Both,
            NodesToRead =
            [
                new ReadValueId { NodeId = new NodeId(2258), AttributeId = 13 },
                new ReadValueId { NodeId = NodeId.FromString("Regions/tank/level", 2), AttributeId = 4, DataEncoding = new QualifiedName(0, "Default Binary") },
            ],
        };
        var bytes = KnownEncodingTests.Encode(request.Encode);

        var decoder = new UaDecoder(bytes);
        var decoded = ReadRequest.Decode(ref decoder);
        decoder.ExpectEnd("ReadRequest");

        Assert.Equal(42u, decoded.RequestHeader.RequestHandle);
        Assert.Equal("audit", decoded.RequestHeader.AuditEntryId);
        Assert.Equal(250.5, decoded.MaxAge);
        Assert.Equal(TimestampsToReturn.Both, decoded.TimestampsToReturn);
        Assert.NotNull(decoded.NodesToRead);
        Assert.Equal(2, decoded.NodesToRead.Length);
        Assert.Equal(new NodeId(2258), decoded.NodesToRead[0].NodeId);
        Assert.Equal(13u, decoded.NodesToRead[0].AttributeId);
        Assert.Equal(NodeId.FromString("Regions/tank/level", 2), decoded.NodesToRead[1].NodeId);
        Assert.Equal(new QualifiedName(0, "Default Binary"), decoded.NodesToRead[1].DataEncoding);
        Assert.Equal(bytes, KnownEncodingTests.Encode(decoded.Encode));
    }

    [Fact]
    public void Decode_UserNameTokenInActivateSession_ComesBackFromTheExtensionObject()
    {
        var token = new UserNameIdentityToken { PolicyId = "username", UserName = "operator", Password = [1, 2, 3] };
        var request = new ActivateSessionRequest
        {
            UserIdentityToken = ExtensionObject.FromEncodeable(token),
            LocaleIds = ["en"],
        };
        var decoder = new UaDecoder(KnownEncodingTests.Encode(request.Encode));
        var decoded = ActivateSessionRequest.Decode(ref decoder);
        decoder.ExpectEnd("ActivateSessionRequest");

        Assert.Equal(new NodeId(UserNameIdentityToken.BinaryEncodingNumericId), decoded.UserIdentityToken.TypeId);
        Assert.NotNull(decoded.UserIdentityToken.Bytes);
        var body = new UaDecoder(decoded.UserIdentityToken.Bytes);
        var decodedToken = UserNameIdentityToken.Decode(ref body);
        Assert.Equal("operator", decodedToken.UserName);
        Assert.Equal([1, 2, 3], decodedToken.Password);
        Assert.NotNull(decoded.LocaleIds);
        Assert.Equal("en", Assert.Single(decoded.LocaleIds));
    }

    [Fact]
    public void Decode_PublishResponse_CarriesDataChangeNotification()
    {
        var notification = new DataChangeNotification
        {
            MonitoredItems = [new MonitoredItemNotification { ClientHandle = 9, Value = new DataValue(new Variant(1.5)) }],
        };
        var response = new PublishResponse
        {
            ResponseHeader = new ResponseHeader { RequestHandle = 3, ServiceResult = StatusCodes.Good },
            SubscriptionId = 1,
            AvailableSequenceNumbers = [5],
            NotificationMessage = new NotificationMessage { SequenceNumber = 5, NotificationData = [ExtensionObject.FromEncodeable(notification)] },
        };
        var decoder = new UaDecoder(KnownEncodingTests.Encode(response.Encode));
        var decoded = PublishResponse.Decode(ref decoder);
        decoder.ExpectEnd("PublishResponse");

        Assert.Equal(5u, decoded.NotificationMessage.SequenceNumber);
        Assert.NotNull(decoded.NotificationMessage.NotificationData);
        var data = decoded.NotificationMessage.NotificationData[0];
        Assert.Equal(new NodeId(DataChangeNotification.BinaryEncodingNumericId), data.TypeId);
        Assert.NotNull(data.Bytes);
        var body = new UaDecoder(data.Bytes);
        var items = DataChangeNotification.Decode(ref body).MonitoredItems;
        Assert.NotNull(items);
        Assert.Equal(9u, items[0].ClientHandle);
        Assert.Equal(new Variant(1.5), items[0].Value.Value);
    }

    [Fact]
    public void Decode_TruncatedRequests_ThrowOnlyTheCodecException()
    {
        var requests = new (string Name, byte[] Bytes, DecodeBody Decode)[]
        {
            ("ReadRequest", KnownEncodingTests.Encode(new ReadRequest { NodesToRead = [new ReadValueId { NodeId = new NodeId(85) }] }.Encode),
                static (ref UaDecoder d) => ReadRequest.Decode(ref d)),
            ("BrowseRequest", KnownEncodingTests.Encode(new BrowseRequest { NodesToBrowse = [new BrowseDescription { NodeId = new NodeId(84) }] }.Encode),
                static (ref UaDecoder d) => BrowseRequest.Decode(ref d)),
            ("CreateSessionRequest", KnownEncodingTests.Encode(new CreateSessionRequest { SessionName = "s", ClientDescription = new ApplicationDescription { ApplicationUri = "urn:x" } }.Encode),
                static (ref UaDecoder d) => CreateSessionRequest.Decode(ref d)),
            ("CreateMonitoredItemsRequest", KnownEncodingTests.Encode(new CreateMonitoredItemsRequest { ItemsToCreate = [new MonitoredItemCreateRequest()] }.Encode),
                static (ref UaDecoder d) => CreateMonitoredItemsRequest.Decode(ref d)),
            ("TranslateBrowsePathsToNodeIdsRequest", KnownEncodingTests.Encode(new TranslateBrowsePathsToNodeIdsRequest
                {
                    BrowsePaths = [new BrowsePath { RelativePath = new RelativePath { Elements = [new RelativePathElement { TargetName = new QualifiedName(0, "Server") }] } }],
                }.Encode),
                static (ref UaDecoder d) => TranslateBrowsePathsToNodeIdsRequest.Decode(ref d)),
        };

        foreach (var (name, bytes, decode) in requests)
        {
            var whole = new UaDecoder(bytes);
            decode(ref whole);
            whole.ExpectEnd(name);
            for (var length = 0; length < bytes.Length; length++)
            {
                Assert.Throws<UaCodecException>(() =>
                {
                    var cut = new UaDecoder(bytes.AsSpan(0, length));
                    decode(ref cut);
                });
            }
        }
    }

    private delegate void DecodeBody(ref UaDecoder decoder);
}
