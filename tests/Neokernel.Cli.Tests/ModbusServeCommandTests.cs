namespace Neokernel.Cli.Tests;

/// <summary><c>neokernel modbus serve</c>'s option mistakes: each a usage error (exit 2) that says how to fix it, before anything is opened.</summary>
public sealed class ModbusServeCommandTests
{
    [Theory]
    [InlineData("modbus", "modbus needs a subcommand: serve")]
    [InlineData("modbus poll", "unknown modbus subcommand 'poll'")]
    [InlineData("modbus serve", "needs --port N (Modbus TCP) or --serial PATH (Modbus RTU), not both")]
    [InlineData("modbus serve --port 1502 --serial /dev/ttyS0", "not both")]
    [InlineData("modbus serve --port 0", "--port 0: not a whole number 1..65535")]
    [InlineData("modbus serve --port 1502 --baud 9600", "--baud and --parity apply to --serial only")]
    [InlineData("modbus serve --serial /dev/ttyS0 --parity X", "--parity X: write N, E or O")]
    [InlineData("modbus serve --port 1502 --unit 248", "--unit 248: not a whole number 1..247")]
    [InlineData("modbus serve --port 1502 --points 70000", "--points 70000: not a whole number 0..65536")]
    [InlineData("modbus serve --port 1502 --connections-max 0", "--connections-max 0: not a whole number 1..1000")]
    [InlineData("modbus serve --port 1502 --bind example.org", "host 'example.org' is not an IPv4 address")]
    [InlineData("modbus serve --port 1502 --idle 5s", "unknown option --idle")]
    public void Serve_OptionMistake_IsAUsageErrorThatSaysWhy(string arguments, string message)
    {
        var result = CliResult.Run(arguments.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_SerialLineMissing_ExitsOneNamingIt()
    {
        var result = CliResult.Run("modbus", "serve", "--serial", "/dev/neokernel-no-such-tty");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot open serial line /dev/neokernel-no-such-tty: NotFound", result.Error, StringComparison.Ordinal);
    }
}
