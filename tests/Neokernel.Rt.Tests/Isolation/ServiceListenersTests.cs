using System.Net.Sockets;
using Neokernel.Rt.Linux.Isolation;
using Neokernel.Rt.Tests.Devices;

namespace Neokernel.Rt.Tests.Isolation;

/// <summary>
/// A restarted service gets the listening socket its first incarnation got: the port is never
/// bound twice, so a restart cannot fail with EADDRINUSE while the dead process is reaped, and
/// a client that connects in between waits in the backlog.
/// </summary>
public sealed class ServiceListenersTests
{
    [Fact]
    public void Of_SecondIncarnation_GetsTheSameSocket_AndAConnectionMadeBetweenWaitsInItsBacklog()
    {
        var port = LinuxStreamDevicesTests.FreePort();
        var uri = $"tcp-listen://127.0.0.1:{port}?connectionsMax=4";
        using var listeners = new ServiceListeners();

        var first = listeners.Of("gateway", uri);
        using var client = new TcpClient();
        client.Connect("127.0.0.1", port);
        var second = listeners.Of("gateway", uri);

        Assert.Same(first, second);
        Assert.Equal(1, listeners.Count);
        Assert.True(client.Connected);
    }

    [Fact]
    public void Dispose_ClosesEveryListener_ThePortCanBeBoundAgain()
    {
        var port = LinuxStreamDevicesTests.FreePort();
        var uri = $"tcp-listen://127.0.0.1:{port}";
        var listeners = new ServiceListeners();
        var listener = listeners.Of("gateway", uri);

        listeners.Dispose();

        Assert.True(listener.IsClosed);
        using var again = DeviceGrants.Open("gateway", uri);
        Assert.NotNull(again);
        Assert.Throws<ObjectDisposedException>(() => listeners.Of("gateway", uri));
    }

    [Fact]
    public void Of_OtherServiceOnTheSamePort_IsRefusedWithEaddrinuse()
    {
        var port = LinuxStreamDevicesTests.FreePort();
        using var listeners = new ServiceListeners();
        listeners.Of("gateway", $"tcp-listen://127.0.0.1:{port}");

        var error = Assert.Throws<Neokernel.Rt.Linux.LinuxErrnoException>(() => listeners.Of("other", $"tcp-listen://127.0.0.1:{port}"));

        Assert.Contains("service 'other'", error.Message, StringComparison.Ordinal);
        Assert.Contains("EADDRINUSE", error.Message, StringComparison.Ordinal);
    }
}
