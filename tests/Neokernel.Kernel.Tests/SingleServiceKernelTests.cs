using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class SingleServiceKernelTests
{
    private const long Ms = 1_000_000;

    /// <summary>
    /// "hosted" reads w's region, calls w's endpoint, serves its own to client c, and names an
    /// endpoint it has no route to. The kernel runs w; hosted's launch is what a child would get.
    /// </summary>
    private static HostedServiceSpec LaunchedSpec()
    {
        var system = new TestSystem();
        var writer = system.Add("w", "test.w");
        writer.Regions.Add(TestSystem.Writes("r", "x", "y"));
        writer.Endpoints.Provides.Add(new() { Name = "w.api", MaxMessageBytes = 64, QueueDepth = 4 });
        var hosted = system.Add("hosted", "test.hosted", periodUs: 20_000);
        hosted.Regions.Add(TestSystem.Reads("r"));
        hosted.Regions.Add(TestSystem.Writes("hosted.out", "y"));
        hosted.Endpoints.Provides.Add(new() { Name = "hosted.cmd", MaxMessageBytes = 32, QueueDepth = 2 });
        hosted.Endpoints.Uses.AddRange(["w.api", "nobody.routes.this"]);
        system.Add("c", "test.w", periodUs: 0);
        system.Route("c", "hosted.cmd");
        system.Route("hosted", "w.api");
        system.Catalog.Program("test.w", () => new DelegateService(_ => { }));
        var recorder = new LaunchRecorder();
        var platform = new SimulationPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform, hostSelector: s => s.Id == "hosted" ? recorder : null);
        kernel.Boot();
        var spec = Assert.Single(recorder.Launches).HostSpec();
        kernel.Shutdown();
        return HostedServiceSpecCodec.Decode(HostedServiceSpecCodec.Encode(spec));
    }

    [Fact]
    public void HostSpec_DescribesExactlyTheGrantedObjects()
    {
        var spec = LaunchedSpec();

        var read = Assert.Single(spec.Regions, r => r.Name == "r");
        Assert.Equal("w", read.Writer);
        Assert.Equal(["x", "y"], read.Points.ToArray());
        Assert.Equal(10_000, read.WriterPeriodUs);
        Assert.Equal("hosted", Assert.Single(spec.Regions, r => r.Name == "hosted.out").Writer);
        Assert.Equal(["c"], Assert.Single(spec.Endpoints, e => e.Name == "hosted.cmd").Clients.ToArray());
        Assert.Equal(["hosted"], Assert.Single(spec.Endpoints, e => e.Name == "w.api").Clients.ToArray());
        Assert.DoesNotContain(spec.Endpoints, e => e.Name == "nobody.routes.this");
        Assert.Equal(2, spec.Endpoints.Length);
        Assert.Equal("w.api", Assert.Single(spec.Routes).Endpoint);
    }

    [Fact]
    public void Start_OpensWhatTheSpecGrants_DeniesTheRest_AndRunsTheCycle()
    {
        var spec = LaunchedSpec();
        var catalog = new ProgramCatalog();
        var denials = new List<string>();
        var cycles = 0;
        catalog.Program("test.hosted", () => new DelegateService(context =>
        {
            context.OpenRegionReader("r");
            context.OpenRegionWriter("hosted.out");
            context.OpenEndpointClient("w.api");
            context.ServeEndpoint("hosted.cmd", new NoMessages());
            Deny(denials, () => context.OpenRegionWriter("r"));
            Deny(denials, () => context.OpenEndpointClient("nobody.routes.this"));
            Deny(denials, () => context.OpenRegionReader("a.region.elsewhere"));
        }, _ => cycles++));
        var platform = new SimulationPlatform(1, new NoDevices());

        var host = SingleServiceKernel.Start(spec, catalog, platform, incarnation: 3);
        platform.RunUntil(200 * Ms);

        Assert.True(host.IsRunning, host.LastFault);
        Assert.True(host.HasCyclicTask);
        Assert.Equal(["r", "nobody.routes.this", "a.region.elsewhere"], denials);
        Assert.InRange(cycles, 5, 11);
        Assert.Equal(cycles, host.Statistics!.Value.Cycles);
        host.Stop();
        Assert.Equal(ServiceState.Stopped, host.State);
        Assert.False(host.HasFaulted);
    }

    [Fact]
    public void Start_OfAFaultingService_ReportsTheFaultOnce_AndNeverRestarts()
    {
        var spec = LaunchedSpec();
        var starts = 0;
        var catalog = new ProgramCatalog();
        catalog.Program("test.hosted", () => new DelegateService(_ => starts++, _ => throw new InvalidOperationException("sensor gone")));
        var platform = new SimulationPlatform(1, new NoDevices());

        var host = SingleServiceKernel.Start(spec, catalog, platform, incarnation: 1);
        platform.RunUntil(5_000 * Ms);

        Assert.True(host.HasFaulted);
        Assert.Contains("sensor gone", host.LastFault, StringComparison.Ordinal);
        Assert.Equal(1, starts);
        Assert.Empty(host.Trace.Events(Trace.TraceEventKind.Restart));
        Assert.Equal(ServiceState.Failed, host.State);
    }

    [Fact]
    public void Start_OfAServiceThatCompletes_EndsStopped_WithItsReason()
    {
        var spec = LaunchedSpec();
        var catalog = new ProgramCatalog();
        catalog.Program("test.hosted", () => new DelegateService(context => context.Complete("script done")));
        var platform = new SimulationPlatform(1, new NoDevices());

        var host = SingleServiceKernel.Start(spec, catalog, platform, incarnation: 1);
        platform.RunUntil(1_000 * Ms);

        Assert.Equal(ServiceState.Stopped, host.State);
        Assert.False(host.HasFaulted);
        Assert.Equal("script done", host.LastCompletion);
    }

    [Fact]
    public void Start_OfAnUnknownProgram_Faults_NamingIt()
    {
        var platform = new SimulationPlatform(1, new NoDevices());

        var host = SingleServiceKernel.Start(LaunchedSpec(), new ProgramCatalog(), platform, incarnation: 1);

        Assert.True(host.HasFaulted);
        Assert.Contains("test.hosted", host.LastFault, StringComparison.Ordinal);
    }

    private static void Deny(List<string> denials, Action open)
    {
        var denied = Assert.Throws<CapabilityDeniedException>(open);
        denials.Add(denied.ObjectName);
    }

    private sealed class NoMessages : Ipc.IMessageHandler
    {
        public void OnMessage(Ipc.EndpointServer server, in Ipc.EndpointMessage message)
        {
        }
    }
}
