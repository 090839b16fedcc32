using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;
using Neokernel.Kernel.Devices;
using static Neokernel.Gateway.Tests.Transport.UaWire;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>A whole connection on the virtual network: handshake, channel, messages in and out, and each error closing only its own connection.</summary>
public sealed class ConnectionTests
{
    [Fact]
    public void Hello_IsAnsweredWithTheNegotiatedAcknowledge()
    {
        var bench = UaBench.Start();
        var peer = bench.Connect();

        peer.Send(Hello(receiveBufferSize: 8192, sendBufferSize: 16_384));
        bench.RunMs(5);

        var ack = Assert.Single(peer.Take());
        Assert.Equal(UaMessageType.Acknowledge, ack.Type);
        Assert.Equal([0u, 16_384u, 8192u, (uint)UaTcpLimits.Default.MessageBytesMax, (uint)UaTcpLimits.Default.ChunkCountMax], Enumerable.Range(0, 5).Select(i => ack.UInt32At(8 + (4 * i))));
    }

    [Fact]
    public void Open_Issue_GrantsAChannelWithPolicyNoneAndTheRevisedLifetime()
    {
        var bench = UaBench.Start();
        var peer = bench.Connect();
        peer.Send(Hello());
        peer.Send(Open(0, 1, 7, SecurityTokenRequestType.Issue, lifetimeMs: 5, requestHandle: 99));
        bench.RunMs(5);

        var open = peer.Take()[1];
        var response = open.OpenResponse();
        Assert.Equal(UaMessageType.Open, open.Type);
        Assert.Equal(response.SecurityToken.ChannelId, open.ChannelId);
        Assert.Equal(UaSecurityNone.Uri, System.Text.Encoding.UTF8.GetString(open.Bytes, 16, (int)open.UInt32At(12)));
        Assert.Equal(1u, open.OpenSequenceNumber);
        Assert.Equal(99u, response.ResponseHeader.RequestHandle);
        Assert.Equal(1u, response.SecurityToken.TokenId);
        Assert.Equal(UaTcpLimits.Default.TokenLifetimeMsMin, response.SecurityToken.RevisedLifetime);
        Assert.Equal(1, bench.Server.Counters.ChannelsOpened);
    }

    [Fact]
    public void Message_IsHandedUpAndTheEchoComesBackOnTheChannel()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();

        peer.Message(5, Request(31, payloadBytes: 10));
        bench.RunMs(5);

