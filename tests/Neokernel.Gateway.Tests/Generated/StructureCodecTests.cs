using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Tests.Codec;

namespace Neokernel.Gateway.Tests.Generated;

/// <summary>The generated structures encode their fields in the dictionary's order and decode what they encode; requests dispatch by encoding id.</summary>
public sealed class StructureCodecTests
{
    [Fact]
    public void ReadRequest_EncodesHeaderThenFields_InDictionaryOrder()
    {
        var request = new ReadRequest
        {
            RequestHeader = new RequestHeader { AuthenticationToken = new NodeId(7, 1), Timestamp = 0, RequestHandle = 3, TimeoutHint = 1000 },
            MaxAge = 0,
            TimestampsToReturn = TimestampsToReturn.Both,
            NodesToRead = [new ReadValueId { NodeId = new NodeId(2258), AttributeId = 13 }],
        };
        byte[] expected = KnownEncodingTests.Hex(
            "01010700 0000000000000000 03000000 00000000 FFFFFFFF E8030000 0000 00" // RequestHeader: token ns=1;i=7, time, handle, diagnostics, audit id null, timeout 1000, additional header null
            + "0000000000000000 02000000" // MaxAge 0, TimestampsToReturn Both
            + "01000000 0100D208 0D000000 FFFFFFFF 0000 FFFFFFFF"); // one ReadValueId: i=2258, Value, no index range, data encoding null
        Assert.Equal(expected, KnownEncodingTests.Encode(request.Encode));
    }

    [Fact]
    public void ServiceRequests_Decode_DispatchesOnTheEncodingId_AndRoundTrips()
    {
        var request = new CreateMonitoredItemsRequest
        {
            SubscriptionId = 9,
            TimestampsToReturn = TimestampsToReturn.Source,
            ItemsToCreate =
            [
                new MonitoredItemCreateRequest
                {
                    ItemToMonitor = new ReadValueId { NodeId = NodeId.FromString("Regions/tank/level", 2), AttributeId = 13 },
                    MonitoringMode = MonitoringMode.Reporting,
                    RequestedParameters = new MonitoringParameters
                    {
                        ClientHandle = 42, SamplingInterval = 100, QueueSize = 10, DiscardOldest = true,
                        Filter = ExtensionObject.FromEncodeable(new DataChangeFilter { Trigger = DataChangeTrigger.StatusValue, DeadbandType = 1, DeadbandValue = 0.5 }),
                    },
                },
            ],
        };
        byte[] bytes = KnownEncodingTests.Encode(request.Encode);
        var decoder = new UaDecoder(bytes);
        var decoded = Assert.IsType<CreateMonitoredItemsRequest>(ServiceRequests.Decode(CreateMonitoredItemsRequest.EncodingId, ref decoder));
        Assert.Equal(0, decoder.Remaining);
        var item = Assert.Single(decoded.ItemsToCreate!);
        Assert.Equal(NodeId.FromString("Regions/tank/level", 2), item.ItemToMonitor.NodeId);
        Assert.Equal(42u, item.RequestedParameters.ClientHandle);
        Assert.True(item.RequestedParameters.DiscardOldest);
        Assert.Equal(new NodeId(DataChangeFilter.EncodingId), item.RequestedParameters.Filter.TypeId);
        var filterDecoder = new UaDecoder(item.RequestedParameters.Filter.Bytes);
        var filter = DataChangeFilter.Decode(ref filterDecoder);
        Assert.Equal((DataChangeTrigger.StatusValue, 1u, 0.5), (filter.Trigger, filter.DeadbandType, filter.DeadbandValue));
        Assert.Equal(bytes, KnownEncodingTests.Encode(decoded.Encode));
    }

    [Fact]
    public void ServiceRequests_Decode_UnknownId_IsNull()
    {
        var decoder = new UaDecoder(ReadOnlySpan<byte>.Empty);
        Assert.Null(ServiceRequests.Decode(ReadResponse.EncodingId, ref decoder));
        Assert.Null(ServiceRequests.Decode(1, ref decoder));
    }

    [Fact]
    public void EncodingIds_AreTheNormativeOnes()
    {
        Assert.Equal(631u, ReadRequest.EncodingId);
        Assert.Equal(446u, OpenSecureChannelRequest.EncodingId);
        Assert.Equal(397u, ServiceFault.EncodingId);
        Assert.Equal(826u, PublishRequest.EncodingId);
        Assert.Equal(811u, DataChangeNotification.EncodingId);
    }
}
