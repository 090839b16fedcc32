using Neokernel.Kernel.Platform;

namespace Neokernel.Testing;

/// <summary>A device provider for tests that open no device: every open fails and names the URI.</summary>
public sealed class NoDevices : IDeviceProvider
{
    public IDeviceChannel Open(string uri, DeviceAccess access) =>
        throw new InvalidOperationException($"no device '{uri}' in this test; give the platform a {nameof(FakeDevices)} to open devices");
}
