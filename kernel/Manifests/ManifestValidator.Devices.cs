using Neokernel.Kernel.Devices;

namespace Neokernel.Kernel.Manifests;

/// <summary>Device URIs: each checked by the one grammar the platforms open them with (<see cref="DeviceUri"/>).</summary>
public static partial class ManifestValidator
{
    private static void CheckDeviceUris(DiagnosticSink sink, List<DeviceManifest> devices, ManifestPositions p)
    {
        for (var i = 0; i < devices.Count; i++)
        {
            var uri = devices[i].Uri;
            if (string.IsNullOrEmpty(uri) || !ManifestRules.HasScheme(uri))
            {
                // Reported by CheckDevices already: missing, or without a scheme.
                continue;
            }

            if (!DeviceUri.TryParse(uri, out _, out var error))
            {
                sink.At(p, $"devices[{i}].uri", $"'{uri}': {error.Problem}", error.Allowed);
            }
        }
    }
}
