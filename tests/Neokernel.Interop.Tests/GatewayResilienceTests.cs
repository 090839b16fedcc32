using System.Diagnostics;
using System.Text.Json;
using Neokernel.Gateway.Ua;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>
/// The gateway under load and under attack, against node-opcua's client: on the gateway
/// benchmark (manifests/systems/gateway-bench.yaml, 10,000 points a signal generator changes
/// every 100 ms), a subscription to 100 points receives every change; a client keeps its
/// subscription through a kill -9 of the gateway's process and the supervisor's restart; and
/// malformed and oversized input on raw connections is refused while another session's reads go
/// on and the gateway process stays the same.
/// </summary>
[Collection(NodeOpcuaCollection.Name)]
public sealed class GatewayResilienceTests(GatewayResilienceTests.BenchFixture fixture) : IClassFixture<GatewayResilienceTests.BenchFixture>
{
    private const string Url = RunningSystem.Url;
    private const string GeneratorOverruns = "ns=2;s=Services/signal-generator/Overruns";
    private const int Port = 4840;
    private const int ChangeMs = 100;
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);
    private static readonly string[] SubscriptionKept = ["same", "recreated"];

    /// <summary>
    /// 100 ramp points sampled every 50 ms (twice per change), published every 100 ms, queue 4:
    /// every item gets a change every 100 ms of source time, each value differs from the one
    /// before, and no change the generator wrote is missing from any item. A cycle the
    /// generator itself skipped (it counts an overrun) shows as a source gap in every item, so
    /// source gaps are allowed only for the overruns it counted meanwhile.
    /// </summary>
    [Fact]
    public void Subscribe_HundredBenchPoints_EveryChangeArrivesInOrderWithNoGap()
    {
        fixture.System.WaitReady();
        var overrunsBefore = ReadNumber(GeneratorOverruns);
        using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, "subscribe", Url, "--nodes", "/Objects/Regions/bench.ramp/*", "--limit", "100", "--interval-ms", "100", "--sampling-ms", "50", "--queue-size", "4", "--change-ms", "100", "--seconds", "3", "--per-item", "false");
        var generatorSkips = ReadNumber(GeneratorOverruns) - overrunsBefore;
        var root = result.RootElement;
        var changes = root.GetProperty("changes");
        var summary = root.ToString();

        Assert.Equal(100, root.GetProperty("items").GetInt32());
        Assert.True(root.GetProperty("sequenceGaps").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("outOfOrder").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("overflows").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("badValues").GetInt32() == 0, summary);
        var nominal = root.GetProperty("seconds").GetDouble() * 1000 / ChangeMs;
        Assert.True(root.GetProperty("perItemMin").GetInt32() >= 0.8 * nominal, $"fewer than 80 % of {nominal:0} changes for an item: {summary}");
        Assert.True(changes.GetProperty("repeatedValues").GetInt32() == 0, summary);
        Assert.True(changes.GetProperty("lostChanges").GetInt32() == 0, summary);
        Assert.True(changes.GetProperty("sourceTimesMissing").GetInt32() == 0, summary);
        Assert.True(changes.GetProperty("sourceTimesBackwards").GetInt32() == 0, summary);
        Assert.True(changes.GetProperty("sourceGaps").GetInt32() <= 100 * generatorSkips, $"source gaps beyond the generator's {generatorSkips} skipped cycles: {summary}");
    }

    /// <summary>
    /// kill -9 of the gateway's service host while node-opcua holds a subscription: the
    /// supervisor starts a new process, the client reconnects by itself, gets a session and a
    /// subscription again (transferred or recreated) and receives data within 10 s of the loss.
    /// </summary>
    [Fact]
    public void Reconnect_GatewayProcessKilled_SupervisorRestartsIt_ClientReceivesDataAgain()
    {
        fixture.System.WaitReady();
        var killed = fixture.System.GatewayPid(ProcessTimeout);
        using var client = NodeOpcuaScript.Start("client.mjs", "reconnect", Url, "--seconds", "20", "--until-recovered", "true", "--nodes", "ns=2;s=Regions/bench.ramp/s4096,ns=2;s=Regions/bench.sine/s0000");
        client.WaitForLine("\"subscribed\"", ScriptTimeout);
        Thread.Sleep(1_500);
        Process.GetProcessById(killed).Kill();
        var restarted = fixture.System.GatewayPid(ProcessTimeout, not: killed);
        using var result = client.Result(ScriptTimeout);
        var root = result.RootElement;
        var summary = root.ToString();

        Assert.NotEqual(killed, restarted);
        Assert.True(root.GetProperty("disconnects").GetInt32() >= 1, summary);
        Assert.True(root.GetProperty("connected").GetBoolean(), summary);
        Assert.Contains(root.GetProperty("subscription").GetString(), SubscriptionKept);
        Assert.True(root.GetProperty("notificationsBeforeDisconnect").GetInt32() > 0, summary);
        Assert.True(root.GetProperty("notificationsAfterReconnect").GetInt32() > 0, summary);
        Assert.True(root.GetProperty("recoveryMs").GetInt32() < 10_000, summary);
    }

    /// <summary>
    /// While a node-opcua session reads every 100 ms, raw connections send garbage, Hellos with
    /// absurd sizes, a chunk claiming gigabytes, a request over the 1 MiB MaxMessageSize in many
    /// chunks and one over the 64-chunk MaxChunkCount. Each is refused the way UaTcpConnection
    /// says (an ERR naming the Part 6 status and closing, or a ServiceFault
    /// Bad_RequestTooLarge for a request that is merely too big); the session's reads never fail
    /// or pause for a second, and the gateway process is the one it was.
    /// </summary>
    [Fact]
    public void HostileConnections_RefusedOneByOne_OtherSessionServedAndGatewayNotRestarted()
    {
        fixture.System.WaitReady();
        var gateway = fixture.System.GatewayPid(ProcessTimeout);
        using var reader = NodeOpcuaScript.Start("client.mjs", "poll", Url, "ns=2;s=Regions/bench.ramp/s4096", "ns=0;i=2258", "--seconds", "6", "--interval-ms", "100");
        reader.WaitForLine("\"polling\"", ScriptTimeout);

        ExpectError(probe => probe.Send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8), StatusCodes.BadTcpMessageTypeInvalid);
        ExpectError(probe => probe.Send(UaTcpProbe.Hello(1, 1, 0, 0)), StatusCodes.BadTcpNotEnoughResources);
        ExpectError(probe => probe.Send(UaTcpProbe.Hello(UaTcpProbe.BufferBytes, UaTcpProbe.BufferBytes, 0, 0, urlBytes: int.MaxValue)), StatusCodes.BadTcpEndpointUrlInvalid);
        ExpectError(probe => probe.Send(HeaderOnly("HELF", uint.MaxValue)), StatusCodes.BadTcpMessageTooLarge);
        AbsurdHelloIsLoweredToTheServersLimits();
        ExpectError(probe =>
        {
            probe.HelloAcknowledged();
            probe.Send(HeaderOnly("MSGF", 0xFFFF_FF00));
        }, StatusCodes.BadTcpMessageTooLarge);
        ExpectRequestTooLarge(chunks: 20, chunkBodyBytes: 60_000);
        ExpectRequestTooLarge(chunks: 70, chunkBodyBytes: 100);

        using var result = reader.Result(ScriptTimeout);
        var root = result.RootElement;
        var summary = root.ToString();
        Assert.True(root.GetProperty("reads").GetInt32() >= 15, summary);
        Assert.True(root.GetProperty("failures").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("badValues").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("gapMsMax").GetInt32() < 1_000, summary);
        Assert.Equal(gateway, fixture.System.GatewayPid(ProcessTimeout));
    }

    /// <summary>Every size 4 GiB: the server lowers what it offers to its own limits (Part 6 §7.1.2.4) and answers ACK.</summary>
    private static void AbsurdHelloIsLoweredToTheServersLimits()
    {
        using var probe = UaTcpProbe.Connect(Port, ReplyTimeout);
        probe.Send(UaTcpProbe.Hello(uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue));
        var reply = probe.Receive();

        Assert.True(reply.Type == "ACK", reply.ToString());
        Assert.InRange(reply.AcknowledgeField(1), 8192u, 65_535u);
        Assert.InRange(reply.AcknowledgeField(2), 8192u, 65_535u);
        Assert.Equal(1u << 20, reply.AcknowledgeField(3));
        Assert.Equal(64u, reply.AcknowledgeField(4));
    }

    /// <summary>A request of <paramref name="chunks"/> C chunks and an F chunk, past MaxMessageSize or MaxChunkCount: a ServiceFault for its handle, and the channel still serves.</summary>
    private static void ExpectRequestTooLarge(int chunks, int chunkBodyBytes)
    {
        const uint requestHandle = 4242;
        const uint requestId = 7;
        using var probe = UaTcpProbe.Connect(Port, ReplyTimeout);
        probe.OpenChannel();
        probe.SendChunk('C', requestId, UaTcpProbe.RequestPrefix(requestHandle, chunkBodyBytes));
        var filler = new byte[chunkBodyBytes];
        for (var i = 1; i < chunks; i++)
        {
            probe.SendChunk('C', requestId, filler);
        }

        probe.SendChunk('F', requestId, filler);
        var reply = probe.Receive();
        var (handle, serviceResult) = UaTcpProbe.ResponseHeader(reply);

        Assert.Equal(StatusCodes.BadRequestTooLarge, serviceResult);
        Assert.Equal(requestHandle, handle);
        probe.Send(HeaderOnly("GARB", 8));
        Assert.Equal("ERR", probe.Receive().Type);
    }

    /// <summary>Runs <paramref name="attack"/> on a fresh connection; the server must answer ERR with <paramref name="status"/> and close.</summary>
    private static void ExpectError(Action<UaTcpProbe> attack, uint status)
    {
        using var probe = UaTcpProbe.Connect(Port, ReplyTimeout);
        attack(probe);
        var reply = probe.Receive();

        Assert.True(reply.Type == "ERR", $"expected ERR 0x{status:X8}, got {reply}");
        Assert.True(reply.ErrorStatus == status, $"expected ERR 0x{status:X8}, got {reply}");
        Assert.True(reply.ErrorReason.Length > 0, reply.ToString());
        Assert.True(probe.ClosedByServer(), $"the connection stayed open after {reply}");
    }

    private static byte[] HeaderOnly(string typeAndChunk, uint size)
    {
        var header = new byte[8];
        UaTcpProbe.Header(header, typeAndChunk, size);
        return header;
    }

    /// <summary>A numeric Value read through the gateway; node-opcua gives a 64-bit integer as [high, low].</summary>
    private static double ReadNumber(string nodeId)
    {
        using var read = NodeOpcua.Run("client.mjs", ScriptTimeout, "read", Url, nodeId);
        var value = read.RootElement.GetProperty("results")[0].GetProperty("value");
        return value.ValueKind == JsonValueKind.Array ? (value[0].GetDouble() * 4_294_967_296.0) + value[1].GetDouble() : value.GetDouble();
    }

    /// <summary>The gateway benchmark under `neokernel run` for the class, stopped at the end.</summary>
    public sealed class BenchFixture : IDisposable
    {
        public RunningSystem System { get; } = RunningSystem.Start("gateway-bench.yaml", "300s");

        public void Dispose() => System.Dispose();
    }
}
