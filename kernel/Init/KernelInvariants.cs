using Neokernel.Kernel.Services;

namespace Neokernel.Kernel;

/// <summary>
/// What must hold between any two events of a running system. The simulation checks these as it
/// goes and stops at the first violation with the seed that reproduces it.
/// </summary>
public static class KernelInvariants
{
    /// <summary>The violations now, if any; empty when the system is sound.</summary>
    public static IReadOnlyList<string> Check(SystemKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var violations = new List<string>();
        var now = kernel.Platform.Clock.NowNs;
        foreach (var service in kernel.Services)
        {
            var restart = service.Spec.Restart;
            var recent = service.RestartsWithin(now, restart.WithinMs * 1_000_000);
            if (recent > restart.MaxRestarts)
            {
                violations.Add($"service '{service.Id}' restarted {recent} times within {restart.WithinMs} ms; its intensity allows {restart.MaxRestarts}");
            }

            if (service.State is ServiceState.Faulted or ServiceState.Starting or ServiceState.Stopping)
            {
                violations.Add($"service '{service.Id}' is left {service.State} between events; the supervisor must have moved it on");
            }

            CheckCapabilities(kernel, service, violations);
            if (service.State == ServiceState.Restarting && !service.RestartTimer.IsArmed && !kernel.Services.Any(s => s.Order < service.Order && s.State == ServiceState.Restarting))
            {
                violations.Add($"service '{service.Id}' is restarting but no restart is scheduled");
            }
        }

        foreach (var region in kernel.Regions)
        {
            if (kernel.FindService(region.Writer) is null)
            {
                violations.Add($"region '{region.Name}' has writer '{region.Writer}' that is not a service of the system");
            }
        }

        return violations;
    }

    /// <summary>
    /// No escalation: an instance holds only capabilities its spec granted at the first start, and
    /// write on a region only if it is that region's writer.
    /// </summary>
    private static void CheckCapabilities(SystemKernel kernel, ServiceRuntime service, List<string> violations)
    {
        if (service.Space is not { IsRevoked: false } space)
        {
            return;
        }

        foreach (var capability in space.All)
        {
            if (!service.GrantedCapabilities.Contains((capability.Kind, capability.ObjectName)))
            {
                violations.Add($"service '{service.Id}' holds {capability}, which its manifest does not grant");
            }
            else if (capability.Kind == Capabilities.CapabilityKind.Region && (capability.Rights & Capabilities.Rights.Write) != 0
                && kernel.FindRegion(capability.ObjectName) is { } region && region.Writer != service.Id)
            {
                violations.Add($"service '{service.Id}' can write region '{region.Name}', whose writer is '{region.Writer}'");
            }
        }
    }
}
