using System.Diagnostics;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Interop.Tests.Support;
using Neokernel.Kernel.Devices;
using Neokernel.Rt.Linux;
using Neokernel.Testing;

namespace Neokernel.Interop.Tests;

/// <summary>Our slave on the real Linux loop, served by this test's thread, while a libmodbus client loop hammers it: no allocation per request.</summary>
[Collection(SlaveInteropCollection.Name)]
public sealed class SlaveAllocationTests
{
    private const long StepNs = 1_000_000;

    [Fact]
    public void Serve_LibmodbusLoopOnRealSockets_AllocatesNothingPerRequest()
    {
        using var platform = new PacedPlatform(1, new NoDevices());
        var slave = new ModbusSlave(new ModbusRegisterMap(100));
        var port = Peers.FreePort();
        using var tcp = new ModbusTcpSlave(slave, platform.Streams, DeviceUri.Parse($"tcp-listen://127.0.0.1:{port}?connectionsMax=4"), new PlatformModbusLoop(platform));
        tcp.Start();
        using var client = Peers.Libmodbus("client_loop.c", "tcp", "127.0.0.1", port.ToString(), "6", "2", "100");
        var clock = Stopwatch.StartNew();
        while (slave.Counters.Requests < 2_000 && clock.Elapsed < TimeSpan.FromSeconds(20) && !client.HasExited)
        {
            platform.RunUntil(platform.NowNs + StepNs);
        }

        var before = slave.Counters.Requests;
        AllocationAssert.NoAllocations(100, _ => platform.RunUntil(platform.NowNs + StepNs));
        var during = slave.Counters.Requests - before;
        while (!client.HasExited && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            platform.RunUntil(platform.NowNs + (10 * StepNs));
        }

        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(10)) == 0, client.Output);
        Assert.Contains("errors 0", client.Output, StringComparison.Ordinal);
        Assert.True(during > 1_000, $"{during} requests served while measured");
    }
}
