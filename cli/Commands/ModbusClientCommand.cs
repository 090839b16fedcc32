using System.Globalization;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Mapping;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel modbus read|write</c>: a small mbpoll for an engineer at a board. One request
/// through the same master engine the driver uses, on the paced real-time loop; prints the values,
/// or the slave's exception in words, and says by its exit code what went wrong.
/// </summary>
internal static class ModbusClientCommand
{
    public const int ExitOk = 0;
    public const int ExitNoReply = 1;
    public const int ExitUsage = 2;
    public const int ExitException = 3;
    public const int ExitLink = 4;
    public const int ExitInvalidReply = 5;

    public const long TimeoutMsDefault = 1_000;
    public const int RetriesMax = ModbusMasterOptions.RetriesMax;

    public const string Usage = """
        usage: neokernel modbus read  URI TABLE ADDRESS [COUNT]  [options]
               neokernel modbus write URI TABLE ADDRESS VALUE... [options]
               neokernel modbus serve (--port N | --serial PATH ...)  (a slave; see neokernel --help)

          URI      modbus-tcp://HOST:PORT[?unit=N] or modbus-rtu:///dev/TTY[?baud=B&parity=N|E|O&stopBits=1|2&unit=N]
                   (unit defaults to 1)
          TABLE    coils (co), discrete-inputs (di), holding (hr), input (ir); write: coils and holding only
          ADDRESS  zero-based, as on the wire: register 40001 in 1-based tools is holding 0 here (mbpoll -0)
          COUNT    values to read (default 1); at most 2000 bits or 125 registers per request
          VALUE    coils: 0, 1, on, off; registers: decimal or 0x hex (or per --type); one value writes
                   with FC05/FC06, several with FC15/FC16 (so does any value wider than one register)

        options:
          --timeout MS          wait this long for each reply (default 1000)
          --retries N           send again this many times when no reply comes (default 0, at most 10)
          --type T              registers as int16, uint16 (default), int32, uint32, float32 or float64
          --word-order O        for values wider than one register: high-first (default, ABCD) or low-first (CDAB)

        read prints one line per value: ADDRESS: VALUE (the address of its first register).
        exit codes: 0 done; 1 no reply within the timeout; 2 usage error; 3 the slave answered an
        exception; 4 the connection or serial line could not be opened or was lost; 5 the reply did
        not answer the request
        """;

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.WriteLine(Usage);
            return args.Count == 0 ? ExitUsage : ExitOk;
        }

        var command = ModbusInvocation.Parse(args);
        var options = new ModbusMasterOptions { TimeoutNs = command.TimeoutMs * 1_000_000, Retries = command.Retries, ReconnectDelayNsMax = 60_000_000_000 };
        var outcome = RunOne(command, options, cancellation);
        return Report(command, outcome, output, error);
    }

    /// <summary>Sends the one request on a paced loop and waits for its end (or Ctrl-C).</summary>
    private static Outcome RunOne(ModbusInvocation command, ModbusMasterOptions options, CancellationToken cancellation)
    {
        using var platform = new PacedPlatform(1, new NoRegisterBanks());
        using var master = new ModbusMaster(platform.Streams, command.Address, new PlatformModbusLoop(platform), options);
        var completion = new Outcome();
        master.Start();
        var submitted = master.Submit(command.Unit, command.Request, command.Data, completion);
        if (submitted != SubmitResult.Queued)
        {
            throw new InvalidOperationException($"a fresh master refused its first request ({submitted})");
        }

        // Bounded even if a callback never came: the connect timeout, every attempt, and a second of slack.
        var limitNs = platform.NowNs + (command.Address.ConnectTimeoutMs * 1_000_000) + ((options.Retries + 1) * options.TimeoutNs) + 1_000_000_000;
        while (!completion.Done && !cancellation.IsCancellationRequested && platform.NowNs < limitNs)
        {
            platform.RunUntil(platform.NowNs + 5_000_000, cancellation);
        }

        completion.LinkError = master.LinkError;
        return completion;
    }

    private static int Report(ModbusInvocation command, Outcome outcome, TextWriter output, TextWriter error)
    {
        var where = $"{command.Address.Endpoint} unit {command.Unit}";
        if (!outcome.Done)
        {
            error.WriteLine($"neokernel modbus: stopped before {where} answered");
            return ExitNoReply;
        }

        var result = outcome.Result;
        switch (result.Status)
        {
            case ModbusStatus.Good:
                command.Print(outcome.Data, output);
                return ExitOk;
            case ModbusStatus.Exception:
                error.WriteLine($"neokernel modbus: {where} answered {ModbusExceptions.Describe(result.Exception)}");
                return ExitException;
            case ModbusStatus.Timeout:
                var attempts = result.Attempts == 1 ? "" : $" (each of {result.Attempts} attempts)";
                error.WriteLine($"neokernel modbus: no reply from {where} within {command.TimeoutMs} ms{attempts}; check the unit id, the wiring or the slave's address");
                return ExitNoReply;
            case ModbusStatus.Invalid:
                error.WriteLine($"neokernel modbus: the reply from {where} does not answer the request: {ModbusErrors.Describe(result.Error)}");
                return ExitInvalidReply;
            default:
                error.WriteLine($"neokernel modbus: {LinkProblem(command.Address, outcome.LinkError)}");
                return ExitLink;
        }
    }

    private static string LinkProblem(DeviceAddress address, DeviceError reason)
    {
        var what = address.Transport == DeviceTransport.Serial ? $"cannot use serial line {address.Path}" : $"cannot talk to {address.Endpoint}";
        return reason switch
        {
            DeviceError.ConnectionRefused => $"{what}: connection refused (nothing listens on that port; is the slave running?)",
            DeviceError.TimedOut => $"{what}: no answer to the connect within {address.ConnectTimeoutMs} ms (wrong address, or a firewall drops it); set ?connectTimeoutMs=N to wait longer",
            DeviceError.Unreachable => $"{what}: no route to the host",
            DeviceError.NotFound => $"{what}: no such device (is the adapter plugged in? ls /dev/tty*)",
            DeviceError.AccessDenied => $"{what}: access denied (another program holds it, or you are not in the dialout group)",
            DeviceError.ClosedByPeer or DeviceError.ConnectionReset => $"{what}: the slave closed the connection before it answered",
            _ => $"{what}: the link went down ({reason})",
        };
    }

    /// <summary>The request's end, kept for the report; the data copied out of the engine's buffer.</summary>
    private sealed class Outcome : IModbusCompletion
    {
        public bool Done { get; private set; }

        public ModbusResult Result { get; private set; }

        public byte[] Data { get; private set; } = [];

        public DeviceError LinkError { get; set; }

        public void OnCompleted(in ModbusResult result, ReadOnlySpan<byte> data)
        {
            Result = result;
            Data = data.ToArray();
            Done = true;
        }
    }

    /// <summary>The tool opens stream devices only; a register bank is never asked for.</summary>
    private sealed class NoRegisterBanks : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) =>
            throw new InvalidOperationException($"neokernel modbus opens no register bank ('{uri}')");
    }
}

