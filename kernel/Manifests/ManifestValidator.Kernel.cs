using System.Globalization;
using Neokernel.Contracts;

namespace Neokernel.Kernel.Manifests;

// The kernel's own endpoints in the system file: kernel.status and kernel.control are provided by
// the kernel, routed like any other endpoint, and a route to kernel.control names the operations
// it grants. Kept apart from the other system checks so that the rules for the kernel's
// endpoints can be read in one place.
public static partial class ManifestValidator
{
    /// <summary>The kernel as the provider of its endpoints, for the checks that look providers up.</summary>
    private static readonly LocatedService KernelProvider = new(
        new ServiceManifest
        {
            Id = KernelEndpoints.Provider,
            Endpoints = new EndpointsManifest
            {
                Provides =
                [
                    new ProvidedEndpointManifest { Name = KernelEndpoints.Status },
                    new ProvidedEndpointManifest { Name = KernelEndpoints.Control },
                ],
            },
        },
        ManifestPositions.None("the kernel"));

    /// <summary>The kernel's endpoints join the providers; a service that provides one was already reported.</summary>
    private static void AddKernelProviders(Dictionary<string, LocatedService> providers)
    {
        providers[KernelEndpoints.Status] = KernelProvider;
        providers[KernelEndpoints.Control] = KernelProvider;
    }

    /// <summary>No service takes the kernel's name or provides an endpoint under its prefix; operations appear on kernel.control's routes, and only there.</summary>
    private static void CheckKernelAcross(DiagnosticSink sink, SystemManifest system, ManifestPositions positions, IReadOnlyList<LocatedService> services)
    {
        foreach (var service in services)
        {
            CheckReservedNames(sink, service);
        }

        for (var i = 0; i < system.Routes.Count; i++)
        {
            CheckOperations(sink, positions, system.Routes[i], $"routes[{i.ToString(CultureInfo.InvariantCulture)}]");
        }
    }

    private static void CheckReservedNames(DiagnosticSink sink, LocatedService service)
    {
        if (service.Manifest.Id == KernelEndpoints.Provider)
        {
            sink.At(service.Positions, "id", $"the service id '{KernelEndpoints.Provider}' is the kernel's own", "any other id");
        }

        var provides = service.Manifest.Endpoints.Provides;
        for (var i = 0; i < provides.Count; i++)
        {
            if (provides[i].Name.StartsWith(KernelEndpoints.ReservedPrefix, StringComparison.Ordinal))
            {
                sink.At(service.Positions, $"endpoints.provides[{i}].name", $"endpoint names beginning with '{KernelEndpoints.ReservedPrefix}' are the kernel's own", $"another name; to use {KernelEndpoints.Status} or {KernelEndpoints.Control}, list it under endpoints.uses and route it");
            }
        }
    }

    private static void CheckOperations(DiagnosticSink sink, ManifestPositions positions, RouteManifest route, string path)
    {
        if (route.Endpoint != KernelEndpoints.Control)
        {
            if (route.Operations.Count > 0)
            {
                sink.At(positions, path + ".operations", $"operations are granted on routes to {KernelEndpoints.Control} only, not to '{route.Endpoint}'", "remove operations: a route grants the whole endpoint");
            }

            return;
        }

        var allowed = ManifestRules.OneOf(ControlOperationNames.All);
        if (route.Operations.Count == 0)
        {
            sink.AtKey(positions, path, $"a route to {KernelEndpoints.Control} must list the operations it grants", $"operations: a list of {allowed}");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < route.Operations.Count; k++)
        {
            var operation = route.Operations[k];
            var at = $"{path}.operations[{k.ToString(CultureInfo.InvariantCulture)}]";
            if (ControlOperationNames.Parse(operation) == ControlRights.None)
            {
                sink.At(positions, at, $"'{operation}' is not a {KernelEndpoints.Control} operation", allowed);
            }
            else if (!seen.Add(operation))
            {
                sink.At(positions, at, $"operation '{operation}' is listed twice", "each operation once");
            }
        }
    }
}
