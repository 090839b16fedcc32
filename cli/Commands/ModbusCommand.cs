namespace Neokernel.Cli.Commands;

/// <summary><c>neokernel modbus SUBCOMMAND</c>: routes to the slave (<c>serve</c>) and the master tools.</summary>
internal static class ModbusCommand
{
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var rest = args.Skip(1).ToArray();
        return args.Count == 0 ? throw new UsageException("modbus needs a subcommand: serve (see neokernel --help)") : args[0] switch
        {
            "serve" => ModbusServeCommand.Execute(rest, output, error, cancellation),
            _ => throw new UsageException($"unknown modbus subcommand '{args[0]}'; known: serve (see neokernel --help)"),
        };
    }
}
