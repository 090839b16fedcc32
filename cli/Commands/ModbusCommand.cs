namespace Neokernel.Cli.Commands;

/// <summary><c>neokernel modbus SUBCOMMAND</c>: routes to the slave (<c>serve</c>) and the master tools (<c>read</c>, <c>write</c>).</summary>
internal static class ModbusCommand
{
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        if (args.Count == 0)
        {
            throw new UsageException("modbus needs a subcommand: serve, read or write (see neokernel modbus --help)");
        }

        if (args[0] is "read" or "write" or "-h" or "--help" or "help")
        {
            // The client prints the help (tables, types, exit codes).
            return ModbusClientCommand.Execute(args, output, error, cancellation);
        }

        var rest = args.Skip(1).ToArray();
        return args[0] switch
        {
            "serve" => ModbusServeCommand.Execute(rest, output, error, cancellation),
            _ => throw new UsageException($"unknown modbus subcommand '{args[0]}'; known: serve, read, write (see neokernel modbus --help)"),
        };
    }
}
