using Neokernel.Kernel.Manifests;
using Neokernel.Kernel;
using Neokernel.Kernel.Devices;

namespace Neokernel.Cli.Commands;

/// <summary>The device grants of <c>neokernel audit</c>: every device each service may open, what it opens and with which access.</summary>
internal static class AuditDevices
{
    public static void Write(SystemKernel kernel, TextWriter output)
    {
        output.WriteLine("device grants:");
        var count = 0;
        foreach (var service in kernel.Services)
        {
            foreach (var device in service.Spec.Devices)
            {
                var what = DeviceUri.TryParse(device.Uri, out var address, out _) ? address!.Describe() : device.Uri;
                output.WriteLine($"  {service.Id}: device '{device.Name}' {ManifestWords.DeviceAccesses.Word(device.Access)}: {device.Uri} ({what})");
                count++;
            }
        }

        if (count == 0)
        {
            output.WriteLine("  none");
        }
    }
}
