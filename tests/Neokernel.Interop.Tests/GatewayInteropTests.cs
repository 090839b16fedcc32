using System.Text.Json;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary>
/// node-opcua's client supervises the running tank demo through our gateway (`neokernel run
/// manifests/systems/tank-demo.yaml`, the gateway in its own process on opc.tcp://127.0.0.1:4840):
/// it browses the whole namespace, reads every attribute of every node, reads the plant's points
/// and services, is refused RestartService as an anonymous viewer and has it done as an operator,
/// writes the level loop's setpoint and switches its mode as an operator (refused as a viewer),
/// retunes its gain as an engineer (refused as an operator), and subscribes to the tank's points.
/// </summary>
[Collection(NodeOpcuaCollection.Name)]
public sealed class GatewayInteropTests(GatewayInteropTests.DemoFixture fixture) : IClassFixture<GatewayInteropTests.DemoFixture>
{
    private const string Url = "opc.tcp://127.0.0.1:4840";
    private const string Setpoint = "ns=2;s=Loops/tank-controller/Setpoint";
    private const string Mode = "ns=2;s=Loops/tank-controller/Mode";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);
    private static readonly string[] ServiceStatuses = ["Good", "UncertainLastUsableValue"];
    private static readonly string[] Operator = ["--user", "operator", "--password", "operator"];
    private static readonly string[] Engineer = ["--user", "engineer", "--password", "engineer"];
    private static readonly string[] ManualThenAuto = ["Manual", "Auto"];

    [Fact]
    public void BrowseAllAndReadAll_TankDemo_EveryNodeAndAttributeAnswered()
    {
        fixture.WaitReady();
        using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, "read-all", Url);
        var root = result.RootElement;
        var nodes = root.GetProperty("nodes").EnumerateArray().ToList();
        var ids = nodes.Select(n => n.GetProperty("nodeId").GetString()).ToList();

        Assert.True(nodes.Count > 800, $"{nodes.Count} nodes");
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains("ns=2;s=Regions/tank.inputs/level", ids);
        Assert.Contains("ns=2;s=Services/tank-controller/State", ids);
        Assert.Contains(Setpoint, ids);
        Assert.Contains("ns=2;s=Loops.SetLoopMode", ids);
        Assert.Contains("ns=0;i=2256", ids);
        Assert.All(nodes, n => Assert.Equal(27, n.GetProperty("good").GetArrayLength() + n.GetProperty("other").EnumerateObject().Count()));
    }

    [Fact]
    public void Read_PlantPointsAndServices_GoodWithWallClockSourceTimes()
    {
        fixture.WaitReady();
        using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, "read", Url, "ns=2;s=Regions/tank.inputs/level", "ns=2;s=Services/tank-controller/State", "ns=0;i=2259");
        var results = result.RootElement.GetProperty("results").EnumerateArray().ToList();

        Assert.Equal("Good", results[0].GetProperty("status").GetString());
        Assert.Equal("Good", results[2].GetProperty("status").GetString());
        // The services' values are as fresh as the last kernel.status page: a refresh that timed out
        // on a loaded machine marks them UncertainLastUsableValue until the next one succeeds.
        Assert.Contains(results[1].GetProperty("status").GetString(), ServiceStatuses);
        Assert.Equal("Double", results[0].GetProperty("dataType").GetString());
        var source = DateTime.Parse(results[0].GetProperty("sourceTimestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.True(Math.Abs((DateTime.UtcNow - source).TotalSeconds) < 30, $"source time {source:O}");
        Assert.Equal("Running", results[1].GetProperty("value").GetString());
        Assert.Equal(0, results[2].GetProperty("value").GetInt32());
    }

    [Fact]
    public void RestartService_AsViewerRefused_AsOperatorDone()
    {
        fixture.WaitReady();
        string[] call = ["call", Url, "ns=2;s=Services", "ns=2;s=Services.RestartService", "String:operator"];
        using (var viewer = NodeOpcua.Run("client.mjs", ScriptTimeout, call))
        {
            Assert.Equal("BadUserAccessDenied", viewer.RootElement.GetProperty("status").GetString());
        }

        using var operatorCall = NodeOpcua.Run("client.mjs", ScriptTimeout, [.. call, "--user", "operator", "--password", "operator"]);
        Assert.Equal("Good", operatorCall.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public void WriteSetpoint_AsViewerRefused_AsOperatorReachesTheLoopAndReadsBack()
    {
        fixture.WaitReady();
        string[] write = ["write", Url, Setpoint, "Double", "1.15"];
        using (var viewer = NodeOpcua.Run("client.mjs", ScriptTimeout, write))
        {
            Assert.Equal("BadUserAccessDenied", viewer.RootElement.GetProperty("status").GetString());
        }

        // BadTimeout is the gateway's right answer while the loop cannot reply in time (its
        // process restarting after a deadline fault this VM's scheduler causes now and then);
        // an operator's HMI writes again, and so does this test, twice at most.
        var status = "";
        for (var attempt = 0; attempt < 3 && status is "" or "BadTimeout"; attempt++)
        {
            using var operatorWrite = NodeOpcua.Run("client.mjs", ScriptTimeout, [.. write, .. Operator]);
            status = operatorWrite.RootElement.GetProperty("status").GetString();
        }

        Assert.Equal("Good", status);

        // The gateway reads the loop's status right after the loop accepts: the setpoint shows at once,
        // or on a loaded machine within a poll or two.
        Assert.Equal(1.15, ReadUntil(Setpoint, value => value.GetDouble() == 1.15).GetDouble());
    }

    [Fact]
    public void WriteGain_AsOperatorRefused_AsEngineerRetunesTheLoopAndReadsBack()
    {
        fixture.WaitReady();
        const string Gain = "ns=2;s=Loops/tank-controller/Kc";
        var before = ReadUntil(Gain, _ => true).GetDouble();
        var retuned = before * 1.25;
        string[] write = ["write", Url, Gain, "Double", retuned.ToString("R", System.Globalization.CultureInfo.InvariantCulture)];
        using (var operatorWrite = NodeOpcua.Run("client.mjs", ScriptTimeout, [.. write, .. Operator]))
        {
            Assert.Equal("BadUserAccessDenied", operatorWrite.RootElement.GetProperty("status").GetString());
        }

        Assert.Equal("Good", WriteAsEngineer(write));
        Assert.Equal(retuned, ReadUntil(Gain, value => value.GetDouble() == retuned).GetDouble());

        // A gain of 0 is no controller: the loop refuses it, and the gateway answers a Write's BadOutOfRange.
        Assert.Equal("BadOutOfRange", WriteAsEngineer(["write", Url, Gain, "Double", "0"]));
        Assert.Equal("Good", WriteAsEngineer(["write", Url, Gain, "Double", before.ToString("R", System.Globalization.CultureInfo.InvariantCulture)]));
    }

    /// <summary>A write as the engineer; BadTimeout (the loop restarting on a loaded VM) is written again, twice at most, as an HMI would.</summary>
    private static string WriteAsEngineer(string[] write)
    {
        var status = "";
        for (var attempt = 0; attempt < 3 && status is "" or "BadTimeout"; attempt++)
        {
            using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, [.. write, .. Engineer]);
            status = result.RootElement.GetProperty("status").GetString()!;
        }

        return status;
    }

    [Fact]
    public void SetLoopMode_AsViewerRefused_AsOperatorManualThenAuto()
    {
        fixture.WaitReady();
        string[] call = ["call", Url, "ns=2;s=Loops", "ns=2;s=Loops.SetLoopMode", "String:tank-controller"];
        using (var viewer = NodeOpcua.Run("client.mjs", ScriptTimeout, [.. call, "String:Manual"]))
        {
            Assert.Equal("BadUserAccessDenied", viewer.RootElement.GetProperty("status").GetString());
        }

        foreach (string mode in ManualThenAuto)
        {
            using var operatorCall = NodeOpcua.Run("client.mjs", ScriptTimeout, [.. call, "String:" + mode, .. Operator]);
            Assert.Equal("Good", operatorCall.RootElement.GetProperty("status").GetString());
            Assert.Equal(mode, ReadUntil(Mode, value => value.GetString() == mode).GetString());
        }
    }

    [Fact]
    public void Subscribe_TankPoints_ChangesDeliveredWithNoGap()
    {
        fixture.WaitReady();
        using var result = NodeOpcua.Run("client.mjs", ScriptTimeout, "subscribe", Url, "--nodes", "ns=2;s=Regions/tank.inputs/level,ns=2;s=Regions/tank.outputs/pv", "--interval-ms", "100", "--seconds", "3");
        var root = result.RootElement;
        string summary = root.ToString();

        Assert.Equal(2, root.GetProperty("items").GetInt32());
        Assert.True(root.GetProperty("itemsWithoutChange").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("sequenceGaps").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("badValues").GetInt32() == 0, summary);
    }

    /// <summary>Reads <paramref name="nodeId"/> until its value satisfies <paramref name="done"/> (at most ten seconds); the last value read.</summary>
    private static JsonElement ReadUntil(string nodeId, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            using var read = NodeOpcua.Run("client.mjs", ScriptTimeout, "read", Url, nodeId);
            var result = read.RootElement.GetProperty("results")[0];
            Assert.Contains(result.GetProperty("status").GetString(), ServiceStatuses);
            var value = result.GetProperty("value").Clone();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            Thread.Sleep(250);
        }
    }

    /// <summary>The tank demo under `neokernel run` for the class, stopped at the end.</summary>
    public sealed class DemoFixture : IDisposable
    {
        private readonly RunningSystem system = RunningSystem.Start("tank-demo.yaml", "300s");

        /// <summary>Waits until the gateway answers (its process is up and listening).</summary>
        public void WaitReady() => system.WaitReady();

        public void Dispose() => system.Dispose();
    }
}
