using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>
/// An operator on node-opcua supervises the heated tank cascade (`neokernel run
/// manifests/systems/heated-tank-cascade.yaml`: the block network in a process of its own, the
/// gateway in another) through the network's values under Objects/Blocks: reads them, is refused
/// the setpoint as a viewer, writes 65 °C as an operator and reads it back, is refused what the
/// network does not let him set, and after a kill -9 of the controller's process reads 65 °C again
/// from the restarted controller, which restored it from its retain store. An engineer retunes the
/// outer loop's gain online (an operator may not), is refused a gain the PID cannot take, and the
/// new gain survives the kill -9 too.
/// </summary>
[Collection(NodeOpcuaCollection.Name)]
public sealed class CascadeGatewayInteropTests
{
    private const string Controller = "heated-tank-cascade-controller";
    private const string Blocks = "ns=2;s=Blocks/" + Controller + "/";
    private const string Setpoint = Blocks + "outer.SP";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);
    private static readonly string[] Operator = ["--user", "operator", "--password", "operator"];
    private static readonly string[] Engineer = ["--user", "engineer", "--password", "engineer"];

    [Fact]
    public void BlockValues_ReadWrittenRefused_SetpointSurvivesKillOfTheController()
    {
        using var system = RunningSystem.Start("heated-tank-cascade.yaml", "300s");
        system.WaitReady();

        // The network's values, as the manifest's defaults and the first cycles make them.
        var first = ReadUntilGood([Setpoint, Blocks + "outer.MAN", Blocks + "inner.OUT", Blocks + "overheat.ACTIVE"]);
        Assert.Equal(60.0, first[0].GetProperty("value").GetDouble());
        Assert.Equal(0.0, first[1].GetProperty("value").GetDouble());
        Assert.InRange(first[2].GetProperty("value").GetDouble(), 0.0, 100.0);
        Assert.Equal(0.0, first[3].GetProperty("value").GetDouble());
        Assert.All(first, r => Assert.Equal("Double", r.GetProperty("dataType").GetString()));

        Assert.Equal("BadUserAccessDenied", Write(Setpoint, "65", []));
        Assert.Equal("Good", Write(Setpoint, "65", Operator));
        Assert.Equal(65.0, ReadUntil(Setpoint, r => r.GetProperty("value").GetDouble() == 65.0).GetProperty("value").GetDouble());

        // Read-only at the gateway, and a value the pin's type (BOOL) cannot hold, refused by the network.
        Assert.Equal("BadNotWritable", Write(Blocks + "inner.OUT", "10", Operator));
        Assert.Equal("BadOutOfRange", Write(Blocks + "outer.MAN", "2", Operator));

        // Tuning is the engineer's: the outer gain from 8 to 6; a gain of 0 the PID refuses.
        var gain = Blocks + "outer.KC";
        Assert.Equal(8.0, ReadUntilGood([gain])[0].GetProperty("value").GetDouble());
        Assert.Equal("BadUserAccessDenied", Write(gain, "6", Operator));
        Assert.Equal("Good", Write(gain, "6", Engineer));
        Assert.Equal("BadOutOfRange", Write(Blocks + "inner.KC", "0", Engineer));
        Assert.Equal(6.0, ReadUntil(gain, r => r.GetProperty("value").GetDouble() == 6.0).GetProperty("value").GetDouble());

        // kill -9 of the controller: the supervisor restarts it, it restores 65 °C from its store,
        // and the gateway reads it from the new process (a reply newer than the kill).
        var killed = system.ServicePid(Controller, ProcessTimeout);
        var killedAt = DateTime.UtcNow;
        Process.GetProcessById(killed).Kill();
        Assert.NotEqual(killed, system.ServicePid(Controller, ProcessTimeout, not: killed));
        var restored = ReadUntil(Setpoint, r => r.GetProperty("status").GetString() == "Good" && SourceTime(r) > killedAt, TimeSpan.FromSeconds(30));
        Assert.True(SourceTime(restored) > killedAt, $"no reply from the restarted controller: {restored}");
        Assert.Equal(65.0, restored.GetProperty("value").GetDouble());
        Assert.Equal(6.0, ReadUntil(gain, r => r.GetProperty("status").GetString() == "Good" && SourceTime(r) > killedAt).GetProperty("value").GetDouble());
        Assert.Equal(5.0, ReadUntilGood([Blocks + "inner.KC"])[0].GetProperty("value").GetDouble());
        var restarts = ReadUntil("ns=2;s=Services/" + Controller + "/Restarts", r => r.GetProperty("value").GetInt64() >= 1);
        Assert.Equal(1, restarts.GetProperty("value").GetInt64());

        Assert.Equal(0, system.Stop(TimeSpan.FromSeconds(30)));
        Assert.Contains("service host process " + killed.ToString(CultureInfo.InvariantCulture) + " was killed by signal 9", system.Output, StringComparison.Ordinal);
    }

    /// <summary>Writes <paramref name="value"/> (a Double) to <paramref name="nodeId"/>, as <paramref name="user"/> (none: anonymous); the status. BadTimeout (the controller's process not answering in time on a loaded machine) is written again, twice at most, as an HMI would.</summary>
    private static string Write(string nodeId, string value, string[] user)
    {
        string[] write = ["write", RunningSystem.Url, nodeId, "Double", value];
        var status = "";
        for (var attempt = 0; attempt < 3 && status is "" or "BadTimeout"; attempt++)
        {
            using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, [.. write, .. user]);
            status = result.RootElement.GetProperty("status").GetString()!;
        }

        return status;
    }

    /// <summary>Reads <paramref name="nodeIds"/> until every one is Good (at most 20 s, from the gateway's first poll of the network); the results.</summary>
    private static List<JsonElement> ReadUntilGood(string[] nodeIds)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var read = NodeOpcua.Run("client.mjs", ScriptTimeout, ["read", RunningSystem.Url, .. nodeIds]);
            var results = read.RootElement.GetProperty("results").EnumerateArray().Select(r => r.Clone()).ToList();
            if (results.TrueForAll(r => r.GetProperty("status").GetString() == "Good") || DateTime.UtcNow > deadline)
            {
                Assert.All(results, r => Assert.Equal("Good", r.GetProperty("status").GetString()));
                return results;
            }

            Thread.Sleep(250);
        }
    }

    /// <summary>Reads <paramref name="nodeId"/> until its result satisfies <paramref name="done"/> (at most <paramref name="within"/>, by default 10 s); the last result read.</summary>
    private static JsonElement ReadUntil(string nodeId, Func<JsonElement, bool> done, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            using var read = NodeOpcua.Run("client.mjs", ScriptTimeout, "read", RunningSystem.Url, nodeId);
            var result = read.RootElement.GetProperty("results")[0].Clone();
            if (result.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Number && done(result) || DateTime.UtcNow > deadline)
            {
                return result;
            }

            Thread.Sleep(250);
        }
    }

    private static DateTime SourceTime(JsonElement result) =>
        result.TryGetProperty("sourceTimestamp", out var time) && time.ValueKind == JsonValueKind.String
            ? DateTime.Parse(time.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)
            : DateTime.MinValue;
}
