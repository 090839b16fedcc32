using System.Buffers.Binary;
using Neokernel.Fuzz;
using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Transport;
using Neokernel.Testing;
using static Neokernel.Gateway.Tests.Transport.UaWire;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>
/// A connection slot's buffers are made when it first serves a client, reused by the next one,
/// and grow only as its traffic needs, within the limits: the server's memory follows the
/// connections it serves, not its <c>connectionsMax</c>.
/// </summary>
public sealed class ConnectionBufferTests
{
    private const int InputBytes = 16 * 1024;
    private const int RequestBytesInitial = UaTcpLimits.BufferBytesMin;

    /// <summary>One slot after Hello and OPN: input, chunk buffer, a send queue of two send buffers; no request buffer yet.</summary>
    private static readonly long OpenSlotBytes = InputBytes + UaTcpLimits.Default.ReceiveBufferBytes + (2L * UaTcpLimits.Default.SendBufferBytes);

    [Fact]
    public void Start_NoClient_HoldsNoBuffers()
    {
        var bench = UaBench.Start(connectionsMax: 50);

        Assert.Equal(0, bench.Server.BufferBytes);
        Assert.Equal(0, bench.Server.Connections);
    }

    [Fact]
    public void Open_OneClientOfFifty_BuffersOneSlotAtItsInitialSize()
    {
        var bench = UaBench.Start(connectionsMax: 50);
        var peer = bench.Open();

        Assert.Equal(OpenSlotBytes, bench.Server.BufferBytes);
        peer.Message(3, Request(1));
        bench.RunMs(5);

        Assert.Single(peer.Take());
        Assert.Equal(OpenSlotBytes + RequestBytesInitial, bench.Server.BufferBytes);
    }

    [Fact]
    public void Reconnect_ReusesTheClosedSlotsBuffers()
    {
        var bench = UaBench.Start(connectionsMax: 50);
        var first = bench.Open();
        first.Message(3, Request(1));
        bench.RunMs(5);
        var held = bench.Server.BufferBytes;
        first.Channel.Dispose();
        bench.RunMs(5);
        Assert.Equal(0, bench.Server.Connections);

        var second = bench.Open();
        second.Message(3, Request(2));
        bench.RunMs(5);

        Assert.Single(second.Take());
        Assert.Equal(held, bench.Server.BufferBytes);
    }

    [Fact]
    public void Open_TwoClientsAtOnce_BuffersTwoSlots()
    {
        var bench = UaBench.Start(connectionsMax: 50);
        bench.Open();
        bench.Open();

        Assert.Equal(2 * OpenSlotBytes, bench.Server.BufferBytes);
    }

    [Fact]
    public void LargeResponse_GrowsTheSendQueueToWhatItNeedsWithinTheLimit()
    {
        var limits = UaTcpLimits.Default with { SendQueueBytes = 1 << 20 };
        var (bench, peer, result) = RespondOnce(limits, extraBytes: 300_000);

        Assert.Equal(UaSendResult.Sent, result);
        Assert.InRange(peer.Take().Sum(chunk => chunk.Bytes.Length), 300_000, 301_000);
        var grown = bench.Server.BufferBytes - (OpenSlotBytes - (2L * limits.SendBufferBytes)) - RequestBytesInitial;
        Assert.InRange(grown, 300_000, limits.SendQueueBytes);
    }

    [Fact]
    public void ResponseBeyondTheSendQueueLimit_ClosesThatConnectionWithoutGrowingPastIt()
    {
        var (bench, _, result) = RespondOnce(UaTcpLimits.Default with { SendQueueBytes = 2 * 65_535 }, extraBytes: 200_000);

        Assert.Equal(UaSendResult.QueueFull, result);
        Assert.Equal(1, bench.Server.Counters.ClosedSendQueueFull);
        Assert.Equal(OpenSlotBytes + RequestBytesInitial, bench.Server.BufferBytes);
    }

    [Fact]
    public void MessagePath_AfterTheSendQueueGrew_AllocatesNothing()
    {
        using var harness = new UaTransportHarness(UaTransportHarness.SmallLimits);
        harness.Connect();
        harness.Feed(Hello(receiveBufferSize: 8192, sendBufferSize: 8192));
        harness.Feed(Open(0, 1, 1, SecurityTokenRequestType.Issue));
        var channelId = Chunks(harness.Written)[1].ChannelId;
        var chunks = RequestInChunks(channelId, Request(42, payloadBytes: 30_000), 8000);
        var sequenceNumber = 1u;
        void Send()
        {
            harness.ClearWritten();
            foreach (var chunk in chunks)
            {
                sequenceNumber++;
                BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(16), sequenceNumber);
                harness.Feed(chunk);
            }
        }

        var openBytes = harness.Server.BufferBytes;
        Send();
        var queueBytes = harness.Server.BufferBytes;
        Assert.True(queueBytes > openBytes, $"the 30 kB response grew the 16 kB send queue ({openBytes} -> {queueBytes} bytes)");
        AllocationAssert.NoAllocations(200, _ => Send());

        Assert.True(harness.Connected);
        Assert.Equal(0, (harness.Requests - 1) % 200);
        Assert.True(Chunks(harness.Written).Count >= 4, "the 30 kB echo went out in 8 kB chunks");
        Assert.Equal(queueBytes, harness.Server.BufferBytes);
    }

    /// <summary>One client's request answered with an echo <paramref name="extraBytes"/> longer, after the server held it.</summary>
    private static (UaBench Bench, UaPeer Peer, UaSendResult Result) RespondOnce(UaTcpLimits limits, int extraBytes)
    {
        var bench = UaBench.Start(limits);
        var peer = bench.Open();
        bench.Hold = true;
        peer.Message(3, Request(1));
        bench.RunMs(5);

        var result = bench.Held[0].Respond(bench.Echo(bench.Requests[0], extraBytes));
        bench.RunMs(5);
        return (bench, peer, result);
    }

    /// <summary>One request as C chunks and a final F chunk of at most <paramref name="bodyBytesPerChunk"/> each, request id 7.</summary>
    private static List<byte[]> RequestInChunks(uint channelId, byte[] body, int bodyBytesPerChunk)
    {
        var chunks = new List<byte[]>();
        for (var at = 0; at < body.Length; at += bodyBytesPerChunk)
        {
            var part = body.AsSpan(at, Math.Min(bodyBytesPerChunk, body.Length - at)).ToArray();
            var chunkType = at + bodyBytesPerChunk >= body.Length ? 'F' : 'C';
            chunks.Add(Symmetric("MSG", chunkType, channelId, 1, 0, 7, part));
        }

        return chunks;
    }
}
