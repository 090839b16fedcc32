using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Platform;

namespace Neokernel.Kernel.Services;

/// <summary>What the kernel hands a host to start one incarnation of a service.</summary>
public sealed record ServiceLaunch(ServiceRuntime Service, int Incarnation, CapabilitySpace Capabilities, DeterministicRandom Random);

/// <summary>
/// One incarnation of a service, wherever it runs: in the kernel's process (a program instance
/// and its context) or in an OS process of its own (a child that holds its capabilities as file
/// descriptors). The kernel revokes the capability space itself; the instance releases what it
/// built on it.
/// </summary>
public interface IServiceInstance
{
    CyclicStatistics? Statistics { get; }

    /// <summary>How long after start the first heartbeat may take: a child process needs time to come up.</summary>
    long StartupGraceNs { get; }

    /// <summary>Runs the service's own start. Throws when it cannot start; the kernel faults the service.</summary>
    void Start();

    /// <summary>Asks the service to stop (its own Stop), then releases what it holds.</summary>
    void Stop();

    /// <summary>Releases what the instance holds without asking the service: after a fault or a crash.</summary>
    void Teardown();
}

/// <summary>Where service instances run. Hosts are chosen per service by the composer of the system.</summary>
public interface IServiceHost
{
    /// <summary>Prepares an instance without running any of the service's code.</summary>
    IServiceInstance Create(ServiceLaunch launch);
}

/// <summary>Runs every service in the kernel's own process: the simulation, and services that are not isolated.</summary>
internal sealed class InProcessServiceHost(SystemKernel kernel) : IServiceHost
{
    public IServiceInstance Create(ServiceLaunch launch)
    {
        var descriptor = kernel.Catalog.Find(launch.Service.Spec.Program.Type)
            ?? throw new InvalidOperationException($"program type '{launch.Service.Spec.Program.Type}' is not built in; neokernel programs lists them");
        var context = new ServiceContext(kernel, launch.Service, launch.Capabilities, launch.Random);
        return new Instance(descriptor.Create(), context);
    }

    private sealed class Instance(IService service, ServiceContext context) : IServiceInstance
    {
        public CyclicStatistics? Statistics => context.CyclicStatistics;

        public long StartupGraceNs => 0;

        public void Start()
        {
            service.Start(context);
            context.StartLoopHeartbeat();
        }

        public void Stop()
        {
            try
            {
                service.Stop();
            }
            finally
            {
                context.Teardown();
            }
        }

        public void Teardown() => context.Teardown();
    }
}