/// <summary>One <c>modbus read|write</c> command line, parsed and checked before anything opens.</summary>
internal sealed class ModbusInvocation
{
    private ModbusInvocation(DeviceAddress address, ModbusTable table, ushort addressFirst, ModbusRequest request, byte[] data, long timeoutMs, int retries, ModbusValueType type, WordOrder order)
    {
        Address = address;
        Table = table;
        First = addressFirst;
        Request = request;
        Data = data;
        TimeoutMs = timeoutMs;
        Retries = retries;
        Type = type;
        Order = order;
    }

    public DeviceAddress Address { get; }

    public byte Unit => (byte)Address.Unit;

    public ModbusTable Table { get; }

    public ushort First { get; }

    public ModbusRequest Request { get; }

    public byte[] Data { get; }

    public long TimeoutMs { get; }

    public int Retries { get; }

    public ModbusValueType Type { get; }

    public WordOrder Order { get; }

    public bool IsRead => Request.Function is FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs or FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters;

    public static ModbusInvocation Parse(IReadOnlyList<string> args)
    {
        var line = CommandLine.Parse(args);
        var timeoutMs = ParseNumber(line.Option("timeout") ?? ModbusClientCommand.TimeoutMsDefault.ToString(CultureInfo.InvariantCulture), "--timeout", 1, 600_000);
        var retries = (int)ParseNumber(line.Option("retries") ?? "0", "--retries", 0, ModbusClientCommand.RetriesMax);
        var type = ParseType(line.Option("type"));
        var order = ParseOrder(line.Option("word-order"));
        line.RejectUnknown();

        var positional = line.Positional;
        var verb = positional.Count > 0 ? positional[0] : "";
        if (verb is not ("read" or "write"))
        {
            throw new UsageException($"modbus {verb}: unknown subcommand; this command knows read and write (see neokernel modbus --help)");
        }

        if (positional.Count < 4)
        {
            throw new UsageException($"modbus {verb} needs URI TABLE ADDRESS{(verb == "read" ? " [COUNT]" : " VALUE...")}, e.g. neokernel modbus {verb} modbus-tcp://127.0.0.1:1502?unit=1 holding 0{(verb == "read" ? " 10" : " 42")}");
        }

        var address = ParseUri(positional[1]);
        var table = ParseTable(positional[2]);
        var first = (ushort)ParseNumber(positional[3], "ADDRESS", 0, ushort.MaxValue);
        if (ModbusTables.IsBits(table) && (type != ModbusValueType.UInt16 || order != WordOrder.HighFirst))
        {
            throw new UsageException($"--type and --word-order apply to registers, not to {positional[2]}");
        }

        var (request, data) = verb == "read"
            ? (BuildRead(table, first, positional.Count > 4 ? positional[4] : "1", positional.Count > 5, type), Array.Empty<byte>())
            : BuildWrite(table, first, positional.Skip(4).ToList(), type, order);
        if (address.Unit == ModbusLimits.BroadcastUnit && verb == "read")
        {
            throw new UsageException("unit 0 is broadcast: slaves carry out a broadcast write without answering, so nothing can be read from it; give ?unit=1..247");
        }

        return new ModbusInvocation(address, table, first, request, data, timeoutMs, retries, type, order);
    }

