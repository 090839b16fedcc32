using Neokernel.Kernel;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;
using Neokernel.Rt.Simulation;
using Neokernel.Testing;

namespace Neokernel.Cli.Tests;

/// <summary>What the kernel sends each of the demo's service hosts survives the wire, and is enough to run the service.</summary>
public sealed class HostedDemoSpecTests
{
    [Fact]
    public void HostSpec_OfEveryDemoService_RoundTrips_AndTheLoopStartsFromIt()
    {
        var catalog = Composition.Catalog();
        var system = Composition.LoadSystem(Repository.TankDemo, catalog, TextWriter.Null)!;
        var recorder = new LaunchRecorder();
        var platform = new SimulationPlatform(1, Composition.Devices());
        var kernel = new SystemKernel(system, catalog, platform, hostSelector: _ => recorder);
        kernel.Boot();
        var specs = recorder.Launches.ToDictionary(l => l.Service.Id, l => l.HostSpec());
        kernel.Shutdown();

        Assert.Equal(system.Services.Select(s => s.Spec.Id).Order(StringComparer.Ordinal), recorder.Launches.Select(l => l.Service.Id).Order(StringComparer.Ordinal));
        foreach (var launch in recorder.Launches)
        {
            var bytes = HostedServiceSpecCodec.Encode(specs[launch.Service.Id]);
            var decoded = HostedServiceSpecCodec.Decode(bytes);
            Assert.Equal(bytes, HostedServiceSpecCodec.Encode(decoded));
            Assert.Equal(launch.Service.Spec.Program.Parameters.All.Count, decoded.Service.Program.Parameters.All.Count);
        }

        var controller = HostedServiceSpecCodec.Decode(HostedServiceSpecCodec.Encode(specs["tank-controller"]));
        var hostPlatform = new SimulationPlatform(1, Composition.Devices());
        var host = SingleServiceKernel.Start(controller, catalog, hostPlatform, incarnation: 1);
        hostPlatform.RunUntil(500_000_000);
        Assert.True(host.IsRunning, host.LastFault);
        Assert.True(host.Statistics!.Value.Cycles > 10);
        host.Stop();
    }
}
