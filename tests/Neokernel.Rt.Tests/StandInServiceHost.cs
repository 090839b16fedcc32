using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux.Isolation;

namespace Neokernel.Rt.Tests;

/// <summary>The test peer as a stand-in service host, for tests of <see cref="ProcessServiceHost"/>.</summary>
internal static class StandInServiceHost
{
    /// <summary>The test peer's apphost (or dotnet and its assembly) in <paramref name="role"/>.</summary>
    public static ServiceHostCommand Command(string role)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, "Neokernel.Rt.TestPeer");
        return File.Exists(apphost)
            ? new ServiceHostCommand(apphost, [role])
            : new ServiceHostCommand("dotnet", [Path.Combine(AppContext.BaseDirectory, "Neokernel.Rt.TestPeer.dll"), role]);
    }

    /// <summary>No devices: the stand-in services open none.</summary>
    public sealed class NoDevices : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) => throw new InvalidOperationException(uri);
    }
}
