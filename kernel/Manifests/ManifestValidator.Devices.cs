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

    /// <summary>
    /// Devices as regions are checked: a <c>sim://</c> device that a service only reads must be
    /// written by another service of the system (a <c>write</c> or <c>read-write</c> grant on the
    /// same URI), or it would read zeros with Good quality. A <c>read-write</c> grant is its own
    /// writer. Stream devices (tcp, serial, modbus, opc.tcp) are real providers outside the system
    /// and need no writer in it.
    /// </summary>
    private static void CheckDevicesAcross(DiagnosticSink sink, IReadOnlyList<LocatedService> services)
    {
        var writers = new Dictionary<string, LocatedService>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var device in service.Manifest.Devices)
            {
                if (device.Access is "write" or "read-write" && IsSimulated(device.Uri))
                {
                    writers.TryAdd(device.Uri, service);
                }
            }
        }

        foreach (var service in services)
        {
            var devices = service.Manifest.Devices;
            for (var i = 0; i < devices.Count; i++)
            {
                if (devices[i].Access == "read" && IsSimulated(devices[i].Uri) && !writers.ContainsKey(devices[i].Uri))
                {
                    sink.At(service.Positions, $"devices[{i}].uri", $"device '{devices[i].Uri}' is read by '{service.Manifest.Id}' but no service in the system writes it: it would read zeros with Good quality", DiagnosticSink.Names(writers.Keys, "none: no service writes a sim:// device; add the plant that simulates it"));
                }
            }
        }
    }

    private static bool IsSimulated(string uri) =>
        DeviceUri.TryParse(uri, out var address, out _) && address!.Scheme == DeviceScheme.Sim;
}
