using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Manifests;

public static partial class ManifestValidator
{
    /// <summary>
    /// A client speaks what its endpoint serves: for each <see cref="ContractUse"/> of a sound
    /// service whose endpoint's provider declares what it serves there (<see cref="ServedContract"/>),
    /// the contracts match, the name it addresses is one the endpoint has, and a name it sets is
    /// settable there. Otherwise the mistake shows only when the system runs: as a refused command
    /// at the first write of an operator, or as a loop view that never fills. Reported where the
    /// client's manifest names the endpoint or the value.
    /// </summary>
    private static void CheckContractsAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> sound, ProgramCatalog? catalog, Dictionary<string, LocatedService> providers)
    {
        if (catalog is null)
        {
            return;
        }

        var served = new Dictionary<string, (ServedContract Contract, LocatedService Provider)>(StringComparer.Ordinal);
        var uses = new List<(ContractUse Use, LocatedService Client)>();
        foreach (var service in sound)
        {
            var program = service.Manifest.Program;
            if (catalog.Find(program.Type) is not { } descriptor || descriptor.Serves is null && descriptor.Uses is null)
            {
                continue;
            }

            var parameters = ProgramParameters.Parse(service.Manifest.Id, descriptor.Parameters, program.Parameters, descriptor.Tables, program.Tables);
            foreach (var contract in descriptor.Serves?.Invoke(parameters, service.Manifest) ?? [])
            {
                if (providers.TryGetValue(contract.Endpoint, out var provider) && ReferenceEquals(provider, service))
                {
                    served.TryAdd(contract.Endpoint, (contract, service));
                }
            }

            foreach (var use in descriptor.Uses?.Invoke(parameters, service.Manifest) ?? [])
            {
                uses.Add((use, service));
            }
        }

        foreach (var (use, client) in uses)
        {
            if (!served.TryGetValue(use.Endpoint, out var found))
            {
                continue;
            }

            var (contract, provider) = found;
            var by = $"'{provider.Manifest.Id}' ({provider.Manifest.Program.Type}, {provider.File})";
            if (contract.Contract != use.Contract)
            {
                var speaking = served.Values.Where(s => s.Contract.Contract == use.Contract).Select(s => s.Contract.Endpoint);
                var allowed = $"an endpoint that speaks {use.Contract}: " + DiagnosticSink.Names(speaking, "none in this system does");
                sink.At(client.Positions, use.Path, $"endpoint '{use.Endpoint}' of {by} speaks {contract.Contract}, not the {use.Contract} this program sends", use.MismatchHint.Length == 0 ? allowed : $"{allowed}; {use.MismatchHint}");
            }
            else if (use.Name is { } name && contract.Names is { } names)
            {
                if (!names.Contains(name))
                {
                    sink.At(client.Positions, use.NamePath ?? use.Path, $"'{name}' is not a value of endpoint '{use.Endpoint}' of {by}", contract.NamesHint);
                }
                else if (use.Sets && !contract.Settable.Contains(name))
                {
                    sink.At(client.Positions, use.NamePath ?? use.Path, $"'{name}' is set here but not settable on endpoint '{use.Endpoint}' of {by}", contract.SettableHint);
                }
            }
        }
    }
}
