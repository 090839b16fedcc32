using System.Globalization;

namespace Neokernel.Kernel.Devices;

/// <summary>The schemes a device URI may name. Each maps to one transport.</summary>
public enum DeviceScheme
{
    /// <summary><c>sim://PATH</c>: a simulated register bank.</summary>
    Sim,

    /// <summary><c>tcp://HOST:PORT</c>: a raw TCP byte stream.</summary>
    Tcp,

    /// <summary><c>tcp-listen://HOST:PORT</c>: a raw listening TCP socket.</summary>
    TcpListen,

    /// <summary><c>modbus-tcp://HOST:PORT?unit=N</c>: TCP carrying Modbus (the driver speaks the protocol).</summary>
    ModbusTcp,

    /// <summary><c>opc.tcp://HOST:PORT</c>: TCP carrying OPC UA.</summary>
    OpcTcp,

    /// <summary><c>serial:///dev/NAME?baud=B</c>: a raw serial line.</summary>
    Serial,

    /// <summary><c>modbus-rtu:///dev/NAME?baud=B&amp;unit=N</c>: a serial line carrying Modbus RTU.</summary>
    ModbusRtu,
}

/// <summary>How the bytes of a device travel: what the platform must open for it.</summary>
public enum DeviceTransport
{
    /// <summary>A shared register bank, read and written whole (the blocking <see cref="Platform.IDeviceChannel"/>).</summary>
    RegisterBank,

    /// <summary>An outgoing TCP connection: a <see cref="IStreamChannel"/>.</summary>
    TcpConnect,

    /// <summary>A listening TCP socket whose connections are channels: a <see cref="IStreamListener"/>.</summary>
    TcpListen,

    /// <summary>A serial line: a <see cref="IStreamChannel"/>.</summary>
    Serial,
}

public enum Parity
{
    None,
    Even,
    Odd,
}

/// <summary>The framing of a serial line. Baud in bits per second.</summary>
public readonly record struct SerialSettings(int Baud, Parity Parity, int DataBits, int StopBits)
{
    /// <summary>Bits on the wire per character: start bit, data bits, parity bit if any, stop bits.</summary>
    public int BitsPerCharacter => 1 + DataBits + (Parity == Parity.None ? 0 : 1) + StopBits;

    /// <summary>Time one character takes on the line, in nanoseconds.</summary>
    public long CharacterNs => BitsPerCharacter * 1_000_000_000L / Baud;
}

/// <summary>
/// A device URI, parsed and checked: one immutable value that both <c>neokernel validate</c> and
/// the platform providers work from, so a URI that validates is one that opens. Hosts are IPv4
/// literals (or <c>localhost</c>): names are never resolved, because resolving blocks the loop and
/// a grant should name exactly one address.
/// </summary>
public sealed record DeviceAddress(
    string Text,
    DeviceScheme Scheme,
    DeviceTransport Transport,
    string Host,
    uint Ipv4,
    int Port,
    string Path,
    int Unit,
    int ConnectionsMax,
    long ConnectTimeoutMs,
    SerialSettings Serial)
{
    /// <summary>The address as <c>a.b.c.d:port</c>: the key a virtual network or an audit names it by.</summary>
    public string Endpoint => Transport is DeviceTransport.TcpConnect or DeviceTransport.TcpListen
        ? $"{(Ipv4 >> 24) & 0xFF}.{(Ipv4 >> 16) & 0xFF}.{(Ipv4 >> 8) & 0xFF}.{Ipv4 & 0xFF}:{Port.ToString(CultureInfo.InvariantCulture)}"
        : Path;

    /// <summary>One line for reports: what is opened, with its settings.</summary>
    public string Describe() => Transport switch
    {
        DeviceTransport.TcpConnect => $"connects to {Endpoint} (timeout {ConnectTimeoutMs.ToString(CultureInfo.InvariantCulture)} ms)",
        DeviceTransport.TcpListen => $"listens on {Endpoint} (at most {ConnectionsMax.ToString(CultureInfo.InvariantCulture)} connections)",
        DeviceTransport.Serial => $"serial line {Path} at {Serial.Baud.ToString(CultureInfo.InvariantCulture)} baud, {Serial.DataBits.ToString(CultureInfo.InvariantCulture)}{ParityLetter(Serial.Parity)}{Serial.StopBits.ToString(CultureInfo.InvariantCulture)}",
        _ => $"register bank {Text}",
    };

    internal static char ParityLetter(Parity parity) => parity switch
    {
        Parity.Even => 'E',
        Parity.Odd => 'O',
        _ => 'N',
    };
}

