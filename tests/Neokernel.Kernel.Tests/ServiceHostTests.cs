using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Testing;

namespace Neokernel.Kernel.Tests;

public sealed class ServiceHostTests
{
    private const long Ms = 1_000_000;

    /// <summary>A host that starts nothing: it records what the kernel handed it and fails when told to.</summary>
    private sealed class RecordingHost(Func<int, bool> failStart) : IServiceHost
    {
        public List<ServiceLaunch> Launches { get; } = [];

        public int Teardowns { get; private set; }

        public IServiceInstance Create(ServiceLaunch launch)
        {
            Launches.Add(launch);
            return new Instance(this, failStart(launch.Incarnation));
        }

        private sealed class Instance(RecordingHost host, bool fail) : IServiceInstance
        {
            public CyclicStatistics? Statistics => null;

            public long StartupGraceNs => 0;

            public void Start()
            {
                if (fail)
                {
                    throw new InvalidOperationException("child process exited with code 3");
                }
            }

            public void Stop() => host.Teardowns++;

            public void Teardown() => host.Teardowns++;
        }
    }

    [Fact]
    public void Host_ChosenPerService_GetsAFreshCapabilitySpaceForEachIncarnation()
    {
        var system = new TestSystem();
        var isolated = system.Add("isolated", "test.none", periodUs: 0);
        isolated.Regions.Add(TestSystem.Writes("r", "x"));
        system.Add("local", "test.local", periodUs: 0).Regions.Add(TestSystem.Reads("r"));
        var localStarts = 0;
        system.Catalog.Program("test.local", () => new DelegateService(_ => localStarts++));
        var host = new RecordingHost(incarnation => incarnation == 1);
        var platform = new Rt.Simulation.SimulationPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform, hostSelector: s => s.Id == "isolated" ? host : null);
        kernel.Boot();
        platform.RunUntil(1_000 * Ms);