        var chunk = Assert.Single(peer.Take());
        Assert.Equal(UaMessageType.Message, chunk.Type);
        Assert.Equal(UaChunkType.Final, chunk.Header.ChunkType);
        Assert.Equal((peer.ChannelId, 1u, 2u, 5u), (chunk.ChannelId, chunk.TokenId, chunk.SequenceNumber, chunk.RequestId));
        Assert.Equal(31u, chunk.Response().Header.RequestHandle);
        Assert.Equal(Request(31, payloadBytes: 10), Assert.Single(bench.Requests));
    }

    [Fact]
    public void Renew_GivesToken2_AndTheServerSwitchesWhenTheClientDoes()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();

        peer.Sequence++;
        peer.Send(Open(peer.ChannelId, peer.Sequence, 2, SecurityTokenRequestType.Renew));
        bench.RunMs(5);
        var renewed = Assert.Single(peer.Take()).OpenResponse().SecurityToken;
        peer.Message(3, Request(1), tokenId: 1);
        bench.RunMs(5);
        var withOld = Assert.Single(peer.Take());
        peer.Message(4, Request(2), tokenId: 2);
        bench.RunMs(5);
        var withNew = Assert.Single(peer.Take());

        Assert.Equal((peer.ChannelId, 2u), (renewed.ChannelId, renewed.TokenId));
        Assert.Equal(1u, withOld.TokenId);
        Assert.Equal(2u, withNew.TokenId);
        Assert.Equal(1, bench.Server.Counters.Renewals);
    }

    [Fact]
    public void Close_EndsTheConnectionAndTellsTheServiceLayer()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();

        peer.Sequence++;
        peer.Send(UaWire.Close(peer.ChannelId, 1, peer.Sequence, 9));
        bench.RunMs(5);

        Assert.Equal(LinkState.Down, peer.State);
        Assert.Empty(peer.Take());
        Assert.Equal([peer.ChannelId], bench.ClosedChannels);
        Assert.Equal(0, bench.Server.Connections);
    }

    [Fact]
    public void Message_InThreeChunks_IsOneRequest()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();
        var body = Request(8, payloadBytes: 300);

        peer.Message(6, body[..100], 'C');
        peer.Message(6, body[100..200], 'C');
        bench.RunMs(5);
        Assert.Empty(bench.Requests);
        peer.Message(6, body[200..], 'F');
        bench.RunMs(5);

        Assert.Equal(body, Assert.Single(bench.Requests));
        Assert.Equal(8u, Assert.Single(peer.Take()).Response().Header.RequestHandle);
    }

    [Fact]
    public void AbortChunk_DropsTheMessageAndTheNextIsServed()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();

        peer.Message(6, Request(8, payloadBytes: 50), 'C');
        peer.Message(6, [.. UInt32(StatusCodes.BadRequestTooLarge), .. UaString("client gave up")], 'A');
        peer.Message(7, Request(9));
        bench.RunMs(5);

        Assert.Equal(Request(9), Assert.Single(bench.Requests));
        Assert.Equal(7u, Assert.Single(peer.Take()).RequestId);
        Assert.Equal(1, bench.Server.Counters.Aborts);
    }

    [Fact]
    public void OversizedMessage_IsAServiceFaultBadRequestTooLarge_AndTheChannelStaysOpen()
    {
        var bench = UaBench.Start(UaTcpLimits.Default with { MessageBytesMax = 70_000 });
        var peer = bench.Open();
        var body = Request(12, payloadBytes: 80_000);

        for (var offset = 0; offset < body.Length; offset += 20_000)
        {
            peer.Message(4, body[offset..Math.Min(body.Length, offset + 20_000)], offset + 20_000 < body.Length ? 'C' : 'F');
            bench.RunMs(1);
        }

        peer.Message(5, Request(13));
        bench.RunMs(10);

        var chunks = peer.Take();
        Assert.Equal(2, chunks.Count);
        var (typeId, header) = chunks[0].Response();
        Assert.Equal((new NodeId(ServiceFault.EncodingId), 12u, StatusCodes.BadRequestTooLarge), (typeId, header.RequestHandle, header.ServiceResult.Code));
        Assert.Equal(5u, chunks[1].RequestId);
        Assert.Equal(Request(13), Assert.Single(bench.Requests));
    }

    [Fact]
    public void ChunkOverTheReceiveBuffer_IsAnErrorBadTcpMessageTooLarge()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();

        peer.Send([.. "MSGF"u8, .. UInt32(70_000)]);
        bench.RunMs(5);

        var error = Assert.Single(peer.Take());
        Assert.Equal((UaMessageType.Error, StatusCodes.BadTcpMessageTooLarge), (error.Type, error.ErrorStatus));
        Assert.Contains("70000", error.ErrorReason, StringComparison.Ordinal);
        Assert.Equal(LinkState.Down, peer.State);
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, Assert.Single(bench.Closures).Status);
    }

    [Fact]
    public void BadTokenId_ClosesThatConnectionOnly()
    {
        var bench = UaBench.Start();
        var other = bench.Open();
        var peer = bench.Open();

        peer.Message(3, Request(1), tokenId: 77);
        other.Message(3, Request(2));
        bench.RunMs(5);

        var error = Assert.Single(peer.Take());
        Assert.Equal((UaMessageType.Error, StatusCodes.BadSecureChannelTokenUnknown), (error.Type, error.ErrorStatus));
        Assert.Equal(LinkState.Down, peer.State);
        Assert.Equal(2u, Assert.Single(other.Take()).Response().Header.RequestHandle);
        Assert.Equal(LinkState.Up, other.State);
    }

    [Theory]
    [InlineData("channel")]
    [InlineData("sequence")]
    [InlineData("before-hello")]
    [InlineData("open-body")]
    public void MalformedInput_IsAnErrorWithItsStatus(string what)
    {
        var bench = UaBench.Start();
        var peer = what == "before-hello" ? bench.Connect() : bench.Open();
        var expected = what switch
        {
            "channel" => StatusCodes.BadSecureChannelIdInvalid,
            "sequence" => StatusCodes.BadSequenceNumberInvalid,
            "before-hello" => StatusCodes.BadTcpMessageTypeInvalid,
            _ => StatusCodes.BadDecodingError,
        };

        peer.Send(what switch
        {
            "channel" => Symmetric("MSG", 'F', peer.ChannelId + 1, 1, 2, 2, Request(1)),
            "sequence" => Symmetric("MSG", 'F', peer.ChannelId, 1, 9, 2, Request(1)),
            "before-hello" => Open(0, 1, 1, SecurityTokenRequestType.Issue),
            _ => Frame("OPN", 'F', [.. UInt32(peer.ChannelId), .. UaString(UaSecurityNone.Uri), .. UInt32(uint.MaxValue), .. UInt32(uint.MaxValue), .. UInt32(2), .. UInt32(2)], [1, 0, 0xBE, 1, 0]),
        });
        bench.RunMs(5);

        var error = Assert.Single(peer.Take());
        Assert.Equal((UaMessageType.Error, expected), (error.Type, error.ErrorStatus));
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorReason));
        Assert.Equal(LinkState.Down, peer.State);
    }

    [Fact]
    public void ResponseOverTheClientsMaxMessageSize_IsAServiceFaultBadResponseTooLarge()
    {
        var bench = UaBench.Start();
        var peer = bench.Open(maxMessageSize: 1000);
        bench.Hold = true;
        peer.Message(3, Request(44));
        bench.RunMs(5);

        var result = bench.Held[0].Respond(bench.Echo(bench.Requests[0], extraBytes: 2000));
        bench.RunMs(5);

        Assert.Equal(UaSendResult.ResponseTooLarge, result);
        var (typeId, header) = Assert.Single(peer.Take()).Response();
        Assert.Equal((new NodeId(ServiceFault.EncodingId), 44u, StatusCodes.BadResponseTooLarge), (typeId, header.RequestHandle, header.ServiceResult.Code));
    }

    [Fact]
    public void LargeResponse_IsChunkedToTheClientsReceiveBuffer()
    {
        var bench = UaBench.Start();
        var peer = bench.Open(receiveBufferSize: 8192);

        peer.Message(3, Request(45, payloadBytes: 20_000));
        bench.RunMs(10);

        var chunks = peer.Take();
        Assert.Equal(3, chunks.Count);
        Assert.All(chunks, c => Assert.True(c.Bytes.Length <= 8192 && c.RequestId == 3));
        Assert.Equal([UaChunkType.Intermediate, UaChunkType.Intermediate, UaChunkType.Final], chunks.Select(c => c.Header.ChunkType));
        Assert.Equal([2u, 3u, 4u], chunks.Select(c => c.SequenceNumber));
        Assert.Equal(45u, chunks[0].Response(chunks.SelectMany(c => c.MessageBody).ToArray()).Header.RequestHandle);
    }

    [Fact]
    public void ResponseOverTheClientsMaxChunkCount_IsAServiceFault()
    {
        var bench = UaBench.Start();
        var peer = bench.Open(receiveBufferSize: 8192, maxChunkCount: 2);

        peer.Message(3, Request(46, payloadBytes: 20_000));
        bench.RunMs(10);

        Assert.Equal(StatusCodes.BadResponseTooLarge, Assert.Single(peer.Take()).Response().Header.ServiceResult.Code);
        Assert.Equal(1, bench.Server.Counters.ResponsesTooLarge);
    }

    [Fact]
    public void LateResponse_AfterTheChannelClosed_IsChannelGone()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();
        bench.Hold = true;
        peer.Message(3, Request(47));
        bench.RunMs(5);
        peer.Channel.Dispose();
        bench.RunMs(5);

        Assert.False(bench.Held[0].IsLive);
        Assert.Equal(UaSendResult.ChannelGone, bench.Held[0].Respond(bench.Echo(bench.Requests[0])));
        Assert.Equal([peer.ChannelId], bench.ClosedChannels);
    }

    [Fact]
    public void NoHelloInTime_ClosesWithBadTimeout()
    {
        var bench = UaBench.Start(UaTcpLimits.Default with { HelloTimeoutNs = 100 * UaBench.Ms });
        var peer = bench.Connect();

        bench.RunMs(150);

        Assert.Equal(StatusCodes.BadTimeout, Assert.Single(peer.Take()).ErrorStatus);
        Assert.Equal(LinkState.Down, peer.State);
        Assert.Equal(1, bench.Server.Counters.ClosedByTimeout);
    }

    [Fact]
    public void ChannelNotRenewed_ClosesAfterLifetimeAndGrace()
    {
        var bench = UaBench.Start(UaTcpLimits.Default with { TokenLifetimeMsMin = 1000 });
        var peer = bench.Open(lifetimeMs: 1000);

        bench.RunMs(1200);
        Assert.Equal(LinkState.Up, peer.State);
        bench.RunMs(100);

        Assert.Equal(StatusCodes.BadSecureChannelTokenUnknown, Assert.Single(peer.Take()).ErrorStatus);
        Assert.Equal(LinkState.Down, peer.State);
    }

    [Fact]
    public void SendQueueFull_ClosesThatConnectionAndOthersAreServed()
    {
        var bench = UaBench.Start(UaTcpLimits.Default with { SendQueueBytes = 2 * 65_535 });
        var other = bench.Open();
        var peer = bench.Open();
        bench.Hold = true;
        for (uint request = 1; request <= 8; request++)
        {
            peer.Message(request, Request(request));
        }

        bench.RunMs(5);
        peer.Reading = false;
        bench.Hold = false;
        var results = bench.Held.Select(held => held.Respond(bench.Echo(Request(1), extraBytes: 60_000))).ToList();
        other.Message(9, Request(9));
        bench.RunMs(5);

        Assert.Equal(UaSendResult.Sent, results[0]);
        Assert.Contains(UaSendResult.QueueFull, results);
        Assert.Equal(UaSendResult.ChannelGone, results[^1]);
        Assert.Equal(1, bench.Server.Counters.ClosedSendQueueFull);
        Assert.Equal(9u, Assert.Single(other.Take()).RequestId);
    }

    [Fact]
    public void ServiceLayerThrowing_ClosesThatConnectionWithBadTcpInternalError()
    {
        var bench = UaBench.Start();
        var peer = bench.Open();
        bench.ThrowNext = true;

        peer.Message(3, Request(1));
        bench.RunMs(5);

        Assert.Equal(StatusCodes.BadTcpInternalError, Assert.Single(peer.Take()).ErrorStatus);
        var next = bench.Open();
        next.Message(3, Request(2));
        bench.RunMs(5);
        Assert.Single(next.Take());
    }
}
