using Neokernel.Rt.Linux.Faults;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel fault inject SERVICE FAULT</c>: strikes a fault at a service of a running
/// <c>neokernel run</c>, through its control socket (<see cref="ControlSocket"/>). The run does the
/// rest: it checks the fault against the system, strikes it, and its live table shows the
/// injection and whether the service recovered.
/// </summary>
internal static class FaultCommand
{
    public const string Help = """
        usage: neokernel fault inject SERVICE FAULT [--device URI] [--for D] [--value V]
                                      [--system NAME | --control PATH]

        strikes FAULT (a name of docs/FAULTS.md) at SERVICE of a running neokernel run:
          crash               kill -9 of its process (in the kernel's process: the kernel's fault path)
          hang                SIGSTOP of its process for --for D (default 5s), then SIGCONT
          memory-exhaustion   its process allocates until its memory limit stops it
          sensor-stuck, sensor-drift, sensor-noise, sensor-out-of-range, actuator-stuck
                              on its device channel (--device URI when it holds several)
          modbus-timeout, modbus-exception, modbus-garbled, modbus-disconnect, modbus-delay
                              on its connection to a Modbus TCP slave
        FAULT may carry its target, duration and value itself, as in a schedule:
          sensor-stuck:sim://tank/level+10s=0.2
        the run is found by --control PATH, or --system NAME, or as the one run with a control
        socket in /run/neokernel (root), $XDG_RUNTIME_DIR/neokernel or /tmp/neokernel-UID;
        exits 0 when the fault struck, 1 when the run refused it or no run answered, 2 on a usage error
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.WriteLine(Help);
            return args.Count == 0 ? 2 : 0;
        }

        if (args[0] != "inject")
        {
            throw new UsageException($"unknown fault subcommand '{args[0]}'; known: inject (see neokernel fault --help)");
        }

        var line = CommandLine.Parse([.. args.Skip(1)]);
        if (line.Positional.Count != 2)
        {
            throw new UsageException("fault inject takes SERVICE and FAULT, e.g. neokernel fault inject level-sensor crash (see neokernel fault --help)");
        }

        var fault = line.Positional[1];
        if (line.Option("device") is { } device)
        {
            fault = fault.Contains(':', StringComparison.Ordinal) ? throw new UsageException($"'{fault}' names its target already; leave out --device") : $"{fault}:{device}";
        }

        if (line.Option("for") is { } duration)
        {
            CommandLine.ParseDurationNs(duration, "for");
            fault += "+" + duration;
        }

        if (line.Option("value") is { } value)
        {
            fault += "=" + value;
        }

        var path = SocketPath(line.Option("control"), line.Option("system"));
        line.RejectUnknown();
        string answer;
        try
        {
            answer = ControlSocket.Request(path, $"inject {line.Positional[0]} {fault}", Timeout);
        }
        catch (IOException exception)
        {
            error.WriteLine($"neokernel: {exception.Message}; is neokernel run of that system still running?");
            return 1;
        }

        if (answer.StartsWith("ok ", StringComparison.Ordinal))
        {
            output.WriteLine($"{line.Positional[0]}: {answer[3..]}");
            return 0;
        }

        error.WriteLine($"neokernel: the run refused it: {(answer.StartsWith("error ", StringComparison.Ordinal) ? answer[6..] : answer)}");
        return 1;
    }

    private static string SocketPath(string? control, string? system)
    {
        if (control is not null)
        {
            return system is null ? control : throw new UsageException("give --control PATH or --system NAME, not both");
        }

        if (system is not null)
        {
            return ControlSocket.DefaultPath(system);
        }

        var directory = ControlSocket.Directory();
        var sockets = Directory.Exists(directory) ? Directory.GetFiles(directory, "*.sock").Order(StringComparer.Ordinal).ToArray() : [];
        return sockets switch
        {
            [var one] => one,
            [] => throw new UsageException($"no run has a control socket in {directory}; start one with neokernel run SYSTEM, or name its socket with --control PATH"),
            _ => throw new UsageException($"several runs have control sockets in {directory}: {string.Join(", ", sockets.Select(Path.GetFileNameWithoutExtension))}; name one with --system NAME"),
        };
    }
}