/// <summary>Why a device URI does not parse: where in the text, what is wrong, what is allowed.</summary>
public readonly record struct DeviceUriError(int Offset, string Problem, string Allowed);

/// <summary>
/// The one grammar of device URIs (docs/MANIFESTS.md, "Device URIs"):
/// <code>
/// sim://PATH
/// tcp://HOST:PORT[?connectTimeoutMs=N]
/// tcp-listen://HOST:PORT[?connectionsMax=N]
/// modbus-tcp://HOST:PORT[?unit=N][&amp;listen=true][&amp;connectionsMax=N][&amp;connectTimeoutMs=N]
/// opc.tcp://HOST:PORT[?listen=true][&amp;connectionsMax=N][&amp;connectTimeoutMs=N]
/// serial:///dev/NAME?baud=B[&amp;parity=N|E|O][&amp;dataBits=5..8][&amp;stopBits=1|2]
/// modbus-rtu:///dev/NAME[?baud=B][&amp;parity=N|E|O][&amp;stopBits=1|2][&amp;unit=N]
/// </code>
/// </summary>
public static class DeviceUri
{
    public const int ConnectionsMaxLimit = 1_000;
    public const int ConnectionsMaxDefault = 8;
    public const long ConnectTimeoutMsDefault = 3_000;
    public const long ConnectTimeoutMsMax = 600_000;
    public const int ModbusRtuBaudDefault = 19_200;

    /// <summary>The rates termios can set on Linux; the simulation accepts the same ones.</summary>
    public static IReadOnlyList<int> BaudRates { get; } = [1_200, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200, 230_400];

    public static IReadOnlyList<string> SchemeNames { get; } = ["sim", "tcp", "tcp-listen", "modbus-tcp", "opc.tcp", "serial", "modbus-rtu"];

    private const string Separator = "://";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says where and why. Never throws.</summary>
    public static bool TryParse(string? text, out DeviceAddress? address, out DeviceUriError error)
    {
        address = null;
        error = default;
        if (string.IsNullOrEmpty(text))
        {
            error = new DeviceUriError(0, "is empty", "a URI such as sim://tank/level or tcp://127.0.0.1:1502");
            return false;
        }

        var separator = text.IndexOf(Separator, StringComparison.Ordinal);
        var schemeText = separator < 0 ? "" : text[..separator];
        if (!TrySchemeOf(schemeText, out var scheme))
        {
            error = new DeviceUriError(0, separator < 0 ? $"'{text}' has no scheme" : $"scheme '{schemeText}' is not known", "one of: " + string.Join(", ", SchemeNames));
            return false;
        }

        var rest = text[(separator + Separator.Length)..];
        var restOffset = separator + Separator.Length;
        var reader = new Reader(text, scheme, restOffset);
        address = reader.Parse(rest);
        error = reader.Error;
        return address is not null;
    }

    /// <summary>Parses a URI that validation already accepted; throws with the reason otherwise (a programming error).</summary>
    public static DeviceAddress Parse(string text)
    {
        if (!TryParse(text, out var address, out var error))
        {
            throw new ArgumentException($"device URI '{text}': {error.Problem} (allowed: {error.Allowed})", nameof(text));
        }

        return address!;
    }

