using Neokernel.Kernel.Devices;

namespace Neokernel.Kernel.Tests.Devices;

/// <summary>The device URI grammar: what each scheme yields, its defaults, and where a bad one is wrong.</summary>
public sealed class DeviceUriTests
{
    [Fact]
    public void Parse_ModbusTcp_TakesHostPortUnitAndDefaults()
    {
        var address = DeviceUri.Parse("modbus-tcp://192.168.1.20:502?unit=7");

        Assert.Equal(DeviceScheme.ModbusTcp, address.Scheme);
        Assert.Equal(DeviceTransport.TcpConnect, address.Transport);
        Assert.Equal(0xC0A8_0114u, address.Ipv4);
        Assert.Equal(502, address.Port);
        Assert.Equal(7, address.Unit);
        Assert.Equal(DeviceUri.ConnectTimeoutMsDefault, address.ConnectTimeoutMs);
        Assert.Equal("192.168.1.20:502", address.Endpoint);
    }

    [Fact]
    public void Parse_ListenFlagAndTcpListen_BothListenBoundedByConnectionsMax()
    {
        var slave = DeviceUri.Parse("modbus-tcp://0.0.0.0:1502?listen=true&connectionsMax=16&unit=1");
        var raw = DeviceUri.Parse("tcp-listen://127.0.0.1:1502");
        var opc = DeviceUri.Parse("opc.tcp://localhost:4840?listen=true");

        Assert.Equal(DeviceTransport.TcpListen, slave.Transport);
        Assert.Equal(16, slave.ConnectionsMax);
        Assert.Equal(DeviceUri.ConnectionsMaxDefault, raw.ConnectionsMax);
        Assert.Equal("127.0.0.1:4840", opc.Endpoint);
    }

    [Fact]
    public void Parse_ModbusRtu_DefaultsToTheSpecsFraming()
    {
        var address = DeviceUri.Parse("modbus-rtu:///dev/ttyUSB0?unit=3");

        Assert.Equal(DeviceTransport.Serial, address.Transport);
        Assert.Equal("/dev/ttyUSB0", address.Path);
        Assert.Equal(new SerialSettings(19_200, Parity.Even, 8, 1), address.Serial);
        Assert.Equal(11, address.Serial.BitsPerCharacter);
        Assert.Equal(3, address.Unit);
    }

    [Fact]
    public void Parse_Serial_TakesEveryFramingParameter()
    {
        var address = DeviceUri.Parse("serial:///dev/ttyS1?baud=9600&parity=O&dataBits=7&stopBits=2");

        Assert.Equal(new SerialSettings(9_600, Parity.Odd, 7, 2), address.Serial);
        Assert.Equal("serial line /dev/ttyS1 at 9600 baud, 7O2", address.Describe());
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("ftp://x", 0)]
    [InlineData("tcp://127.0.0.1:99999", 16)]
    [InlineData("tcp-listen://127.0.0.1:1?connectTimeoutMs=5", 25)]
    [InlineData("modbus-tcp://127.0.0.1:502?unit=1&unit=2", 34)]
    [InlineData("sim://", 6)]
    public void TryParse_Broken_FailsAtTheOffendingOffset(string text, int offset)
    {
        Assert.False(DeviceUri.TryParse(text, out var address, out var error));
        Assert.Null(address);
        Assert.Equal(offset, error.Offset);
        Assert.False(string.IsNullOrEmpty(error.Allowed));
    }

    [Fact]
    public void Parse_Sim_KeepsTheRegisterBankKind()
    {
        var address = DeviceUri.Parse("sim://tank/level");

        Assert.Equal(DeviceTransport.RegisterBank, address.Transport);
        Assert.Equal("tank/level", address.Path);
    }
}
