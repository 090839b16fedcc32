using System.Buffers.Binary;
using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Regions;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class SystemKernelTests
{
    private const long Ms = 1_000_000;

    /// <summary>sensor writes "io", controller reads it and writes "out", actuator reads "out".</summary>
    private static TestSystem Loop(Action<CycleInfoCounter>? onSensorCycle = null)
    {
        var system = new TestSystem();
        var sensor = system.Add("sensor", "test.sensor");
        sensor.Regions.Add(TestSystem.Writes("io", "level"));
        var controller = system.Add("controller", "test.controller");
        controller.Kind = "controller";
        controller.Regions.Add(TestSystem.Reads("io"));
        controller.Regions.Add(TestSystem.Writes("out", "pump"));
        controller.SafeState = new SafeStateManifest { Outputs = [new SafeValueManifest { Region = "out", Point = "pump", Value = -1 }] };
        var actuator = system.Add("actuator", "test.actuator");
        actuator.Regions.Add(TestSystem.Reads("out"));
        var counter = new CycleInfoCounter();
        system.Catalog.Program("test.sensor", () =>
        {
            RegionWriter? writer = null;
            return new DelegateService(c => writer = c.OpenRegionWriter("io"), info =>
            {
                counter.Cycles++;
                onSensorCycle?.Invoke(counter);
                writer!.Set(0, info.CycleIndex, Quality.Good, info.ReleaseNs);
                writer.Publish();
            });
        });
        system.Catalog.Program("test.controller", () =>
        {
            RegionReader? reader = null;
            RegionWriter? writer = null;
            RegionSnapshot? snapshot = null;
            return new DelegateService(
                c =>
                {
                    reader = c.OpenRegionReader("io");
                    writer = c.OpenRegionWriter("out");
                    snapshot = reader.CreateSnapshot();
                },
                info =>
                {
                    reader!.TryRead(snapshot!);
                    writer!.Set(0, snapshot!.Value(0) * 2, snapshot.Quality(0), info.ReleaseNs);
                    writer.Publish();
                });
        });
        system.Catalog.Program("test.actuator", () => new DelegateService(c => c.OpenRegionReader("out"), _ => { }));
        return system;
    }

    /// <summary>The loop, its sensor throwing in its fifth cycle (released at 50 ms).</summary>
    private static TestSystem SensorGlitchesAtCycle5() => Loop(counter =>
    {
        if (counter.Cycles == 5)
        {
            throw new InvalidOperationException("sensor glitch");
        }
    });

    internal sealed class CycleInfoCounter
    {
        public long Cycles { get; set; }
    }

    [Fact]
    public void Boot_StartsDependenciesFirst_AndStopsInReverse()
    {
        var system = Loop();
        var (kernel, platform) = system.Boot();
        Assert.Equal(["sensor", "controller", "actuator"], kernel.BootOrder.Select(s => s.Id));
        platform.RunUntil(100 * Ms);
        Assert.All(kernel.Services, s => Assert.Equal(ServiceState.Running, s.State));
        kernel.Shutdown();
        Assert.All(kernel.Services, s => Assert.Equal(ServiceState.Stopped, s.State));
        var stops = kernel.Trace.Events(TraceEventKind.ServiceState)
            .Where(e => e.Arg1 == (long)ServiceState.Stopping)
            .Select(e => kernel.Trace.NameOf(e.Subject));
        Assert.Equal(["actuator", "controller", "sensor"], stops);
    }

    [Fact]
    public void Loop_DataFlowsThroughRegions()
    {
        var (kernel, platform) = Loop().Boot();
        platform.RunUntil(200 * Ms);
        var outRegion = kernel.FindRegion("out")!;
        Assert.True(outRegion.Sequence > 10);
        var io = kernel.FindRegion("io")!;
        Assert.Equal("sensor", io.Writer);
    }

    [Fact]
    public void OpenRegionWriter_WithoutWriteGrant_IsDeniedAndTraced()
    {
        var system = new TestSystem();
        system.Add("writer", "test.writer").Regions.Add(TestSystem.Writes("r", "x"));
        system.Add("intruder", "test.intruder").Regions.Add(TestSystem.Reads("r"));
        system.Catalog.Program("test.writer", () => new DelegateService(c => c.OpenRegionWriter("r")));
        Exception? denied = null;
        system.Catalog.Program("test.intruder", () => new DelegateService(c =>
        {
            denied = Record.Exception(() => c.OpenRegionWriter("r"));
            Assert.Throws<CapabilityDeniedException>(() => c.OpenRegionReader("secret"));
        }));
        var (kernel, _) = system.Boot();
        var error = Assert.IsType<CapabilityDeniedException>(denied);
        Assert.Contains("intruder", error.Message, StringComparison.Ordinal);
        Assert.Contains("holds Read but asked for Write", error.Message, StringComparison.Ordinal);
        var denials = kernel.Trace.Events(TraceEventKind.CapabilityDeny).Select(e => kernel.Trace.NameOf(e.Object)).ToList();
        Assert.Contains("r", denials);
        Assert.Contains("secret", denials);
    }

    [Fact]
    public void Endpoint_UnroutedUse_IsNotGranted()
    {
        var system = new TestSystem();
        system.Add("server", "test.server").Endpoints.Provides.Add(new ProvidedEndpointManifest { Name = "cmd" });
        system.Add("client", "test.client").Endpoints.Uses.Add("cmd");
        system.Catalog.Program("test.server", () => new DelegateService(c => c.ServeEndpoint("cmd", new EchoHandler())));
        system.Catalog.Program("test.client", () => new DelegateService(c => c.OpenEndpointClient("cmd")));
        var (kernel, _) = system.Boot();
        var client = kernel.Service("client");
        Assert.Equal(ServiceState.Restarting, client.State);
        Assert.Contains("denied endpoint 'cmd'", client.LastFault, StringComparison.Ordinal);
    }

    /// <summary>
    /// Guards the promise that an endpoint capability goes only to a routed client: the grant
    /// itself is refused (and traced as a deny), not only the open that a second check in the
    /// service context also refuses.
    /// </summary>
    [Fact]
    public void GrantCapabilities_UnroutedClient_HoldsNoEndpointCapability_AndTheDenyIsTraced()
    {
        var system = new TestSystem();
        system.Add("server", "test.server").Endpoints.Provides.Add(new ProvidedEndpointManifest { Name = "cmd" });
        system.Add("client", "test.client").Endpoints.Uses.Add("cmd");
        system.Catalog.Program("test.server", () => new DelegateService(c => c.ServeEndpoint("cmd", new EchoHandler())));
        system.Catalog.Program("test.client", () => new DelegateService(_ => { }));
        var (kernel, _) = system.Boot();
        var client = kernel.Service("client");

        Assert.Equal(ServiceState.Running, client.State);
        Assert.DoesNotContain((CapabilityKind.Endpoint, "cmd"), client.GrantedCapabilities);
        Assert.DoesNotContain(kernel.GrantCapabilities(client).All, c => c.Kind == CapabilityKind.Endpoint);
        var cmd = kernel.Trace.Intern("cmd");
        var clientId = kernel.Trace.Intern("client");
        Assert.Contains(kernel.Trace.Events(TraceEventKind.CapabilityDeny), e => e.Object == cmd && e.Subject == clientId);
        Assert.DoesNotContain(kernel.Trace.Events(TraceEventKind.CapabilityGrant), e => e.Object == cmd && e.Subject == clientId);
    }

    [Fact]
    public void Endpoint_RequestReply_RoundTripsAndAllocatesNothingInSteadyState()
    {
        var system = new TestSystem();
        system.Add("server", "test.server", periodUs: 0).Endpoints.Provides.Add(new ProvidedEndpointManifest { Name = "cmd", MaxMessageBytes = 16, QueueDepth = 4 });
        var clientManifest = system.Add("client", "test.client", periodUs: 0);
        clientManifest.Endpoints.Uses.Add("cmd");
        system.Route("client", "cmd");
        system.Catalog.Program("test.server", () => new DelegateService(c => c.ServeEndpoint("cmd", new EchoHandler())));
        var replies = new ReplyCounter();
        EndpointClient? client = null;
        system.Catalog.Program("test.client", () => new DelegateService(c => client = c.OpenEndpointClient("cmd", replies)));
        var (kernel, platform) = system.Boot();
        var request = new byte[8];
        for (var i = 0; i < 2000; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(request, i);
            Assert.Equal(SendResult.Accepted, client!.Call(request, out _));
            platform.RunUntil(platform.NowNs + 1000);
        }

        AllocationAssert.NoAllocations(5_000, i =>
        {
            client!.Call(request, out _);
            platform.RunUntil(platform.NowNs + 1000);
        });
        Assert.True(replies.Count >= 12_000);
        Assert.Equal(SendResult.TooLarge, client!.Send(new byte[17]));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(SendResult.Accepted, client.Send(request));
        }

        Assert.Equal(SendResult.QueueFull, client.Send(request));
        Assert.NotEmpty(kernel.Trace.Events(TraceEventKind.IpcReject));
    }

    [Fact]
    public void Fault_RestartsWithBackoff_AndRevokesTheOldInstancesCapabilities()
    {
        var (kernel, platform) = SensorGlitchesAtCycle5().Boot();
        var sensor = kernel.Service("sensor");
        platform.RunUntil(45 * Ms);
        Assert.Equal(ServiceState.Running, sensor.State);
        platform.RunUntil(55 * Ms);
        Assert.Equal(ServiceState.Restarting, sensor.State);
        Assert.Contains("sensor glitch", sensor.LastFault, StringComparison.Ordinal);
        Assert.Equal(Quality.Bad, ReadQuality(kernel, "io"));
        platform.RunUntil(200 * Ms);
        Assert.Equal(ServiceState.Running, sensor.State);
        Assert.Equal(1, sensor.Restarts);
        Assert.Equal(2, sensor.Incarnation);

        // Fault in the cycle released at 50 ms, restart after the 100 ms backoff, first cycle at the next 10 ms boundary.
        Assert.Equal(1, sensor.Recoveries.Count);
        Assert.Equal(110 * Ms, sensor.Recoveries.Sorted()[0]);
        Assert.Equal(Quality.Good, ReadQuality(kernel, "io"));
        Assert.NotEmpty(kernel.Trace.Events(TraceEventKind.CapabilityRevoke));
    }

    /// <summary>
    /// Guards the promise that a region whose writer dies keeps its last values, marked Bad:
    /// a reader sees the last level it was told and that it is no longer vouched for, never a
    /// zero that looks like a measurement.
    /// </summary>
    [Fact]
    public void OnWriterGone_WriterFaults_ValuesAndTimestampsKept_QualityBad()
    {
        var (kernel, platform) = SensorGlitchesAtCycle5().Boot();
        var region = kernel.FindRegion("io")!;
        var before = new RegionSnapshot(region.PointCount);
        platform.RunUntil(45 * Ms);
        Assert.True(region.TryCopy(before.Payload, out _));
        Assert.Equal(Quality.Good, before.Quality(0));
        Assert.True(before.Value(0) > 0, "the sensor should have published a nonzero level before its fault");

        platform.RunUntil(55 * Ms);
        var after = new RegionSnapshot(region.PointCount);
        Assert.True(region.TryCopy(after.Payload, out _));

        Assert.Equal(ServiceState.Restarting, kernel.Service("sensor").State);
        Assert.Equal(Quality.Bad, after.Quality(0));
        Assert.Equal(before.Value(0), after.Value(0));
        Assert.Equal(before.TimestampNs(0), after.TimestampNs(0));
    }

    [Fact]
    public void RestartIntensity_Exhausted_FailsAndDrivesDependentsToSafeState()
    {
        var (kernel, platform) = Loop(counter =>
        {
            if (counter.Cycles % 3 == 0)
            {
                throw new InvalidOperationException("broken sensor");
            }
        }).Boot();
        platform.RunUntil(5_000 * Ms);
        var sensor = kernel.Service("sensor");
        var controller = kernel.Service("controller");
        Assert.Equal(ServiceState.Failed, sensor.State);
        Assert.Equal(3, sensor.Restarts);
        Assert.True(controller.InSafeState);
        Assert.Equal(ServiceState.Stopped, controller.State);
        var outRegion = kernel.FindRegion("out")!;
        var snapshot = new RegionSnapshot(1);
        Assert.True(outRegion.TryCopy(snapshot.Payload, out _));
        Assert.Equal(-1, snapshot.Value(0));
        Assert.Equal(Quality.Good, snapshot.Quality(0));
        Assert.Equal(ServiceState.Running, kernel.Service("actuator").State);
        Assert.Single(kernel.Trace.Events(TraceEventKind.SafeState));
    }

    [Fact]
    public void RestForOne_RestartsTheServicesListedAfterTheFaultedOne()
    {
        var system = Loop(counter =>
        {
            if (counter.Cycles == 5)
            {
                throw new InvalidOperationException("glitch");
            }
        });
        system.Strategy = "rest-for-one";
        var (kernel, platform) = system.Boot();
        platform.RunUntil(500 * Ms);
        Assert.All(kernel.Services, s => Assert.Equal(ServiceState.Running, s.State));
        Assert.Equal(2, kernel.Service("controller").Incarnation);
        Assert.Equal(2, kernel.Service("actuator").Incarnation);
        Assert.Equal(1, kernel.Service("sensor").Restarts);
    }

    [Fact]
    public void Heartbeat_Missed_FaultsTheService()
    {
        var system = new TestSystem();
        var hung = system.Add("hung", "test.hung");
        hung.Restart.Policy = "temporary";
        system.Catalog.Program("test.hung", () => new HungService());
        var (kernel, platform) = system.Boot();
        platform.RunUntil(1_000 * Ms);
        var service = kernel.Service("hung");
        Assert.Equal(ServiceState.Failed, service.State);
        Assert.Contains("missed heartbeat", service.LastFault, StringComparison.Ordinal);
    }

    [Fact]
    public void Heartbeat_KernelLoopStalls_NobodyIsBlamed_AStoppedServiceStillIs()
    {
        // On real time, one service's body stalls the shared event loop for 300 ms (as a process
        // spawn or a hypervisor pause would); the other services' heartbeat checks fire late.
        // That window was not theirs to use: they must not fault. A service that stops cycling
        // while the loop runs is still caught.
        var system = new TestSystem();
        system.Add("victim", "test.victim").Restart.Policy = "temporary";
        system.Add("staller", "test.staller").Restart.Policy = "temporary";
        var hung = system.Add("hung", "test.hung");
        hung.Restart.Policy = "temporary";
        system.Catalog.Program("test.victim", () => new DelegateService(_ => { }, _ => { }));
        system.Catalog.Program("test.staller", () => new DelegateService(_ => { }, info =>
        {
            if (info.CycleIndex == 5)
            {
                Thread.Sleep(300);
            }
        }));
        system.Catalog.Program("test.hung", () => new HungService());
        var (kernel, platform) = system.BootPaced();
        platform.RunUntil(platform.NowNs + 700 * Ms);
        kernel.Shutdown();
        Assert.Null(kernel.Service("victim").LastFault);
        Assert.Equal(0, kernel.Service("victim").Restarts);
        Assert.Contains("missed heartbeat", kernel.Service("hung").LastFault, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulation_SameSeed_SameDigest_DifferentSeed_DifferentDigest()
    {
        static string Run(ulong seed)
        {
            var system = new TestSystem();
            system.Add("noisy", "test.noisy").Regions.Add(TestSystem.Writes("n", "x"));
            system.Catalog.Program("test.noisy", () =>
            {
                RegionWriter? writer = null;
                IServiceContext? context = null;
                return new DelegateService(c => { context = c; writer = c.OpenRegionWriter("n"); }, info =>
                {
                    writer!.Set(0, context!.Random.NextGaussian(), Quality.Good, info.ReleaseNs);
                    writer.Publish();
                });
            });
            var (kernel, platform) = system.Boot(seed);
            platform.RunUntil(1_000 * Ms);
            kernel.Shutdown();
            return kernel.Trace.DigestHex;
        }

        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void Lifecycle_ExportsDotAndMermaid()
    {
        var dot = ServiceLifecycle.ToDotGraph();
        var mermaid = ServiceLifecycle.ToMermaid();
        Assert.Contains("digraph", dot, StringComparison.Ordinal);
        Assert.Contains("Restarting", dot, StringComparison.Ordinal);
        Assert.Contains("stateDiagram", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public void Trace_ExportsJsonLinesAndChromeTrace()
    {
        var (kernel, platform) = Loop().Boot();
        platform.RunUntil(50 * Ms);
        using var text = new StringWriter();
        kernel.Trace.WriteJsonLines(text);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(kernel.Trace.Count, lines.Length);
        Assert.All(lines, l => System.Text.Json.JsonDocument.Parse(l).Dispose());
        using var stream = new MemoryStream();
        kernel.Trace.WriteChromeTrace(stream);
        using var chrome = System.Text.Json.JsonDocument.Parse(stream.ToArray());
        Assert.True(chrome.RootElement.GetProperty("traceEvents").GetArrayLength() > lines.Length);
    }

    [Fact]
    public void Trace_RingIsBounded_DigestCoversEverything()
    {
        var system = Loop();
        var platform = new Rt.Simulation.SimulationPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform, traceCapacity: 64);
        kernel.Boot();
        platform.RunUntil(1_000 * Ms);
        Assert.True(kernel.Trace.Count > 64);
        Assert.Equal(64, kernel.Trace.Snapshot().Count);
    }

    /// <summary>
    /// Guards the promise that the trace digest covers every event ever recorded, not only those
    /// the ring still holds: a run whose 64-event ring wrapped many times has the digest of the same
    /// run with a ring that never wrapped, and an event recorded after the wrap changes it.
    /// </summary>
    [Fact]
    public void Digest_AfterTheRingWraps_StillCoversEveryEvent()
    {
        KernelTrace Run(int traceCapacity)
        {
            var system = Loop();
            var platform = new Rt.Simulation.SimulationPlatform(1, new NoDevices());
            var kernel = new SystemKernel(system.Definition(), system.Catalog, platform, traceCapacity);
            kernel.Boot();
            platform.RunUntil(1_000 * Ms);
            return kernel.Trace;
        }

        var small = Run(64);
        var large = Run(65_536);
        Assert.True(small.Count > 3 * 64, $"the small ring should have wrapped several times: {small.Count} events");
        Assert.True(large.Count < 65_536, "the large ring must not wrap");
        Assert.Equal(large.Count, small.Count);
        Assert.Equal(large.Digest, small.Digest);

        var wrapped = small.Digest;
        small.Record(TraceEventKind.Heartbeat, 0);
        Assert.NotEqual(wrapped, small.Digest);
    }

    private static Quality ReadQuality(SystemKernel kernel, string region)
    {
        var r = kernel.FindRegion(region)!;
        var snapshot = new RegionSnapshot(r.PointCount);
        Assert.True(r.TryCopy(snapshot.Payload, out _));
        return snapshot.Quality(0);
    }

    private sealed class EchoHandler : IMessageHandler
    {
        public void OnMessage(EndpointServer server, in EndpointMessage message)
        {
            if (message.IsRequest)
            {
                server.Reply(message, message.Payload);
            }
        }
    }

    private sealed class ReplyCounter : IReplyHandler
    {
        public int Count { get; private set; }

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply) => Count++;
    }

    /// <summary>Starts a cyclic task whose body never returns in time: modelled as one that stops itself after the first cycle.</summary>
    private sealed class HungService : IService, Platform.ICyclicBody
    {
        private Platform.ICyclicTaskHandle? handle;

        public void Start(IServiceContext context) => handle = context.StartCyclic(this);

        public void Stop()
        {
        }

        public void Execute(in Platform.CycleInfo cycle) => handle?.Stop();
    }
}
