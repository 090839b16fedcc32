using Neokernel.Kernel.Manifests;
using Neokernel.Rt.Linux.Sandbox;

namespace Neokernel.Rt.Tests.Sandbox;

/// <summary>What each service's process is allowed, decided from its manifest and the machine; the warnings where the machine lacks a layer; the user.</summary>
public sealed class SandboxPolicyTests
{
    private static readonly SandboxFeatures Everything = new(LandlockAbi: 7, Seccomp: true, Root: true);
    private static readonly SandboxUser Nobody = new("nobody", 65534, 65534);

    [Fact]
    public void For_RealtimeTiming_KeepsTheRealtimeCapabilities_OnlyWithRealTimeOn()
    {
        var rt = Spec(new TimingManifest { Class = "rt-fifo", Priority = 50, PeriodUs = 1000 });
        var bestEffort = Spec(new TimingManifest { Class = "best-effort", Priority = 0, PeriodUs = 1000 });

        Assert.True(SandboxPolicy.For(rt, realTime: true, Nobody, Everything, []).RealtimeCapabilities);
        Assert.False(SandboxPolicy.For(rt, realTime: false, Nobody, Everything, []).RealtimeCapabilities);
        Assert.False(SandboxPolicy.For(bestEffort, realTime: true, Nobody, Everything, []).RealtimeCapabilities);
        Assert.Equal("none", SandboxPolicy.For(bestEffort, realTime: true, Nobody, Everything, []).CapabilitiesText);
    }

    [Fact]
    public void For_ATcpListener_AllowsAccept_AndNothingElseDoes()
    {
        var listener = Spec(devices: [new DeviceManifest { Name = "server", Uri = "tcp-listen://127.0.0.1:5020", Access = "read-write" }]);
        var client = Spec(devices: [new DeviceManifest { Name = "peer", Uri = "tcp://127.0.0.1:5020", Access = "read-write" }]);

        Assert.True(SandboxPolicy.For(listener, true, Nobody, Everything, []).AcceptsConnections);
        Assert.False(SandboxPolicy.For(client, true, Nobody, Everything, []).AcceptsConnections);
    }

    [Fact]
    public void For_WithoutRoot_KeepsTheUser_NoNamespace_NoCapabilities()
    {
        var rt = Spec(new TimingManifest { Class = "rt-fifo", Priority = 50, PeriodUs = 1000 });

        var policy = SandboxPolicy.For(rt, true, Nobody, Everything with { Root = false }, []);

        Assert.Null(policy.User);
        Assert.False(policy.OwnNetwork);
        Assert.False(policy.RealtimeCapabilities);
        Assert.True(policy.Seccomp);
    }

    [Fact]
    public void EncodeForChild_RoundTrips_TheChildsHalf()
    {
        var policy = new SandboxPolicy(Nobody, true, false, true, 7, true, ["/usr/lib"]);

        var decoded = SandboxPolicy.DecodeForChild(policy.EncodeForChild());

        Assert.Equal("user=65534:65534;realtime=1;accept=0;seccomp=1;retain=0", policy.EncodeForChild());
        Assert.Equal((65534u, 65534u, true, false, true), (decoded.User!.UserId, decoded.User.GroupId, decoded.RealtimeCapabilities, decoded.AcceptsConnections, decoded.Seccomp));
        Assert.Null(SandboxPolicy.DecodeForChild("user=-;realtime=0;accept=0;seccomp=0").User);
    }

    [Theory]
    [InlineData("user=65534:65534;realtime=1;accept=0")]
    [InlineData("user=65534:65534;realtime=yes;accept=0;seccomp=1")]
    [InlineData("user=0:0;realtime=0;accept=0;seccomp=1")]
    [InlineData("garbage")]
    public void DecodeForChild_AnythingElse_IsRefused(string text) =>
        Assert.ThrowsAny<Exception>(() => SandboxPolicy.DecodeForChild(text));

    [Fact]
    public void Missing_EachAbsentLayer_GivesOneWarning_AndRunOnlyWarnsWithIsolatedServices()
    {
        var bare = new SandboxFeatures(LandlockAbi: 0, Seccomp: false, Root: false);
        var settings = SandboxSettings.Create(Nobody, bare, "/bin/true", [], []);
        using var error = new StringWriter();

        settings.WarnAboutMissing(error, isolatedServices: 0);
        Assert.Equal("", error.ToString());
        settings.WarnAboutMissing(error, isolatedServices: 2);

        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.Contains("no seccomp filters", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("no Landlock", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("does not run as root", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.EndsWith("running on without it", l, StringComparison.Ordinal));
        Assert.Empty(Everything.Missing());
    }

    [Fact]
    public void Resolve_AnAccountOrIds_NeverRoot()
    {
        var passwd = Path.GetTempFileName();
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nplc:x:1001:1002::/home/plc:/bin/sh\n");
        try
        {
            Assert.Equal(new SandboxUser("plc", 1001, 1002), SandboxUser.Resolve("plc", passwd));
            Assert.Equal(new SandboxUser("2000:2001", 2000, 2001), SandboxUser.Resolve("2000:2001", passwd));
            Assert.Contains("is root", Assert.Throws<ArgumentException>(() => SandboxUser.Resolve("root", passwd)).Message, StringComparison.Ordinal);
            Assert.Contains("is root", Assert.Throws<ArgumentException>(() => SandboxUser.Resolve("0:5", passwd)).Message, StringComparison.Ordinal);
            Assert.Contains("no such account", Assert.Throws<ArgumentException>(() => SandboxUser.Resolve("ghost", passwd)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(passwd);
        }
    }

    [Fact]
    public void Create_ReadPaths_HoldTheProgramTheDataAndTheRuntime_NothingWritable()
    {
        var settings = SandboxSettings.Create(Nobody, Everything, "/bin/true", [], ["relative.yaml"]);

        Assert.Contains(Path.GetFullPath("relative.yaml"), settings.ReadPaths);
        Assert.Contains(AppContext.BaseDirectory.TrimEnd('/'), settings.ReadPaths);
        Assert.Contains("/proc", settings.ReadPaths);
        Assert.DoesNotContain("/etc", settings.ReadPaths);
        Assert.DoesNotContain("/tmp", settings.ReadPaths);
        Assert.DoesNotContain("/", settings.ReadPaths);
    }

    private static ServiceSpec Spec(TimingManifest? timing = null, List<DeviceManifest>? devices = null) => SpecBuilder.Service(
        new ServiceManifest { Id = "svc", Kind = "driver", Timing = timing, Devices = devices ?? [] },
        catalog: null);
}
