using System.Runtime.InteropServices;

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
        // SIGTERM (what systemd, a container runtime or `kill` send), SIGHUP (the terminal went away;
        // neokernel has no configuration to reload: a changed manifest takes a new run) and SIGQUIT
        // stop as cleanly as Ctrl-C: services in reverse order, outputs left as the kernel drives them,
        // cgroups and sockets removed. SIGUSR1 and SIGUSR2 mean nothing to neokernel: they are
        // ignored, with a line saying so, instead of ending the kernel without a clean stop.
        using var signals = new SignalHandlers(cancellation, Console.Error);
        return Cli.Run(args, Console.Out, Console.Error, cancellation.Token);
    }
}

/// <summary>What the kernel's process does on each signal other than Ctrl-C: stop cleanly, or ignore and say so.</summary>
internal sealed class SignalHandlers : IDisposable
{
    private const int SignalUser1 = 10;
    private const int SignalUser2 = 12;

    private readonly List<PosixSignalRegistration> registrations = [];

    public SignalHandlers(CancellationTokenSource stop, TextWriter error)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            }));
        }

        // Raw numbers: PosixSignal names only the signals every platform has. 10 and 12 are SIGUSR1
        // and SIGUSR2 on x86_64 and arm64 Linux alike.
        foreach (var (number, name) in new[] { (SignalUser1, "SIGUSR1"), (SignalUser2, "SIGUSR2") })
        {
            registrations.Add(PosixSignalRegistration.Create((PosixSignal)number, context =>
            {
                context.Cancel = true;
                error.WriteLine($"neokernel: {name} ignored; SIGTERM, SIGHUP, SIGQUIT or Ctrl-C stop cleanly");
            }));
        }
    }

    public void Dispose()
    {
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }
    }
}

