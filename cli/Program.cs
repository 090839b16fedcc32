namespace Neokernel.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl-C: stop cleanly (services stop in reverse order). A second one kills.
            if (!cancellation.IsCancellationRequested)
            {
                e.Cancel = true;
                cancellation.Cancel();
            }
        };
        // SIGTERM (what systemd, a container runtime or `kill` send) stops as cleanly as Ctrl-C.
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancellation.Cancel();
        });
        return Cli.Run(args, Console.Out, Console.Error, cancellation.Token);
    }
}

/// <summary>The neokernel command: one entry for the binary and for in-process tests.</summary>
internal static class Cli
{
    public const string Usage = """
        usage: neokernel COMMAND [ARGS]

        commands:
          run SYSTEM [--seed N] [--duration D] [--plain] [--in-process] [--no-rt] [--quality-log FILE]
                     [--trace-jsonl FILE] [--trace-chrome FILE]
                        run a system in real time on its embedded simulated hardware, with a live status;
                        isolated services (drivers by default) run in processes of their own unless
                        --in-process, their rt-fifo/rt-deadline tasks on real-time threads (needs root or
                        CAP_SYS_NICE; --no-rt runs them best-effort); Ctrl-C or SIGTERM stops it cleanly;
                        at the end, --quality-log writes every quality change of a region point with
                        CLOCK_MONOTONIC times, and the trace options write the kernel's trace as for sim
          sim SYSTEM [--seed N] [--duration D] [--fail-on-fault] [--trace-jsonl FILE] [--trace-chrome FILE]
                        run a system on virtual time from one seed, faster than real time; prints a summary
                        and the trace digest; on a violated invariant prints the command that reproduces it
          validate PATH...
                        check system or service manifests; every error names file, line, column, field and
                        what is allowed
          audit SYSTEM [--seed N] [--duration D]
                        least-privilege report: capabilities never used in a simulated run, timing grants
                        larger than the measured need
          programs      list the built-in programs and their parameters
          lifecycle [--format dot|mermaid]
                        print the service lifecycle state machine
          trace-schema  print what each trace event's fields mean (docs/TRACE.md)
          --version     print the version

        durations: 500ms, 30s, 10m, 2h
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.WriteLine(Usage);
            return args.Count == 0 ? 2 : 0;
        }

        try
        {
            var rest = args.Skip(1).ToArray();
            return args[0] switch
            {
                "--version" or "version" => Version(output),
                "run" => Commands.RunCommand.Execute(rest, output, error, cancellation),
                "sim" => Commands.SimCommand.Execute(rest, output, error, cancellation),
                "validate" => Commands.ValidateCommand.Execute(rest, output, error),
                "audit" => Commands.AuditCommand.Execute(rest, output, error, cancellation),
                "programs" => Commands.InfoCommands.Programs(output),
                "service-host" => Commands.ServiceHostCommand.Execute(rest, error),
                "lifecycle" => Commands.InfoCommands.Lifecycle(rest, output),
                "trace-schema" => Commands.InfoCommands.TraceSchema(output),
                _ => throw new UsageException($"unknown command '{args[0]}'; known: run, sim, validate, audit, programs, lifecycle, trace-schema (see neokernel --help)"),
            };
        }
        catch (UsageException exception)
        {
            error.WriteLine($"neokernel: {exception.Message}");
            return 2;
        }
    }

    private static int Version(TextWriter output)
    {
        output.WriteLine("neokernel 0.1.0");
        return 0;
    }
}
