namespace Neokernel.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--version")
        {
            Console.WriteLine("neokernel 0.1.0");
            return 0;
        }

        Console.Error.WriteLine("usage: neokernel (run|sim|validate|audit) ...");
        return 2;
    }
}
