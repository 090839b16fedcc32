using System.Globalization;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Manifests;

public static partial class ManifestValidator
{
    /// <summary>
    /// Checks a whole system: the system file's own fields, every service, and what holds across
    /// services (unique ids, one writer per region, endpoints provided and routed, no call cycles).
    /// </summary>
    public static IReadOnlyList<ManifestDiagnostic> ValidateSystem(SystemManifest system, ManifestPositions positions, IReadOnlyList<LocatedService> services, ProgramCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(services);
        var sink = new DiagnosticSink();
        CheckSystemFile(sink, system, positions);
        var sound = new List<LocatedService>();
        foreach (var service in services)
        {
            if (CheckService(sink, service, catalog))
            {
                sound.Add(service);
            }
        }

        CheckAcross(sink, system, positions, services, catalog, sound);
        return sink.Items;
    }

    /// <summary>Checks a system built in code, where there are no line numbers: diagnostics name files only.</summary>
    public static IReadOnlyList<ManifestDiagnostic> ValidateSystem(SystemManifest system, string systemFile, IEnumerable<(ServiceManifest Manifest, string SourceFile)> services, ProgramCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(services);
        var located = services.Select(s => new LocatedService(s.Manifest, ManifestPositions.None(s.SourceFile))).ToList();
        return ValidateSystem(system, ManifestPositions.None(systemFile), located, catalog);
    }

    internal static void CheckSystemFile(DiagnosticSink sink, SystemManifest system, ManifestPositions p)
    {
        const string nameRule = "lowercase letters, digits and dashes, 1..48 characters";
        if (!sink.Missing(p, "system", system.System, nameRule) && !ManifestRules.IsId(system.System))
        {
            sink.At(p, "system", $"'{system.System}' is not a valid system name", nameRule);
        }

        sink.OneOf(p, "supervisor.strategy", system.Supervisor.Strategy, ManifestRules.SupervisorStrategies);
        if (system.Services.Count == 0)
        {
            var problem = p.Has("services") ? "a system needs at least one service" : "required field is missing";
            sink.AtKey(p, "services", problem, "a list of {manifest: path/to/service.yaml}");
        }

        for (var i = 0; i < system.Services.Count; i++)
        {
            sink.Missing(p, $"services[{i}].manifest", system.Services[i].Manifest, "a path relative to the system file");
        }
    }

    /// <summary>The checks across services; <paramref name="sound"/> are those whose own checks passed, whose programs' contracts are held to each other.</summary>
    internal static void CheckAcross(DiagnosticSink sink, SystemManifest system, ManifestPositions systemPositions, IReadOnlyList<LocatedService> services, ProgramCatalog? catalog, IReadOnlyList<LocatedService> sound)
    {
        var byId = CheckUniqueIds(sink, services);
        CheckRegionsAcross(sink, services);
        CheckDevicesAcross(sink, services);
        var providers = CheckProvidersAcross(sink, services);
        AddKernelProviders(providers);
        CheckKernelAcross(sink, system, systemPositions, services);
        var routes = new RouteTable(system, systemPositions, byId, providers);
        routes.Check(sink);
        CheckUsesAcross(sink, services, providers, routes);
        CheckDependsOnAcross(sink, services, byId);
        CheckSimulatedAcross(sink, services);
        CheckRetainAcross(sink, services);
        CheckContractsAcross(sink, sound, catalog, providers);
    }

