using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel gateway hash-password</c>: reads a password from standard input (one line) and
/// prints its salted PBKDF2 hash for the <c>users</c> table of a gateway manifest, so the manifest
/// never holds a password.
/// </summary>
internal static class GatewayCommand
{
    public static int Execute(IReadOnlyList<string> args, TextReader input, TextWriter output)
    {
        if (args.Count != 1 || args[0] != "hash-password")
        {
            throw new UsageException("gateway needs a subcommand: hash-password (reads the password from standard input)");
        }

        string? password = input.ReadLine();
        if (string.IsNullOrEmpty(password))
        {
            throw new UsageException("gateway hash-password: no password on standard input (echo -n ... | neokernel gateway hash-password)");
        }

        output.WriteLine(PasswordHash.Create(password).ToString());
        return 0;
    }
}
