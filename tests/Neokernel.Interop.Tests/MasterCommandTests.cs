using System.Globalization;
using CliEntry = Neokernel.Cli.Cli;
using Neokernel.Interop.Tests.Support;

namespace Neokernel.Interop.Tests;

/// <summary><c>neokernel modbus read|write</c>, run in-process, against libmodbus's slave over TCP and RTU.</summary>
public sealed class MasterCommandTests
{
    [Fact]
    public void ModbusReadWrite_Tcp_PrintsValuesAndTheSlavesExceptionInWords()
    {
        var port = Peers.FreePort();
        using var slave = Peers.Libmodbus("server_master_peer.c", "tcp", port.ToString(CultureInfo.InvariantCulture));
        slave.WaitForLine("ready", TimeSpan.FromSeconds(30));
        var uri = $"modbus-tcp://127.0.0.1:{port}?unit=1";

        var read = Run("modbus", "read", uri, "input", "5", "3");
        Assert.Equal((0, "5: 1005\n6: 1006\n7: 1007\n"), (read.Code, read.Output));

        Assert.Equal(0, Run("modbus", "write", uri, "holding", "10", "0x4049", "0x0FDB").Code);
        var real = Run("modbus", "read", uri, "hr", "10", "--type", "float32");
        Assert.Equal("10: 3.1415927\n", real.Output);

        Assert.Equal(0, Run("modbus", "write", uri, "coils", "20", "on").Code);
        Assert.Equal("20: 1\n21: 1\n", Run("modbus", "read", uri, "co", "20", "2").Output);

        var refused = Run("modbus", "read", uri, "hr", "190", "20", "--timeout", "2000");
        Assert.Equal(3, refused.Code);
        Assert.Contains($"127.0.0.1:{port} unit 1 answered exception 02 illegal data address", refused.Error, StringComparison.Ordinal);
    }

    /// <summary>A pair and a slave for each run: socat ends the pair when the first command closes its end.</summary>
    [Theory]
    [InlineData(5, 0, "3: 3\n4: 4\n", "")]
    [InlineData(6, 1, "", "unit 6 within 300 ms")]
    public void ModbusRead_Rtu_ServedUnitPrintsValuesOtherUnitGetsNoReply(int unit, int exitCode, string output, string error)
    {
        using var pair = new SocatPair();
        using var slave = Peers.Libmodbus("server_master_peer.c", "rtu", pair.B, "19200", "E", "5");
        slave.WaitForLine("ready", TimeSpan.FromSeconds(30));

        var run = Run("modbus", "read", $"modbus-rtu://{pair.A}?baud=19200&parity=E&unit={unit}", "hr", "3", "2", "--timeout", "300");

        Assert.True(run.Code == exitCode, run.Error);
        Assert.Equal(output, run.Output);
        Assert.Contains(error, run.Error, StringComparison.Ordinal);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        var code = CliEntry.Run(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
