using System.Net;
using System.Net.Sockets;

namespace Neokernel.Cli.Tests;

/// <summary><c>neokernel modbus read|write</c>: its command line and the failures it can report without a slave.</summary>
public sealed class ModbusClientCommandTests
{
    [Theory]
    [InlineData("modbus read modbus-tcp://127.0.0.1:1502 holdings 0", "TABLE 'holdings' is not a Modbus table")]
    [InlineData("modbus read modbus-tcp://127.0.0.1:1502 hr 70000", "ADDRESS '70000': write a whole number 0..65535")]
    [InlineData("modbus read modbus-tcp://127.0.0.1:1502 hr 0 126", "COUNT '126': write a whole number 1..125")]
    [InlineData("modbus read modbus-tcp://127.0.0.1:1502 hr 0 63 --type float32", "COUNT '63': write a whole number 1..62")]
    [InlineData("modbus read tcp://127.0.0.1:1502 hr 0", "is not a Modbus slave to talk to")]
    [InlineData("modbus read modbus-tcp://127.0.0.1 hr 0", "URI 'modbus-tcp://127.0.0.1' at character")]
    [InlineData("modbus write modbus-tcp://127.0.0.1:1502 ir 0 5", "read-only in Modbus")]
    [InlineData("modbus write modbus-tcp://127.0.0.1:1502 co 0 maybe", "coil value 'maybe': write 0, 1, on or off")]
    [InlineData("modbus write modbus-tcp://127.0.0.1:1502 hr 0 70000", "value '70000' is not a uint16")]
    [InlineData("modbus write modbus-tcp://127.0.0.1:1502 hr 0 -40000 --type int16", "value '-40000' is not a int16")]
    [InlineData("modbus write modbus-tcp://127.0.0.1:1502 hr 0", "modbus write needs at least one VALUE after the ADDRESS")]
    [InlineData("modbus write modbus-tcp://127.0.0.1:1502 hr", "modbus write needs URI TABLE ADDRESS VALUE...")]
    [InlineData("modbus read modbus-tcp://127.0.0.1:1502 hr 0 --timeout 0", "--timeout '0': write a whole number 1..600000")]
    [InlineData("modbus read modbus-tcp://127.0.0.1:1502 co 0 --type int32", "--type and --word-order apply to registers")]
    [InlineData("modbus read modbus-tcp://127.0.0.1:1502 hr 0 --wordorder low-first", "unknown option --wordorder")]
    [InlineData("modbus read modbus-rtu:///dev/ttyS9?unit=0 hr 0", "unit 0 is broadcast")]
    [InlineData("modbus poll modbus-tcp://127.0.0.1:1502 hr 0", "unknown modbus subcommand 'poll'; known: serve, read, write")]
    public void Modbus_BadCommandLine_IsAUsageErrorThatSaysWhatToWrite(string line, string message)
    {
        var result = CliResult.Run(line.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Modbus_Help_ListsTablesZeroBasedAddressesAndExitCodes()
    {
        var result = CliResult.Run("modbus", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("zero-based", result.Output, StringComparison.Ordinal);
        Assert.Contains("holding (hr)", result.Output, StringComparison.Ordinal);
        Assert.Contains("exit codes: 0 done; 1 no reply", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ModbusRead_NobodyListens_SaysConnectionRefusedAndExitsFour()
    {
        var result = CliResult.Run("modbus", "read", $"modbus-tcp://127.0.0.1:{FreePort()}?unit=1", "hr", "0");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("connection refused", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ModbusRead_ListenerThatNeverAnswers_SaysNoReplyWithinTheTimeoutAndExitsOne()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var result = CliResult.Run("modbus", "read", $"modbus-tcp://127.0.0.1:{port}?unit=4", "ir", "0", "--timeout", "200", "--retries", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no reply from 127.0.0.1:{port} unit 4 within 200 ms (each of 2 attempts)", result.Error, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