        Assert.Equal(1, localStarts);
        Assert.Equal(2, host.Launches.Count);
        Assert.Equal([1, 2], host.Launches.Select(l => l.Incarnation));
        Assert.False(host.Launches[0].Capabilities.Find(CapabilityKind.Region, "r")!.IsValid);
        Assert.True(host.Launches[1].Capabilities.Find(CapabilityKind.Region, "r")!.Allows(Rights.Write));
        var service = kernel.Service("isolated");
        Assert.Equal(ServiceState.Running, service.State);
        Assert.Contains("child process exited with code 3", service.LastFault, StringComparison.Ordinal);
        kernel.Shutdown();
        Assert.Equal(2, host.Teardowns);
    }

    [Fact]
    public void ServiceLaunch_ViewsOfItsOwnGrants_ResolveRegionMemoryAndDeviceUri_AndRefuseOthers()
    {
        const string uri = "tcp://127.0.0.1:1502";
        var system = new TestSystem();
        var isolated = system.Add("isolated", "test.none", periodUs: 0);
        isolated.Regions.Add(TestSystem.Writes("r", "x", "y"));
        isolated.Devices.Add(new DeviceManifest { Name = "plc", Uri = uri, Access = "read" });
        var host = new RecordingHost(incarnation => incarnation == 1);
        var platform = new Rt.Simulation.SimulationPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform, hostSelector: _ => host);
        kernel.Boot();
        platform.RunUntil(1_000 * Ms);

        Assert.Equal(2, host.Launches.Count);
        var (first, second) = (host.Launches[0], host.Launches[1]);
        var region = second.Capabilities.Find(CapabilityKind.Region, "r")!;
        var device = second.Capabilities.Find(CapabilityKind.Device, "plc")!;
        Assert.Equal(Regions.Region.BytesFor(2), second.RegionMemoryOf(region).Length);
        Assert.Same(first.RegionMemoryOf(first.Capabilities.Find(CapabilityKind.Region, "r")!), second.RegionMemoryOf(region));
        Assert.Equal(uri, second.DeviceUriOf(device));
        Assert.True(second.HoldsDevice(uri));
        Assert.False(second.HoldsDevice("tcp://127.0.0.1:1503"));
        Assert.False(first.HoldsDevice(uri));

        var foreign = Assert.Throws<ArgumentException>(() => second.RegionMemoryOf(first.Capabilities.Find(CapabilityKind.Region, "r")!));
        Assert.Contains("not one of incarnation 2 of 'isolated'", foreign.Message, StringComparison.Ordinal);
        var wrongKind = Assert.Throws<ArgumentException>(() => second.RegionMemoryOf(device));
        Assert.Contains("is not a region capability", wrongKind.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => second.DeviceUriOf(region));
        kernel.Shutdown();
    }

    [Fact]
    public void HostedService_EventsOfAReplacedIncarnation_AreIgnored_CurrentOnesAreSupervised()
    {
        var system = new TestSystem();
        var isolated = system.Add("isolated", "test.none", periodUs: 0);
        isolated.Restart.BackoffInitialMs = 10;
        isolated.Restart.Policy = "transient";
        var host = new RecordingHost(_ => false);
        var platform = new Rt.Simulation.SimulationPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform, hostSelector: _ => host);
        kernel.Boot();
        var service = kernel.Service("isolated");
        Assert.Equal(1, host.Launches[0].Service.Incarnation);

        host.Launches[0].Service.Fault("child was killed");
        platform.RunUntil(platform.NowNs + (200 * Ms));
        Assert.Equal(2, host.Launches.Count);
        Assert.Equal(1, service.Faults);
        Assert.Equal("child was killed", service.LastFault);

        host.Launches[0].Service.Fault("late word from the dead child");
        host.Launches[0].Service.Complete("late completion");
        Assert.Equal(1, service.Faults);
        Assert.Equal(ServiceState.Running, service.State);

        var denials = kernel.Trace.Events(Trace.TraceEventKind.CapabilityDeny).Count;
        host.Launches[1].Service.RecordDenialsElsewhere(3);
        Assert.Equal(denials + 1, kernel.Trace.Events(Trace.TraceEventKind.CapabilityDeny).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => host.Launches[1].Service.RecordDenialsElsewhere(0));

        host.Launches[1].Service.Complete("done");
        Assert.Equal(ServiceState.Stopped, service.State);
        Assert.Equal("done", service.LastCompletion);
        kernel.Shutdown();
    }

    [Fact]
    public void ReportFault_DuringStart_IsSupervisedLikeAnyFault()
    {
        var system = new TestSystem();
        system.Add("early", "test.early", periodUs: 0).Restart.Policy = "temporary";
        system.Catalog.Program("test.early", () => new DelegateService(c => c.ReportFault("calibration missing")));
        var (kernel, _) = system.Boot();
        var service = kernel.Service("early");
        Assert.Equal(ServiceState.Failed, service.State);
        Assert.Equal("reported: calibration missing", service.LastFault);
    }
}

/// <summary>A body that overruns its deadline trips the watchdog after N overruns, and the supervisor acts.</summary>
[Collection(Testing.SerialCollection.Name)]
public sealed class WatchdogTests
{
    [Fact]
    public void Watchdog_ConsecutiveOverruns_FaultTheService_SupervisorRestartsIt()
    {
        var system = new TestSystem();
        var slow = system.Add("slow", "test.slow", periodUs: 5_000);
        slow.Timing!.DeadlineUs = 1_000;
        slow.Timing.OverrunPolicy = "fault";
        slow.Timing.OverrunsMax = 3;
        slow.Restart.BackoffInitialMs = 10;
        system.Catalog.Program("test.slow", () => new DelegateService(_ => { }, _ => Thread.Sleep(3)));
        var platform = new Rt.Linux.PacedPlatform(1, new NoDevices());
        var kernel = new SystemKernel(system.Definition(), system.Catalog, platform);
        kernel.Boot();
        platform.RunUntil(platform.NowNs + 200_000_000);
        var service = kernel.Service("slow");
        Assert.True(service.Restarts >= 1, $"restarts {service.Restarts}, state {service.State}, last fault {service.LastFault}");
        Assert.Contains("watchdog: 3 consecutive overruns", service.LastFault, StringComparison.Ordinal);
        Assert.NotEmpty(kernel.Trace.Events(Trace.TraceEventKind.Watchdog));
        kernel.Shutdown();
    }
}