    /// <summary>
    /// Simulated hardware is not there on a board, so what runs there must not need it: no region
    /// it writes is read, no endpoint it provides is used, nothing depends on it, by a service that
    /// is not simulated itself. They meet through devices only, as real equipment does.
    /// </summary>
    private static void CheckSimulatedAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> services)
    {
        var simulated = services.Where(s => s.Simulated).ToList();
        if (simulated.Count == 0)
        {
            return;
        }

        const string allowed = "reach simulated hardware through a device, as real equipment is reached, or mark this service simulated too";
        var simulatedIds = simulated.Select(s => s.Manifest.Id).ToHashSet(StringComparer.Ordinal);
        var regionWriters = simulated.SelectMany(s => s.Manifest.Regions.Where(r => r.Access == "write").Select(r => (r.Name, s.Manifest.Id))).ToDictionary(p => p.Name, p => p.Id, StringComparer.Ordinal);
        var endpointProviders = simulated.SelectMany(s => s.Manifest.Endpoints.Provides.Select(e => (e.Name, s.Manifest.Id))).ToDictionary(p => p.Name, p => p.Id, StringComparer.Ordinal);
        foreach (var service in services.Where(s => !s.Simulated))
        {
            var m = service.Manifest;
            for (var i = 0; i < m.Regions.Count; i++)
            {
                if (m.Regions[i].Access == "read" && regionWriters.TryGetValue(m.Regions[i].Name, out var writer))
                {
                    sink.At(service.Positions, $"regions[{i}].name", $"region '{m.Regions[i].Name}' is written by '{writer}', simulated hardware that is not there on a board", allowed);
                }
            }

            for (var i = 0; i < m.Endpoints.Uses.Count; i++)
            {
                if (endpointProviders.TryGetValue(m.Endpoints.Uses[i], out var provider))
                {
                    sink.At(service.Positions, $"endpoints.uses[{i}]", $"endpoint '{m.Endpoints.Uses[i]}' is provided by '{provider}', simulated hardware that is not there on a board", allowed);
                }
            }

            for (var i = 0; i < m.DependsOn.Count; i++)
            {
                if (simulatedIds.Contains(m.DependsOn[i]))
                {
                    sink.At(service.Positions, $"dependsOn[{i}]", $"'{m.DependsOn[i]}' is simulated hardware that is not there on a board", allowed);
                }
            }
        }
    }

    private static Dictionary<string, LocatedService> CheckUniqueIds(DiagnosticSink sink, IReadOnlyList<LocatedService> services)
    {
        var byId = new Dictionary<string, LocatedService>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var id = service.Manifest.Id;
            if (id.Length == 0)
            {
                continue;
            }

            if (byId.TryGetValue(id, out var first))
            {
                sink.At(service.Positions, "id", $"service id '{id}' is used by both {first.File} and {service.File}", "a unique id per service in a system");
                continue;
            }

            byId.Add(id, service);
        }

        return byId;
    }

    private static void CheckRegionsAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> services)
    {
        var writers = new Dictionary<string, (LocatedService Service, RegionManifest Region)>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            for (var i = 0; i < service.Manifest.Regions.Count; i++)
            {
                var region = service.Manifest.Regions[i];
                if (region.Access != "write" || region.Name.Length == 0)
                {
                    continue;
                }

                if (writers.TryGetValue(region.Name, out var first))
                {
                    sink.At(service.Positions, $"regions[{i}].access", $"region '{region.Name}' is written by both {Who(first.Service)} and {Who(service)}", "one writer per region; other services read it");
                    continue;
                }

                writers.Add(region.Name, (service, region));
            }
        }

        foreach (var service in services)
        {
            CheckReader(sink, service, writers);
        }
    }

    private static void CheckReader(DiagnosticSink sink, LocatedService service, Dictionary<string, (LocatedService Service, RegionManifest Region)> writers)
    {
        for (var i = 0; i < service.Manifest.Regions.Count; i++)
        {
            var region = service.Manifest.Regions[i];
            if (region.Access != "read" || region.Name.Length == 0)
            {
                continue;
            }

            if (!writers.TryGetValue(region.Name, out var writer))
            {
                sink.At(service.Positions, $"regions[{i}].name", $"unknown region '{region.Name}': no service in the system writes it", DiagnosticSink.Names(writers.Keys, "none: no service writes a region"));
                continue;
            }

            var declared = writer.Region.DeclaredPoints().ToHashSet(StringComparer.Ordinal);
            for (var k = 0; k < region.Points.Count; k++)
            {
                if (!declared.Contains(region.Points[k]))
                {
                    sink.At(service.Positions, $"regions[{i}].points[{k}]", $"point '{region.Points[k]}' is not declared by {Who(writer.Service)}, the writer of region '{region.Name}'", DiagnosticSink.Names(declared, "none"));
                }
            }

            var missing = region.NumberedPoints?.Series()?.Names().FirstOrDefault(n => !declared.Contains(n));
            if (missing is not null)
            {
                sink.At(service.Positions, $"regions[{i}].numberedPoints", $"point '{missing}' is not declared by {Who(writer.Service)}, the writer of region '{region.Name}'", DiagnosticSink.Names(declared, "none"));
            }
        }
    }

    private static Dictionary<string, LocatedService> CheckProvidersAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> services)
    {
        var providers = new Dictionary<string, LocatedService>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var provides = service.Manifest.Endpoints.Provides;
            for (var i = 0; i < provides.Count; i++)
            {
                var name = provides[i].Name;
                if (name.Length == 0)
                {
                    continue;
                }

                if (providers.TryGetValue(name, out var first))
                {
                    if (!ReferenceEquals(first, service))
                    {
                        sink.At(service.Positions, $"endpoints.provides[{i}].name", $"endpoint '{name}' is provided by both {Who(first)} and {Who(service)}", "endpoint names unique across the system");
                    }

                    continue;
                }

                providers.Add(name, service);
            }
        }

        return providers;
    }

    private static void CheckUsesAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> services, Dictionary<string, LocatedService> providers, RouteTable routes)
    {
        foreach (var service in services)
        {
            var uses = service.Manifest.Endpoints.Uses;
            for (var i = 0; i < uses.Count; i++)
            {
                var endpoint = uses[i];
                if (endpoint.Length == 0)
                {
                    continue;
                }

                if (!providers.ContainsKey(endpoint))
                {
                    sink.At(service.Positions, $"endpoints.uses[{i}]", $"unknown endpoint '{endpoint}': no service in the system provides it", DiagnosticSink.Names(providers.Keys, "none: no service provides an endpoint"));
                }
                else if (!routes.IsRouted(service.Manifest.Id, endpoint))
                {
                    sink.At(service.Positions, $"endpoints.uses[{i}]", $"endpoint '{endpoint}' is not routed: the system file has no route for client '{service.Manifest.Id}'", $"add routes: [{{client: {service.Manifest.Id}, endpoint: {endpoint}}}] to the system file");
                }
            }
        }
    }

    private static void CheckDependsOnAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> services, Dictionary<string, LocatedService> byId)
    {
        foreach (var service in services)
        {
            for (var i = 0; i < service.Manifest.DependsOn.Count; i++)
            {
                var name = service.Manifest.DependsOn[i];
                if (name.Length > 0 && name != service.Manifest.Id && !byId.ContainsKey(name))
                {
                    sink.At(service.Positions, $"dependsOn[{i}]", $"unknown service '{name}'", DiagnosticSink.Names(byId.Keys.Where(k => k != service.Manifest.Id), "no other services"));
                }
            }
        }
    }

    /// <summary>A service as messages name it: its id and its file.</summary>
    internal static string Who(LocatedService service) => $"'{service.Manifest.Id}' ({service.File})";

    /// <summary>
    /// The system's routes: which client may call which endpoint. Checks each route and looks for
    /// call cycles, which deadlock when every service in the cycle waits for the next one's reply.
    /// </summary>
    private sealed class RouteTable(SystemManifest system, ManifestPositions positions, Dictionary<string, LocatedService> byId, Dictionary<string, LocatedService> providers)
    {
        private readonly HashSet<(string Client, string Endpoint)> routed = [];

        /// <summary>Valid routes as call edges: client id → (provider id, route index).</summary>
        private readonly Dictionary<string, List<(string Provider, int Route)>> calls = new(StringComparer.Ordinal);

        public bool IsRouted(string client, string endpoint) => routed.Contains((client, endpoint));

        public void Check(DiagnosticSink sink)
        {
            var firstIndex = new Dictionary<(string, string), int>();
            for (var i = 0; i < system.Routes.Count; i++)
            {
                var route = system.Routes[i];
                if (!firstIndex.TryAdd((route.Client, route.Endpoint), i))
                {
                    sink.At(positions, $"routes[{i}]", $"duplicate route (also routes[{firstIndex[(route.Client, route.Endpoint)].ToString(CultureInfo.InvariantCulture)}])", "each client and endpoint pair once");
                    continue;
                }

                CheckRoute(sink, route, i);
            }

            FindCycles(sink);
        }

        private void CheckRoute(DiagnosticSink sink, RouteManifest route, int index)
        {
            var path = $"routes[{index}]";
            var clientOk = !sink.Missing(positions, path + ".client", route.Client, "a service id");
            var endpointOk = !sink.Missing(positions, path + ".endpoint", route.Endpoint, "an endpoint name");
            LocatedService? client = null;
            if (clientOk && !byId.TryGetValue(route.Client, out client))
            {
                sink.At(positions, path + ".client", $"unknown service '{route.Client}'", DiagnosticSink.Names(byId.Keys, "no services"));
            }

            if (endpointOk && !providers.ContainsKey(route.Endpoint))
            {
                sink.At(positions, path + ".endpoint", $"unknown endpoint '{route.Endpoint}': no service in the system provides it", DiagnosticSink.Names(providers.Keys, "none: no service provides an endpoint"));
                endpointOk = false;
            }

            if (client is null || !endpointOk)
            {
                return;
            }

            if (!client.Manifest.Endpoints.Uses.Contains(route.Endpoint, StringComparer.Ordinal))
            {
                sink.At(positions, path, $"service '{route.Client}' does not list endpoint '{route.Endpoint}' in endpoints.uses ({client.File})", DiagnosticSink.Names(client.Manifest.Endpoints.Uses, "none: it uses no endpoints"));
                return;
            }

            routed.Add((route.Client, route.Endpoint));
            var provider = providers[route.Endpoint].Manifest.Id;
            if (!calls.TryGetValue(route.Client, out var edges))
            {
                edges = [];
                calls.Add(route.Client, edges);
            }

            edges.Add((provider, index));
        }

        /// <summary>Depth-first search over call edges; each back edge closes a cycle, reported once at its route.</summary>
        private void FindCycles(DiagnosticSink sink)
        {
            var done = new HashSet<string>(StringComparer.Ordinal);
            var reported = new HashSet<string>(StringComparer.Ordinal);
            foreach (var service in system.Routes.Select(r => r.Client).Distinct(StringComparer.Ordinal))
            {
                Visit(sink, service, [], done, reported);
            }
        }

        private void Visit(DiagnosticSink sink, string service, List<string> stack, HashSet<string> done, HashSet<string> reported)
        {
            if (done.Contains(service))
            {
                return;
            }

            stack.Add(service);
            foreach (var (provider, route) in calls.GetValueOrDefault(service) ?? [])
            {
                var onStack = stack.IndexOf(provider);
                if (onStack >= 0)
                {
                    ReportCycle(sink, [.. stack[onStack..], provider], route, reported);
                    continue;
                }

                Visit(sink, provider, stack, done, reported);
            }

            stack.RemoveAt(stack.Count - 1);
            done.Add(service);
        }

        private void ReportCycle(DiagnosticSink sink, List<string> cycle, int route, HashSet<string> reported)
        {
            // The same cycle found from another starting service is one cycle: key it by its smallest rotation.
            var members = cycle.Take(cycle.Count - 1).ToList();
            var start = members.IndexOf(members.Min(StringComparer.Ordinal)!);
            var key = string.Join(" -> ", members.Skip(start).Concat(members.Take(start)));
            if (!reported.Add(key))
            {
                return;
            }

            sink.At(positions, $"routes[{route.ToString(CultureInfo.InvariantCulture)}]", $"route cycle {string.Join(" -> ", cycle)} would deadlock: each service waits for the next one's reply", "routes whose calls form no cycle");
        }
    }
}