    /// <summary>Prints a read's values, one per line with its address; a write's confirmation.</summary>
    public void Print(ReadOnlySpan<byte> data, TextWriter output)
    {
        if (!IsRead)
        {
            var count = Request.Function is FunctionCode.WriteMultipleCoils or FunctionCode.WriteMultipleRegisters ? Request.Count : 1;
            var what = ModbusTables.IsBits(Table) ? "coil" : "register";
            output.WriteLine($"wrote {count} {what}{(count == 1 ? "" : "s")} at {First}");
            return;
        }

        if (ModbusTables.IsBits(Table))
        {
            var bits = new bool[Request.Count];
            ModbusValues.ReadBits(data, bits);
            for (var i = 0; i < bits.Length; i++)
            {
                output.WriteLine($"{First + i}: {(bits[i] ? 1 : 0)}");
            }

            return;
        }

        var registers = new ushort[Request.Count];
        ModbusValues.ReadRegisters(data, registers);
        var words = ModbusValueTypes.Registers(Type);
        for (var i = 0; i + words <= registers.Length; i += words)
        {
            var value = ModbusValueTypes.Decode(registers.AsSpan(i), Type, Order);
            output.WriteLine($"{First + i}: {Format(value)}");
        }
    }

    /// <summary>Integers whole; a float32 as the shortest text that reads back to the same float, not to the double it widens to.</summary>
    private string Format(double value) => Type switch
    {
        ModbusValueType.Float32 => ((float)value).ToString("R", CultureInfo.InvariantCulture),
        ModbusValueType.Float64 => value.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };

    private static DeviceAddress ParseUri(string text)
    {
        if (!DeviceUri.TryParse(text, out var address, out var problem))
        {
            throw new UsageException($"URI '{text}' at character {problem.Offset + 1}: {problem.Problem} (allowed: {problem.Allowed})");
        }

        if (address!.Scheme is not (DeviceScheme.ModbusTcp or DeviceScheme.ModbusRtu) || address.Transport == DeviceTransport.TcpListen)
        {
            throw new UsageException($"URI '{text}' is not a Modbus slave to talk to; write modbus-tcp://HOST:PORT?unit=N or modbus-rtu:///dev/TTY?baud=B&unit=N");
        }

        return address;
    }

    private static ModbusTable ParseTable(string text) => text.ToLowerInvariant() switch
    {
        "coils" or "coil" or "co" => ModbusTable.Coils,
        "discrete-inputs" or "discrete-input" or "di" => ModbusTable.DiscreteInputs,
        "holding" or "holding-registers" or "hr" => ModbusTable.HoldingRegisters,
        "input" or "input-registers" or "ir" => ModbusTable.InputRegisters,
        _ => throw new UsageException($"TABLE '{text}' is not a Modbus table; write coils (co), discrete-inputs (di), holding (hr) or input (ir)"),
    };

    /// <summary>A register type (a bit is a table of its own here: coils, discrete-inputs).</summary>
    private static ModbusValueType ParseType(string? text) =>
        text is null ? ModbusValueType.UInt16
        : ModbusValueTypes.TryParse(text, out var type) && type != ModbusValueType.Bit ? type
        : throw new UsageException($"--type {text}: write int16, uint16, int32, uint32, float32 or float64");