    private static bool TrySchemeOf(string text, out DeviceScheme scheme)
    {
        scheme = text switch
        {
            "sim" => DeviceScheme.Sim,
            "tcp" => DeviceScheme.Tcp,
            "tcp-listen" => DeviceScheme.TcpListen,
            "modbus-tcp" => DeviceScheme.ModbusTcp,
            "opc.tcp" => DeviceScheme.OpcTcp,
            "serial" => DeviceScheme.Serial,
            "modbus-rtu" => DeviceScheme.ModbusRtu,
            _ => (DeviceScheme)(-1),
        };
        return (int)scheme >= 0;
    }

    /// <summary>Parses the part after the scheme, remembering the first error with its offset.</summary>
    private sealed class Reader(string text, DeviceScheme scheme, int offset)
    {
        private readonly Dictionary<string, (string Value, int Offset)> query = new(StringComparer.Ordinal);

        public DeviceUriError Error { get; private set; }

        private bool Failed => Error.Problem is not null;

        public DeviceAddress? Parse(string rest)
        {
            var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
            var body = queryStart < 0 ? rest : rest[..queryStart];
            if (queryStart >= 0)
            {
                ReadQuery(rest[(queryStart + 1)..], offset + queryStart + 1);
            }

            if (Failed)
            {
                return null;
            }

            var address = scheme switch
            {
                DeviceScheme.Sim => ParseSim(body),
                DeviceScheme.Serial or DeviceScheme.ModbusRtu => ParseSerial(body),
                _ => ParseTcp(body),
            };
            foreach (var (key, (_, at)) in query)
            {
                Fail(at, $"parameter '{key}' does not apply to {SchemeName()}", "for " + SchemeName() + ": " + AllowedKeys());
            }

            return Failed ? null : address;
        }

        private DeviceAddress? ParseSim(string body)
        {
            if (body.Length == 0)
            {
                return Fail(offset, "has no path", "sim://DEVICE/REGISTER, e.g. sim://tank/level");
            }

            return new DeviceAddress(text, scheme, DeviceTransport.RegisterBank, "", 0, 0, body, 0, 0, 0, default);
        }

        private DeviceAddress? ParseTcp(string body)
        {
            var colon = body.LastIndexOf(':');
            var hostText = colon < 0 ? body : body[..colon];
            if (!TryIpv4(hostText, out var ipv4))
            {
                return Fail(offset, $"host '{hostText}' is not an IPv4 address", "an IPv4 literal such as 127.0.0.1 or 0.0.0.0 (names are not resolved), or localhost");
            }

            var portOffset = offset + colon + 1;
            if (colon < 0 || !int.TryParse(body.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65_535)
            {
                return Fail(colon < 0 ? offset + body.Length : portOffset, colon < 0 ? "has no port" : $"port '{body[(colon + 1)..]}' is not a port", "HOST:PORT with a port 1..65535");
            }

            var listen = scheme == DeviceScheme.TcpListen || (scheme != DeviceScheme.Tcp && Flag("listen"));
            var unit = scheme == DeviceScheme.ModbusTcp ? Number("unit", 1, 0, 255) : 0;
            var connectionsMax = listen ? Number("connectionsMax", ConnectionsMaxDefault, 1, ConnectionsMaxLimit) : 0;
            var timeoutMs = listen ? 0 : Number("connectTimeoutMs", ConnectTimeoutMsDefault, 1, ConnectTimeoutMsMax);
            var transport = listen ? DeviceTransport.TcpListen : DeviceTransport.TcpConnect;
            return new DeviceAddress(text, scheme, transport, hostText, ipv4, port, "", (int)unit, (int)connectionsMax, timeoutMs, default);
        }

        private DeviceAddress? ParseSerial(string body)
        {
            if (!body.StartsWith('/') || body.Length < 2 || body.Contains("..", StringComparison.Ordinal))
            {
                return Fail(offset, $"'{body}' is not an absolute device path", SchemeName() + ":///dev/NAME, e.g. " + SchemeName() + ":///dev/ttyUSB0 (three slashes)");
            }

            var modbus = scheme == DeviceScheme.ModbusRtu;
            var baud = Number("baud", modbus ? ModbusRtuBaudDefault : 0, 0, int.MaxValue);
            if (!Failed && !BaudRates.Contains((int)baud))
            {
                var at = query.TryGetValue("baud", out _) ? offset : offset + body.Length;
                return Fail(at, baud == 0 ? "needs a baud rate" : $"baud {baud.ToString(CultureInfo.InvariantCulture)} is not supported", "baud=" + string.Join("|", BaudRates));
            }

            var parity = ParityParameter(modbus ? Parity.Even : Parity.None);
            var dataBits = modbus ? 8 : Number("dataBits", 8, 5, 8);
            var stopBits = Number("stopBits", 1, 1, 2);
            var unit = modbus ? Number("unit", 1, 0, 247) : 0;
            var settings = new SerialSettings((int)baud, parity, (int)dataBits, (int)stopBits);
            return new DeviceAddress(text, scheme, DeviceTransport.Serial, "", 0, 0, body, (int)unit, 0, 0, settings);
        }

        private void ReadQuery(string text, int at)
        {
            foreach (var pair in text.Split('&'))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    Fail(at, $"'{pair}' is not KEY=VALUE", "parameters as key=value joined by &");
                    return;
                }

                if (!query.TryAdd(pair[..equals], (pair[(equals + 1)..], at)))
                {
                    Fail(at, $"parameter '{pair[..equals]}' is given twice", "each parameter once");
                    return;
                }

                at += pair.Length + 1;
            }
        }

