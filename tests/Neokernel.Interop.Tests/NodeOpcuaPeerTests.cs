using System.Text.Json;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>
/// The node-opcua harness proven against node-opcua's own server (anchor-server.mjs, 200 points),
/// before our gateway exists: when a gateway interop test fails, the client and its scripts are
/// known to work, so the fault is ours. One anchor serves the whole class.
/// </summary>
[Collection(NodeOpcuaCollection.Name)]
public sealed class NodeOpcuaPeerTests(NodeOpcuaPeerTests.AnchorFixture fixture) : IClassFixture<NodeOpcuaPeerTests.AnchorFixture>
{
    private const int Points = 200;
    private const string PointPrefix = "ns=1;s=Regions/bench/p";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);

    private string Url => fixture.Anchor.Endpoint;

    [Fact]
    public void RequireInstalled_LockedVersions_AreTheOnesInstalled()
    {
        var (client, server) = NodeOpcua.RequireInstalled();

        Assert.Equal(NodeOpcua.Version, client);
        Assert.Equal(NodeOpcua.Version, server);
    }

    [Fact]
    public void BrowseAll_AnchorServer_FindsEveryPointOnceFollowingBrowseNext()
    {
        using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, "browse-all", Url);
        var root = result.RootElement;
        var nodes = root.GetProperty("nodes").EnumerateArray().ToList();

        var points = nodes.Where(n => n.GetProperty("nodeId").GetString()!.StartsWith(PointPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(Points, points.Count);
        Assert.All(points, p => Assert.Equal("Variable", p.GetProperty("nodeClass").GetString()));
        Assert.Equal(nodes.Count, nodes.Select(n => n.GetProperty("nodeId").GetString()).Distinct().Count());
        var bench = Assert.Single(nodes, n => n.GetProperty("nodeId").GetString() == "ns=1;s=Regions/bench");
        Assert.Equal(Points, bench.GetProperty("references").GetInt32());
        // 200 children at 100 references per node need BrowseNext.
        Assert.True(root.GetProperty("browseNextRequests").GetInt32() >= 1, $"no BrowseNext: {Summary(root)}");
        Assert.True(nodes.Count > 1000, $"the standard namespace should be browsed too: {Summary(root)}");
    }

    [Fact]
    public void ReadAll_AnchorRegions_ReadsValueGoodForEachPoint()
    {
        using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, "read-all", Url, "--root", "ns=1;s=Regions");
        var nodes = result.RootElement.GetProperty("nodes").EnumerateArray().ToList();

        var points = nodes.Where(n => n.GetProperty("nodeId").GetString()!.StartsWith(PointPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(Points, points.Count);
        Assert.All(points, p => Assert.Contains("Value", p.GetProperty("good").EnumerateArray().Select(a => a.GetString())));
        // Every attribute 1..27 is accounted for, Good or with its status.
        Assert.All(nodes, n => Assert.Equal(27, n.GetProperty("good").GetArrayLength() + n.GetProperty("other").EnumerateObject().Count()));
    }

    [Fact]
    public void Subscribe_HundredItemsForThreeSeconds_EveryItemChangesWithNoSequenceGap()
    {
        using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, "subscribe", Url, "--nodes", "/Objects/Regions/bench/*", "--limit", "100", "--interval-ms", "100", "--seconds", "3");
        var root = result.RootElement;

        Assert.Equal(100, root.GetProperty("items").GetInt32());
        Assert.True(root.GetProperty("itemsWithoutChange").GetInt32() == 0, Summary(root));
        Assert.True(root.GetProperty("perItemMin").GetInt32() >= 5, Summary(root));
        Assert.True(root.GetProperty("sequenceGaps").GetInt32() == 0, Summary(root));
        Assert.True(root.GetProperty("missedMessages").GetInt32() == 0, Summary(root));
        Assert.True(root.GetProperty("badValues").GetInt32() == 0, Summary(root));
    }

    [Fact]
    public void BenchReads_HundredNodesOneOutstanding_MeasuresGoodReads()
    {
        using var result = NodeOpcua.Run("bench.mjs", ScriptTimeout, "reads", Url, "--nodes", "/Objects/Regions/bench/*", "--batch", "100", "--outstanding", "1", "--seconds", "2", "--warmup-seconds", "0.5");
        var root = result.RootElement;

        Assert.True(root.GetProperty("requests").GetInt32() > 0, Summary(root));
        Assert.True(root.GetProperty("requestsPerSecond").GetDouble() > 0, Summary(root));
        Assert.True(root.GetProperty("p50Ms").GetDouble() > 0, Summary(root));
        Assert.True(root.GetProperty("p99Ms").GetDouble() >= root.GetProperty("p50Ms").GetDouble(), Summary(root));
        Assert.Equal(0, root.GetProperty("badValues").GetInt32());
    }

    [Fact]
    public void BenchReads_FolderNameWithStar_ReadsThePointsOfEveryMatchingFolder()
    {
        using var result = NodeOpcua.Run("bench.mjs", ScriptTimeout, "reads", Url, "--nodes", "/Objects/Reg*/b*h/*", "--seconds", "1", "--warmup-seconds", "0");
        var root = result.RootElement;

        Assert.Equal(Points, root.GetProperty("nodes").GetInt32());
        Assert.True(root.GetProperty("requests").GetInt32() > 0, Summary(root));
        Assert.Equal(0, root.GetProperty("badValues").GetInt32());
    }

    [Fact]
    public void BenchReads_FolderNameMatchingNone_FailsNamingTheChildren()
    {
        var failure = Assert.Throws<NodeOpcuaException>(() => NodeOpcua.Run("bench.mjs", ScriptTimeout, "reads", Url, "--nodes", "/Objects/Regions/bench.*/*", "--seconds", "1"));

        Assert.Contains("no child named 'bench.*'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("bench", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchBrowse_AnchorRegions_WalksEveryPointTimingEachRequest()
    {
        const int referencesPerRequest = 50;
        using var result = NodeOpcua.Run("bench.mjs", ScriptTimeout, "browse", Url, "--root", "/Objects/Regions", "--max-refs", $"{referencesPerRequest}", "--seconds", "1", "--warmup-seconds", "0");
        var root = result.RootElement;
        var walks = root.GetProperty("walks").GetInt32();

        Assert.Equal(Points, root.GetProperty("variables").GetInt32());
        Assert.True(walks >= 1, Summary(root));
        // Each walk: Regions, then the bench folder's 200 points 50 at a time (one Browse, three BrowseNext), then nothing more.
        Assert.True(root.GetProperty("requests").GetInt32() >= walks * (1 + (Points / referencesPerRequest)), Summary(root));
        Assert.True(root.GetProperty("requestP99Ms").GetDouble() >= root.GetProperty("requestP50Ms").GetDouble(), Summary(root));
        Assert.True(root.GetProperty("referencesPerSecond").GetDouble() > 0, Summary(root));
    }

    [Fact]
    public void Run_UnknownCommand_ThrowsWithTheScriptsMessage()
    {
        var failure = Assert.Throws<NodeOpcuaException>(() => NodeOpcua.Run("client.mjs", ScriptTimeout, "frobnicate", Url));

        Assert.Contains("unknown command 'frobnicate'", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>The result without its long arrays, for assertion messages.</summary>
    private static string Summary(JsonElement root) =>
        string.Join(", ", root.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Array).Select(p => $"{p.Name}={p.Value}"));

    /// <summary>One anchor server with 200 points for every test of the class.</summary>
    public sealed class AnchorFixture : IDisposable
    {
        public AnchorFixture()
        {
            Anchor = NodeOpcua.StartAnchor(Points);
        }

        public NodeOpcuaAnchor Anchor { get; }

        public void Dispose() => Anchor.Dispose();
    }
}

/// <summary>
/// node-opcua runs one test at a time, apart from the rest: each script starts a Node.js process
/// that loads node-opcua (seconds of CPU), which would crowd the timing-sensitive Modbus tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NodeOpcuaCollection
{
    public const string Name = "node-opcua";
}
