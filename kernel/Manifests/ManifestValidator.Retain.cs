namespace Neokernel.Kernel.Manifests;

/// <summary>
/// The retain store: a directory of the service's own. Its path is a plain one (names joined by
/// '/', no '.' or '..'), so that equal texts are the one test of "the same directory", and no two
/// services share a store or hold one beneath the other's: each store is the only place its
/// service may write, and a store inside another's would let one service write the other's.
/// </summary>
public static partial class ManifestValidator
{
    private const string RetainPathRule = "a directory relative to the run's state directory (run --state-dir), e.g. tank-controller, or an absolute one; names of letters, digits, '.', '-' and '_' joined by '/', none of them '.' or '..'";

    private static void CheckRetain(DiagnosticSink sink, RetainManifest retain, ManifestPositions p)
    {
        if (!sink.Missing(p, "retain.path", retain.Path, RetainPathRule) && !ManifestRules.IsRetainPath(retain.Path))
        {
            sink.At(p, "retain.path", $"'{retain.Path}' is not a usable store directory", RetainPathRule);
        }

        sink.InRange(p, "retain.bytesMax", retain.BytesMax, 1, ManifestRules.RetainBytesMaxMax, "bytes (the largest snapshot the service retains)");
    }

    /// <summary>Each store belongs to one service: none shared, none beneath another's.</summary>
    private static void CheckRetainAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> services)
    {
        var stores = new List<(LocatedService Service, string Path)>();
        foreach (var service in services)
        {
            if (service.Manifest.Retain is not { } retain || !ManifestRules.IsRetainPath(retain.Path))
            {
                continue;
            }

            foreach (var (other, path) in stores)
            {
                if (path == retain.Path)
                {
                    sink.At(service.Positions, "retain.path", $"store '{retain.Path}' is also the store of {Who(other)}; two services may not share one", "a directory of this service's own, e.g. its id");
                }
                else if (Beneath(retain.Path, path))
                {
                    sink.At(service.Positions, "retain.path", $"store '{retain.Path}' lies beneath store '{path}' of {Who(other)}, which could write it", "directories side by side, e.g. each service's id");
                }
                else if (Beneath(path, retain.Path))
                {
                    sink.At(service.Positions, "retain.path", $"store '{retain.Path}' holds store '{path}' of {Who(other)}, so this service could write it", "directories side by side, e.g. each service's id");
                }
            }

            stores.Add((service, retain.Path));
        }
    }

    private static bool Beneath(string inner, string outer) =>
        inner.Length > outer.Length && inner.StartsWith(outer, StringComparison.Ordinal) && inner[outer.Length] == '/';
}
