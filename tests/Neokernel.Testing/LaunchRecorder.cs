using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Testing;

/// <summary>
/// A service host that runs nothing: it keeps each <see cref="ServiceLaunch"/> the kernel hands it,
/// as a process host would just before it spawns the child, so a test can read what the child
/// would be sent (<see cref="ServiceLaunch.HostSpec"/>) while the capabilities are still valid.
/// </summary>
public sealed class LaunchRecorder : IServiceHost
{
    public List<ServiceLaunch> Launches { get; } = [];

    public IServiceInstance Create(ServiceLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        Launches.Add(launch);
        return new Idle();
    }

    private sealed class Idle : IServiceInstance
    {
        public CyclicStatistics? Statistics => null;

        public long StartupGraceNs => 0;

        public void Start()
        {
        }

        public void Stop()
        {
        }

        public void Teardown()
        {
        }
    }
}
