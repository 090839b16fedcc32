using System.Globalization;
using Neokernel.Fieldbus.Modbus;
using Neokernel.Fieldbus.Modbus.Engine;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Platform;
using Neokernel.Rt.Linux;

namespace Neokernel.Cli.Commands;

/// <summary>
/// <c>neokernel modbus serve</c>: a plain read/write map of the four tables as a Modbus TCP or RTU
/// slave, for tooling and tests, on the paced loop until Ctrl-C. It prints one line once it
/// listens (what a test waits for) and its counters when it stops.
/// </summary>
internal static class ModbusServeCommand
{
    public const int PointsDefault = 10_000;
    public const long IdleTimeoutNsDefault = ModbusTcpSlave.IdleTimeoutNsDefault;

    /// <summary>How long a serial line gets to come up before a missing device is reported.</summary>
    private const long LineCheckNs = 100_000_000;

    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var options = ServeOptions.Parse(CommandLine.Parse(args));
        using var platform = new PacedPlatform(1, new NoRegisterBanks());
        var map = new ModbusRegisterMap(options.Points);
        var slave = new ModbusSlave(map);
        var loop = new PlatformModbusLoop(platform);
        return options.SerialPath is null
            ? ServeTcp(options, slave, platform, loop, output, error, cancellation)
            : ServeRtu(options, slave, platform, loop, output, error, cancellation);
    }

    private static int ServeTcp(ServeOptions options, ModbusSlave slave, PacedPlatform platform, IModbusLoop loop, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var address = ParseAddress($"tcp-listen://{options.Bind}:{options.Port.ToString(CultureInfo.InvariantCulture)}?connectionsMax={options.ConnectionsMax.ToString(CultureInfo.InvariantCulture)}", "--bind/--port");
        using var tcp = new ModbusTcpSlave(slave, platform.Streams, address, loop, options.IdleTimeoutNs, options.Unit ?? ModbusTcpSlave.AnyUnit);
        try
        {
            tcp.Start();
        }
        catch (LinuxErrnoException exception)
        {
            error.WriteLine($"neokernel: cannot listen on {address.Endpoint}: {exception.Message}");
            return 1;
        }

        var unit = options.Unit is { } given ? $"unit {given.ToString(CultureInfo.InvariantCulture)} (and 0, 255)" : "any unit";
        output.WriteLine($"listening on {tcp.LocalEndpoint}, {unit}, {options.Points.ToString(CultureInfo.InvariantCulture)} points per table, at most {options.ConnectionsMax.ToString(CultureInfo.InvariantCulture)} connections");
        output.Flush();
        platform.RunUntil(long.MaxValue, cancellation);
        WriteCounters(slave.Counters, output, $", {tcp.ConnectionsRefused.ToString(CultureInfo.InvariantCulture)} connections refused");
        return 0;
    }

    private static int ServeRtu(ServeOptions options, ModbusSlave slave, PacedPlatform platform, IModbusLoop loop, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var unit = options.Unit ?? 1;
        var address = ParseAddress($"modbus-rtu://{options.SerialPath}?baud={options.Baud.ToString(CultureInfo.InvariantCulture)}&parity={options.Parity}&unit={unit.ToString(CultureInfo.InvariantCulture)}", "--serial/--baud/--parity");
        using var rtu = new ModbusRtuSlave(slave, platform.Streams, address, loop, (byte)unit);
        rtu.Start();
        platform.RunUntil(platform.NowNs + LineCheckNs, cancellation);
        if (rtu.LinkState != LinkState.Up)
        {
            error.WriteLine($"neokernel: cannot open serial line {address.Path}: {rtu.LastError} (is the device there, and may this user open it?)");
            return 1;
        }

        output.WriteLine($"serving RTU on {address.Path} ({address.Describe()}), unit {unit.ToString(CultureInfo.InvariantCulture)}, {options.Points.ToString(CultureInfo.InvariantCulture)} points per table");
        output.Flush();
        platform.RunUntil(long.MaxValue, cancellation);
        WriteCounters(slave.Counters, output, $", {slave.Counters.OtherUnit.ToString(CultureInfo.InvariantCulture)} for other units");
        return 0;
    }

    private static DeviceAddress ParseAddress(string uri, string options)
    {
        if (!DeviceUri.TryParse(uri, out var address, out var problem))
        {
            throw new UsageException($"{options}: {uri} {problem.Problem} (allowed: {problem.Allowed})");
        }

        return address!;
    }

    private static void WriteCounters(ModbusSlaveCounters counters, TextWriter output, string more)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stopped: {counters.Requests} requests, {counters.Exceptions} exceptions, {counters.Dropped} frames dropped{more}"));
    }

    /// <summary>The options, checked: every bad one is a usage error that says what is allowed.</summary>
    private sealed record ServeOptions(int Port, string Bind, string? SerialPath, int Baud, char Parity, int? Unit, int Points, int ConnectionsMax, long IdleTimeoutNs)
    {
        public static ServeOptions Parse(CommandLine line)
        {
            line.RejectPositional("modbus serve");
            var port = line.Option("port");
            var serial = line.Option("serial");
            var baud = Integer(line, "baud", DeviceUri.ModbusRtuBaudDefault, 1, int.MaxValue);
            var parityText = line.Option("parity") ?? "E";
            var unitText = line.Option("unit");
            var points = Integer(line, "points", PointsDefault, 0, ModbusRegisterMap.PointsMax);
            var connectionsMax = Integer(line, "connections-max", DeviceUri.ConnectionsMaxDefault, 1, DeviceUri.ConnectionsMaxLimit);
            var bind = line.Option("bind") ?? "127.0.0.1";
            var idleNs = line.DurationNs("idle-timeout") ?? IdleTimeoutNsDefault;
            line.RejectUnknown();
            if ((port is null) == (serial is null))
            {
                throw new UsageException("modbus serve needs --port N (Modbus TCP) or --serial PATH (Modbus RTU), not both");
            }

            if (serial is null && (line.Option("baud") is not null || line.Option("parity") is not null))
            {
                throw new UsageException("--baud and --parity apply to --serial only");
            }

            if (parityText is not ("N" or "E" or "O"))
            {
                throw new UsageException($"--parity {parityText}: write N, E or O");
            }

            var unit = unitText is null ? (int?)null : ParseInteger(unitText, "unit", 1, ModbusLimits.UnitMax);
            var portNumber = port is null ? 0 : ParseInteger(port, "port", 1, 65_535);
            var path = serial is null ? null : Path.GetFullPath(serial);
            return new ServeOptions(portNumber, bind, path, baud, parityText[0], unit, points, connectionsMax, idleNs);
        }

        private static int Integer(CommandLine line, string name, int fallback, int min, int max) =>
            line.Option(name) is { } text ? ParseInteger(text, name, min, max) : fallback;

        private static int ParseInteger(string text, string name, int min, int max) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? value
                : throw new UsageException($"--{name} {text}: not a whole number {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>The serve command opens no register banks: only its listener or serial line.</summary>
    private sealed class NoRegisterBanks : IDeviceProvider
    {
        public IDeviceChannel Open(string uri, DeviceAccess access) =>
            throw new InvalidOperationException($"neokernel modbus serve opens no register bank ('{uri}')");
    }
}