    private static WordOrder ParseOrder(string? text) => text switch
    {
        null or "high-first" or "big" or "abcd" => WordOrder.HighFirst,
        "low-first" or "little" or "cdab" => WordOrder.LowFirst,
        _ => throw new UsageException($"--word-order {text}: write high-first (ABCD) or low-first (CDAB)"),
    };

    private static ModbusRequest BuildRead(ModbusTable table, ushort first, string countText, bool extra, ModbusValueType type)
    {
        if (extra)
        {
            throw new UsageException("modbus read takes one COUNT after the ADDRESS; to write values use modbus write");
        }

        var words = ModbusTables.IsBits(table) ? 1 : ModbusValueTypes.Registers(type);
        var countMax = ModbusTables.ReadCountMax(table) / words;
        var count = (int)ParseNumber(countText, "COUNT", 1, countMax) * words;
        RequireInRange(first, count);
        return ModbusTables.Read(table, first, (ushort)count);
    }

    private static (ModbusRequest Request, byte[] Data) BuildWrite(ModbusTable table, ushort first, List<string> values, ModbusValueType type, WordOrder order)
    {
        if (!ModbusTables.IsWritable(table))
        {
            throw new UsageException($"{table} are read-only in Modbus; write coils or holding registers");
        }

        if (values.Count == 0)
        {
            throw new UsageException("modbus write needs at least one VALUE after the ADDRESS");
        }

        return ModbusTables.IsBits(table) ? BuildCoilWrite(first, values) : BuildRegisterWrite(first, values, type, order);
    }

    private static (ModbusRequest, byte[]) BuildCoilWrite(ushort first, List<string> values)
    {
        var bits = values.Select(ParseCoil).ToArray();
        if (bits.Length == 1)
        {
            return (ModbusRequest.WriteSingleCoil(first, bits[0]), []);
        }

        RequireCount(bits.Length, ModbusLimits.WriteBitsCountMax, "coils");
        RequireInRange(first, bits.Length);
        var data = new byte[(bits.Length + 7) / 8];
        ModbusValues.WriteBits(bits, data);
        return (ModbusRequest.WriteMultipleCoils(first, (ushort)bits.Length), data);
    }

    private static (ModbusRequest, byte[]) BuildRegisterWrite(ushort first, List<string> values, ModbusValueType type, WordOrder order)
    {
        var words = ModbusValueTypes.Registers(type);
        var registers = new ushort[values.Count * words];
        for (var i = 0; i < values.Count; i++)
        {
            ModbusValueTypes.Encode(ParseValue(values[i], type), type, order, registers.AsSpan(i * words));
        }

        if (registers.Length == 1)
        {
            return (ModbusRequest.WriteSingleRegister(first, registers[0]), []);
        }

        RequireCount(registers.Length, ModbusLimits.WriteRegistersCountMax, "registers");
        RequireInRange(first, registers.Length);
        var data = new byte[2 * registers.Length];
        ModbusValues.WriteRegisters(registers, data);
        return (ModbusRequest.WriteMultipleRegisters(first, (ushort)registers.Length), data);
    }

    private static bool ParseCoil(string text) => text.ToLowerInvariant() switch
    {
        "1" or "on" or "true" => true,
        "0" or "off" or "false" => false,
        _ => throw new UsageException($"coil value '{text}': write 0, 1, on or off"),
    };

    private static double ParseValue(string text, ModbusValueType type)
    {
        var (min, max) = ModbusValueTypes.Range(type);
        if (ModbusValueTypes.IsInteger(type))
        {
            var value = ParseInteger(text);
            if (value is null || value < min || value > max)
            {
                throw new UsageException($"value '{text}' is not a {type.ToString().ToLowerInvariant()} ({min}..{max}, decimal or 0x hex)");
            }

            return value.Value;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            throw new UsageException($"value '{text}' is not a {type.ToString().ToLowerInvariant()} (a decimal number such as 3.25 or -1e3)");
        }

        return number;
    }

    private static long? ParseInteger(string text)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex) && hex <= uint.MaxValue ? hex : null;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    private static long ParseNumber(string text, string what, long min, long max)
    {
        var value = ParseInteger(text);
        return value is not null && value >= min && value <= max
            ? value.Value
            : throw new UsageException($"{what} '{text}': write a whole number {min}..{max}");
    }

    private static void RequireCount(int count, int countMax, string what)
    {
        if (count > countMax)
        {
            throw new UsageException($"{count} {what} do not fit one request; at most {countMax}");
        }
    }

    private static void RequireInRange(ushort first, int count)
    {
        if (first + count > 65_536)
        {
            throw new UsageException($"ADDRESS {first} + {count} runs past address 65535");
        }
    }
}
