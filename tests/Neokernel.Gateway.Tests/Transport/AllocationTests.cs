using System.Buffers.Binary;
using Neokernel.Fuzz;
using Neokernel.Gateway.Ua;
using Neokernel.Testing;
using static Neokernel.Gateway.Tests.Transport.UaWire;

namespace Neokernel.Gateway.Tests.Transport;

/// <summary>The steady-state MSG path (chunk in, request up, response chunked out) allocates nothing.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void MessagePath_SteadyState_AllocatesNothing()
    {
        using var harness = new UaTransportHarness();
        harness.Connect();
        harness.Feed(Hello());
        harness.Feed(Open(0, 1, 1, SecurityTokenRequestType.Issue));
        var channelId = Chunks(harness.Written)[1].ChannelId;
        var message = Symmetric("MSG", 'F', channelId, 1, 0, 0, Request(42, payloadBytes: 200));
        var sequenceNumber = 1u;

        AllocationAssert.NoAllocations(2000, i =>
        {
            sequenceNumber++;
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), sequenceNumber);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(20), sequenceNumber);
            harness.ClearWritten();
            harness.Feed(message);
        });

        Assert.True(harness.Connected);
        Assert.Equal(harness.Requests, sequenceNumber - 1);
        var response = Assert.Single(Chunks(harness.Written));
        Assert.Equal(sequenceNumber, response.RequestId);
    }
}