        private long Number(string key, long defaultValue, long min, long max)
        {
            if (!query.Remove(key, out var entry))
            {
                return defaultValue;
            }

            if (!long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                Fail(entry.Offset, $"{key} '{entry.Value}' is out of range", $"{key}={min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
                return defaultValue;
            }

            return value;
        }

        private bool Flag(string key)
        {
            if (!query.Remove(key, out var entry))
            {
                return false;
            }

            if (entry.Value is not ("true" or "false"))
            {
                Fail(entry.Offset, $"{key} '{entry.Value}' is not a flag", key + "=true or " + key + "=false");
            }

            return entry.Value == "true";
        }

        private Parity ParityParameter(Parity defaultValue)
        {
            if (!query.Remove("parity", out var entry))
            {
                return defaultValue;
            }

            switch (entry.Value)
            {
                case "N":
                    return Parity.None;
                case "E":
                    return Parity.Even;
                case "O":
                    return Parity.Odd;
                default:
                    Fail(entry.Offset, $"parity '{entry.Value}' is not known", "parity=N (none), E (even) or O (odd)");
                    return defaultValue;
            }
        }

        private string SchemeName() => SchemeNames[(int)scheme];

        private string AllowedKeys() => scheme switch
        {
            DeviceScheme.Sim => "no parameters",
            DeviceScheme.Tcp => "connectTimeoutMs",
            DeviceScheme.TcpListen => "connectionsMax",
            DeviceScheme.ModbusTcp => "unit, listen, connectionsMax (with listen=true), connectTimeoutMs (without)",
            DeviceScheme.OpcTcp => "listen, connectionsMax (with listen=true), connectTimeoutMs (without)",
            DeviceScheme.Serial => "baud, parity, dataBits, stopBits",
            _ => "baud, parity, stopBits, unit",
        };

        private DeviceAddress? Fail(int at, string problem, string allowed)
        {
            if (!Failed)
            {
                Error = new DeviceUriError(at, problem, allowed);
            }

            return null;
        }

        private static bool TryIpv4(string host, out uint address)
        {
            address = 0;
            if (host == "localhost")
            {
                address = 0x7F00_0001;
                return true;
            }

            var parts = host.Split('.');
            if (parts.Length != 4)
            {
                return false;
            }

            foreach (var part in parts)
            {
                if (part.Length is 0 or > 3 || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var octet))
                {
                    return false;
                }

                address = (address << 8) | octet;
            }

            return true;
        }
    }
}
