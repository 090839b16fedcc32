using Neokernel.Kernel.Platform;
using Neokernel.Testing;

namespace Neokernel.Hil.Tests;

public sealed class SimulatedDeviceBusTests
{
    [Fact]
    public void Every_opener_of_a_uri_shares_one_register_bank()
    {
        var bus = new SimulatedDeviceBus();
        using var writer = bus.Open("sim://tank/level", DeviceAccess.Write);
        using var reader = bus.Open("sim://tank/level", DeviceAccess.Read);
        using var other = bus.Open("sim://tank/pump", DeviceAccess.ReadWrite);
        SimulatedDeviceBus.WriteDouble(writer, 1.25);
        Assert.Equal(1.25, SimulatedDeviceBus.ReadDouble(reader));
        Assert.Equal(0.0, SimulatedDeviceBus.ReadDouble(other));
        Assert.Equal("sim://tank/level", reader.Uri);
        Assert.Equal(["sim://tank/level", "sim://tank/pump"], bus.OpenedUris);
    }

    [Fact]
    public void A_write_replaces_the_bytes_it_covers_and_a_read_copies_up_to_the_bank_size()
    {
        var bus = new SimulatedDeviceBus();
        using var channel = bus.Open("sim://plc/registers", DeviceAccess.ReadWrite);
        channel.Write(Enumerable.Repeat((byte)0xAA, SimulatedDeviceBus.RegisterBankBytes).ToArray());
        channel.Write(new byte[] { 1, 2, 3 });
        var buffer = new byte[100];
        Assert.Equal(SimulatedDeviceBus.RegisterBankBytes, channel.Read(buffer));
        Assert.Equal(new byte[] { 1, 2, 3, 0xAA }, buffer[..4]);
        Assert.Equal(0, buffer[SimulatedDeviceBus.RegisterBankBytes]);
        Assert.Equal(2, channel.Read(buffer.AsSpan(0, 2)));
    }

    [Fact]
    public void Writing_beyond_the_bank_is_refused_with_the_sizes()
    {
        using var channel = new SimulatedDeviceBus().Open("sim://tank/level", DeviceAccess.Write);
        var exception = Assert.Throws<ArgumentException>(() => channel.Write(new byte[SimulatedDeviceBus.RegisterBankBytes + 1]));
        Assert.Contains("64", exception.Message, StringComparison.Ordinal);
        Assert.Contains("65", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("modbus-tcp://127.0.0.1:1502")]
    [InlineData("tank/level")]
    [InlineData("://x")]
    public void Unknown_schemes_are_refused_listing_the_known_ones(string uri)
    {
        var exception = Assert.Throws<ArgumentException>(() => new SimulatedDeviceBus().Open(uri, DeviceAccess.Read));
        Assert.Contains("known schemes: sim", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_uri_without_a_device_or_access_is_refused()
    {
        var bus = new SimulatedDeviceBus();
        Assert.Throws<ArgumentException>(() => bus.Open("sim://", DeviceAccess.Read));
        Assert.Throws<ArgumentException>(() => bus.Open("sim://tank/level", DeviceAccess.None));
    }

    [Fact]
    public void Channels_keep_to_their_access_and_their_lifetime()
    {
        var bus = new SimulatedDeviceBus();
        using var readOnly = bus.Open("sim://a", DeviceAccess.Read);
        using var writeOnly = bus.Open("sim://a", DeviceAccess.Write);
        Assert.Throws<InvalidOperationException>(() => SimulatedDeviceBus.WriteDouble(readOnly, 1.0));
        Assert.Throws<InvalidOperationException>(() => SimulatedDeviceBus.ReadDouble(writeOnly));
        var closed = bus.Open("sim://a", DeviceAccess.ReadWrite);
        closed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => SimulatedDeviceBus.ReadDouble(closed));
    }

    [Fact]
    public void A_short_read_gives_nan()
    {
        Assert.True(double.IsNaN(SimulatedDeviceBus.ReadDouble(new ShortChannel())));
    }

    [Fact]
    public void Double_helpers_allocate_nothing()
    {
        using var channel = new SimulatedDeviceBus().Open("sim://tank/level", DeviceAccess.ReadWrite);
        var mismatches = 0;
        AllocationAssert.NoAllocations(10_000, i =>
        {
            SimulatedDeviceBus.WriteDouble(channel, i);
            mismatches += SimulatedDeviceBus.ReadDouble(channel) == i ? 0 : 1;
        });
        Assert.Equal(0, mismatches);
    }

    private sealed class ShortChannel : IDeviceChannel
    {
        public string Uri => "test://short";

        public int Read(Span<byte> buffer) => 4;

        public void Write(ReadOnlySpan<byte> data)
        {
        }

        public void Dispose()
        {
        }
    }
}