/// <summary>The neokernel command: one entry for the binary and for in-process tests.</summary>
internal static class Cli
{
    public const string Usage = """
        usage: neokernel COMMAND [ARGS]

        commands:
          run SYSTEM [--seed N] [--duration D] [--plain] [--in-process] [--no-rt] [--fail-on-fault]
                     [--quality-log FILE] [--trace-jsonl FILE] [--trace-chrome FILE]
                     [--sandbox-user USER] [--no-sandbox] [--simulated] [--state-dir DIR] [--control PATH]
                        run a system in real time on its embedded simulated hardware, with a live status;
                        services the system file marks simulated (stand-ins for equipment that is there
                        on a board, like a plant served over Modbus) run only with --simulated;
                        isolated services (drivers by default) run in processes of their own unless
                        --in-process, their rt-fifo/rt-deadline tasks on real-time threads (needs root or
                        CAP_SYS_NICE; --no-rt runs them best-effort), each in an OS sandbox (user USER,
                        nobody unless told; seccomp, Landlock, no network; --no-sandbox: none, see
                        docs/ARCHITECTURE.md); Ctrl-C, SIGTERM, SIGHUP or SIGQUIT stop it;
                        at the end, --quality-log writes every quality change of a region point with
                        CLOCK_MONOTONIC times, and the trace options write the kernel's trace as for sim;
                        retain stores with a relative path are kept beneath --state-dir (default
                        $NEOKERNEL_STATE_DIR, else $XDG_STATE_HOME/neokernel/SYSTEM, ~/.local/state/...);
                        neokernel fault inject reaches the run at its control socket, --control PATH
                        (default /run/neokernel/SYSTEM.sock for root, else in $XDG_RUNTIME_DIR/neokernel)
          sim SYSTEM [--seed N] [--duration D] [--fail-on-fault] [--faults LIST] [--invariants CAMPAIGN]
                     [--trace-jsonl FILE] [--trace-chrome FILE]
                        run a system on virtual time from one seed, faster than real time; prints a summary
                        and the trace digest; --faults injects a schedule, KIND:TARGET@AT[+DURATION][=VALUE]
                        comma-separated (e.g. crash:level-sensor@5s,sensor-stuck:sim://tank/level@20s+10s),
                        the faults of docs/FAULTS.md; --invariants judges the run by a campaign file's
                        invariants, as that campaign's run did (a campaign's replay command); retain stores are kept in memory for the run only; on a violated invariant prints the command that reproduces it
                        run and sim exit 0 when sound, 1 on a violated invariant (with --fail-on-fault, a
                        fault) or an output file that cannot be written (checked before the run starts),
                        3 when a service failed for good, 2 on a usage error
          campaign run FILE [--out DIR] [--jobs N] [--shard I/N] [--progress]
                        run a fault campaign (docs/FAULTS.md): every cell of its fault matrix on every seed,
                        in parallel, each run deterministic; prints the headline table, each failing run's
                        replay command and the result digest; --out writes DIR/result.json; --shard runs
                        every N-th run from I (I from 0); exits 0 when every run kept every invariant
          campaign merge DIR... --out DIR
                        join the shards' results into the result of one unsharded run, digest included
          campaign shrink FILE (--run N | --seed S --faults LIST)
                        reduce a failing run's fault schedule to a minimal one that still fails the same
                        invariant, and print its replay command
          fault inject SERVICE FAULT [--device URI] [--for D] [--value V] [--system NAME | --control PATH]
                        strike a fault at a service of a running neokernel run (kill -9, SIGSTOP, memory
                        exhaustion, device and Modbus faults: the live column of docs/FAULTS.md); the
                        run's table shows it and the recovery; exits 0 when it struck, 1 when refused
          validate PATH...
                        check system, service or campaign files; every error names file, line, column,
                        field and what is allowed
          audit SYSTEM [--seed N] [--duration D] [--sandbox-user USER] [--state-dir DIR]
                        least-privilege report: capabilities never used in a simulated run, timing grants
                        larger than the measured need, and what the OS allows each service's process
          programs [--schema]
                        list the built-in programs and their parameters (type, unit, default, range);
                        --schema prints the JSON Schema allOf that service.schema.json carries for them
          lifecycle [--format dot|mermaid]
                        print the service lifecycle state machine
          trace-schema  print what each trace event's fields mean (docs/TRACE.md)
          modbus serve (--port N [--bind ADDRESS] [--connections-max N] [--idle-timeout D]
                        | --serial PATH [--baud B] [--parity N|E|O]) [--unit U] [--points N]
                        a Modbus TCP or RTU slave with a plain read/write map of all four tables
                        (N zero-based points each, 10000 by default; exception 02 outside it) until
                        Ctrl-C; over TCP it answers every unit id unless --unit is given
          modbus read|write URI TABLE ADDRESS [COUNT|VALUE...] [--timeout MS] [--retries N] [--type T]
                        a small mbpoll: read or write a Modbus TCP or RTU slave, zero-based addresses
                        (neokernel modbus --help for tables, types and exit codes)
          plant serve tank --modbus HOST:PORT [--duration D]
                        serve the tank plant model as a Modbus TCP slave until Ctrl-C, for a system
                        that talks to it as to hardware (manifests/systems/tank-modbus.yaml): level in
                        input registers 0-1 (float32 m) and 2 (mm), pump command in holding register 0
                        (0.01 %), full in discrete input 0
          gateway hash-password
                        read a password from standard input and print its PBKDF2 hash for the users
                        table of an OPC UA gateway manifest (manifests/services/gateway.yaml)
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
                "campaign" => Commands.CampaignCommand.Execute(rest, output, error, cancellation),
                "fault" => Commands.FaultCommand.Execute(rest, output, error),
                "validate" => Commands.ValidateCommand.Execute(rest, output, error),
                "audit" => Commands.AuditCommand.Execute(rest, output, error, cancellation),
                "programs" => Commands.InfoCommands.Programs(rest, output),
                "service-host" => Commands.ServiceHostCommand.Execute(rest, error),
                "lifecycle" => Commands.InfoCommands.Lifecycle(rest, output),
                "trace-schema" => Commands.InfoCommands.TraceSchema(output),
                "modbus" => Commands.ModbusCommand.Execute(rest, output, error, cancellation),
                "plant" => Commands.PlantCommand.Execute(rest, output, error, cancellation),
                "gateway" => Commands.GatewayCommand.Execute(rest, Console.In, output),
                _ => throw new UsageException($"unknown command '{args[0]}'; known: run, sim, campaign, fault, validate, audit, programs, lifecycle, trace-schema, modbus, plant, gateway (see neokernel --help)"),
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
